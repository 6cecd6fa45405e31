// SA payload form of proposals and their selection (RFC 7296 §2.7, §3.3.6) from both ends.
#include "daemon/ike/iana/transform_attribute_type.h"
#include "daemon/ike/ikev2/proposal.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace ipsecd;
using ikev2::NegotiatedTransforms;
using ikev2::ProposalConfig;
using E = iana::EncryptionAlgorithm;
using I = iana::IntegrityAlgorithm;
using F = iana::PseudorandomFunction;
using K = iana::KeyExchangeMethod;
using P = iana::SecurityProtocolId;
using T = iana::TransformType;

namespace {

std::vector<ProposalConfig> configs(const std::vector<std::string>& texts, P protocol) {
  std::vector<ProposalConfig> out;
  for (const auto& text : texts) {
    auto parsed = ikev2::parse_proposal(text, protocol);
    if (!parsed) FAIL(parsed.error());
    out.push_back(*parsed);
  }
  return out;
}

ike::Transform tr(T type, uint16_t id, std::vector<ike::TransformAttribute> attributes = {}) {
  return ike::Transform{type, id, std::move(attributes)};
}

ike::Transform aes(uint16_t bits) {
  return tr(T::ENCR, static_cast<uint16_t>(E::ENCR_AES_CBC), {ike::TransformAttribute::key_length(bits)});
}

ike::Proposal proposal(uint8_t number, P protocol, std::vector<ike::Transform> transforms,
                       crypto::Bytes spi = {}) {
  return ike::Proposal{number, protocol, std::move(spi), std::move(transforms)};
}

const ike::Transform kSha256 = tr(T::INTEG, static_cast<uint16_t>(I::AUTH_HMAC_SHA2_256_128));
const ike::Transform kPrfSha256 = tr(T::PRF, static_cast<uint16_t>(F::PRF_HMAC_SHA2_256));
const ike::Transform kModp2048 = tr(T::KE, static_cast<uint16_t>(K::MODP_2048));
const ike::Transform kNoEsn = tr(T::ESN, 0);
const ike::Transform kEsn = tr(T::ESN, 1);
const ike::Transform kGcm128 =
    tr(T::ENCR, static_cast<uint16_t>(E::ENCR_AES_GCM_16), {ike::TransformAttribute::key_length(128)});

// A well-formed IKE peer proposal for our "aes128-sha256-modp2048".
std::vector<ike::Transform> ike_aes128_sha256_modp2048() {
  return {aes(128), kSha256, kPrfSha256, kModp2048};
}

std::optional<ikev2::SelectedProposal> select(const std::vector<std::string>& ours,
                                              const std::vector<ike::Proposal>& theirs, P protocol = P::IKE) {
  return ikev2::select_proposal(configs(ours, protocol), theirs);
}

}  // namespace

TEST_CASE("SA payload transforms carry Key Length only for variable-length ciphers", "[proposal]") {
  const auto cbc = ikev2::to_sa_proposals(configs({"aes128-3des-aes192-sha1"}, P::ESP), {1, 2, 3, 4});
  REQUIRE(cbc.size() == 1);
  CHECK(cbc[0].transforms ==
        std::vector<ike::Transform>{aes(128), tr(T::ENCR, static_cast<uint16_t>(E::ENCR_3DES)), aes(192),
                                    tr(T::INTEG, static_cast<uint16_t>(I::AUTH_HMAC_SHA1_96)), kNoEsn});
  const auto aead = ikev2::to_sa_proposals(configs({"aes256gcm16-chacha20poly1305"}, P::ESP), {1, 2, 3, 4});
  REQUIRE(aead.size() == 1);
  CHECK(aead[0].transforms ==
        std::vector<ike::Transform>{tr(T::ENCR, static_cast<uint16_t>(E::ENCR_AES_GCM_16),
                                       {ike::TransformAttribute::key_length(256)}),
                                    tr(T::ENCR, static_cast<uint16_t>(E::ENCR_CHACHA20_POLY1305)), kNoEsn});
  // §3.3.5: attribute type 14 in TV form (Attribute Format bit set), the value in bits.
  const ike::TransformAttribute key_length_256{
      static_cast<uint16_t>(iana::TransformAttributeType::KEY_LENGTH), true, 256, {}};
  CHECK(aead[0].transforms[0].attributes == std::vector<ike::TransformAttribute>{key_length_256});
}

TEST_CASE("SA payload proposals are numbered from 1 in ENCR INTEG PRF KE ESN order", "[proposal]") {
  auto ours = configs({"aes256gcm16-prfsha384-x25519", "aes128-sha256-modp2048-ecp256"}, P::IKE);
  const auto proposals = ikev2::to_sa_proposals(ours, {});
  REQUIRE(proposals.size() == 2);
  CHECK(proposals[0].number == 1);
  CHECK(proposals[1].number == 2);
  CHECK(proposals[0].protocol == P::IKE);
  CHECK(proposals[0].spi.empty());
  CHECK(proposals[0].transforms ==
        std::vector<ike::Transform>{tr(T::ENCR, static_cast<uint16_t>(E::ENCR_AES_GCM_16),
                                       {ike::TransformAttribute::key_length(256)}),
                                    tr(T::PRF, static_cast<uint16_t>(F::PRF_HMAC_SHA2_384)),
                                    tr(T::KE, static_cast<uint16_t>(K::CURVE25519))});
  CHECK(proposals[1].transforms == std::vector<ike::Transform>{aes(128), kSha256, kPrfSha256, kModp2048,
                                                               tr(T::KE, static_cast<uint16_t>(K::ECP_256))});
  const crypto::Bytes rekey_spi = {1, 2, 3, 4, 5, 6, 7, 8};
  for (const auto& p : ikev2::to_sa_proposals(ours, rekey_spi)) CHECK(p.spi == rekey_spi);
}

TEST_CASE("ESP and AH proposals always carry ESN, IKE never", "[proposal]") {
  ProposalConfig hand_built;
  hand_built.protocol = P::ESP;
  hand_built.encryption = {{E::ENCR_AES_GCM_16, 128}};
  CHECK(ikev2::offered_transforms(hand_built, T::ESN) == std::vector<ike::Transform>{kNoEsn});
  CHECK(ikev2::offered_transforms(configs({"sha256-esn-noesn"}, P::AH)[0], T::ESN) ==
        std::vector<ike::Transform>{kEsn, kNoEsn});
  CHECK(ikev2::offered_transforms(configs({"aes128-sha256-modp2048"}, P::IKE)[0], T::ESN).empty());
  const auto ah = ikev2::to_sa_proposals(configs({"sha256-modp2048"}, P::AH), {9, 9, 9, 9});
  CHECK(ah[0].transforms == std::vector<ike::Transform>{kSha256, kModp2048, kNoEsn});
}

TEST_CASE("to_accepted_proposal holds one transform of each negotiated type", "[proposal]") {
  NegotiatedTransforms esp;
  esp.protocol = P::ESP;
  esp.encryption = {E::ENCR_AES_GCM_16, 128};
  esp.esn = true;
  const crypto::Bytes spi = {0xc0, 0xff, 0xee, 0x01};
  const auto p = ikev2::to_accepted_proposal(esp, 3, spi);
  CHECK(p.number == 3);
  CHECK(p.protocol == P::ESP);
  CHECK(p.spi == spi);
  CHECK(p.transforms == std::vector<ike::Transform>{kGcm128, kEsn});

  NegotiatedTransforms ike_sa;
  ike_sa.protocol = P::IKE;
  ike_sa.encryption = {E::ENCR_AES_CBC, 128};
  ike_sa.integrity = I::AUTH_HMAC_SHA2_256_128;
  ike_sa.prf = F::PRF_HMAC_SHA2_256;
  ike_sa.key_exchange = K::MODP_2048;
  CHECK(ikev2::to_accepted_proposal(ike_sa, 1, {}).transforms == ike_aes128_sha256_modp2048());

  NegotiatedTransforms ah;
  ah.protocol = P::AH;
  ah.integrity = I::AUTH_HMAC_SHA2_256_128;
  ah.key_exchange = K::MODP_2048;
  CHECK(ikev2::to_accepted_proposal(ah, 1, spi).transforms ==
        std::vector<ike::Transform>{kSha256, kModp2048, kNoEsn});
}

TEST_CASE("Parse, offer, select, accept and check round-trip", "[proposal]") {
  struct Row {
    P protocol;
    std::vector<std::string> ours;    // the responder
    std::vector<std::string> theirs;  // the initiator
    uint8_t number;                   // the initiator's proposal that wins
    const char* chosen;               // to_string of the result
  };
  const std::vector<Row> rows = {
      {P::IKE,
       {"aes128-sha256-modp2048"},
       {"aes128-sha256-modp2048"},
       1,
       "IKE:ENCR_AES_CBC_128/AUTH_HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"},
      {P::IKE,
       {"aes256gcm16-prfsha384-x25519"},
       {"aes128-sha1-modp2048", "aes256gcm16-aes128gcm16-prfsha384-x25519"},
       2,
       "IKE:ENCR_AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE25519"},
      {P::IKE,
       {"chacha20poly1305-prfsha256-ecp384"},
       {"chacha20poly1305-prfsha512-prfsha256-ecp256-ecp384"},
       1,
       "IKE:ENCR_CHACHA20_POLY1305/PRF_HMAC_SHA2_256/ECP_384"},
      {P::IKE,
       {"3des-md5-prfsha1-modp1024"},
       {"aes128-sha1-modp1024", "3des-sha1-md5-prfsha1-modp1024"},
       2,
       "IKE:ENCR_3DES/AUTH_HMAC_MD5_96/PRF_HMAC_SHA1/MODP_1024"},
      {P::IKE,
       {"aes192-aesxcbc-prfaescmac-modp8192"},
       {"aes192-aesxcbc-prfaescmac-modp8192"},
       1,
       "IKE:ENCR_AES_CBC_192/AUTH_AES_XCBC_96/PRF_AES128_CMAC/MODP_8192"},
      {P::ESP, {"aes128gcm16"}, {"aes256gcm16-aes128gcm16"}, 1, "ESP:ENCR_AES_GCM_16_128/NO_ESN"},
      {P::ESP,
       {"aes256-sha512-esn"},
       {"aes256-sha384-sha512-esn-noesn"},
       1,
       "ESP:ENCR_AES_CBC_256/AUTH_HMAC_SHA2_512_256/ESN"},
      {P::ESP,
       {"aes128gcm16-ecp256"},
       {"aes128gcm16-modp2048-ecp256"},
       1,
       "ESP:ENCR_AES_GCM_16_128/ECP_256/NO_ESN"},
      {P::AH, {"sha384"}, {"sha256-sha384"}, 1, "AH:AUTH_HMAC_SHA2_384_192/NO_ESN"},
      {P::AH,
       {"sha256-modp3072"},
       {"sha256-modp3072-modp2048"},
       1,
       "AH:AUTH_HMAC_SHA2_256_128/MODP_3072/NO_ESN"},
  };
  for (const auto& row : rows) {
    INFO(row.chosen);
    const auto responder = configs(row.ours, row.protocol);
    const auto initiator = configs(row.theirs, row.protocol);
    const crypto::Bytes initiator_spi =
        row.protocol == P::IKE ? crypto::Bytes{} : crypto::Bytes{0x11, 0x22, 0x33, 0x44};
    const auto selected = ikev2::select_proposal(responder, ikev2::to_sa_proposals(initiator, initiator_spi));
    REQUIRE(selected);
    CHECK(selected->number == row.number);
    CHECK(selected->spi == initiator_spi);
    CHECK(ikev2::to_string(selected->transforms) == row.chosen);
    const crypto::Bytes responder_spi =
        row.protocol == P::IKE ? crypto::Bytes{} : crypto::Bytes{0x55, 0x66, 0x77, 0x88};
    const auto answer = ikev2::to_accepted_proposal(selected->transforms, selected->number, responder_spi);
    const auto checked = ikev2::check_accepted_proposal(initiator, {answer});
    if (!checked) FAIL(checked.error());
    CHECK(checked->transforms == selected->transforms);
    CHECK(checked->number == row.number);
    CHECK(checked->spi == responder_spi);
  }
}

TEST_CASE("Local order wins across proposals and within one", "[proposal]") {
  // Our first proposal is matched by the peer's second: ours wins over the peer's preference.
  const auto across =
      select({"aes128-sha1-modp2048", "aes256-sha256-modp2048"},
             ikev2::to_sa_proposals(configs({"aes256-sha256-modp2048", "aes128-sha1-modp2048"}, P::IKE), {}));
  REQUIRE(across);
  CHECK(across->number == 2);
  CHECK(across->transforms.encryption == ikev2::EncryptionTransform{E::ENCR_AES_CBC, 128});
  CHECK(across->transforms.integrity == I::AUTH_HMAC_SHA1_96);

  // Within one proposal, our order of each transform type decides.
  const auto within =
      select({"aes256-aes128-sha256-sha1-ecp256-modp2048"},
             ikev2::to_sa_proposals(configs({"aes128-aes256-sha1-sha256-modp2048-ecp256"}, P::IKE), {}));
  REQUIRE(within);
  CHECK(ikev2::to_string(within->transforms) ==
        "IKE:ENCR_AES_CBC_256/AUTH_HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256");

  // Our second proposal is used only when nothing matches the first.
  const auto second =
      select({"aes256gcm16-prfsha384-ecp384", "aes128-sha256-modp2048"},
             ikev2::to_sa_proposals(
                 configs({"aes128-sha256-modp2048", "aes128gcm16-prfsha256-ecp256"}, P::IKE), {}));
  REQUIRE(second);
  CHECK(second->number == 1);
  CHECK(second->transforms.encryption.id == E::ENCR_AES_CBC);
}

TEST_CASE("No common proposal is NO_PROPOSAL_CHOSEN", "[proposal]") {
  CHECK_FALSE(select(
      {"aes256-sha256-modp2048"},
      ikev2::to_sa_proposals(configs({"aes256-sha256-ecp256", "aes128-sha256-modp2048"}, P::IKE), {})));
  CHECK_FALSE(select({"aes256-sha256-modp2048"}, {}));
  CHECK_FALSE(
      ikev2::select_proposal({}, ikev2::to_sa_proposals(configs({"aes256-sha256-modp2048"}, P::IKE), {})));
}

TEST_CASE("A peer proposal for another protocol is skipped", "[proposal]") {
  auto as_ah = proposal(1, P::AH, {kSha256, kNoEsn}, {1, 2, 3, 4});
  auto as_esp = proposal(2, P::ESP, {aes(128), kSha256, kNoEsn}, {5, 6, 7, 8});
  CHECK_FALSE(select({"sha256"}, {as_esp}, P::AH));
  const auto selected = select({"aes128-sha256"}, {as_ah, as_esp}, P::ESP);
  REQUIRE(selected);
  CHECK(selected->number == 2);
  CHECK(selected->spi == crypto::Bytes{5, 6, 7, 8});
}

TEST_CASE("Key Length must match exactly and be present", "[proposal]") {
  CHECK_FALSE(select({"aes256-sha256-modp2048"}, {proposal(1, P::IKE, ike_aes128_sha256_modp2048())}));
  auto no_attribute = ike_aes128_sha256_modp2048();
  no_attribute[0].attributes.clear();
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, no_attribute)}));
  // Key Length is a TV attribute (§3.3.5); in TLV form it is not the attribute we know.
  auto tlv = ike_aes128_sha256_modp2048();
  tlv[0].attributes = {ike::TransformAttribute{14, false, 0, {0x00, 0x80}}};
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, tlv)}));
  // A fixed-size cipher with a Key Length attribute is not the transform we offer.
  auto chacha_with_length =
      std::vector<ike::Transform>{tr(T::ENCR, static_cast<uint16_t>(E::ENCR_CHACHA20_POLY1305),
                                     {ike::TransformAttribute::key_length(256)}),
                                  kPrfSha256, kModp2048};
  CHECK_FALSE(select({"chacha20poly1305-prfsha256-modp2048"}, {proposal(1, P::IKE, chacha_with_length)}));
  // Among alternatives of the same ID, the one with our length matches.
  auto two_lengths = ike_aes128_sha256_modp2048();
  two_lengths.insert(two_lengths.begin(), aes(256));
  const auto selected = select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, two_lengths)});
  REQUIRE(selected);
  CHECK(selected->transforms.encryption.key_bits == 128);
}

TEST_CASE("An unknown transform type makes the whole peer proposal unacceptable", "[proposal]") {
  // RFC 9370 ADDKE1 (type 6): a transform type this implementation does not understand (§3.3.6).
  auto with_addke = ike_aes128_sha256_modp2048();
  with_addke.push_back(tr(static_cast<T>(6), static_cast<uint16_t>(K::ECP_256)));
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, with_addke)}));
  // Other proposals in the same SA payload are processed as usual.
  const auto selected =
      select({"aes128-sha256-modp2048"},
             {proposal(1, P::IKE, with_addke), proposal(2, P::IKE, ike_aes128_sha256_modp2048())});
  REQUIRE(selected);
  CHECK(selected->number == 2);
  // Unknown even as the only transform type besides ours, with the NONE id.
  auto with_zero = ike_aes128_sha256_modp2048();
  with_zero.push_back(tr(static_cast<T>(12), 0));
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, with_zero)}));
}

TEST_CASE("Unknown transform IDs and attributes are passed over, their siblings still match", "[proposal]") {
  auto unknown_ids = ike_aes128_sha256_modp2048();
  unknown_ids.insert(unknown_ids.begin(), tr(T::ENCR, 999));
  unknown_ids.push_back(tr(T::KE, 4242));
  const auto selected = select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, unknown_ids)});
  REQUIRE(selected);
  CHECK(selected->transforms.encryption == ikev2::EncryptionTransform{E::ENCR_AES_CBC, 128});
  CHECK(selected->transforms.key_exchange == K::MODP_2048);

  auto odd_attribute = ike_aes128_sha256_modp2048();
  odd_attribute[0].attributes.push_back(ike::TransformAttribute{99, true, 1, {}});
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, odd_attribute)}));
  odd_attribute.insert(odd_attribute.begin() + 1, aes(128));
  CHECK(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, odd_attribute)}));

  auto prf_with_attribute = ike_aes128_sha256_modp2048();
  prf_with_attribute[2].attributes.push_back(ike::TransformAttribute::key_length(128));
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, prf_with_attribute)}));
}

TEST_CASE("A peer proposal missing a type we require is no match", "[proposal]") {
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, {aes(128), kSha256, kPrfSha256})}));
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, {aes(128), kSha256, kModp2048})}));
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, {kSha256, kPrfSha256, kModp2048})}));
  CHECK_FALSE(select({"aes128-sha256"}, {proposal(1, P::ESP, {aes(128), kSha256}, {1, 2, 3, 4})}, P::ESP));
  CHECK_FALSE(select({"aes128-sha256"}, {proposal(1, P::ESP, {aes(128), kNoEsn}, {1, 2, 3, 4})}, P::ESP));
}

TEST_CASE("ESN is negotiated in our order among the peer's choices", "[proposal]") {
  const crypto::Bytes spi = {1, 2, 3, 4};
  const auto both = proposal(1, P::ESP, {kGcm128, kNoEsn, kEsn}, spi);
  const auto pick = [&](const char* ours, const ike::Proposal& theirs) {
    return select({ours}, {theirs}, P::ESP);
  };
  REQUIRE(pick("aes128gcm16-esn-noesn", both));
  CHECK(pick("aes128gcm16-esn-noesn", both)->transforms.esn);
  CHECK_FALSE(pick("aes128gcm16-noesn-esn", both)->transforms.esn);
  CHECK_FALSE(pick("aes128gcm16", both)->transforms.esn);
  CHECK_FALSE(pick("aes128gcm16", proposal(1, P::ESP, {kGcm128, kEsn}, spi)));
  CHECK_FALSE(pick("aes128gcm16-esn", proposal(1, P::ESP, {kGcm128, kNoEsn}, spi)));
  CHECK_FALSE(pick("aes128gcm16", proposal(1, P::ESP, {kGcm128, tr(T::ESN, 2)}, spi)));
  // An IKE peer proposal with an ESN transform offers a type IKE does not negotiate.
  auto ike_with_esn = ike_aes128_sha256_modp2048();
  ike_with_esn.push_back(kNoEsn);
  CHECK_FALSE(select({"aes128-sha256-modp2048"}, {proposal(1, P::IKE, ike_with_esn)}));
}

TEST_CASE("PFS: a child SA without KE accepts only no KE or NONE, with KE requires one", "[proposal]") {
  const crypto::Bytes spi = {1, 2, 3, 4};
  const auto none = tr(T::KE, 0);
  CHECK_FALSE(select({"aes128gcm16"}, {proposal(1, P::ESP, {kGcm128, kModp2048, kNoEsn}, spi)}, P::ESP));
  const auto with_none =
      select({"aes128gcm16"}, {proposal(1, P::ESP, {kGcm128, kModp2048, none, kNoEsn}, spi)}, P::ESP);
  REQUIRE(with_none);
  CHECK(with_none->transforms.key_exchange == K::NONE);
  CHECK(ikev2::to_accepted_proposal(with_none->transforms, 1, spi).transforms ==
        std::vector<ike::Transform>{kGcm128, kNoEsn});
  CHECK(select({"aes128gcm16"}, {proposal(1, P::ESP, {kGcm128, kNoEsn}, spi)}, P::ESP));
  CHECK_FALSE(select({"aes128gcm16-modp2048"}, {proposal(1, P::ESP, {kGcm128, kNoEsn}, spi)}, P::ESP));
  CHECK_FALSE(select({"aes128gcm16-modp2048"}, {proposal(1, P::ESP, {kGcm128, none, kNoEsn}, spi)}, P::ESP));
  const auto pfs = select({"aes128gcm16-modp2048"},
                          {proposal(1, P::ESP, {kGcm128, none, kModp2048, kNoEsn}, spi)}, P::ESP);
  REQUIRE(pfs);
  CHECK(pfs->transforms.key_exchange == K::MODP_2048);
}

TEST_CASE("AEAD takes no integrity or NONE, non-AEAD requires integrity", "[proposal]") {
  const crypto::Bytes spi = {1, 2, 3, 4};
  const auto integ_none = tr(T::INTEG, 0);
  CHECK(select({"aes128gcm16"}, {proposal(1, P::ESP, {kGcm128, integ_none, kNoEsn}, spi)}, P::ESP));
  CHECK_FALSE(select({"aes128gcm16"}, {proposal(1, P::ESP, {kGcm128, kSha256, kNoEsn}, spi)}, P::ESP));
  CHECK_FALSE(select({"aes128-sha256"}, {proposal(1, P::ESP, {aes(128), kNoEsn}, spi)}, P::ESP));
  CHECK_FALSE(select({"aes128-sha256"}, {proposal(1, P::ESP, {aes(128), integ_none, kNoEsn}, spi)}, P::ESP));
  // The RFC 7296 §3.3 example: one proposal of classic ciphers, one of combined-mode ones.
  const auto peer = ikev2::to_sa_proposals(
      configs({"aes128-aes192-aes256-sha1-aesxcbc", "aes128gcm8-aes256gcm8"}, P::ESP), spi);
  const auto aead = select({"aes256gcm8", "aes256-sha1"}, peer, P::ESP);
  REQUIRE(aead);
  CHECK(aead->number == 2);
  CHECK(aead->transforms.integrity == I::NONE);
  const auto classic = select({"aes256-aesxcbc", "aes256gcm8"}, peer, P::ESP);
  REQUIRE(classic);
  CHECK(classic->number == 1);
  CHECK(classic->transforms.integrity == I::AUTH_AES_XCBC_96);
}

TEST_CASE("check_accepted_proposal refuses every deviation from what we offered", "[proposal]") {
  const auto ours = configs({"aes256gcm16-prfsha384-x25519", "aes128-aes256-sha256-modp2048-ecp256"}, P::IKE);
  const auto good = proposal(2, P::IKE, ike_aes128_sha256_modp2048());
  REQUIRE(ikev2::check_accepted_proposal(ours, {good}));
  struct Row {
    const char* what;
    std::vector<ike::Proposal> answer;
    const char* message;
  };
  auto with = [&](std::vector<ike::Transform> transforms, uint8_t number = 2, P protocol = P::IKE) {
    return std::vector<ike::Proposal>{proposal(number, protocol, std::move(transforms))};
  };
  auto base = ike_aes128_sha256_modp2048();
  auto replace = [&](size_t i, ike::Transform t) {
    auto copy = base;
    copy[i] = std::move(t);
    return copy;
  };
  auto append = [&](ike::Transform t) {
    auto copy = base;
    copy.push_back(std::move(t));
    return copy;
  };
  auto drop = [&](size_t i) {
    auto copy = base;
    copy.erase(copy.begin() + static_cast<std::ptrdiff_t>(i));
    return copy;
  };
  const std::vector<Row> rows = {
      {"nothing", {}, "the responder's SA payload holds 0 proposals instead of exactly one"},
      {"two proposals", {good, good}, "the responder's SA payload holds 2 proposals instead of exactly one"},
      {"number 0", with(base, 0), "the responder accepted proposal number 0, but we sent proposals 1 to 2"},
      {"number 3", with(base, 3), "the responder accepted proposal number 3, but we sent proposals 1 to 2"},
      {"protocol", with(base, 2, P::ESP),
       "the responder accepted proposal 2 for ESP, but we proposed it for IKE"},
      {"unknown type", with(append(tr(static_cast<T>(6), 19))),
       "the responder's proposal holds transform type 6, which we never send"},
      {"two of a type", with(append(tr(T::KE, static_cast<uint16_t>(K::ECP_256)))),
       "the responder's proposal holds 2 KE transforms instead of one"},
      {"missing KE", with(drop(3)),
       "the responder's proposal has no KE transform, which our proposal 2 requires"},
      {"missing ENCR", with(drop(0)),
       "the responder's proposal has no ENCR transform, which our proposal 2 requires"},
      {"not offered", with(replace(3, tr(T::KE, static_cast<uint16_t>(K::CURVE25519)))),
       "the responder chose KE CURVE25519 (31), which our proposal 2 did not offer"},
      {"other key length", with(replace(0, aes(192))),
       "the responder chose ENCR ENCR_AES_CBC (12) with key length 192, which our proposal 2 did not offer"},
      {"extra attribute",
       with(replace(0, tr(T::ENCR, 12, {ike::TransformAttribute::key_length(128), {99, true, 0, {}}}))),
       "the responder chose ENCR ENCR_AES_CBC (12) with key length 128 with other attributes, which our "
       "proposal 2 "
       "did not offer"},
      {"from the other proposal", with(replace(2, tr(T::PRF, static_cast<uint16_t>(F::PRF_HMAC_SHA2_384)))),
       "the responder chose PRF PRF_HMAC_SHA2_384 (6), which our proposal 2 did not offer"},
      {"ESN in IKE", with(append(kNoEsn)),
       "the responder chose ESN NO_ESN (0), which our proposal 2 did not offer"},
      {"INTEG beside AEAD",
       with({tr(T::ENCR, 20, {ike::TransformAttribute::key_length(256)}), kSha256, tr(T::PRF, 6),
             tr(T::KE, 31)},
            1),
       "the responder chose INTEG AUTH_HMAC_SHA2_256_128 (12), which our proposal 1 did not offer"},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    const auto checked = ikev2::check_accepted_proposal(ours, row.answer);
    REQUIRE_FALSE(checked);
    CHECK(checked.error() == row.message);
  }
}

TEST_CASE("check_accepted_proposal tolerates NONE for a type we did not offer", "[proposal]") {
  const auto ours = configs({"aes256gcm16-prfsha384-x25519"}, P::IKE);
  const auto aead = std::vector<ike::Transform>{tr(T::ENCR, 20, {ike::TransformAttribute::key_length(256)}),
                                                tr(T::INTEG, 0), tr(T::PRF, 6), tr(T::KE, 31)};
  const auto checked = ikev2::check_accepted_proposal(ours, {proposal(1, P::IKE, aead)});
  if (!checked) FAIL(checked.error());
  CHECK(checked->transforms.integrity == I::NONE);
  const auto child = configs({"aes128gcm16"}, P::ESP);
  const auto no_pfs = ikev2::check_accepted_proposal(
      child, {proposal(1, P::ESP, {kGcm128, tr(T::KE, 0), kNoEsn}, {1, 2, 3, 4})});
  if (!no_pfs) FAIL(no_pfs.error());
  CHECK(no_pfs->transforms.key_exchange == K::NONE);
  CHECK(no_pfs->spi == crypto::Bytes{1, 2, 3, 4});
}

TEST_CASE("sk_algorithm hands the negotiated IKE transforms to the SK cipher", "[proposal]") {
  NegotiatedTransforms cbc;
  cbc.protocol = P::IKE;
  cbc.encryption = {E::ENCR_AES_CBC, 256};
  cbc.integrity = I::AUTH_HMAC_SHA2_256_128;
  const auto algorithm = cbc.sk_algorithm();
  CHECK(algorithm.encryption == E::ENCR_AES_CBC);
  CHECK(algorithm.key_bits == 256);
  CHECK(algorithm.integrity == I::AUTH_HMAC_SHA2_256_128);
  CHECK_FALSE(algorithm.allow_legacy);
  const auto lengths = crypto::sk_key_lengths(algorithm);
  REQUIRE(lengths);
  CHECK(lengths->encryption == 32);
  CHECK(lengths->integrity == 32);

  NegotiatedTransforms gcm;
  gcm.encryption = {E::ENCR_AES_GCM_16, 128};
  const auto aead = crypto::sk_key_lengths(gcm.sk_algorithm());
  REQUIRE(aead);
  CHECK(aead->encryption == 20);
  CHECK(aead->integrity == 0);

  // DES was configured by name, so the legacy gate opens for it alone.
  NegotiatedTransforms des;
  des.encryption = {E::ENCR_DES, 0};
  des.integrity = I::AUTH_HMAC_SHA1_96;
  CHECK(des.sk_algorithm().allow_legacy);
  CHECK(crypto::sk_key_lengths(des.sk_algorithm()));
}
