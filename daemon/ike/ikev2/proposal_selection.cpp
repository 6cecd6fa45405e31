// Proposal selection (RFC 7296 §2.7, §3.3.6): the responder's choice and the initiator's check of it, also
// for ESP+AH bundles (RFC 4306 §3.3.1).
#include "daemon/ike/ikev2/proposal.h"

#include <fmt/format.h>

#include <algorithm>

namespace ipsecd::ikev2 {

namespace {

using iana::TransformType;

constexpr TransformType kTypes[] = {TransformType::ENCR, TransformType::INTEG, TransformType::PRF,
                                    TransformType::KE, TransformType::ESN};

bool is_known(TransformType type) {
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

// NONE (ID 0) is a registered choice only for INTEG and KE: "no integrity" beside an AEAD, "no PFS".
bool is_none(const ike::Transform& t) {
  return (t.type == TransformType::INTEG || t.type == TransformType::KE) && t.id == 0 && t.attributes.empty();
}

bool has_unknown_type(const ike::Proposal& p) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [](const ike::Transform& t) { return !is_known(t.type); });
}

void record(NegotiatedTransforms& n, const ike::Transform& t) {
  switch (t.type) {
    case TransformType::ENCR:
      n.encryption = {static_cast<iana::EncryptionAlgorithm>(t.id), t.key_length().value_or(0)};
      return;
    case TransformType::PRF:
      n.prf = static_cast<iana::PseudorandomFunction>(t.id);
      return;
    case TransformType::INTEG:
      n.integrity = static_cast<iana::IntegrityAlgorithm>(t.id);
      return;
    case TransformType::KE:
      n.key_exchange = static_cast<iana::KeyExchangeMethod>(t.id);
      return;
    case TransformType::ESN:
      n.esn = t.id == 1;
      return;
  }
}

// Our transform of `type` that `theirs` also offers, first in our order; the peer's must equal ours
// exactly, so a different Key Length or an attribute we do not know fails to match (§3.3.6). Where we
// offer none of the type, NONE stands in and the peer must offer none or NONE. False: no match.
bool choose(const ProposalConfig& ours, const ike::Proposal& theirs, TransformType type,
            NegotiatedTransforms& chosen) {
  const auto offered = offered_transforms(ours, type);
  bool peer_has_type = false, peer_offers_none = false;
  for (const auto& t : theirs.transforms) {
    if (t.type != type) continue;
    peer_has_type = true;
    if (is_none(t)) peer_offers_none = true;
  }
  if (offered.empty()) return !peer_has_type || peer_offers_none;
  for (const auto& mine : offered) {
    if (std::find(theirs.transforms.begin(), theirs.transforms.end(), mine) != theirs.transforms.end()) {
      record(chosen, mine);
      return true;
    }
  }
  return false;
}

std::optional<NegotiatedTransforms> match(const ProposalConfig& ours, const ike::Proposal& theirs) {
  if (theirs.protocol != ours.protocol) return std::nullopt;
  NegotiatedTransforms chosen;
  chosen.protocol = ours.protocol;
  for (const auto type : kTypes) {
    if (!choose(ours, theirs, type, chosen)) return std::nullopt;
  }
  return chosen;
}

std::string describe(const ike::Transform& t) {
  std::string_view name;
  switch (t.type) {
    case TransformType::ENCR:
      name = iana::name(static_cast<iana::EncryptionAlgorithm>(t.id));
      break;
    case TransformType::PRF:
      name = iana::name(static_cast<iana::PseudorandomFunction>(t.id));
      break;
    case TransformType::INTEG:
      name = iana::name(static_cast<iana::IntegrityAlgorithm>(t.id));
      break;
    case TransformType::KE:
      name = iana::name(static_cast<iana::KeyExchangeMethod>(t.id));
      break;
    case TransformType::ESN:
      name = t.id == 0 ? "NO_ESN" : t.id == 1 ? "ESN" : "ESN_UNKNOWN";
      break;
  }
  std::string out = fmt::format("{} {} ({})", iana::name(t.type), name, t.id);
  if (const auto bits = t.key_length()) out += fmt::format(" with key length {}", *bits);
  if (t.attributes.size() > (t.key_length() ? 1u : 0u)) out += " with other attributes";
  return out;
}

// One transform of `type` in the answer, as we offered it in `ours`.
Expected<Ok, std::string> check_type(const ProposalConfig& ours, uint8_t number, const ike::Proposal& answer,
                                     TransformType type, NegotiatedTransforms& chosen) {
  std::vector<const ike::Transform*> got;
  for (const auto& t : answer.transforms) {
    if (t.type == type) got.push_back(&t);
  }
  const auto offered = offered_transforms(ours, type);
  if (got.size() > 1) {
    return unexpected(fmt::format("the responder's proposal holds {} {} transforms instead of one",
                                  got.size(), iana::name(type)));
  }
  if (got.empty()) {
    if (offered.empty()) return Ok{};
    return unexpected(
        fmt::format("the responder's proposal has no {} transform, which our proposal {} requires",
                    iana::name(type), number));
  }
  const ike::Transform& t = *got.front();
  if (offered.empty() && is_none(t)) return Ok{};
  if (std::find(offered.begin(), offered.end(), t) == offered.end()) {
    return unexpected(
        fmt::format("the responder chose {}, which our proposal {} did not offer", describe(t), number));
  }
  record(chosen, t);
  return Ok{};
}

// The answer's proposal `p` checked against our proposal it answers.
Expected<SelectedProposal, std::string> check_one(const ProposalConfig& config, const ike::Proposal& p) {
  if (p.protocol != config.protocol) {
    return unexpected(fmt::format("the responder accepted proposal {} for {}, but we proposed it for {}",
                                  p.number, iana::name(p.protocol), iana::name(config.protocol)));
  }
  for (const auto& t : p.transforms) {
    if (!is_known(t.type)) {
      return unexpected(fmt::format("the responder's proposal holds transform type {}, which we never send",
                                    static_cast<unsigned>(t.type)));
    }
  }
  NegotiatedTransforms chosen;
  chosen.protocol = config.protocol;
  for (const auto type : kTypes) {
    if (auto ok = check_type(config, p.number, p, type, chosen); !ok) return unexpected(ok.error());
  }
  return SelectedProposal{chosen, p.number, p.spi};
}

// Proposals grouped by Proposal # (RFC 4306 §3.3.1: one group is one ANDed proposal), in order of first
// appearance.
std::vector<std::vector<const ike::Proposal*>> by_number(const std::vector<ike::Proposal>& proposals) {
  std::vector<std::vector<const ike::Proposal*>> groups;
  for (const auto& p : proposals) {
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& g) { return g.front()->number == p.number; });
    if (group == groups.end()) {
      groups.push_back({&p});
    } else {
      group->push_back(&p);
    }
  }
  return groups;
}

// The ESP and the AH proposal of a two-proposal group, or nullptrs when it is not exactly that pair.
std::pair<const ike::Proposal*, const ike::Proposal*> esp_ah_pair(
    const std::vector<const ike::Proposal*>& group) {
  if (group.size() != 2) return {nullptr, nullptr};
  const ike::Proposal* esp = nullptr;
  const ike::Proposal* ah = nullptr;
  for (const auto* p : group) {
    if (p->protocol == iana::SecurityProtocolId::ESP && esp == nullptr) esp = p;
    if (p->protocol == iana::SecurityProtocolId::AH && ah == nullptr) ah = p;
  }
  if (esp == nullptr || ah == nullptr) return {nullptr, nullptr};
  return {esp, ah};
}

// §1.3.1 gives a CHILD_SA exchange one KE payload, so the two halves of a bundle cannot use two groups.
bool one_group(const NegotiatedTransforms& a, const NegotiatedTransforms& b) {
  return a.key_exchange == iana::KeyExchangeMethod::NONE || b.key_exchange == iana::KeyExchangeMethod::NONE ||
         a.key_exchange == b.key_exchange;
}

}  // namespace

std::optional<SelectedProposal> select_proposal(const std::vector<ProposalConfig>& ours,
                                                const std::vector<ike::Proposal>& theirs) {
  for (const auto& mine : ours) {
    for (const auto& peer : theirs) {
      // §3.3.6: a transform type we do not understand makes the whole proposal unacceptable.
      if (has_unknown_type(peer)) continue;
      if (auto chosen = match(mine, peer)) return SelectedProposal{*chosen, peer.number, peer.spi};
    }
  }
  return std::nullopt;
}

Expected<SelectedProposal, std::string> check_accepted_proposal(const std::vector<ProposalConfig>& ours,
                                                                const std::vector<ike::Proposal>& answer) {
  if (answer.size() != 1) {
    return unexpected(
        fmt::format("the responder's SA payload holds {} proposals instead of exactly one", answer.size()));
  }
  const ike::Proposal& p = answer.front();
  if (p.number == 0 || p.number > ours.size()) {
    return unexpected(fmt::format("the responder accepted proposal number {}, but we sent proposals 1 to {}",
                                  p.number, ours.size()));
  }
  return check_one(ours[p.number - 1u], p);
}

iana::KeyExchangeMethod SelectedChildProposal::key_exchange() const {
  if (main.transforms.key_exchange != iana::KeyExchangeMethod::NONE || !ah)
    return main.transforms.key_exchange;
  return ah->transforms.key_exchange;
}

std::optional<SelectedChildProposal> select_child_proposal(const std::vector<ProposalConfig>& esp,
                                                           const std::vector<ProposalConfig>& ah,
                                                           const std::vector<ike::Proposal>& theirs) {
  const auto groups = by_number(theirs);
  if (esp.empty() || ah.empty()) {
    std::vector<ike::Proposal> singles;
    for (const auto& g : groups) {
      if (g.size() == 1) singles.push_back(*g.front());
    }
    auto chosen = select_proposal(esp.empty() ? ah : esp, singles);
    if (!chosen) return std::nullopt;
    return SelectedChildProposal{std::move(*chosen), std::nullopt};
  }
  for (const auto& our_esp : esp) {
    for (const auto& our_ah : ah) {
      for (const auto& g : groups) {
        const auto [peer_esp, peer_ah] = esp_ah_pair(g);
        if (peer_esp == nullptr || has_unknown_type(*peer_esp) || has_unknown_type(*peer_ah)) continue;
        auto esp_chosen = match(our_esp, *peer_esp);
        auto ah_chosen = esp_chosen ? match(our_ah, *peer_ah) : std::nullopt;
        if (!ah_chosen || !one_group(*esp_chosen, *ah_chosen)) continue;
        return SelectedChildProposal{SelectedProposal{*esp_chosen, peer_esp->number, peer_esp->spi},
                                     SelectedProposal{*ah_chosen, peer_ah->number, peer_ah->spi}};
      }
    }
  }
  return std::nullopt;
}

Expected<SelectedChildProposal, std::string> check_accepted_child_proposal(
    const std::vector<ProposalConfig>& esp, const std::vector<ProposalConfig>& ah,
    const std::vector<ike::Proposal>& answer) {
  if (esp.empty() || ah.empty()) {
    auto one = check_accepted_proposal(esp.empty() ? ah : esp, answer);
    if (!one) return unexpected(one.error());
    return SelectedChildProposal{std::move(*one), std::nullopt};
  }
  const auto groups = by_number(answer);
  const auto [peer_esp, peer_ah] = groups.size() == 1
                                       ? esp_ah_pair(groups.front())
                                       : std::pair<const ike::Proposal*, const ike::Proposal*>{};
  if (peer_esp == nullptr) {
    return unexpected(fmt::format(
        "the responder's SA payload holds {} proposals, not the ESP and AH proposal of one bundle we offered",
        answer.size()));
  }
  const size_t pairs = std::min<size_t>(esp.size() * ah.size(), 255);
  const size_t number = peer_esp->number;
  if (number == 0 || number > pairs) {
    return unexpected(
        fmt::format("the responder accepted bundle number {}, but we sent bundles 1 to {}", number, pairs));
  }
  auto esp_checked = check_one(esp[(number - 1) / ah.size()], *peer_esp);
  if (!esp_checked) return unexpected(esp_checked.error());
  auto ah_checked = check_one(ah[(number - 1) % ah.size()], *peer_ah);
  if (!ah_checked) return unexpected(ah_checked.error());
  if (!one_group(esp_checked->transforms, ah_checked->transforms)) {
    return unexpected(
        std::string("the responder chose different KE groups for the ESP and the AH of a bundle"));
  }
  return SelectedChildProposal{std::move(*esp_checked), std::move(*ah_checked)};
}

}  // namespace ipsecd::ikev2
