// Reads a control client's credentials (SO_PEERCRED, supplementary groups from /proc) and applies the
// socket's permission model to them.
#include "ctl/peer_credentials.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ipsecd::ctl {

namespace {

// The "Groups:" line of /proc/<pid>/status: the groups the process had when it connected is what counts,
// not what the user database says now.
std::vector<gid_t> supplementary_groups_of(pid_t pid) {
  std::vector<gid_t> groups;
  if (pid <= 0) return groups;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream fields(line.substr(7));
    unsigned long gid = 0;
    while (fields >> gid) groups.push_back(static_cast<gid_t>(gid));
    break;
  }
  return groups;
}

}  // namespace

Expected<PeerCredentials, std::string> read_peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return unexpected(std::string("cannot read the client's credentials (SO_PEERCRED): ") +
                      std::strerror(errno));
  return PeerCredentials{cred.pid, cred.uid, cred.gid, supplementary_groups_of(cred.pid)};
}

bool peer_allowed(const PeerCredentials& peer, uid_t owner_uid, const std::optional<gid_t>& group) {
  if (peer.uid == 0 || peer.uid == owner_uid) return true;
  if (!group) return false;
  return peer.gid == *group || std::find(peer.supplementary_groups.begin(), peer.supplementary_groups.end(),
                                         *group) != peer.supplementary_groups.end();
}

}  // namespace ipsecd::ctl
