// Proposals against real strongSwan 5.9.8 IKE_SA_INIT exchanges: our SA payload equals charon's, our
// selection picks the transforms charon logged, and charon's answer passes our initiator check.
#include "crypto/sk_cipher.h"
#include "daemon/ike/ikev2/proposal.h"
#include "daemon/ike/message_codec.h"
#include "tests/support/strongswan_fixture.h"

#include <catch2/catch.hpp>

#include <string>

using namespace ipsecd;
using ipsecd::test::load_strongswan_fixture;
using ipsecd::test::strongswan_fixture_names;
using P = iana::SecurityProtocolId;

namespace {

// The capture directories are named after the proposal both ends were configured with:
// "psk-aes256-sha256-modp2048" used "aes256-sha256-modp2048".
std::string configured_proposal(const std::string& fixture_name) {
  return fixture_name.substr(fixture_name.find('-') + 1);
}

ike::SaPayload sa_of(const test::FixtureMessage& m) {
  auto decoded = ike::decode_message(m.bytes);
  if (!decoded) FAIL(to_string(decoded.error()));
  const auto* sa = ike::find_first<ike::SaPayload>(decoded->message.payloads);
  REQUIRE(sa != nullptr);
  return *sa;
}

ikev2::NegotiatedTransforms expected_transforms(const test::StrongswanFixture& f) {
  ikev2::NegotiatedTransforms n;
  n.protocol = P::IKE;
  n.encryption = {static_cast<iana::EncryptionAlgorithm>(f.transforms.encryption),
                  f.transforms.encryption_key_bits};
  n.integrity = static_cast<iana::IntegrityAlgorithm>(f.transforms.integrity.value_or(0));
  n.prf = static_cast<iana::PseudorandomFunction>(f.transforms.prf);
  n.key_exchange = static_cast<iana::KeyExchangeMethod>(f.transforms.key_exchange);
  return n;
}

}  // namespace

TEST_CASE("strongSwan IKE_SA_INIT: offer, selection and answer match charon", "[proposal]") {
  const auto names = strongswan_fixture_names();
  REQUIRE(names.size() >= 5);
  for (const auto& name : names) {
    INFO(name);
    const auto fixture = load_strongswan_fixture(name);
    REQUIRE(fixture.messages.size() >= 2);
    const auto& request = fixture.messages[0];
    const auto& response = fixture.messages[1];
    REQUIRE(request.exchange_type == static_cast<uint8_t>(iana::ExchangeType::IKE_SA_INIT));
    REQUIRE_FALSE(request.is_response);
    REQUIRE(response.exchange_type == static_cast<uint8_t>(iana::ExchangeType::IKE_SA_INIT));
    REQUIRE(response.is_response);

    auto parsed = ikev2::parse_proposal(configured_proposal(name), P::IKE);
    if (!parsed) FAIL(parsed.error());
    const std::vector<ikev2::ProposalConfig> ours = {*parsed};
    const auto offered = sa_of(request);

    // As initiator we would have sent charon's proposal transform for transform.
    CHECK(ikev2::to_sa_proposals(ours, {}) == offered.proposals);

    // As responder we pick exactly what charon negotiated.
    const auto selected = ikev2::select_proposal(ours, offered.proposals);
    REQUIRE(selected);
    CHECK(selected->number == 1);
    CHECK(selected->spi.empty());
    CHECK(selected->transforms == expected_transforms(fixture));
    const auto lengths = crypto::sk_key_lengths(selected->transforms.sk_algorithm());
    REQUIRE(lengths);
    CHECK(lengths->encryption == fixture.sk_ei.size());
    CHECK(lengths->integrity == fixture.sk_ai.size());

    // Our answer is charon's answer, and charon's answer passes our initiator check.
    const auto answered = sa_of(response);
    REQUIRE(answered.proposals.size() == 1);
    CHECK(ikev2::to_accepted_proposal(selected->transforms, selected->number, {}) == answered.proposals[0]);
    const auto checked = ikev2::check_accepted_proposal(ours, answered.proposals);
    if (!checked) FAIL(checked.error());
    CHECK(checked->transforms == expected_transforms(fixture));
  }
}

TEST_CASE("strongSwan IKE_SA_INIT against a non-matching local config is NO_PROPOSAL_CHOSEN", "[proposal]") {
  for (const auto& name : strongswan_fixture_names()) {
    INFO(name);
    const auto fixture = load_strongswan_fixture(name);
    const auto offered = sa_of(fixture.messages[0]);
    std::vector<ikev2::ProposalConfig> unrelated;
    for (const char* text : {"aes192-sha512-modp3072", "aes192gcm16-prfsha512-ecp521", "3des-md5-modp1024"}) {
      auto parsed = ikev2::parse_proposal(text, P::IKE);
      REQUIRE(parsed);
      unrelated.push_back(*parsed);
    }
    CHECK_FALSE(ikev2::select_proposal(unrelated, offered.proposals));

    // Near misses: the configured proposal with one transform changed.
    auto parsed = ikev2::parse_proposal(configured_proposal(name), P::IKE);
    REQUIRE(parsed);
    auto other_group = *parsed;
    other_group.key_exchange = {iana::KeyExchangeMethod::MODP_3072};
    CHECK_FALSE(ikev2::select_proposal({other_group}, offered.proposals));
    auto other_prf = *parsed;
    other_prf.prf = {iana::PseudorandomFunction::PRF_AES128_CMAC};
    CHECK_FALSE(ikev2::select_proposal({other_prf}, offered.proposals));
    if (parsed->encryption[0].key_bits != 0) {
      auto other_length = *parsed;
      other_length.encryption[0].key_bits = other_length.encryption[0].key_bits == 128 ? 256 : 128;
      CHECK_FALSE(ikev2::select_proposal({other_length}, offered.proposals));
    }
    // An ESP config never matches an IKE proposal.
    auto esp = ikev2::parse_proposal("aes128gcm16", P::ESP);
    REQUIRE(esp);
    CHECK_FALSE(ikev2::select_proposal({*esp}, offered.proposals));
  }
}
