// Host kernel (XFRM without ESP/AH): SPI allocation, SA errors with their errno and sentence, SA dumps.
#include "netlink/kernel_algorithms.h"
#include "netlink/xfrm.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <set>

using namespace ipsecd;
using namespace ipsecd::netlink;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

namespace {

IpAddress addr(const char* text) { return *IpAddress::parse(text); }

constexpr uint32_t kReqid = kIpsecdReqids.first + 7;

SpiRequest spi_request(const char* src, const char* dst, IpsecProtocol protocol, IpsecMode mode, uint32_t reqid,
                       uint32_t min = 0x100, uint32_t max = 0xffffffff) {
  SpiRequest r;
  r.src = addr(src);
  r.dst = addr(dst);
  r.protocol = protocol;
  r.mode = mode;
  r.reqid = reqid;
  r.min = min;
  r.max = max;
  return r;
}

SaSpec esp_cbc_sha256() {
  SaSpec sa;
  sa.src = addr("192.0.2.1");
  sa.dst = addr("192.0.2.2");
  sa.spi = 0x1001;
  sa.reqid = kReqid;
  auto r = set_esp_algorithms(sa, ipsecd::iana::EncryptionAlgorithm::ENCR_AES_CBC, SecretBytes(16, 0x11),
                              ipsecd::iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, SecretBytes(32, 0x22));
  REQUIRE(r);
  return sa;
}

}  // namespace

TEST_CASE("ALLOCSPI gives distinct SPIs inside the range for ESP and AH, visible to ip xfrm", "[netns][xfrm][spi]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  // SPIs are unique per destination and protocol (RFC 4301 §4.1): the two ESP SPIs must differ, while the
  // AH one may equal either of them.
  std::set<uint32_t> esp_spis;
  for (const auto protocol : {IpsecProtocol::Esp, IpsecProtocol::Esp, IpsecProtocol::Ah}) {
    SpiRequest request = spi_request("192.0.2.1", "192.0.2.2", protocol, IpsecMode::Transport, kReqid, 0xc000, 0xc0ff);
    auto spi = xfrm->allocate_spi(request);
    REQUIRE(spi);
    CHECK(*spi >= 0xc000);
    CHECK(*spi <= 0xc0ff);
    if (protocol == IpsecProtocol::Esp) esp_spis.insert(*spi);
    const auto state = run(ip() + " xfrm state");
    CHECK_THAT(state.output, Catch::Contains(fmt::format("spi {:#010x} reqid {}", *spi, kReqid)));
  }
  CHECK(esp_spis.size() == 2);
  // IPv6 too.
  SpiRequest v6 = spi_request("2001:db8::1", "2001:db8::2", IpsecProtocol::Esp, IpsecMode::Tunnel, kReqid, 0x2000, 0x2000);
  auto spi6 = xfrm->allocate_spi(v6);
  REQUIRE(spi6);
  CHECK(*spi6 == 0x2000);
  CHECK_THAT(run(ip() + " -6 xfrm state").output, Catch::Contains("src 2001:db8::1 dst 2001:db8::2"));
  // The only SPI of a one-value range is taken now.
  auto again = xfrm->allocate_spi(v6);
  REQUIRE_FALSE(again);
  CHECK(again.error().error_number == ENOENT);
}

TEST_CASE("ipsecd refuses to install entries outside its reqid range", "[netns][xfrm][ownership]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  SpiRequest request = spi_request("192.0.2.1", "192.0.2.2", IpsecProtocol::Esp, IpsecMode::Transport, 5);
  auto spi = xfrm->allocate_spi(request);
  REQUIRE_FALSE(spi);
  CHECK_THAT(spi.error().message, Catch::Contains("outside ipsecd's range"));
  CHECK(run(ip() + " xfrm state").output.empty());
}

TEST_CASE("NEWSA for ESP and AH on this ESP-less kernel fails with errno 93 and says which module to load",
          "[netns][xfrm][errors]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  auto esp = xfrm->add_sa(esp_cbc_sha256());
  REQUIRE_FALSE(esp);
  CHECK(esp.error().error_number == EPROTONOSUPPORT);
  CHECK_THAT(esp.error().message, Catch::StartsWith("add SA: the kernel has no ESP support: load esp4/esp6"));
  CHECK_THAT(esp.error().message, Catch::Contains("errno 93"));

  SaSpec ah = esp_cbc_sha256();
  REQUIRE(set_ah_algorithm(ah, ipsecd::iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, SecretBytes(32, 0x33)));
  auto ah_result = xfrm->update_sa(ah);
  REQUIRE_FALSE(ah_result);
  CHECK(ah_result.error().error_number == EPROTONOSUPPORT);
  CHECK_THAT(ah_result.error().message, Catch::StartsWith("update SA: the kernel has no AH support: load ah4/ah6"));
  CHECK(run(ip() + " xfrm state").output.empty());
}

TEST_CASE("NEWSA with an algorithm the kernel's crypto API lacks fails with errno 38 naming it",
          "[netns][xfrm][errors]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  SaSpec sa = esp_cbc_sha256();
  // The host has no GCM template; the kernel checks algorithms before the ESP type.
  REQUIRE(set_esp_algorithms(sa, ipsecd::iana::EncryptionAlgorithm::ENCR_AES_GCM_16, SecretBytes(20, 0x44),
                             ipsecd::iana::IntegrityAlgorithm::NONE, {}));
  auto r = xfrm->add_sa(sa);
  REQUIRE_FALSE(r);
  CHECK(r.error().error_number == ENOSYS);
  CHECK_THAT(r.error().message, Catch::Contains("lacks an algorithm of this SA (rfc4106(gcm(aes)))"));
  CHECK_THAT(r.error().message, Catch::Contains("errno 38"));
}

TEST_CASE("GETSA and DELSA of a missing SA report ESRCH with a sentence", "[netns][xfrm][errors]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  const SaId id{addr("192.0.2.1"), addr("192.0.2.2"), 0x4242, IpsecProtocol::Esp, {}};
  auto got = xfrm->get_sa(id);
  REQUIRE_FALSE(got);
  CHECK(got.error().error_number == ESRCH);
  CHECK_THAT(got.error().message, Catch::StartsWith("get ESP SA 0x4242 192.0.2.1 -> 192.0.2.2: no such SA"));
  auto deleted = xfrm->delete_sa(id);
  REQUIRE_FALSE(deleted);
  CHECK(deleted.error().error_number == ESRCH);
}

TEST_CASE("GETSA and the SA dump decode larval SAs, including ones added by ip xfrm", "[netns][xfrm][dump]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  SpiRequest request = spi_request("192.0.2.1", "192.0.2.2", IpsecProtocol::Ah, IpsecMode::Tunnel, kReqid, 0x3000, 0x3000);
  request.mark = {0x10, 0xff};
  REQUIRE(xfrm->allocate_spi(request));
  REQUIRE(run(ip() + " xfrm state allocspi src 198.51.100.1 dst 203.0.113.1 proto esp mode transport reqid 99 "
                     "min 0x5000 max 0x5000").status == 0);
  auto got = xfrm->get_sa({addr("192.0.2.1"), addr("192.0.2.2"), 0x3000, IpsecProtocol::Ah, {0x10, 0xff}});
  REQUIRE(got);
  CHECK(got->reqid == kReqid);
  CHECK(got->mode == IpsecMode::Tunnel);
  CHECK(got->id.mark == Mark{0x10, 0xff});
  CHECK(got->counters.packets == 0);
  CHECK(got->counters.add_time > 0);

  auto sas = xfrm->dump_sas();
  REQUIRE(sas);
  REQUIRE(sas->size() == 2);
  bool saw_foreign = false;
  for (const auto& sa : *sas) {
    if (sa.id.spi != 0x5000) continue;
    saw_foreign = true;
    CHECK(sa.id.src.to_string() == "198.51.100.1");
    CHECK(sa.id.dst.to_string() == "203.0.113.1");
    CHECK(sa.id.protocol == IpsecProtocol::Esp);
    CHECK(sa.reqid == 99);
  }
  CHECK(saw_foreign);
}

TEST_CASE("the SA direction probe agrees with the kernel release (XFRMA_SA_DIR since 6.10)", "[netns][xfrm][sadir]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  int major = 0;
  int minor = 0;
  REQUIRE(std::sscanf(run("uname -r").output.c_str(), "%d.%d", &major, &minor) == 2);
  CHECK(xfrm->supports_sa_direction() == (major > 6 || (major == 6 && minor >= 10)));
}
