// The names a certificate binds, for matching a peer's IKE identity (RFC 7296 §3.5, RFC 4945 §3).
#include "crypto/x509_identity.h"

#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/pkix_types.h>

#include <exception>

namespace ipsecd::crypto {

namespace {

// Botan 2's AlternativeName keeps only IPv4 iPAddress entries, so the GeneralNames of the subjectAltName
// extension (RFC 5280 §4.2.1.6) are walked here for iPAddress [7] OCTET STRING of 4 or 16 bytes.
std::vector<Bytes> san_ip_addresses(const Botan::X509_Certificate& cert) {
  std::vector<Bytes> out;
  const Botan::OID san_oid{2, 5, 29, 17};
  const std::vector<uint8_t> bits = cert.v3_extensions().get_extension_bits(san_oid);
  if (bits.empty()) return out;
  try {
    Botan::BER_Decoder names = Botan::BER_Decoder(bits).start_cons(Botan::SEQUENCE);
    while (names.more_items()) {
      const Botan::BER_Object name = names.get_next_object();
      if (name.is_a(7, Botan::CONTEXT_SPECIFIC) && (name.length() == 4 || name.length() == 16)) {
        out.emplace_back(name.bits(), name.bits() + name.length());
      }
    }
  } catch (const std::exception&) {
    // Botan parsed this extension when it loaded the certificate; a failure here leaves no IPs to match.
    out.clear();
  }
  return out;
}

}  // namespace

CertificateIdentity identity_of(const Botan::X509_Certificate& cert) {
  CertificateIdentity id;
  id.subject_dn = cert.subject_dn().to_string();
  id.subject_dn_der = cert.raw_subject_dn();
  const Botan::AlternativeName& san = cert.subject_alt_name();
  id.dns_names = san.get_attribute("DNS");
  id.emails = san.get_attribute("RFC822");
  id.ip_addresses = san_ip_addresses(cert);
  return id;
}

}  // namespace ipsecd::crypto
