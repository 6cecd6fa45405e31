// Host kernel: source address and interface toward a peer (RTM_GETROUTE) and address-change events.
#include "netlink/routes.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>

#include <net/if.h>
#include <poll.h>

#include <cerrno>

using namespace ipsecd;
using namespace ipsecd::netlink;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

namespace {

void veth_with_addresses() {
  const std::string cmds = ip() + " link add va type veth peer name vb && " + ip() + " link set va up && " + ip() +
                           " link set vb up && " + ip() + " addr add 192.0.2.1/24 dev va && " + ip() +
                           " addr add 2001:db8::1/64 dev va nodad && " + ip() + " addr add 198.51.100.1/32 dev lo && " +
                           ip() + " route add 203.0.113.0/24 via 192.0.2.254 src 198.51.100.1";
  const auto r = run(cmds);
  REQUIRE(r.status == 0);
}

}  // namespace

TEST_CASE("route_to names the source address, interface and gateway the kernel would use",
          "[netns][routes]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  veth_with_addresses();
  auto routes = Routes::open();
  REQUIRE(routes);
  const int va = static_cast<int>(if_nametoindex("va"));
  REQUIRE(va > 0);

  auto onlink = routes->route_to(*IpAddress::parse("192.0.2.77"));
  REQUIRE(onlink);
  CHECK(onlink->source.to_string() == "192.0.2.1");
  CHECK(onlink->ifindex == va);
  CHECK(onlink->interface == "va");
  CHECK_FALSE(onlink->gateway.has_value());

  auto routed = routes->route_to(*IpAddress::parse("203.0.113.7"));
  REQUIRE(routed);
  CHECK(routed->source.to_string() == "198.51.100.1");
  CHECK(routed->interface == "va");
  REQUIRE(routed->gateway.has_value());
  CHECK(routed->gateway->to_string() == "192.0.2.254");

  auto v6 = routes->route_to(*IpAddress::parse("2001:db8::99"));
  REQUIRE(v6);
  CHECK(v6->source.to_string() == "2001:db8::1");
  CHECK(v6->interface == "va");

  auto nowhere = routes->route_to(*IpAddress::parse("198.51.100.200"));
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().error_number == ENETUNREACH);
  CHECK_THAT(nowhere.error().message, Catch::StartsWith("route to 198.51.100.200: the kernel has no route"));
}

TEST_CASE("AddressMonitor reports added and removed addresses through its fd", "[netns][routes]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  veth_with_addresses();
  auto monitor = AddressMonitor::open();
  REQUIRE(monitor);
  auto quiet = monitor->read_events();
  REQUIRE(quiet);
  CHECK(quiet->empty());

  REQUIRE(run(ip() + " addr add 192.0.2.50/24 dev va").status == 0);
  REQUIRE(run(ip() + " addr add 2001:db8::50/64 dev va nodad").status == 0);
  REQUIRE(run(ip() + " addr del 192.0.2.50/24 dev va").status == 0);
  pollfd pfd{monitor->fd(), POLLIN, 0};
  REQUIRE(poll(&pfd, 1, 2000) == 1);
  auto events = monitor->read_events();
  REQUIRE(events);
  REQUIRE(events->size() == 3);
  const int va = static_cast<int>(if_nametoindex("va"));
  CHECK((*events)[0].added);
  CHECK((*events)[0].address.to_string() == "192.0.2.50");
  CHECK((*events)[0].prefix_length == 24);
  CHECK((*events)[0].ifindex == va);
  CHECK((*events)[1].added);
  CHECK((*events)[1].address.to_string() == "2001:db8::50");
  CHECK((*events)[1].prefix_length == 64);
  CHECK_FALSE((*events)[2].added);
  CHECK((*events)[2].address.to_string() == "192.0.2.50");
  auto drained = monitor->read_events();
  REQUIRE(drained);
  CHECK(drained->empty());
}
