// Guest-side fixture of the netlink kernel tests: namespaces left/right joined by veth, an Xfrm in each,
// SA/policy builders, traffic and counter checks (the same topology as suites/xfrm_basics.sh).
#pragma once

#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"
#include "netlink/xfrm.h"

#include <optional>
#include <string>
#include <vector>

namespace ipsecd::test {

inline const char* const kLeft = "192.0.2.1";
inline const char* const kRight = "192.0.2.2";
inline const char* const kLeft6 = "2001:db8::1";
inline const char* const kRight6 = "2001:db8::2";
inline const char* const kLeftInner = "198.51.100.1";
inline const char* const kRightInner = "203.0.113.1";
constexpr uint32_t kSpiLeftToRight = 0x1001;
constexpr uint32_t kSpiRightToLeft = 0x1002;
constexpr uint32_t kReqid = netlink::kIpsecdReqids.first + 1;

// An ESP transform (AEAD when integrity is NONE) or an AH one (encryption unused), with key sizes.
struct Transform {
  std::string label;
  iana::EncryptionAlgorithm encryption = iana::EncryptionAlgorithm::ENCR_NULL;
  size_t encryption_key = 0;  // bytes, salt included
  iana::IntegrityAlgorithm integrity = iana::IntegrityAlgorithm::NONE;
  size_t integrity_key = 0;
};

IpAddress address(const char* text);
netlink::Selector host_selector(const char* src, const char* dst, uint8_t protocol = 0);
netlink::Selector subnet_selector(const char* src, const char* dst);

// A fully keyed SA src -> dst. `protocol` Ah uses only the transform's integrity.
netlink::SaSpec make_sa(const char* src, const char* dst, uint32_t spi, netlink::IpsecProtocol protocol,
                        netlink::IpsecMode mode, const Transform& transform);

class VmPair {
 public:
  // Namespaces left (192.0.2.1, 2001:db8::1, tunnel subnet 198.51.100.0/24) and right (192.0.2.2,
  // 2001:db8::2, 203.0.113.0/24); an Xfrm opened in each.
  VmPair();
  ~VmPair();
  VmPair(const VmPair&) = delete;
  VmPair& operator=(const VmPair&) = delete;
  const std::string& error() const { return error_; }

  netlink::Xfrm& left() { return *left_; }
  netlink::Xfrm& right() { return *right_; }

  // Both SAs (src->dst with kSpiLeftToRight, back with kSpiRightToLeft) into both namespaces.
  bool add_sa_pair(const char* src, const char* dst, netlink::IpsecProtocol protocol, netlink::IpsecMode mode,
                   const Transform& transform, std::string& why);
  // out/in policies on both sides for the given selectors (left's view), with `templates` made by
  // bundle_templates between the outer addresses.
  bool add_policies(const netlink::Selector& left_to_right, bool esp, bool ah, netlink::IpsecMode mode,
                    const char* outer_left, const char* outer_right, std::string& why);

 private:
  std::optional<netlink::Xfrm> left_;
  std::optional<netlink::Xfrm> right_;
  std::string error_;
};

netlink::Selector reversed(const netlink::Selector& s);

// Exactly `count` pings from namespace `ns` to `dst`, 0.2 s apart; true when all were answered.
bool ping(const std::string& ns, const std::string& dst, int count, std::string& output,
          const std::string& extra = "");
// One UDP datagram from (ns_from, src) to (ns_to, dst):port; true when it arrived intact.
bool udp_roundtrip(const std::string& ns_from, const char* src, const std::string& ns_to, const char* dst,
                   uint16_t port, std::string& why);

// The "lifetime current" counters iproute2 prints for the SA (`ip -s xfrm state get`), -1 when missing.
struct IpCounters {
  long long bytes = -1;
  long long packets = -1;
};
IpCounters ip_counters(const std::string& ns, const char* src, const char* dst, const char* proto, uint32_t spi);

}  // namespace ipsecd::test
