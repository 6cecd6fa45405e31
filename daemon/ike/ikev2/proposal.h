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
// "aes128-sha256-modp2048", "aes256-sha256-ecp256-esn", "sha256" for AH. Keywords are dash-separated and
// case-sensitive; several of one kind are alternatives in the order given. Unknown or contradictory
// keywords (an AEAD with an integrity algorithm, an IKE proposal without a PRF that cannot be derived, ...)
// are errors naming the keyword. For IKE without a prf keyword the PRFs are derived from the integrity
// algorithms as strongSwan does (sha256 -> prfsha256); ESP and AH without esn/noesn get {noesn}.
Expected<ProposalConfig, std::string> parse_proposal(std::string_view text,
                                                     iana::SecurityProtocolId protocol);

// True for the combined-mode ciphers (AES-GCM, AES-CCM, AES-GMAC, Camellia-CCM, ChaCha20-Poly1305),
// which take no INTEG transform (RFC 5282 §8, RFC 7634 §2).
bool is_aead(iana::EncryptionAlgorithm algorithm);

// The transforms of one type that `config` offers, in preference order, exactly as they go on the wire:
// ENCR with a Key Length attribute only for the variable-length ciphers (§3.3.5), and for ESP and AH an
// ESN transform even when `config.esn` is empty (then No ESN; §3.3.3 makes ESN mandatory there).
std::vector<ike::Transform> offered_transforms(const ProposalConfig& config, iana::TransformType type);

// For logs, in the style of strongSwan's "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/ECP_256" with IANA
// names: "IKE:ENCR_AES_CBC_128/AUTH_HMAC_SHA1_96/PRF_HMAC_SHA1/ECP_256", "ESP:ENCR_AES_GCM_16_256/NO_ESN".
std::string to_string(const ProposalConfig& config);

// The transforms an SA uses once negotiated: one of each type.
struct NegotiatedTransforms {
  iana::SecurityProtocolId protocol{};
  EncryptionTransform encryption{};  // ESP and IKE
  iana::IntegrityAlgorithm integrity = iana::IntegrityAlgorithm::NONE;
  iana::PseudorandomFunction prf{};  // IKE only
  iana::KeyExchangeMethod key_exchange = iana::KeyExchangeMethod::NONE;
  bool esn = false;
  bool operator==(const NegotiatedTransforms&) const = default;

  // The SK payload cipher of an IKE SA with these transforms. DES can only have been negotiated when the
  // operator wrote "des" into the proposal, which is the explicit choice SkAlgorithm::allow_legacy asks for.
  crypto::SkAlgorithm sk_algorithm() const;
};

std::string to_string(const NegotiatedTransforms& transforms);

// The same in the keyword syntax of parse_proposal, e.g. "aes256gcm16-prfsha384-x25519" or
// "aes128-sha256-esn": what a user writes in a config, for status listings.
std::string to_keywords(const NegotiatedTransforms& transforms);

// The SA payload proposals for `configs`, numbered from 1, each carrying `spi` (empty for the initial IKE
// SA, 8 bytes for an IKE rekey, 4 for AH/ESP). Transforms go in strongSwan's order: ENCR, INTEG, PRF, KE,
// ESN (§3.3 leaves the order free).
std::vector<ike::Proposal> to_sa_proposals(const std::vector<ProposalConfig>& configs,
                                           const crypto::Bytes& spi);

// The single-proposal SA payload a responder returns (§2.7: same proposal number, one transform of each
// type).
ike::Proposal to_accepted_proposal(const NegotiatedTransforms& chosen, uint8_t number,
                                   const crypto::Bytes& spi);

struct SelectedProposal {
  NegotiatedTransforms transforms;
  uint8_t number = 0;  // the peer's proposal number
  crypto::Bytes spi;   // the peer's SPI from that proposal
};

// Responder side of §2.7: the first of OUR proposals (local order wins) that one of the peer's proposals
// of the same protocol matches, and within it, per transform type, the first of our transforms that the
// peer offers (the peer's transforms of one type are alternatives). Per §3.3.6 a peer proposal holding a
// transform type we do not understand, or lacking one we require, is unacceptable as a whole, while a
// transform with an unknown ID or an unknown attribute (or a different Key Length) is merely not matched.
// Where we offer nothing of a type (INTEG with an AEAD, KE without PFS) the peer must offer nothing of it
// or NONE (ID 0) among its choices. nullopt = NO_PROPOSAL_CHOSEN; never an error.
std::optional<SelectedProposal> select_proposal(const std::vector<ProposalConfig>& ours,
                                                const std::vector<ike::Proposal>& theirs);

// Initiator side: checks that the responder's answer is exactly one proposal, numbered like one we sent
// (to_sa_proposals numbered ours[i] as i + 1), holding one transform of each type that we offered in that
// proposal, each exactly as we offered it. Anything else is an error naming the fault (the caller then
// deletes the half-made SA). A NONE (ID 0) INTEG or KE transform where we offered none of that type is
// tolerated: it means the same as its absence (§3.3.6).
Expected<SelectedProposal, std::string> check_accepted_proposal(const std::vector<ProposalConfig>& ours,
                                                                const std::vector<ike::Proposal>& answer);

// CHILD_SA proposals with an optional ESP+AH bundle. RFC 7296 §3.3 has one protocol per proposal and
// numbers proposals 1, 2, 3... as alternatives; RFC 7296 §1.7 lists the removal of RFC 4306's "AND" of
// proposals. RFC 4306 §3.3.1 defined it: proposals carrying the same Proposal # are one proposal together
// (ESP AND AH), consecutive numbers are alternatives, and an accepted bundle comes back as its proposals
// with the number of the one accepted. That is the only wire form an ESP+AH bundle has, so a child
// configured with both lists offers it, and only such a child (§3.3.1 of RFC 4306: "AND" numbering).
struct SelectedChildProposal {
  SelectedProposal main;               // ESP, or AH for an AH-only child
  std::optional<SelectedProposal> ah;  // the AH half of an ESP+AH bundle
  // The PFS group (§1.3.1): the one KE either half of the bundle negotiated, NONE without PFS.
  iana::KeyExchangeMethod key_exchange() const;
};

// The SA payload of a CHILD_SA: `esp` alone, `ah` alone (both with `spi`), or with both lists set every
// pair of an ESP proposal (with `spi`) and an AH proposal (with `ah_spi`) under one Proposal #
// (RFC 4306 §3.3.1), ESP first, pairs numbered from 1 in ESP-major order. At most 255 pairs go out, the
// limit of the one-octet Proposal #.
std::vector<ike::Proposal> to_child_sa_proposals(const std::vector<ProposalConfig>& esp,
                                                 const std::vector<ProposalConfig>& ah,
                                                 const crypto::Bytes& spi, const crypto::Bytes& ah_spi);

// Responder side for a CHILD_SA. With both lists set only a bundle is acceptable: a Proposal # held by
// exactly one ESP and one AH proposal, each matching ours as select_proposal matches, and not negotiating
// two different KE groups; our ESP order, then our AH order, wins. With one list set only the peer's
// proposals whose number no other proposal shares are considered, so a bundle offer is answered with an
// ESP-only (or AH-only) alternative the peer also offered, or with nothing. Odd numbering (a number
// shared by two ESP proposals, by three proposals, ...) is never acceptable and never an error.
std::optional<SelectedChildProposal> select_child_proposal(const std::vector<ProposalConfig>& esp,
                                                           const std::vector<ProposalConfig>& ah,
                                                           const std::vector<ike::Proposal>& theirs);

// The responder's answer: the chosen proposal, or the bundle's ESP and AH proposals under the peer's
// number, each with our SPI of that protocol.
std::vector<ike::Proposal> to_accepted_child_proposals(const SelectedChildProposal& chosen,
                                                       const crypto::Bytes& spi, const crypto::Bytes& ah_spi);

// Initiator side for a CHILD_SA: check_accepted_proposal for one list; for a bundle exactly an ESP and an
// AH proposal sharing the number to_child_sa_proposals gave one of our pairs, each holding transforms we
// offered in its half of that pair.
Expected<SelectedChildProposal, std::string> check_accepted_child_proposal(
    const std::vector<ProposalConfig>& esp, const std::vector<ProposalConfig>& ah,
    const std::vector<ike::Proposal>& answer);

}  // namespace ipsecd::ikev2
