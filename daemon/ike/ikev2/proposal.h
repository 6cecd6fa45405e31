// Proposals as configured (strongSwan keyword syntax), their SA payload form, and selection (RFC 7296
// §2.7, §3.3): what an IKE SA or CHILD_SA ends up using.
#pragma once

#include "common/expected.h"
#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"
#include "crypto/iana/key_exchange_method.h"
#include "crypto/iana/pseudorandom_function.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/iana/security_protocol_id.h"
#include "daemon/ike/payloads.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipsecd::ikev2 {

struct EncryptionTransform {
  iana::EncryptionAlgorithm id{};
  uint16_t key_bits = 0;  // 0 where the algorithm has a fixed key size (and no Key Length attribute)
  bool operator==(const EncryptionTransform&) const = default;
};

// One configured proposal: every transform type lists the acceptable choices in preference order.
// For a CHILD_SA, `prf` stays empty, `key_exchange` is empty without PFS, and `esn` lists the acceptable
// Extended Sequence Numbers settings (true = ESN) — RFC 7296 §3.3.2 Transform Type 5.
struct ProposalConfig {
  iana::SecurityProtocolId protocol{};
  std::vector<EncryptionTransform> encryption;
  std::vector<iana::IntegrityAlgorithm> integrity;
  std::vector<iana::PseudorandomFunction> prf;
  std::vector<iana::KeyExchangeMethod> key_exchange;
  std::vector<bool> esn;
  bool operator==(const ProposalConfig&) const = default;
};

// Parses one proposal in the keyword syntax users know from strongSwan: "aes256gcm16-prfsha384-x25519",
// "aes128-sha256-modp2048", "aes256-sha256-ecp256-esn", "sha256" for AH. Unknown or contradictory keywords
// (an AEAD with an integrity algorithm, an IKE proposal without a PRF that cannot be derived, ...) are
// errors naming the keyword.
Expected<ProposalConfig, std::string> parse_proposal(std::string_view text, iana::SecurityProtocolId protocol);

// The transforms an SA uses once negotiated: one of each type.
struct NegotiatedTransforms {
  iana::SecurityProtocolId protocol{};
  EncryptionTransform encryption{};  // ESP and IKE
  iana::IntegrityAlgorithm integrity = iana::IntegrityAlgorithm::NONE;
  iana::PseudorandomFunction prf{};  // IKE only
  iana::KeyExchangeMethod key_exchange = iana::KeyExchangeMethod::NONE;
  bool esn = false;
  bool operator==(const NegotiatedTransforms&) const = default;

  crypto::SkAlgorithm sk_algorithm() const;
};

// The SA payload proposals for `configs`, numbered from 1, each carrying `spi` (empty for the initial IKE
// SA, 8 bytes for an IKE rekey, 4 for AH/ESP).
std::vector<ike::Proposal> to_sa_proposals(const std::vector<ProposalConfig>& configs, const crypto::Bytes& spi);

// The single-proposal SA payload a responder returns (§2.7: same proposal number, one transform of each type).
ike::Proposal to_accepted_proposal(const NegotiatedTransforms& chosen, uint8_t number, const crypto::Bytes& spi);

struct SelectedProposal {
  NegotiatedTransforms transforms;
  uint8_t number = 0;  // the peer's proposal number
  crypto::Bytes spi;   // the peer's SPI from that proposal
};

// Responder side of §2.7: the first of OUR proposals (local order wins), and within it the first of our
// transforms, that one of the peer's proposals offers; a peer proposal containing a transform type we do
// not know, or an unknown transform ID, is passed over, not an error. nullopt = NO_PROPOSAL_CHOSEN.
std::optional<SelectedProposal> select_proposal(const std::vector<ProposalConfig>& ours,
                                                const std::vector<ike::Proposal>& theirs);

// Initiator side: checks that the responder's answer is exactly one proposal, numbered like one we sent,
// holding one transform of each type that we offered in that proposal. Anything else is an error naming
// the fault (the caller then deletes the half-made SA).
Expected<SelectedProposal, std::string> check_accepted_proposal(const std::vector<ProposalConfig>& ours,
                                                                const std::vector<ike::Proposal>& answer);

}  // namespace ipsecd::ikev2
