// Our IKEv2 engine (real sockets, real kernel port) against strongSwan charon in the next namespace, PSK,
// as initiator and responder. This kernel has no ESP, so the CHILD_SA fails while the IKE SA stands.
#include "daemon/ike/ikev2/proposal.h"
#include "tests/netns/charon_engine_loop.h"
#include "tests/netns/charon_peer.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>

using namespace ipsecd;
using namespace std::chrono_literals;
using ipsecd::test::CharonPeer;
using ipsecd::test::EngineLoop;
using ipsecd::test::ip;
using ipsecd::test::run;

namespace {

constexpr const char* kPsk = "ipsecd-charon-interop-psk-0123456789";

struct Proposals {
  const char* ike;
  const char* esp;
  // How our kernel refuses the ESP SA as responder: no rfc4106(gcm(aes)) in this kernel's crypto API is
  // found before the missing ESP protocol.
  int kernel_errno;
  const char* kernel_sentence;
};

std::string swanctl_conf(const Proposals& p) {
  return fmt::format(R"(connections {{
  peer {{
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = {}
    mobike = no
    local {{
      auth = psk
      id = charon@example.org
    }}
    remote {{
      auth = psk
      id = ipsecd@example.org
    }}
    children {{
      net {{
        local_ts = 203.0.113.0/24
        remote_ts = 198.51.100.0/24
        esp_proposals = {}
        mode = tunnel
      }}
    }}
  }}
}}
secrets {{
  ike-peer {{
    id-ours = ipsecd@example.org
    id-charon = charon@example.org
    secret = "{}"
  }}
}}
)",
                     p.ike, p.esp, kPsk);
}

ikev2::ConnectionConfig our_connection(const Proposals& p) {
  ikev2::ConnectionConfig c;
  c.name = "charon";
  c.local_address = *IpAddress::parse("192.0.2.1");
  c.remote_address = *IpAddress::parse("192.0.2.2");
  c.ike_proposals = {*ikev2::parse_proposal(p.ike, iana::SecurityProtocolId::IKE)};
  c.local_id = *ikev2::parse_identity("ipsecd@example.org");
  c.remote_id = *ikev2::parse_identity("charon@example.org");
  const std::string psk = kPsk;
  c.local_auth.psk.assign(psk.begin(), psk.end());
  c.remote_auth.psk = c.local_auth.psk;
  ikev2::ChildConfig child;
  child.name = "net";
  child.local_ts = *ikev2::parse_selectors("198.51.100.0/24");
  child.remote_ts = *ikev2::parse_selectors("203.0.113.0/24");
  child.esp_proposals = {*ikev2::parse_proposal(p.esp, iana::SecurityProtocolId::ESP)};
  c.children = {child};
  return c;
}

std::unique_ptr<EngineLoop> open_loop(const Proposals& p) {
  auto loop = EngineLoop::open(CharonPeer::kOurNamespace,
                               {{IpAddress::any(AF_INET), 500}, {IpAddress::any(AF_INET), 4500}},
                               {our_connection(p)});
  INFO((loop ? std::string() : loop.error()));
  REQUIRE(loop);
  return std::move(*loop);
}

bool charon_established(const CharonPeer& charon) {
  const auto sas = charon.swanctl("--list-sas");
  return sas.output.find("peer: #") != std::string::npos &&
         sas.output.find("ESTABLISHED, IKEv2") != std::string::npos;
}

bool charon_has_sa(const CharonPeer& charon) {
  return charon.swanctl("--list-sas").output.find("peer: #") != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Nothing of the failed CHILD_SA (larval SPI, policies) stays in our namespace's kernel; what is there are
// the two sockets' bypass policies, one per direction each.
void check_no_kernel_leftovers() {
  const std::string in_ours = ip() + " -n " + CharonPeer::kOurNamespace;
  const auto state = run(in_ours + " xfrm state").output;
  const auto policy = run(in_ours + " xfrm policy").output;
  INFO(state << policy);
  CHECK(state.empty());
  CHECK(count(policy, "\tdir ") == 0);
  CHECK(count(policy, "\tsocket in ") == 2);
  CHECK(count(policy, "\tsocket out ") == 2);
}

// Our terminate deletes the IKE SA on both sides (§1.4.1).
void terminate_from_our_side(EngineLoop& loop, const CharonPeer& charon, uint64_t ike_sa) {
  REQUIRE(loop.engine().terminate(ike_sa));
  REQUIRE(loop.run_until([&] { return loop.find<ikev2::IkeSaDeleted>() != nullptr; }, 10s));
  CHECK_FALSE(loop.find<ikev2::IkeSaDeleted>()->by_peer);
  CHECK(loop.engine().ike_sas().empty());
  // charon removes its SA once it has answered the Delete.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !charon_has_sa(charon);
    if (!gone) (void)loop.run_until([] { return false; }, 100ms);
  }
  INFO(charon.swanctl("--list-sas").output);
  CHECK(gone);
}

const Proposals kGcm{"aes256-sha256-modp2048", "aes256gcm16", ENOSYS, "rfc4106(gcm(aes))"};
const Proposals kCbc{"aes128gcm16-prfsha256-x25519", "aes128-sha256", EPROTONOSUPPORT,
                     "the kernel has no ESP support"};

}  // namespace

TEST_CASE("Engine as initiator against charon: IKE SA established, CHILD refused with NO_PROPOSAL_CHOSEN",
          "[netns][engine_charon]") {
  for (const auto* proposals : {&kGcm, &kCbc}) {
    DYNAMIC_SECTION("IKE " << proposals->ike << " ESP " << proposals->esp) {
      CharonPeer charon(swanctl_conf(*proposals));
      REQUIRE(charon.error().empty());
      auto loop = open_loop(*proposals);

      auto ike_sa = loop->engine().initiate("charon", "net");
      REQUIRE(ike_sa);
      const bool settled = loop->run_until(
          [&] {
            return loop->find<ikev2::ChildSaFailed>() != nullptr || loop->find<ikev2::IkeSaFailed>() != nullptr;
          },
          15s);
      INFO(charon.log());
      REQUIRE(settled);
      CHECK(loop->io_errors().empty());
      REQUIRE(loop->find<ikev2::IkeSaFailed>() == nullptr);

      const auto* established = loop->find<ikev2::IkeSaEstablished>();
      REQUIRE(established != nullptr);
      CHECK(established->ike_sa == *ike_sa);
      CHECK(established->role == ikev2::IkeRole::initiator);
      CHECK(ikev2::to_string(established->remote_id) == "charon@example.org");
      const auto sas = loop->engine().ike_sas();
      REQUIRE(sas.size() == 1);
      CHECK(sas[0].state == ikev2::IkeSaState::established);
      CHECK(charon_established(charon));

      // The peer's reason: charon could not install its CHILD_SA and said NO_PROPOSAL_CHOSEN.
      const auto* child = loop->find<ikev2::ChildSaFailed>();
      CHECK(child->child == "net");
      CHECK(child->failure.reason == ikev2::FailureReason::no_proposal_chosen);
      REQUIRE(child->failure.peer_notify.has_value());
      CHECK(*child->failure.peer_notify == iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
      CHECK_THAT(charon.log(), Catch::Contains("unable to install inbound and outbound IPsec SA (SAD) in kernel"));
      check_no_kernel_leftovers();

      terminate_from_our_side(*loop, charon, *ike_sa);
    }
  }
}

TEST_CASE("Engine as responder to charon: IKE SA established, our kernel refuses the CHILD and we say so",
          "[netns][engine_charon]") {
  for (const auto* proposals : {&kGcm, &kCbc}) {
    DYNAMIC_SECTION("IKE " << proposals->ike << " ESP " << proposals->esp) {
      CharonPeer charon(swanctl_conf(*proposals));
      REQUIRE(charon.error().empty());
      auto loop = open_loop(*proposals);

      // swanctl blocks until IKE_AUTH is done; our loop answers meanwhile on this thread.
      auto initiated = std::async(std::launch::async, [&charon] {
        return charon.swanctl("--initiate --ike peer --child net --timeout 15");
      });
      const bool settled = loop->run_until(
          [&] {
            return initiated.wait_for(0s) == std::future_status::ready &&
                   (loop->find<ikev2::ChildSaFailed>() != nullptr || loop->find<ikev2::IkeSaFailed>() != nullptr);
          },
          20s);
      const auto swanctl_result = initiated.get();
      INFO(swanctl_result.output);
      INFO(charon.log());
      REQUIRE(settled);
      CHECK(loop->io_errors().empty());
      REQUIRE(loop->find<ikev2::IkeSaFailed>() == nullptr);

      const auto* established = loop->find<ikev2::IkeSaEstablished>();
      REQUIRE(established != nullptr);
      CHECK(established->role == ikev2::IkeRole::responder);
      CHECK(established->local == Endpoint{*IpAddress::parse("192.0.2.1"), 500});
      CHECK(ikev2::to_string(established->remote_id) == "charon@example.org");
      const auto sas = loop->engine().ike_sas();
      REQUIRE(sas.size() == 1);
      CHECK(sas[0].state == ikev2::IkeSaState::established);
      CHECK(charon_established(charon));

      // Our reason is the kernel's; charon hears NO_PROPOSAL_CHOSEN and keeps the IKE SA.
      const auto* child = loop->find<ikev2::ChildSaFailed>();
      CHECK(child->child == "net");
      CHECK(child->failure.reason == ikev2::FailureReason::kernel_refused);
      CHECK_FALSE(child->failure.peer_notify.has_value());
      CHECK_THAT(child->failure.detail, Catch::Contains(fmt::format("errno {}", proposals->kernel_errno)));
      CHECK_THAT(child->failure.detail, Catch::Contains(proposals->kernel_sentence));
      CHECK_THAT(charon.log(), Catch::Contains("received NO_PROPOSAL_CHOSEN notify"));
      check_no_kernel_leftovers();

      terminate_from_our_side(*loop, charon, established->ike_sa);
    }
  }
}

TEST_CASE("The charon fixture leaves no namespace, process or scratch directory behind", "[netns][engine_charon]") {
  {
    CharonPeer charon(swanctl_conf(kCbc));
    REQUIRE(charon.error().empty());
    CHECK(charon.swanctl("--stats").status == 0);
    const auto namespaces = run(ip() + " netns list").output;
    CHECK_THAT(namespaces, Catch::Contains(CharonPeer::kOurNamespace));
    CHECK_THAT(namespaces, Catch::Contains(CharonPeer::kCharonNamespace));
  }
  const auto namespaces = run(ip() + " netns list").output;
  CHECK_THAT(namespaces, !Catch::Contains(CharonPeer::kOurNamespace));
  CHECK_THAT(namespaces, !Catch::Contains(CharonPeer::kCharonNamespace));
  for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
    CHECK(entry.path().filename().string().rfind("ipsecd-charon-", 0) == std::string::npos);
  }
}
