// The names a certificate binds, for matching a peer's IKE identity (RFC 7296 §3.5, RFC 4945 §3).
#pragma once

#include "crypto/bytes.h"

#include <botan/x509cert.h>

#include <string>
#include <vector>

namespace ipsecd::crypto {

struct CertificateIdentity {
  // Human-readable subject DN, for logs and configuration matching.
  std::string subject_dn;
  // DER of the subject Name, compared with ID_DER_ASN1_DN Identification Data.
  Bytes subject_dn_der;
  // subjectAltName entries: dNSName (ID_FQDN), rfc822Name (ID_RFC822_ADDR), iPAddress as 4 or 16 raw
  // bytes (ID_IPV4_ADDR / ID_IPV6_ADDR carry the same raw form).
  std::vector<std::string> dns_names;
  std::vector<std::string> emails;
  std::vector<Bytes> ip_addresses;
};

CertificateIdentity identity_of(const Botan::X509_Certificate& cert);

}  // namespace ipsecd::crypto
