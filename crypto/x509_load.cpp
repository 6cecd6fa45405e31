// Loading certificates, chains, CRLs and PKCS#8 private keys from PEM or DER files and buffers.
#include "crypto/x509_load.h"

#include <botan/data_src.h>
#include <botan/pkcs8.h>

#include <fmt/format.h>

#include <exception>

namespace ipsecd::crypto {

Expected<std::vector<Botan::X509_Certificate>, std::string> load_certificates(const std::string& path) {
  try {
    Botan::DataSource_Stream source(path, true);
    std::vector<Botan::X509_Certificate> certs;
    // X509_Certificate(DataSource&) takes one PEM block or one DER object per call. Whitespace after the
    // last PEM block is not another certificate; a stream only reports its end once a read comes up short.
    for (;;) {
      uint8_t next = 0;
      while (source.peek(&next, 1, 0) == 1 && (next == '\n' || next == '\r' || next == ' ' || next == '\t')) {
        source.discard_next(1);
      }
      if (source.peek(&next, 1, 0) == 0) break;
      certs.emplace_back(source);
    }
    if (certs.empty()) return unexpected(fmt::format("{}: no certificate found", path));
    return certs;
  } catch (const std::exception& e) {
    return unexpected(fmt::format("{}: cannot load certificate: {}", path, e.what()));
  }
}

Expected<Botan::X509_Certificate, std::string> parse_certificate(ByteView data) {
  try {
    return Botan::X509_Certificate(data.data(), data.size());
  } catch (const std::exception& e) {
    return unexpected(fmt::format("malformed certificate: {}", e.what()));
  }
}

Expected<Botan::X509_CRL, std::string> load_crl(const std::string& path) {
  try {
    return Botan::X509_CRL(path);
  } catch (const std::exception& e) {
    return unexpected(fmt::format("{}: cannot load CRL: {}", path, e.what()));
  }
}

Expected<std::unique_ptr<Botan::Private_Key>, std::string> load_private_key(const std::string& path) {
  try {
    Botan::DataSource_Stream source(path, true);
    return Botan::PKCS8::load_key(source);
  } catch (const std::exception& e) {
    return unexpected(fmt::format("{}: cannot load PKCS#8 private key: {}", path, e.what()));
  }
}

}  // namespace ipsecd::crypto
