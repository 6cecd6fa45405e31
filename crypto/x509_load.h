// Loading certificates, chains, CRLs and PKCS#8 private keys from PEM or DER files and buffers.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"

#include <botan/pk_keys.h>
#include <botan/x509_crl.h>
#include <botan/x509cert.h>

#include <memory>
#include <string>
#include <vector>

namespace ipsecd::crypto {

// Every certificate in a file, in file order: one DER certificate, or any number of PEM blocks.
Expected<std::vector<Botan::X509_Certificate>, std::string> load_certificates(const std::string& path);

// One certificate from PEM or DER bytes (a CERT payload carries DER, RFC 7296 §3.6 encoding 4).
Expected<Botan::X509_Certificate, std::string> parse_certificate(ByteView data);

// A CRL in PEM or DER.
Expected<Botan::X509_CRL, std::string> load_crl(const std::string& path);

// An unencrypted PKCS#8 private key (RSA, ECDSA or Ed25519), PEM or DER. The error never contains key bytes.
Expected<std::unique_ptr<Botan::Private_Key>, std::string> load_private_key(const std::string& path);

}  // namespace ipsecd::crypto
