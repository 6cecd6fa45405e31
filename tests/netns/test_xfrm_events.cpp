// Host kernel: a trap policy turns matching traffic into an ACQUIRE delivered by XfrmListener.
#include "netlink/policy_priority.h"
#include "netlink/xfrm.h"
#include "netlink/xfrm_events.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <poll.h>

using namespace ipsecd;
using namespace ipsecd::netlink;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

TEST_CASE("traffic into a trap policy raises an ACQUIRE with the policy's selector and reqid",
          "[netns][xfrm][events]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  REQUIRE(run(ip() + " link add va type veth peer name vb && " + ip() + " addr add 192.0.2.1/24 dev va && " + ip() +
              " link set va up && " + ip() + " link set vb up").status == 0);
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  auto listener = XfrmListener::open();
  REQUIRE(listener);
  auto none = listener->read_events();
  REQUIRE(none);
  CHECK(none->empty());

  const uint32_t reqid = kIpsecdReqids.first + 3;
  PolicySpec trap;
  trap.selector = {*Prefix::parse("192.0.2.1/32"), *Prefix::parse("192.0.2.2/32"), IPPROTO_UDP, 0, 9};
  trap.templates = bundle_templates(true, false, IpsecMode::Transport, {}, {}, reqid);
  REQUIRE(xfrm->add_policy(trap));

  // The datagram is held back while the kernel asks for an SA (larval state, EAGAIN to the sender).
  const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(udp >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  inet_pton(AF_INET, "192.0.2.2", &to.sin_addr);
  sendto(udp, "x", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  close(udp);
  pollfd pfd{listener->fd(), POLLIN, 0};
  REQUIRE(poll(&pfd, 1, 3000) == 1);
  auto events = listener->read_events();
  REQUIRE(events);
  REQUIRE(events->size() == 1);
  const auto* acquire = std::get_if<AcquireEvent>(&events->front());
  REQUIRE(acquire != nullptr);
  CHECK(acquire->selector.src.to_string() == "192.0.2.1/32");
  CHECK(acquire->selector.dst.to_string() == "192.0.2.2/32");
  CHECK(acquire->selector.protocol == IPPROTO_UDP);
  CHECK(acquire->selector.dst_port == 9);
  CHECK(acquire->src.to_string() == "192.0.2.1");
  CHECK(acquire->dst.to_string() == "192.0.2.2");
  CHECK(acquire->protocol == IpsecProtocol::Esp);
  CHECK(acquire->reqid == reqid);
  CHECK(acquire->direction == PolicyDirection::Out);
  CHECK(acquire->sequence != 0);
  // The kernel keeps a larval SA for the acquire; ALLOCSPI with its sequence takes it over.
  SpiRequest request;
  request.src = acquire->src;
  request.dst = acquire->dst;
  request.reqid = reqid;
  request.acquire_sequence = acquire->sequence;
  auto spi = xfrm->allocate_spi(request);
  REQUIRE(spi);
  const auto states = run(ip() + " xfrm state").output;
  CHECK_THAT(states, Catch::Contains(fmt::format("spi {:#010x}", *spi)));
}

TEST_CASE("a policy lifetime raises soft then hard POLEXPIRE events through the listener", "[netns][xfrm][events]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto listener = XfrmListener::open();
  REQUIRE(listener);
  // Policy lifetimes are not part of PolicySpec (ipsecd expires SAs, not policies): an administrator's.
  REQUIRE(run(ip() + " xfrm policy add src 192.0.2.1/32 dst 198.51.100.0/24 dir fwd limit time-soft 1 "
                     "limit time-hard 3 tmpl proto esp reqid 4").status == 0);
  std::vector<PolicyExpireEvent> seen;
  for (int i = 0; i < 50 && (seen.empty() || !seen.back().hard); ++i) {
    pollfd pfd{listener->fd(), POLLIN, 0};
    poll(&pfd, 1, 100);
    auto events = listener->read_events();
    REQUIRE(events);
    for (const auto& e : *events) {
      if (const auto* p = std::get_if<PolicyExpireEvent>(&e)) seen.push_back(*p);
    }
  }
  REQUIRE(seen.size() == 2);
  CHECK_FALSE(seen[0].hard);
  CHECK(seen[1].hard);
  CHECK(seen[1].direction == PolicyDirection::Fwd);
  CHECK(seen[1].selector.dst.to_string() == "198.51.100.0/24");
  CHECK(seen[1].index != 0);
  CHECK(run(ip() + " xfrm policy").output.empty());
}
