// The production ikev2::KernelPort: the engine's SPIs, SAs and policies installed through netlink::Xfrm.
#pragma once

#include "common/expected.h"
#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/ports.h"
#include "netlink/routes.h"
#include "netlink/xfrm.h"

#include <cstdint>
#include <set>
#include <string>
#include <tuple>

namespace ipsecd::daemon {

// Opens its own XFRM and route sockets in the calling thread's network namespace. Every reqid the engine
// hands over must lie in netlink::kIpsecdReqids, the range flush_own recognises as ours; engine_settings()
// gives the engine a first reqid inside it.
class NetlinkKernelPort final : public ikev2::KernelPort {
 public:
  static Expected<NetlinkKernelPort, ikev2::KernelError> open();

  // `settings` with first_reqid moved into the range this port owns, if it lies outside.
  ikev2::EngineSettings engine_settings(ikev2::EngineSettings settings) const;

  Expected<uint32_t, ikev2::KernelError> allocate_spi(const ikev2::SpiRequest& request) override;
  // An inbound SA whose SPI came from allocate_spi fills the kernel's larval SA (XFRM_MSG_UPDSA); any
  // other SA is added (XFRM_MSG_NEWSA).
  Expected<Ok, ikev2::KernelError> add_sa(const ikev2::KernelSa& sa) override;
  Expected<Ok, ikev2::KernelError> delete_sa(const ikev2::KernelSaId& id) override;
  // Same destination: XFRM_MSG_UPDSA (the kernel keeps the SA and takes the new encapsulation); another
  // destination: the SA is added there (XFRM_MSG_NEWSA, same keys and SPI) and the old one deleted.
  Expected<Ok, ikev2::KernelError> update_sa(const ikev2::KernelSaId& old_id,
                                             const ikev2::KernelSa& sa) override;
  // One XFRM policy per selector from xfrm_selectors (kernel_selectors.h); all or none are installed.
  Expected<Ok, ikev2::KernelError> add_policy(const ikev2::KernelPolicy& policy) override;
  // XFRM_MSG_UPDPOLICY for every piece add_policy made, after XFRM_MSG_GETPOLICY found each of them: a
  // missing one fails the call (ENOENT) before anything is written.
  Expected<Ok, ikev2::KernelError> update_policy(const ikev2::KernelPolicy& policy) override;
  // Deletes every XFRM policy add_policy made for these selectors; the first error is returned after
  // the rest were tried.
  Expected<Ok, ikev2::KernelError> delete_policy(const ikev2::KernelPolicyId& policy) override;
  // RTM_GETROUTE toward `remote` (netlink::Routes): the route's preferred source address.
  Expected<IpAddress, ikev2::KernelError> source_address_for(const IpAddress& remote) override;

  netlink::Xfrm& xfrm() { return xfrm_; }

 private:
  NetlinkKernelPort(netlink::Xfrm xfrm, netlink::Routes routes)
      : xfrm_(std::move(xfrm)), routes_(std::move(routes)) {}

  netlink::Xfrm xfrm_;
  netlink::Routes routes_;
  // SPIs from allocate_spi whose SA has not been filled or deleted yet: destination, SPI, protocol.
  std::set<std::tuple<std::string, uint32_t, uint8_t>> larval_;
};

}  // namespace ipsecd::daemon
