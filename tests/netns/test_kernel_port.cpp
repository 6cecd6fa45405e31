// Host kernel: NetlinkKernelPort installs the engine's range policies as prefix policies and reports SA errors.
#include "daemon/netlink_kernel_port.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <utility>

using namespace ipsecd;
using ipsecd::daemon::NetlinkKernelPort;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

namespace {

constexpr uint32_t kReqid = netlink::kIpsecdReqids.first + 3;

IpAddress addr(const char* text) { return *IpAddress::parse(text); }

ikev2::Selector selector(const char* text) {
  auto parsed = ikev2::parse_selector(text);
  REQUIRE(parsed);
  return parsed->selector;
}

ikev2::KernelPolicy tunnel_policy(const char* src, const char* dst, ikev2::PolicyDirection direction) {
  ikev2::KernelPolicy policy;
  policy.src = selector(src);
  policy.dst = selector(dst);
  policy.direction = direction;
  policy.mode = ikev2::IpsecMode::tunnel;
  policy.tunnel_src = addr("192.0.2.1");
  policy.tunnel_dst = addr("192.0.2.2");
  policy.reqid = kReqid;
  return policy;
}

std::string policies() { return run(ip() + " xfrm policy").output; }

ikev2::KernelSa cbc_sa(uint32_t spi, bool inbound) {
  ikev2::KernelSa sa;
  sa.id = {inbound ? addr("192.0.2.2") : addr("192.0.2.1"), inbound ? addr("192.0.2.1") : addr("192.0.2.2"),
           spi, iana::SecurityProtocolId::ESP};
  sa.inbound = inbound;
  sa.reqid = kReqid;
  sa.encryption = iana::EncryptionAlgorithm::ENCR_AES_CBC;
  sa.encryption_key_bits = 256;
  sa.encryption_key = crypto::SecureBytes(32, 0x5a);
  sa.integrity = iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128;
  sa.integrity_key = crypto::SecureBytes(32, 0xa5);
  sa.lifetime = {3000, 3600, 0, 0};
  return sa;
}

}  // namespace

TEST_CASE("The engine's first reqid lies in netlink's owned range, or is moved into it",
          "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  const ikev2::EngineSettings defaults;
  CHECK(netlink::kIpsecdReqids.contains(defaults.first_reqid));
  CHECK(port->engine_settings(defaults).first_reqid == defaults.first_reqid);
  ikev2::EngineSettings outside;
  outside.first_reqid = 7;
  CHECK(port->engine_settings(outside).first_reqid == netlink::kIpsecdReqids.first);
}

TEST_CASE("A range policy becomes one prefix policy per piece in ip xfrm, and delete removes them all",
          "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  // 10.1.0.1-10.1.0.6 is 10.1.0.1/32, 10.1.0.2/31, 10.1.0.4/31, 10.1.0.6/32.
  auto out = tunnel_policy("10.1.0.1-10.1.0.6", "10.2.0.0/16[tcp/80-81]", ikev2::PolicyDirection::out);
  auto in = tunnel_policy("10.2.0.0/16[tcp/80-81]", "10.1.0.1-10.1.0.6", ikev2::PolicyDirection::in);
  std::swap(in.tunnel_src, in.tunnel_dst);
  auto fwd = in;
  fwd.direction = ikev2::PolicyDirection::fwd;
  for (const auto* policy : {&out, &in, &fwd}) {
    auto added = port->add_policy(*policy);
    INFO((added ? std::string() : added.error().message));
    REQUIRE(added);
  }
  const auto listing = policies();
  for (const char* prefix : {"10.1.0.1/32", "10.1.0.2/31", "10.1.0.4/31", "10.1.0.6/32"}) {
    for (const char* port_number : {"80", "81"}) {
      CHECK_THAT(listing, Catch::Contains(fmt::format("src {} dst 10.2.0.0/16 proto tcp dport {} \n\tdir out",
                                                      prefix, port_number)));
      for (const char* direction : {"in", "fwd"}) {
        CHECK_THAT(listing, Catch::Contains(fmt::format("src 10.2.0.0/16 dst {} proto tcp sport {} \n\tdir {}",
                                                        prefix, port_number, direction)));
      }
    }
  }
  CHECK_THAT(listing, Catch::Contains(
                          fmt::format("tmpl src 192.0.2.1 dst 192.0.2.2\n\t\tproto esp reqid {} mode tunnel", kReqid)));
  CHECK_THAT(listing, Catch::Contains(
                          fmt::format("tmpl src 192.0.2.2 dst 192.0.2.1\n\t\tproto esp reqid {} mode tunnel", kReqid)));
  // 3 directions x 4 prefixes x 2 ports, nothing more.
  const auto dump = port->xfrm().dump_policies();
  REQUIRE(dump);
  CHECK(dump->size() == 24);

  for (const auto* policy : {&fwd, &in, &out}) {
    auto deleted = port->delete_policy({policy->src, policy->dst, policy->direction});
    INFO((deleted ? std::string() : deleted.error().message));
    CHECK(deleted);
  }
  CHECK(policies().empty());
}

TEST_CASE("A policy that fails part-way leaves none of its pieces behind", "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  // The third piece (10.1.0.4/31) already exists: EEXIST, and the two before it are taken back.
  REQUIRE(run(ip() + " xfrm policy add src 10.1.0.4/31 dst 10.2.0.0/16 dir out action block").status == 0);
  auto added = port->add_policy(tunnel_policy("10.1.0.1-10.1.0.6", "10.2.0.0/16", ikev2::PolicyDirection::out));
  REQUIRE_FALSE(added);
  CHECK(added.error().error_number == EEXIST);
  const auto listing = policies();
  CHECK_THAT(listing, !Catch::Contains("10.1.0.1/32"));
  CHECK_THAT(listing, !Catch::Contains("10.1.0.2/31"));
  CHECK_THAT(listing, !Catch::Contains("10.1.0.6/32"));
  CHECK_THAT(listing, Catch::Contains("src 10.1.0.4/31"));
}

TEST_CASE("update_policy gives an existing policy, every piece of it, the new template in place",
          "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  // 10.1.0.1-10.1.0.2 is 10.1.0.1/32 and 10.1.0.2/32.
  auto first = tunnel_policy("10.1.0.1-10.1.0.2", "10.2.0.0/16", ikev2::PolicyDirection::out);
  REQUIRE(port->add_policy(first));
  // A second CHILD_SA with the same selectors: another reqid and peer address.
  auto second = first;
  second.reqid = kReqid + 1;
  second.tunnel_dst = addr("192.0.2.9");
  auto updated = port->update_policy(second);
  INFO((updated ? std::string() : updated.error().message));
  REQUIRE(updated);
  const auto listing = policies();
  CHECK_THAT(listing, Catch::Contains(fmt::format(
                          "tmpl src 192.0.2.1 dst 192.0.2.9\n\t\tproto esp reqid {} mode tunnel", kReqid + 1)));
  CHECK_THAT(listing, !Catch::Contains("dst 192.0.2.2"));
  const auto dump = port->xfrm().dump_policies();
  REQUIRE(dump);
  REQUIRE(dump->size() == 2);  // replaced, not added beside
  for (const auto& p : *dump) {
    REQUIRE(p.templates.size() == 1);
    CHECK(p.templates.front().reqid == kReqid + 1);
  }
  // And back, as when the newer child goes and the older one remains.
  REQUIRE(port->update_policy(first));
  CHECK_THAT(policies(), Catch::Contains(fmt::format(
                             "tmpl src 192.0.2.1 dst 192.0.2.2\n\t\tproto esp reqid {} mode tunnel", kReqid)));
  CHECK_THAT(policies(), !Catch::Contains("192.0.2.9"));
}

TEST_CASE("update_policy of a policy that is not there fails with ENOENT and writes nothing",
          "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  auto missing =
      port->update_policy(tunnel_policy("10.1.0.0/16", "10.2.0.0/16", ikev2::PolicyDirection::out));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().error_number == ENOENT);
  CHECK_THAT(missing.error().message, Catch::Contains("no such policy"));
  CHECK_THAT(missing.error().message, Catch::Contains("errno 2"));
  // The kernel's UPDPOLICY alone would have added it.
  CHECK(policies().empty());

  // One piece of two missing (deleted by hand): nothing is written, the other piece keeps its template.
  REQUIRE(port->add_policy(tunnel_policy("10.1.0.1-10.1.0.2", "10.2.0.0/16", ikev2::PolicyDirection::out)));
  REQUIRE(run(ip() + " xfrm policy delete src 10.1.0.2/32 dst 10.2.0.0/16 dir out").status == 0);
  auto other = tunnel_policy("10.1.0.1-10.1.0.2", "10.2.0.0/16", ikev2::PolicyDirection::out);
  other.tunnel_dst = addr("192.0.2.9");
  auto partly = port->update_policy(other);
  REQUIRE_FALSE(partly);
  CHECK(partly.error().error_number == ENOENT);
  const auto listing = policies();
  CHECK_THAT(listing, Catch::Contains("src 10.1.0.1/32"));
  CHECK_THAT(listing, !Catch::Contains("10.1.0.2/32"));
  CHECK_THAT(listing, !Catch::Contains("192.0.2.9"));
}

TEST_CASE("A policy the kernel cannot express is refused before anything is installed", "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  auto added = port->add_policy(tunnel_policy("10.1.0.0/16[udp/1000-2000]", "10.2.0.0/16",
                                              ikev2::PolicyDirection::out));
  REQUIRE_FALSE(added);
  CHECK(added.error().error_number == EINVAL);
  CHECK_THAT(added.error().message, Catch::Contains("spans more than 16 ports"));
  CHECK(policies().empty());
}

TEST_CASE("ESP SAs fail with errno 93 and the no-ESP sentence, and the allocated SPI can be released",
          "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  auto spi = port->allocate_spi({addr("192.0.2.2"), addr("192.0.2.1"), iana::SecurityProtocolId::ESP, kReqid});
  REQUIRE(spi);
  CHECK(*spi >= 0x100);
  CHECK_THAT(run(ip() + " xfrm state").output, Catch::Contains(fmt::format("spi {:#010x} reqid {}", *spi, kReqid)));

  // Inbound fills the larval SA (UPDSA), outbound is new (NEWSA): the kernel refuses both for want of ESP.
  for (const bool inbound : {true, false}) {
    auto added = port->add_sa(cbc_sa(inbound ? *spi : 0x4242, inbound));
    REQUIRE_FALSE(added);
    CHECK(added.error().error_number == EPROTONOSUPPORT);
    CHECK_THAT(added.error().message, Catch::Contains("the kernel has no ESP support: load esp4/esp6"));
    CHECK_THAT(added.error().message, Catch::Contains("errno 93"));
  }

  auto released = port->delete_sa({addr("192.0.2.2"), addr("192.0.2.1"), *spi, iana::SecurityProtocolId::ESP});
  INFO((released ? std::string() : released.error().message));
  CHECK(released);
  // The kernel holds no larval SA any more.
  CHECK(run(ip() + " xfrm state").output.empty());
  auto again = port->delete_sa({addr("192.0.2.2"), addr("192.0.2.1"), *spi, iana::SecurityProtocolId::ESP});
  REQUIRE_FALSE(again);
  CHECK(again.error().error_number == ESRCH);
}

TEST_CASE("SA requests with algorithms netlink cannot map fail as EINVAL with the reason", "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  auto sa = cbc_sa(0x4343, false);
  sa.encryption = iana::EncryptionAlgorithm::ENCR_AES_GCM_16;
  sa.encryption_key = crypto::SecureBytes(36, 1);
  auto added = port->add_sa(sa);
  REQUIRE_FALSE(added);
  CHECK(added.error().error_number == EINVAL);
  CHECK_THAT(added.error().message, Catch::Contains("add SA 0x00004343"));
}

TEST_CASE("AES-GCM SAs fail earlier, with errno 38, because this kernel's crypto API lacks rfc4106(gcm(aes))",
          "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  auto sa = cbc_sa(0x4444, false);
  sa.encryption = iana::EncryptionAlgorithm::ENCR_AES_GCM_16;
  sa.encryption_key = crypto::SecureBytes(36, 1);
  sa.integrity = iana::IntegrityAlgorithm::NONE;
  sa.integrity_key.clear();
  auto added = port->add_sa(sa);
  REQUIRE_FALSE(added);
  CHECK(added.error().error_number == ENOSYS);
  CHECK_THAT(added.error().message, Catch::Contains("rfc4106(gcm(aes))"));
}

TEST_CASE("An ESP+AH bundle policy carries the ESP template innermost and AH around it",
          "[netns][kernel_port]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto port = NetlinkKernelPort::open();
  REQUIRE(port);
  auto bundle = tunnel_policy("10.1.0.0/16", "10.2.0.0/16", ikev2::PolicyDirection::out);
  bundle.outer_protocols = {iana::SecurityProtocolId::AH};
  auto added = port->add_policy(bundle);
  INFO((added ? std::string() : added.error().message));
  REQUIRE(added);
  // Only the ESP template tunnels; AH protects the new outer header in transport mode.
  CHECK_THAT(policies(),
             Catch::Contains(fmt::format("tmpl src 192.0.2.1 dst 192.0.2.2\n\t\tproto esp reqid {} "
                                         "mode tunnel\n\ttmpl src 0.0.0.0 dst 0.0.0.0\n\t\tproto ah "
                                         "reqid {} mode transport",
                                         kReqid, kReqid)));
  auto dump = port->xfrm().dump_policies();
  REQUIRE(dump);
  REQUIRE(dump->size() == 1);
  REQUIRE(dump->front().templates.size() == 2);
  CHECK(dump->front().templates[0].protocol == netlink::IpsecProtocol::Esp);
  CHECK(dump->front().templates[1].protocol == netlink::IpsecProtocol::Ah);

  // AH inside ESP is no bundle the engine makes: refused, nothing installed.
  auto reversed = tunnel_policy("10.3.0.0/16", "10.4.0.0/16", ikev2::PolicyDirection::out);
  reversed.protocol = iana::SecurityProtocolId::AH;
  reversed.outer_protocols = {iana::SecurityProtocolId::ESP};
  auto refused = port->add_policy(reversed);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().error_number == EINVAL);
  CHECK_THAT(policies(), !Catch::Contains("10.3.0.0/16"));
}
