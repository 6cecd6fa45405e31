// Shared kernel policies: add for the first user, update for the next, delete after the last.
#include "daemon/ike/ikev2/policy_table.h"

#include <algorithm>

namespace ipsecd::ikev2 {

namespace {

// Matches the use that one CHILD_SA makes of a policy.
auto by_user(const PolicyUser& user) {
  return [&user](const auto& use) { return use.user == user; };
}

}  // namespace

Expected<Ok, KernelError> PolicyTable::install(const PolicyUser& user, const KernelPolicy& policy) {
  const KernelPolicyId id = policy_id(policy);
  auto entry = entries_.find(id);
  if (entry == entries_.end()) {
    if (auto added = kernel_.add_policy(policy); !added) return added;
    entries_.emplace(id, std::vector<Use>{Use{user, policy}});
    return Ok{};
  }
  // The kernel keeps one entry per selector and direction: the newest CHILD_SA's template replaces the
  // one there (XFRM_MSG_UPDPOLICY), and the older user is remembered, so the entry stays while either
  // needs it.
  if (auto updated = kernel_.update_policy(policy); !updated) return updated;
  auto& uses = entry->second;
  std::erase_if(uses, by_user(user));
  uses.push_back({user, policy});
  return Ok{};
}

void PolicyTable::release(const PolicyUser& user, const KernelPolicyId& id) {
  auto entry = entries_.find(id);
  if (entry == entries_.end()) return;
  auto& uses = entry->second;
  auto use = std::find_if(uses.begin(), uses.end(), by_user(user));
  if (use == uses.end()) return;
  const bool in_kernel = use + 1 == uses.end();
  uses.erase(use);
  if (uses.empty()) {
    (void)kernel_.delete_policy(id);
    entries_.erase(entry);
    return;
  }
  // The entry named the SAs of the child that goes: the newest remaining user's template takes its place,
  // so its traffic keeps finding its own SAs.
  if (in_kernel) (void)kernel_.update_policy(uses.back().policy);
}

Expected<Ok, KernelError> PolicyTable::change(const PolicyUser& user, const KernelPolicy& policy) {
  auto entry = entries_.find(policy_id(policy));
  if (entry == entries_.end()) return install(user, policy);
  auto& uses = entry->second;
  auto use = std::find_if(uses.begin(), uses.end(), by_user(user));
  if (use == uses.end()) return install(user, policy);
  if (use + 1 == uses.end()) {
    if (auto updated = kernel_.update_policy(policy); !updated) return updated;
  }
  use->policy = policy;
  return Ok{};
}

void PolicyTable::hand_over(const KernelPolicyId& id, const PolicyUser& from, const PolicyUser& to) {
  auto entry = entries_.find(id);
  if (entry == entries_.end()) return;
  auto& uses = entry->second;
  if (std::any_of(uses.begin(), uses.end(), by_user(to))) {
    release(from, id);
    return;
  }
  for (auto& u : uses) {
    if (u.user == from) u.user = to;
  }
}

void PolicyTable::adopt(const PolicyUser& user, const KernelPolicy& policy) {
  const KernelPolicyId id = policy_id(policy);
  auto entry = entries_.find(id);
  if (entry == entries_.end()) {
    entries_.emplace(id, std::vector<Use>{Use{user, policy}});
    return;
  }
  auto& uses = entry->second;
  if (std::any_of(uses.begin(), uses.end(), by_user(user))) return;
  // The kernel's entry is not this user's template, so it goes first: the newest stays the kernel's.
  uses.insert(uses.begin(), Use{user, policy});
}

void PolicyTable::forget(const PolicyUser& user, const KernelPolicyId& id) {
  auto entry = entries_.find(id);
  if (entry == entries_.end()) return;
  std::erase_if(entry->second, by_user(user));
  if (entry->second.empty()) entries_.erase(entry);
}

std::vector<PolicyUser> PolicyTable::users(const KernelPolicyId& id) const {
  std::vector<PolicyUser> out;
  const auto entry = entries_.find(id);
  if (entry == entries_.end()) return out;
  for (const auto& u : entry->second) out.push_back(u.user);
  return out;
}

}  // namespace ipsecd::ikev2
