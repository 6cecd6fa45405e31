// Who is on the other end of a control connection (SO_PEERCRED) and whether the socket's permission model
// admits them: the second guard behind the socket file's mode.
#pragma once

#include "common/expected.h"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace ipsecd::ctl {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> supplementary_groups;  // from /proc/<pid>/status; empty when unreadable
};

// The credentials of the process connected on `fd`.
Expected<PeerCredentials, std::string> read_peer_credentials(int fd);

// The socket is 0600 owned by `owner_uid`, or 0660 with `group`: root, the owner and (with a group) its
// members, by primary or supplementary gid, are admitted; nobody else.
bool peer_allowed(const PeerCredentials& peer, uid_t owner_uid, const std::optional<gid_t>& group);

}  // namespace ipsecd::ctl
