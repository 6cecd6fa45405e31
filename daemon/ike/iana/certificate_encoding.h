// IANA "IKEv2 Certificate Encodings" registry (RFC 7296 §3.6, RFC 4806, RFC 7670).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class CertificateEncoding : uint8_t {
  PKCS7_WRAPPED_X509 = 1,
  PGP = 2,
  DNS_SIGNED_KEY = 3,
  X509_SIGNATURE = 4,
  KERBEROS_TOKEN = 6,
  CRL = 7,
  ARL = 8,
  SPKI = 9,
  X509_ATTRIBUTE = 10,
  RAW_RSA_KEY = 11,
  HASH_AND_URL_X509 = 12,
  HASH_AND_URL_X509_BUNDLE = 13,
  OCSP_CONTENT = 14,
  RAW_PUBLIC_KEY = 15,
};

constexpr std::string_view name(CertificateEncoding e) {
  switch (e) {
    case CertificateEncoding::PKCS7_WRAPPED_X509: return "PKCS7_WRAPPED_X509";
    case CertificateEncoding::PGP: return "PGP";
    case CertificateEncoding::DNS_SIGNED_KEY: return "DNS_SIGNED_KEY";
    case CertificateEncoding::X509_SIGNATURE: return "X509_SIGNATURE";
    case CertificateEncoding::KERBEROS_TOKEN: return "KERBEROS_TOKEN";
    case CertificateEncoding::CRL: return "CRL";
    case CertificateEncoding::ARL: return "ARL";
    case CertificateEncoding::SPKI: return "SPKI";
    case CertificateEncoding::X509_ATTRIBUTE: return "X509_ATTRIBUTE";
    case CertificateEncoding::RAW_RSA_KEY: return "RAW_RSA_KEY";
    case CertificateEncoding::HASH_AND_URL_X509: return "HASH_AND_URL_X509";
    case CertificateEncoding::HASH_AND_URL_X509_BUNDLE: return "HASH_AND_URL_X509_BUNDLE";
    case CertificateEncoding::OCSP_CONTENT: return "OCSP_CONTENT";
    case CertificateEncoding::RAW_PUBLIC_KEY: return "RAW_PUBLIC_KEY";
  }
  return "CERT_ENCODING_UNKNOWN";
}

}  // namespace ipsecd::iana
