// The SA payload form of proposals (RFC 7296 §3.3): configured proposals as offered, and the one accepted;
// for CHILD_SAs also the ESP+AH bundle of RFC 4306 §3.3.1.
#include "daemon/ike/ikev2/proposal.h"

namespace ipsecd::ikev2 {

namespace {

using iana::EncryptionAlgorithm;
using iana::SecurityProtocolId;
using iana::TransformType;

// strongSwan's order, which lets our SA payloads match its byte for byte.
constexpr TransformType kWireOrder[] = {TransformType::ENCR, TransformType::INTEG, TransformType::PRF,
                                        TransformType::KE, TransformType::ESN};

// §3.3.5: the Key Length attribute is required for ciphers with a variable key size and MUST NOT be sent
// for fixed-size ones (3DES, DES, ChaCha20-Poly1305).
bool takes_key_length(EncryptionAlgorithm algorithm) {
  switch (algorithm) {
    case EncryptionAlgorithm::ENCR_AES_CBC:
    case EncryptionAlgorithm::ENCR_AES_CTR:
    case EncryptionAlgorithm::ENCR_AES_CCM_8:
    case EncryptionAlgorithm::ENCR_AES_CCM_12:
    case EncryptionAlgorithm::ENCR_AES_CCM_16:
    case EncryptionAlgorithm::ENCR_AES_GCM_8:
    case EncryptionAlgorithm::ENCR_AES_GCM_12:
    case EncryptionAlgorithm::ENCR_AES_GCM_16:
    case EncryptionAlgorithm::ENCR_NULL_AUTH_AES_GMAC:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CBC:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CTR:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_8:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_12:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_16:
      return true;
    default:
      return false;
  }
}

ike::Transform make_transform(TransformType type, uint16_t id) { return ike::Transform{type, id, {}}; }

ike::Transform make_transform(const EncryptionTransform& e) {
  ike::Transform t = make_transform(TransformType::ENCR, static_cast<uint16_t>(e.id));
  if (takes_key_length(e.id)) t.attributes.push_back(ike::TransformAttribute::key_length(e.key_bits));
  return t;
}

template <typename Id>
std::vector<ike::Transform> transforms_of(TransformType type, const std::vector<Id>& ids) {
  std::vector<ike::Transform> out;
  for (const auto id : ids) out.push_back(make_transform(type, static_cast<uint16_t>(id)));
  return out;
}

bool carries_esn(SecurityProtocolId protocol) {
  return protocol == SecurityProtocolId::ESP || protocol == SecurityProtocolId::AH;
}

}  // namespace

bool is_aead(EncryptionAlgorithm algorithm) {
  switch (algorithm) {
    case EncryptionAlgorithm::ENCR_AES_CCM_8:
    case EncryptionAlgorithm::ENCR_AES_CCM_12:
    case EncryptionAlgorithm::ENCR_AES_CCM_16:
    case EncryptionAlgorithm::ENCR_AES_GCM_8:
    case EncryptionAlgorithm::ENCR_AES_GCM_12:
    case EncryptionAlgorithm::ENCR_AES_GCM_16:
    case EncryptionAlgorithm::ENCR_NULL_AUTH_AES_GMAC:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_8:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_12:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_16:
    case EncryptionAlgorithm::ENCR_CHACHA20_POLY1305:
      return true;
    default:
      return false;
  }
}

std::vector<ike::Transform> offered_transforms(const ProposalConfig& config, TransformType type) {
  switch (type) {
    case TransformType::ENCR: {
      std::vector<ike::Transform> out;
      for (const auto& e : config.encryption) out.push_back(make_transform(e));
      return out;
    }
    case TransformType::PRF:
      return transforms_of(type, config.prf);
    case TransformType::INTEG:
      return transforms_of(type, config.integrity);
    case TransformType::KE:
      return transforms_of(type, config.key_exchange);
    case TransformType::ESN: {
      std::vector<uint16_t> esn;
      for (const bool on : config.esn) esn.push_back(on ? 1 : 0);
      if (esn.empty() && carries_esn(config.protocol)) esn.push_back(0);
      return transforms_of(type, esn);
    }
  }
  return {};
}

std::vector<ike::Proposal> to_sa_proposals(const std::vector<ProposalConfig>& configs,
                                           const crypto::Bytes& spi) {
  std::vector<ike::Proposal> out;
  for (size_t i = 0; i < configs.size(); ++i) {
    ike::Proposal p;
    p.number = static_cast<uint8_t>(i + 1);
    p.protocol = configs[i].protocol;
    p.spi = spi;
    for (const auto type : kWireOrder) {
      for (auto& t : offered_transforms(configs[i], type)) p.transforms.push_back(std::move(t));
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<ike::Proposal> to_child_sa_proposals(const std::vector<ProposalConfig>& esp,
                                                 const std::vector<ProposalConfig>& ah,
                                                 const crypto::Bytes& spi, const crypto::Bytes& ah_spi) {
  if (esp.empty()) return to_sa_proposals(ah, spi);
  if (ah.empty()) return to_sa_proposals(esp, spi);
  std::vector<ike::Proposal> out;
  uint8_t number = 0;
  for (const auto& e : esp) {
    for (const auto& a : ah) {
      if (number == 255) return out;
      ++number;
      for (auto [config, config_spi] : {std::pair{&e, &spi}, std::pair{&a, &ah_spi}}) {
        ike::Proposal p = to_sa_proposals({*config}, *config_spi).front();
        p.number = number;
        out.push_back(std::move(p));
      }
    }
  }
  return out;
}

std::vector<ike::Proposal> to_accepted_child_proposals(const SelectedChildProposal& chosen,
                                                       const crypto::Bytes& spi,
                                                       const crypto::Bytes& ah_spi) {
  std::vector<ike::Proposal> out{to_accepted_proposal(chosen.main.transforms, chosen.main.number, spi)};
  if (chosen.ah) out.push_back(to_accepted_proposal(chosen.ah->transforms, chosen.main.number, ah_spi));
  return out;
}

ike::Proposal to_accepted_proposal(const NegotiatedTransforms& chosen, uint8_t number,
                                   const crypto::Bytes& spi) {
  ike::Proposal p;
  p.number = number;
  p.protocol = chosen.protocol;
  p.spi = spi;
  // Only the types that were negotiated: AH has no ENCR, an AEAD no INTEG, a CHILD_SA no PRF and, without
  // PFS, no KE (§3.3.3).
  if (chosen.encryption.id != EncryptionAlgorithm{})
    p.transforms.push_back(make_transform(chosen.encryption));
  if (chosen.integrity != iana::IntegrityAlgorithm::NONE) {
    p.transforms.push_back(make_transform(TransformType::INTEG, static_cast<uint16_t>(chosen.integrity)));
  }
  if (chosen.prf != iana::PseudorandomFunction{}) {
    p.transforms.push_back(make_transform(TransformType::PRF, static_cast<uint16_t>(chosen.prf)));
  }
  if (chosen.key_exchange != iana::KeyExchangeMethod::NONE) {
    p.transforms.push_back(make_transform(TransformType::KE, static_cast<uint16_t>(chosen.key_exchange)));
  }
  if (carries_esn(chosen.protocol))
    p.transforms.push_back(make_transform(TransformType::ESN, chosen.esn ? 1 : 0));
  return p;
}

crypto::SkAlgorithm NegotiatedTransforms::sk_algorithm() const {
  return crypto::SkAlgorithm{encryption.id, encryption.key_bits, integrity,
                             encryption.id == EncryptionAlgorithm::ENCR_DES};
}

}  // namespace ipsecd::ikev2
