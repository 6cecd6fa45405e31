// The XFRM interface of ipsecd: SPIs, SAs, policies and flushing of exactly the entries ipsecd owns.
#pragma once

#include "common/expected.h"
#include "netlink/kernel_error.h"
#include "netlink/nl_socket.h"
#include "netlink/xfrm_types.h"

#include <cstdint>
#include <vector>

namespace ipsecd::netlink {

// Every SA and every policy template ipsecd installs carries a reqid from this range: that is how its
// entries are told apart from anyone else's (another daemon, `ip xfrm`) at start-up and shutdown.
struct ReqidRange {
  uint32_t first = 0;
  uint32_t last = 0;
  bool contains(uint32_t reqid) const { return reqid >= first && reqid <= last; }
};
inline constexpr ReqidRange kIpsecdReqids{0x49500000, 0x4950ffff};

struct SpiRequest {
  IpAddress src;
  IpAddress dst;  // the SPI is unique per destination and protocol
  IpsecProtocol protocol = IpsecProtocol::Esp;
  IpsecMode mode = IpsecMode::Transport;
  uint32_t reqid = 0;
  uint32_t min = 0x100;  // RFC 4303 §2.1: 1-255 are reserved
  uint32_t max = 0xffffffff;
  uint32_t acquire_sequence = 0;  // from an AcquireEvent, so the kernel ties the SPI to that acquire
  Mark mark;
  uint32_t if_id = 0;
};

struct FlushResult {
  size_t sas = 0;
  size_t policies = 0;
};

class Xfrm {
 public:
  // A NETLINK_XFRM socket in the calling thread's network namespace.
  static Expected<Xfrm, KernelError> open(ReqidRange owned = kIpsecdReqids);

  // XFRM_MSG_ALLOCSPI: reserves a free SPI in [min, max]. The kernel keeps a larval SA for it; fill it
  // with update_sa (add_sa would find the SPI taken).
  Expected<uint32_t, KernelError> allocate_spi(const SpiRequest& request);

  Expected<Ok, KernelError> add_sa(const SaSpec& sa);
  Expected<Ok, KernelError> update_sa(const SaSpec& sa);
  Expected<Ok, KernelError> delete_sa(const SaId& id);
  // The SA with its counters (bytes, packets, add and use time); keys are wiped, never returned.
  Expected<SaInfo, KernelError> get_sa(const SaId& id);
  Expected<std::vector<SaInfo>, KernelError> dump_sas();

  // The priority is derived from the selector (policy_priority) unless the spec sets one.
  Expected<Ok, KernelError> add_policy(const PolicySpec& policy);
  Expected<Ok, KernelError> update_policy(const PolicySpec& policy);
  Expected<Ok, KernelError> delete_policy(const Selector& selector, PolicyDirection direction, Mark mark = {},
                                          uint32_t if_id = 0);
  // XFRM_MSG_GETPOLICY: the policy with exactly this selector, direction, mark and if_id; ENOENT when none.
  Expected<PolicyInfo, KernelError> get_policy(const Selector& selector, PolicyDirection direction, Mark mark = {},
                                               uint32_t if_id = 0);
  Expected<std::vector<PolicyInfo>, KernelError> dump_policies();

  // XFRM_MSG_MIGRATE (needs CONFIG_XFRM_MIGRATE). Fails with ENOENT when no policy has this selector and
  // direction, ENODATA when none of its templates matches an entry.
  Expected<Ok, KernelError> migrate(const MigrateRequest& request);

  // Deletes every SA whose reqid and every policy with a template whose reqid lies in the owned range.
  Expected<FlushResult, KernelError> flush_own();

  // Whether the kernel knows XFRMA_SA_DIR (Linux 6.10+); SaSpec::direction is dropped when it does not.
  bool supports_sa_direction() const { return sa_direction_; }
  const ReqidRange& owned_reqids() const { return owned_; }

 private:
  Xfrm(NlSocket socket, ReqidRange owned) : socket_(std::move(socket)), owned_(owned) {}
  Expected<Ok, KernelError> write_sa(uint16_t type, const SaSpec& sa, std::string_view operation);
  Expected<Ok, KernelError> write_policy(uint16_t type, const PolicySpec& policy, std::string_view operation);
  Expected<Ok, KernelError> delete_policy_by_index(const PolicyInfo& policy);
  bool probe_sa_direction();

  NlSocket socket_;
  ReqidRange owned_;
  bool sa_direction_ = false;
};

}  // namespace ipsecd::netlink
