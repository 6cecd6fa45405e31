// One-line descriptions of configured and negotiated proposals for logs, with IANA names.
#include "daemon/ike/ikev2/proposal.h"

#include <fmt/format.h>

namespace ipsecd::ikev2 {

namespace {

// "ENCR_AES_CBC_256", "ENCR_AES_GCM_16_128", "ENCR_CHACHA20_POLY1305": the key size joins the name as in
// strongSwan's AES_CBC_256.
std::string encryption_name(const EncryptionTransform& e) {
  if (e.key_bits == 0) return std::string(iana::name(e.id));
  return fmt::format("{}_{}", iana::name(e.id), e.key_bits);
}

std::string_view esn_name(bool esn) { return esn ? "ESN" : "NO_ESN"; }

class Joiner {
 public:
  explicit Joiner(iana::SecurityProtocolId protocol) : text_(fmt::format("{}:", iana::name(protocol))) {}
  void add(std::string_view part) {
    if (!first_) text_ += '/';
    text_ += part;
    first_ = false;
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
  bool first_ = true;
};

}  // namespace

std::string to_string(const ProposalConfig& config) {
  Joiner out(config.protocol);
  for (const auto& e : config.encryption) out.add(encryption_name(e));
  for (const auto i : config.integrity) out.add(iana::name(i));
  for (const auto p : config.prf) out.add(iana::name(p));
  for (const auto k : config.key_exchange) out.add(iana::name(k));
  for (const bool esn : config.esn) out.add(esn_name(esn));
  return out.take();
}

std::string to_string(const NegotiatedTransforms& transforms) {
  using P = iana::SecurityProtocolId;
  Joiner out(transforms.protocol);
  if (transforms.protocol != P::AH) out.add(encryption_name(transforms.encryption));
  if (transforms.integrity != iana::IntegrityAlgorithm::NONE) out.add(iana::name(transforms.integrity));
  if (transforms.protocol == P::IKE) out.add(iana::name(transforms.prf));
  if (transforms.key_exchange != iana::KeyExchangeMethod::NONE) out.add(iana::name(transforms.key_exchange));
  if (transforms.protocol == P::ESP || transforms.protocol == P::AH) out.add(esn_name(transforms.esn));
  return out.take();
}

}  // namespace ipsecd::ikev2
