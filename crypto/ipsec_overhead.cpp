// ESP/AH per-packet framing sizes from the transform IDs (RFC 4303 §2, RFC 4302 §2, RFC 3948 §2.1).
#include "crypto/ipsec_overhead.h"

#include <fmt/format.h>

namespace ipsecd::crypto {
namespace {

using iana::EncryptionAlgorithm;
using iana::IntegrityAlgorithm;

constexpr size_t ipv4_header = 20;
constexpr size_t ipv6_header = 40;
constexpr size_t udp_header = 8;
constexpr size_t tcp_header = 20;
constexpr size_t esp_header = 8;   // SPI and Sequence Number (RFC 4303 §2)
constexpr size_t esp_trailer = 2;  // Pad Length and Next Header
constexpr size_t ah_fixed = 12;    // Next Header, Payload Len, Reserved, SPI, Sequence Number (RFC 4302 §2)

// ICV length: the truncated MAC of each integrity transform (RFC 2404, 4868 §2.3, 3566, 4494, 4543).
std::optional<size_t> integrity_icv(IntegrityAlgorithm integrity) {
  switch (integrity) {
    case IntegrityAlgorithm::AUTH_HMAC_MD5_96:
    case IntegrityAlgorithm::AUTH_HMAC_SHA1_96:
    case IntegrityAlgorithm::AUTH_AES_XCBC_96:
    case IntegrityAlgorithm::AUTH_AES_CMAC_96:
      return 12;
    case IntegrityAlgorithm::AUTH_HMAC_MD5_128:
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128:
    case IntegrityAlgorithm::AUTH_AES_128_GMAC:
    case IntegrityAlgorithm::AUTH_AES_192_GMAC:
    case IntegrityAlgorithm::AUTH_AES_256_GMAC:
      return 16;
    case IntegrityAlgorithm::AUTH_HMAC_SHA1_160:
      return 20;
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192:
      return 24;
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256:
      return 32;
    default:
      return std::nullopt;
  }
}

struct CipherFraming {
  size_t iv = 0;
  size_t block = 4;  // ESP aligns the trailer to 4 octets at least (RFC 4303 §2.4)
  size_t icv = 0;    // combined-mode ciphers carry their own ICV
};

// IV and block size per cipher (RFC 3602, 2451, 3686, 4106, 4309, 4543, 5529, 7634).
std::optional<CipherFraming> cipher_framing(EncryptionAlgorithm encryption) {
  switch (encryption) {
    case EncryptionAlgorithm::ENCR_NULL:
      return CipherFraming{0, 4, 0};
    case EncryptionAlgorithm::ENCR_DES:
    case EncryptionAlgorithm::ENCR_3DES:
      return CipherFraming{8, 8, 0};
    case EncryptionAlgorithm::ENCR_AES_CBC:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CBC:
      return CipherFraming{16, 16, 0};
    case EncryptionAlgorithm::ENCR_AES_CTR:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CTR:
      return CipherFraming{8, 4, 0};
    case EncryptionAlgorithm::ENCR_AES_CCM_8:
    case EncryptionAlgorithm::ENCR_AES_GCM_8:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_8:
      return CipherFraming{8, 4, 8};
    case EncryptionAlgorithm::ENCR_AES_CCM_12:
    case EncryptionAlgorithm::ENCR_AES_GCM_12:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_12:
      return CipherFraming{8, 4, 12};
    case EncryptionAlgorithm::ENCR_AES_CCM_16:
    case EncryptionAlgorithm::ENCR_AES_GCM_16:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_16:
    case EncryptionAlgorithm::ENCR_NULL_AUTH_AES_GMAC:
    case EncryptionAlgorithm::ENCR_CHACHA20_POLY1305:
      return CipherFraming{8, 4, 16};
    default:
      return std::nullopt;
  }
}

size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

size_t ip_header(bool ipv6) { return ipv6 ? ipv6_header : ipv4_header; }

}  // namespace

Expected<SaFraming, std::string> sa_framing(const SaFramingSpec& spec) {
  if (!spec.esp && !spec.ah) return unexpected(std::string("an SA bundle needs ESP or AH"));
  SaFraming framing;
  if (spec.tunnel) framing.header += ip_header(spec.ipv6);
  if (spec.udp_encapsulation) framing.header += udp_header;
  if (spec.ah) {
    const auto icv = integrity_icv(*spec.ah);
    if (!icv) return unexpected(fmt::format("AH: no ICV length known for integrity transform {}",
                                            static_cast<unsigned>(*spec.ah)));
    // The AH header is a multiple of 32 bits over IPv4 and of 64 bits over IPv6 (RFC 4302 §2.2).
    framing.header += round_up(ah_fixed + *icv, spec.ipv6 ? 8 : 4);
  }
  if (spec.esp) {
    const auto cipher = cipher_framing(spec.esp->encryption);
    if (!cipher) return unexpected(fmt::format("ESP: no framing known for encryption transform {}",
                                               static_cast<unsigned>(spec.esp->encryption)));
    size_t icv = cipher->icv;
    if (spec.esp->integrity != IntegrityAlgorithm::NONE) {
      const auto mac = integrity_icv(spec.esp->integrity);
      if (!mac) return unexpected(fmt::format("ESP: no ICV length known for integrity transform {}",
                                              static_cast<unsigned>(spec.esp->integrity)));
      icv += *mac;
    }
    framing.header += esp_header + cipher->iv;
    framing.padded_trailer = esp_trailer;
    framing.icv = icv;
    framing.block = cipher->block;
  }
  return framing;
}

size_t largest_protected_payload(const SaFraming& framing, const SaFramingSpec& spec, size_t path_mtu) {
  // In transport mode the packet keeps its own IP header in front of the IPsec headers.
  const size_t outside = framing.header + (spec.tunnel ? 0 : ip_header(spec.ipv6)) + framing.icv;
  if (path_mtu < outside + framing.padded_trailer) return 0;
  // The payload and the ESP trailer octets are padded together to the cipher's block (RFC 4303 §2.4).
  const size_t padded = (path_mtu - outside) / framing.block * framing.block;
  return padded > framing.padded_trailer ? padded - framing.padded_trailer : 0;
}

size_t tcp_mss_for_path(const SaFraming& framing, const SaFramingSpec& spec, size_t path_mtu) {
  const size_t payload = largest_protected_payload(framing, spec, path_mtu);
  const size_t headers = (spec.tunnel ? ip_header(spec.ipv6) : 0) + tcp_header;
  return payload > headers ? payload - headers : 0;
}

}  // namespace ipsecd::crypto
