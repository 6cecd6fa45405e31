// The daemon's SA tables (SaRegistry) and event log lines (event_text): labels, O(1) lookups, moves on
// IKE rekey, selector and failure text, levels.
#include "daemon/event_text.h"
#include "daemon/sa_registry.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>

namespace ipsecd::daemon {
namespace {

Endpoint endpoint(const char* address, uint16_t port) { return {*IpAddress::parse(address), port}; }

ikev2::Selector selector(crypto::Bytes start, crypto::Bytes end, uint8_t protocol = 0, uint16_t start_port = 0,
                         uint16_t end_port = 65535) {
  return {std::move(start), std::move(end), protocol, start_port, end_port};
}

ikev2::IkeSaEstablished established(uint64_t id) {
  ikev2::IkeSaEstablished e;
  e.ike_sa = id;
  e.connection = "site-a";
  e.role = ikev2::IkeRole::initiator;
  e.local = endpoint("192.0.2.1", 500);
  e.remote = endpoint("192.0.2.2", 500);
  e.local_id = *ikev2::parse_identity("gw-a.example.com");
  e.remote_id = *ikev2::parse_identity("gw-b.example.com");
  e.transforms.protocol = iana::SecurityProtocolId::IKE;
  return e;
}

ikev2::ChildSaInstalled installed(uint64_t ike, uint32_t spi_in) {
  ikev2::ChildSaInstalled e;
  e.ike_sa = ike;
  e.connection = "site-a";
  e.child = "net";
  e.reqid = 0x49500001;
  e.spi_in = spi_in;
  e.spi_out = 0xc0ffee00;
  e.mode = ikev2::IpsecMode::tunnel;
  e.transforms.protocol = iana::SecurityProtocolId::ESP;
  e.local_ts = {selector({203, 0, 113, 0}, {203, 0, 113, 127})};
  e.remote_ts = {selector({203, 0, 113, 128}, {203, 0, 113, 255})};
  return e;
}

const auto t0 = std::chrono::steady_clock::time_point{};

}  // namespace

TEST_CASE("SaRegistry labels IKE SAs by id and CHILD_SAs by IKE id and ordinal", "[daemon]") {
  SaRegistry registry;
  CHECK(registry.apply(established(7), t0) == "7");
  CHECK(registry.apply(installed(7, 0x1001), t0) == "7.1");
  CHECK(registry.apply(installed(7, 0x1002), t0) == "7.2");
  REQUIRE(registry.ike_sa(7) != nullptr);
  CHECK(registry.ike_sa(7)->children.size() == 2);
  REQUIRE(registry.child_sa(0x1002) != nullptr);
  CHECK(registry.child_sa(0x1002)->label == "7.2");
  CHECK(registry.ike_sas_of("site-a") == std::vector<uint64_t>{7});

  CHECK(registry.apply(ikev2::ChildSaDeleted{7, "site-a", "net", 0x1001, 0xc0ffee00}, t0) == "7.1");
  CHECK(registry.child_sa(0x1001) == nullptr);
  CHECK(registry.ike_sa(7)->children.size() == 1);

  CHECK(registry.apply(ikev2::IkeSaDeleted{7, "site-a", true}, t0) == "7");
  CHECK(registry.ike_sa(7) == nullptr);
  CHECK(registry.child_sas().empty());
  CHECK(registry.ike_sas_of("site-a").empty());
}

TEST_CASE("SaRegistry numbers a CHILD_SA that failed in IKE_AUTH before the IKE SA came up", "[daemon]") {
  SaRegistry registry;
  ikev2::ChildSaFailed failed{3, "site-a", "net", {ikev2::FailureReason::kernel_refused, std::nullopt, "x"}};
  CHECK(registry.apply(failed, t0) == "3.1");
  CHECK(registry.apply(established(3), t0) == "3");
  CHECK(registry.apply(installed(3, 0x2001), t0) == "3.2");
}

TEST_CASE("SaRegistry moves children to the successor of an IKE SA rekey and keeps their labels",
          "[daemon]") {
  SaRegistry registry;
  registry.apply(established(1), t0);
  registry.apply(installed(1, 0x1001), t0);
  registry.apply(established(2), t0);
  CHECK(registry.apply(ikev2::IkeSaRekeyed{1, 2, "site-a", {}}, t0) == "2");
  REQUIRE(registry.child_sa(0x1001) != nullptr);
  CHECK(registry.child_sa(0x1001)->ike_sa == 2);
  CHECK(registry.child_sa(0x1001)->label == "1.1");
  CHECK(registry.ike_sa(2)->children.count(0x1001) == 1);
  registry.apply(ikev2::IkeSaDeleted{1, "site-a", false}, t0);
  CHECK(registry.child_sa(0x1001) != nullptr);
  CHECK(registry.ike_sas().size() == 1);
}

TEST_CASE("SaRegistry gives the successor of an IKE SA rekey the algorithms the rekey chose", "[daemon]") {
  SaRegistry registry;
  auto first = established(1);
  first.transforms.key_exchange = iana::KeyExchangeMethod::ECP_256;
  registry.apply(first, t0);
  ikev2::IkeSaRekeyed rekeyed{1, 2, "site-a", first.transforms};
  rekeyed.transforms.key_exchange = iana::KeyExchangeMethod::CURVE25519;
  CHECK(registry.apply(rekeyed, t0) == "2");
  REQUIRE(registry.ike_sa(2) != nullptr);
  CHECK(registry.ike_sa(2)->transforms == rekeyed.transforms);
  CHECK(registry.ike_sa(2)->local_id == first.local_id);
  CHECK(registry.ike_sa(1)->transforms.key_exchange == iana::KeyExchangeMethod::ECP_256);
}

TEST_CASE("describe gives one labelled line per event at a systemd-sensible level", "[daemon]") {
  auto up = describe(established(7), "7", "PSK");
  CHECK(up.level == LogLevel::notice);
  CHECK(up.text.rfind("ike[7] site-a: established 192.0.2.1:500 <-> 192.0.2.2:500 as initiator, "
                      "gw-a.example.com <-> gw-b.example.com (PSK, IKE:",
                      0) == 0);

  auto child = describe(installed(7, 0x0a1b2c3d), "7.2", "");
  CHECK(child.level == LogLevel::notice);
  CHECK(child.text.rfind("child[7.2] site-a/net: installed ESP SPIs in 0x0a1b2c3d out 0xc0ffee00 reqid 1229979649 "
                         "tunnel mode, 203.0.113.0/25 === 203.0.113.128/25 (",
                         0) == 0);
  // Selectors read as ikev2::format_selector writes them (a host with its /32), an empty side as "-".
  auto host = installed(7, 0x0a1b2c3d);
  host.local_ts = {selector({192, 0, 2, 7}, {192, 0, 2, 7}, 6, 443, 443)};
  host.remote_ts = {};
  CHECK(describe(host, "7.3", "").text.find("tunnel mode, 192.0.2.7/32[tcp/443] === - (") !=
        std::string::npos);

  ikev2::ChildSaFailed kernel{7, "site-a", "net",
                              {ikev2::FailureReason::kernel_refused, std::nullopt, "add SA: load esp4 (errno 93)"}};
  auto refused = describe(kernel, "7.1", "");
  CHECK(refused.level == LogLevel::error);
  CHECK(refused.text == "child[7.1] site-a/net: failed: kernel refused: add SA: load esp4 (errno 93)");

  ikev2::IkeSaFailed peer{8, "site-a", ikev2::IkeRole::initiator,
                          {ikev2::FailureReason::no_proposal_chosen, iana::NotifyMessageType::NO_PROPOSAL_CHOSEN, ""}};
  auto failed = describe(peer, "8", "");
  CHECK(failed.level == LogLevel::warning);
  CHECK(failed.text == "ike[8] site-a: failed as initiator: no proposal chosen (peer: NO_PROPOSAL_CHOSEN)");
  peer.failure.detail = "peer sent NO_PROPOSAL_CHOSEN";
  CHECK(describe(peer, "8", "").text ==
        "ike[8] site-a: failed as initiator: no proposal chosen: peer sent NO_PROPOSAL_CHOSEN");

  CHECK(describe(ikev2::IkeSaDeleted{8, "site-a", true}, "8", "").text == "ike[8] site-a: deleted by the peer");
  CHECK(describe(ikev2::IkeSaFailed{9, "", ikev2::IkeRole::responder, {}}, "9", "").text.rfind(
            "ike[9] (no connection): failed as responder: ", 0) == 0);
}

}  // namespace ipsecd::daemon
