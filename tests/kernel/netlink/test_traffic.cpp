// In the VM: SAs and policies installed by netlink/ carry real ping and UDP traffic for every algorithm,
// in transport and tunnel mode, for ESP, AH and ESP+AH; counters read back match `ip -s xfrm state`.
#include "netlink/policy_priority.h"
#include "netlink/xfrm.h"
#include "tests/kernel/netlink/vm_pair.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <netinet/in.h>

using namespace ipsecd;
using namespace ipsecd::netlink;
using namespace ipsecd::test;
using ipsecd::iana::EncryptionAlgorithm;
using ipsecd::iana::IntegrityAlgorithm;

namespace {

constexpr int kPings = 3;

const char* proto_name(IpsecProtocol p) { return p == IpsecProtocol::Ah ? "ah" : "esp"; }

// Every SA of the pair counted exactly `packets` in both namespaces, and the library's counters equal
// iproute2's.
void expect_counted(VmPair& pair, const char* a, const char* b, IpsecProtocol protocol, uint64_t packets) {
  struct Probe {
    Xfrm* xfrm;
    const char* ns;
    const char* src;
    const char* dst;
    uint32_t spi;
  };
  const Probe probes[] = {{&pair.left(), "left", a, b, kSpiLeftToRight},
                          {&pair.left(), "left", b, a, kSpiRightToLeft},
                          {&pair.right(), "right", a, b, kSpiLeftToRight},
                          {&pair.right(), "right", b, a, kSpiRightToLeft}};
  for (const auto& p : probes) {
    INFO(fmt::format("{} SA {} {:#x} {} -> {}", p.ns, proto_name(protocol), p.spi, p.src, p.dst));
    auto sa = p.xfrm->get_sa({address(p.src), address(p.dst), p.spi, protocol, {}});
    REQUIRE(sa);
    CHECK(sa->counters.packets == packets);
    CHECK(sa->counters.bytes > 0);
    CHECK(sa->counters.add_time > 0);
    CHECK(sa->counters.use_time >= sa->counters.add_time);
    const auto theirs = ip_counters(p.ns, p.src, p.dst, proto_name(protocol), p.spi);
    CHECK(static_cast<long long>(sa->counters.packets) == theirs.packets);
    CHECK(static_cast<long long>(sa->counters.bytes) == theirs.bytes);
  }
}

void transport_traffic(const Transform& t, IpsecProtocol protocol) {
  VmPair pair;
  REQUIRE(pair.error().empty());
  std::string why;
  INFO(t.label);
  REQUIRE(pair.add_sa_pair(kLeft, kRight, protocol, IpsecMode::Transport, t, why));
  INFO(why);
  REQUIRE(pair.add_policies(host_selector(kLeft, kRight), protocol == IpsecProtocol::Esp,
                            protocol == IpsecProtocol::Ah, IpsecMode::Transport, kLeft, kRight, why));
  std::string out;
  REQUIRE(ping("left", kRight, kPings, out));
  expect_counted(pair, kLeft, kRight, protocol, kPings);
  REQUIRE(udp_roundtrip("left", kLeft, "right", kRight, 5000, why));
  auto after = pair.right().get_sa({address(kLeft), address(kRight), kSpiLeftToRight, protocol, {}});
  REQUIRE(after);
  CHECK(after->counters.packets > kPings);
  CHECK(after->algorithms.size() == (t.integrity == IntegrityAlgorithm::NONE || protocol == IpsecProtocol::Ah ? 1U : 2U));
}

Transform esp(const char* label, EncryptionAlgorithm e, size_t ekey, IntegrityAlgorithm i = IntegrityAlgorithm::NONE,
              size_t ikey = 0) {
  return {label, e, ekey, i, ikey};
}

Transform ah(const char* label, IntegrityAlgorithm i, size_t ikey) {
  return {label, EncryptionAlgorithm::ENCR_NULL, 0, i, ikey};
}

const Transform kGcm16 = esp("aes128gcm16", EncryptionAlgorithm::ENCR_AES_GCM_16, 20);
const Transform kCbcSha256 =
    esp("aes128-sha256", EncryptionAlgorithm::ENCR_AES_CBC, 16, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, 32);
const Transform kAhSha256 = ah("sha256", IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, 32);

}  // namespace

#define ESP_TRANSPORT(label, ...)                                                          \
  TEST_CASE("ESP transport " label " carries ping and UDP", "[netlink][esp][transport]") { \
    transport_traffic(esp(label, __VA_ARGS__), IpsecProtocol::Esp);                        \
  }
#define AH_TRANSPORT(label, ...)                                                          \
  TEST_CASE("AH transport " label " carries ping and UDP", "[netlink][ah][transport]") {  \
    transport_traffic(ah(label, __VA_ARGS__), IpsecProtocol::Ah);                         \
  }

ESP_TRANSPORT("aes128gcm16", EncryptionAlgorithm::ENCR_AES_GCM_16, 20)
ESP_TRANSPORT("aes256gcm12", EncryptionAlgorithm::ENCR_AES_GCM_12, 36)
ESP_TRANSPORT("aes192gcm8", EncryptionAlgorithm::ENCR_AES_GCM_8, 28)
ESP_TRANSPORT("chacha20poly1305", EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 36)
ESP_TRANSPORT("aes128-sha256", EncryptionAlgorithm::ENCR_AES_CBC, 16, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, 32)
ESP_TRANSPORT("aes256-sha384", EncryptionAlgorithm::ENCR_AES_CBC, 32, IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192, 48)
ESP_TRANSPORT("aes192-sha512", EncryptionAlgorithm::ENCR_AES_CBC, 24, IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256, 64)
ESP_TRANSPORT("aes128-sha1", EncryptionAlgorithm::ENCR_AES_CBC, 16, IntegrityAlgorithm::AUTH_HMAC_SHA1_96, 20)
ESP_TRANSPORT("aes128-md5", EncryptionAlgorithm::ENCR_AES_CBC, 16, IntegrityAlgorithm::AUTH_HMAC_MD5_96, 16)
ESP_TRANSPORT("aes128-aesxcbc", EncryptionAlgorithm::ENCR_AES_CBC, 16, IntegrityAlgorithm::AUTH_AES_XCBC_96, 16)
ESP_TRANSPORT("3des-sha1", EncryptionAlgorithm::ENCR_3DES, 24, IntegrityAlgorithm::AUTH_HMAC_SHA1_96, 20)
ESP_TRANSPORT("des-md5", EncryptionAlgorithm::ENCR_DES, 8, IntegrityAlgorithm::AUTH_HMAC_MD5_96, 16)

AH_TRANSPORT("md5", IntegrityAlgorithm::AUTH_HMAC_MD5_96, 16)
AH_TRANSPORT("sha1", IntegrityAlgorithm::AUTH_HMAC_SHA1_96, 20)
AH_TRANSPORT("sha256", IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, 32)
AH_TRANSPORT("sha384", IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192, 48)
AH_TRANSPORT("sha512", IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256, 64)
AH_TRANSPORT("aesxcbc", IntegrityAlgorithm::AUTH_AES_XCBC_96, 16)

TEST_CASE("ESP+AH bundle in transport mode: both SAs of each direction count every packet", "[netlink][bundle]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  std::string why;
  REQUIRE(pair.add_sa_pair(kLeft, kRight, IpsecProtocol::Esp, IpsecMode::Transport, kCbcSha256, why));
  REQUIRE(pair.add_sa_pair(kLeft, kRight, IpsecProtocol::Ah, IpsecMode::Transport, kAhSha256, why));
  INFO(why);
  REQUIRE(pair.add_policies(host_selector(kLeft, kRight), true, true, IpsecMode::Transport, kLeft, kRight, why));
  std::string out;
  REQUIRE(ping("left", kRight, kPings, out));
  expect_counted(pair, kLeft, kRight, IpsecProtocol::Esp, kPings);
  expect_counted(pair, kLeft, kRight, IpsecProtocol::Ah, kPings);
  REQUIRE(udp_roundtrip("left", kLeft, "right", kRight, 5000, why));
}

TEST_CASE("ESP tunnel between subnets carries ping and UDP", "[netlink][esp][tunnel]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  std::string why;
  REQUIRE(pair.add_sa_pair(kLeft, kRight, IpsecProtocol::Esp, IpsecMode::Tunnel, kGcm16, why));
  INFO(why);
  REQUIRE(pair.add_policies(subnet_selector("198.51.100.0/24", "203.0.113.0/24"), true, false, IpsecMode::Tunnel,
                            kLeft, kRight, why));
  std::string out;
  REQUIRE(ping("left", kRightInner, kPings, out));
  expect_counted(pair, kLeft, kRight, IpsecProtocol::Esp, kPings);
  REQUIRE(udp_roundtrip("left", kLeftInner, "right", kRightInner, 5001, why));
}

TEST_CASE("AH tunnel between subnets carries ping and UDP", "[netlink][ah][tunnel]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  std::string why;
  REQUIRE(pair.add_sa_pair(kLeft, kRight, IpsecProtocol::Ah, IpsecMode::Tunnel, kAhSha256, why));
  INFO(why);
  REQUIRE(pair.add_policies(subnet_selector("198.51.100.0/24", "203.0.113.0/24"), false, true, IpsecMode::Tunnel,
                            kLeft, kRight, why));
  std::string out;
  REQUIRE(ping("left", kRightInner, kPings, out));
  expect_counted(pair, kLeft, kRight, IpsecProtocol::Ah, kPings);
  REQUIRE(udp_roundtrip("left", kLeftInner, "right", kRightInner, 5001, why));
}

TEST_CASE("ESP+AH bundle in tunnel mode: ESP tunnels, AH protects the outer header", "[netlink][bundle][tunnel]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  std::string why;
  REQUIRE(pair.add_sa_pair(kLeft, kRight, IpsecProtocol::Esp, IpsecMode::Tunnel, kGcm16, why));
  REQUIRE(pair.add_sa_pair(kLeft, kRight, IpsecProtocol::Ah, IpsecMode::Transport, kAhSha256, why));
  INFO(why);
  REQUIRE(pair.add_policies(subnet_selector("198.51.100.0/24", "203.0.113.0/24"), true, true, IpsecMode::Tunnel,
                            kLeft, kRight, why));
  std::string out;
  REQUIRE(ping("left", kRightInner, kPings, out));
  expect_counted(pair, kLeft, kRight, IpsecProtocol::Esp, kPings);
  expect_counted(pair, kLeft, kRight, IpsecProtocol::Ah, kPings);
  REQUIRE(udp_roundtrip("left", kLeftInner, "right", kRightInner, 5001, why));
}

TEST_CASE("IPv6 ESP transport carries ping and UDP with ICMPv6 echo and UDP selectors", "[netlink][esp][ipv6]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  std::string why;
  REQUIRE(pair.add_sa_pair(kLeft6, kRight6, IpsecProtocol::Esp, IpsecMode::Transport, kGcm16, why));
  INFO(why);
  // Neighbour discovery must stay in the clear: protect echo request/reply (ICMPv6 type in the source
  // port field) and UDP only.
  Selector echo = host_selector(kLeft6, kRight6, IPPROTO_ICMPV6);
  echo.src_port = 128;
  for (const auto& [out_sel, in_sel] :
       {std::pair{echo, Selector{echo.dst, echo.src, IPPROTO_ICMPV6, 129, 0}},
        std::pair{host_selector(kLeft6, kRight6, IPPROTO_UDP), reversed(host_selector(kLeft6, kRight6, IPPROTO_UDP))}}) {
    struct Entry {
      Xfrm* x;
      Selector s;
      PolicyDirection d;
      const char* src;
      const char* dst;
    };
    for (const auto& e : {Entry{&pair.left(), out_sel, PolicyDirection::Out, kLeft6, kRight6},
                          Entry{&pair.right(), out_sel, PolicyDirection::In, kLeft6, kRight6},
                          Entry{&pair.right(), in_sel, PolicyDirection::Out, kRight6, kLeft6},
                          Entry{&pair.left(), in_sel, PolicyDirection::In, kRight6, kLeft6}}) {
      PolicySpec p;
      p.selector = e.s;
      p.direction = e.d;
      p.templates = bundle_templates(true, false, IpsecMode::Transport, {}, {}, kReqid);
      auto r = e.x->add_policy(p);
      INFO((r ? std::string() : r.error().message));
      REQUIRE(r);
    }
  }
  std::string out;
  REQUIRE(ping("left", kRight6, kPings, out, "-6"));
  expect_counted(pair, kLeft6, kRight6, IpsecProtocol::Esp, kPings);
  REQUIRE(udp_roundtrip("left", kLeft6, "right", kRight6, 5002, why));
}
