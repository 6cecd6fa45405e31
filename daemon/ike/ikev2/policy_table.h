// Which CHILD_SAs use each installed kernel policy, so that two children with the same selectors share one
// entry (the kernel keeps one per selector and direction) instead of the second failing with EEXIST or the
// first one's removal taking it from under the second.
#pragma once

#include "common/expected.h"
#include "daemon/ike/iana/security_protocol_id.h"
#include "daemon/ike/ikev2/ports.h"

#include <cstdint>
#include <map>
#include <vector>

namespace ipsecd::ikev2 {

// A CHILD_SA as a user of policies: its inbound SPI and protocol, which it keeps for its whole life, also
// when an IKE rekey moves it to another IKE SA (RFC 7296 §2.18).
struct PolicyUser {
  iana::SecurityProtocolId protocol = iana::SecurityProtocolId::ESP;
  uint32_t spi_in = 0;
  bool operator==(const PolicyUser&) const = default;
};

// Policies by KernelPolicyId with their users, oldest first. The kernel's entry always holds the policy
// of the newest user: a child set up while an older one with the same selectors is still there (a
// re-initiation while the old IKE SA's Delete is in flight, a duplicate from the peer, make-before-break
// reauthentication) is the one traffic should use, as strongSwan's reference-counted policies do.
class PolicyTable {
 public:
  explicit PolicyTable(KernelPort& kernel) : kernel_(kernel) {}

  // Installs `policy` for `user`: added when nobody uses its id yet, otherwise updated in place so the
  // kernel's entry names `user`'s template, with the older users kept. Nothing is recorded on failure.
  Expected<Ok, KernelError> install(const PolicyUser& user, const KernelPolicy& policy);
  // `user` no longer needs the policy: deleted when it was the last user; when the kernel's entry is
  // `user`'s and others remain, it is pointed back at the newest of them.
  void release(const PolicyUser& user, const KernelPolicyId& id);
  // `user`'s policy becomes `policy` (new outer addresses after the peer moved, §2.23); the kernel's entry
  // is updated when it is `user`'s.
  Expected<Ok, KernelError> change(const PolicyUser& user, const KernelPolicy& policy);
  // `to` takes over `from`'s use of the policy without a kernel call: the successor of a rekeyed CHILD_SA
  // (§1.3.3) has the same reqid and selectors. When `to` already uses it, `from` is released.
  void hand_over(const KernelPolicyId& id, const PolicyUser& from, const PolicyUser& to);
  // Records `user` for a policy already in the kernel (a trap's, left to a live child of its reqid).
  void adopt(const PolicyUser& user, const KernelPolicy& policy);
  // Forgets `user`'s use without a kernel call: a trap holds the kernel's entry from now on.
  void forget(const PolicyUser& user, const KernelPolicyId& id);

  // The users of the policy, oldest first (the kernel's entry is the last one's); empty when none.
  std::vector<PolicyUser> users(const KernelPolicyId& id) const;

 private:
  struct Use {
    PolicyUser user;
    KernelPolicy policy;
  };
  KernelPort& kernel_;
  // By id, so that a gateway with many CHILD_SAs finds an entry in logarithmic time.
  std::map<KernelPolicyId, std::vector<Use>> entries_;
};

}  // namespace ipsecd::ikev2
