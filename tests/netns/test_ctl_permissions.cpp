// Who may use the real daemon's control socket: 0600 root by default (another user gets exit 3 and
// "Permission denied"), the SO_PEERCRED guard behind a loosened mode (denied), and ctl_group letting a
// member of a throwaway group in while others stay out.
#include "tests/netns/ctl_netns_support.h"
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <grp.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <optional>
#include <string>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// ipsecctl as `user` against `socket`, stdout and stderr apart.
SplitResult ipsecctl_as(const ScratchDir& dir, const std::string& user, const std::string& socket,
                        const std::string& args) {
  return run_split(dir, as_user(user, ipsecctl_binary() + " --socket '" + socket + "' " + args));
}

// Nothing at warning level or above in the daemon's log: a refused client is no fault of the daemon's.
void log_is_calm(const DaemonProcess& daemon) {
  const auto log = daemon.log();
  CHECK(log.find(" warning: ") == std::string::npos);
  CHECK(log.find(" error: ") == std::string::npos);
}

}  // namespace

TEST_CASE("the control socket is 0600 root: another user gets exit 3, and denied behind a loosened mode",
          "[netns][ctl-permissions]") {
  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);  // others may reach the socket file, only its mode decides
  const auto socket = dir.path() + "/a.sock";
  DaemonProcess a(DaemonNamespaces::kA, dir.write("a.toml", site_a_config(socket, "none")),
                  dir.path() + "/a.log");
  INFO(a.log());
  REQUIRE(a.wait_for_log("started", 5s));

  struct stat st {};
  REQUIRE(stat(socket.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_uid == 0);

  const auto refused = ipsecctl_as(dir, "nobody", socket, "status");
  INFO(refused.out << refused.err);
  CHECK(refused.status == 3);
  CHECK(refused.err.find("Permission denied") != std::string::npos);
  CHECK(refused.out.empty());

  // The file's mode loosened by hand: the daemon's credential check still turns the user away.
  REQUIRE(chmod(socket.c_str(), 0666) == 0);
  const auto denied = ipsecctl_as(dir, "nobody", socket, "--json status");
  INFO(denied.out << denied.err);
  CHECK(denied.status == 3);
  // The daemon answers `denied` and closes at once; ipsecctl prints that reason when its request went out
  // first, and a lost connection when the close won the race (ControlClient::call gives up on the send
  // error without reading the reason already queued).
  const bool told = denied.err == "ipsecctl: uid 65534 may not use the control socket (denied)\n";
  CHECK((told || denied.err == "ipsecctl: lost the connection to the daemon: Broken pipe\n" ||
         denied.err == "ipsecctl: lost the connection to the daemon: Connection reset by peer\n"));
  if (told)
    CHECK(nlohmann::json::parse(denied.out, nullptr, false).at("error").at("code") == "denied");
  else
    CHECK(denied.out.empty());

  // Root still gets through, the daemon logged nothing alarming and stops cleanly.
  CHECK(ipsecctl(dir, socket, "status").status == 0);
  log_is_calm(a);
  a.signal(SIGTERM);
  CHECK(a.wait_exit(5s) == std::optional<int>(0));
}

TEST_CASE("with ctl_group the socket is 0660 for that group: a member gets through, others do not",
          "[netns][ctl-permissions]") {
  ThrowawayUser user;
  REQUIRE(user.error().empty());
  const group* ctl_group = getgrnam(ThrowawayUser::kGroup);
  REQUIRE(ctl_group != nullptr);
  const gid_t gid = ctl_group->gr_gid;

  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  const auto socket = dir.path() + "/a.sock";
  auto config = site_a_config(socket, "none");
  config.replace(config.find("ctl_socket"), 0,
                 std::string("ctl_group = \"") + ThrowawayUser::kGroup + "\"\n");
  DaemonProcess a(DaemonNamespaces::kA, dir.write("a.toml", config), dir.path() + "/a.log");
  INFO(a.log());
  REQUIRE(a.wait_for_log("started", 5s));

  struct stat st {};
  REQUIRE(stat(socket.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0660);
  CHECK(st.st_uid == 0);
  CHECK(st.st_gid == gid);

  const auto member = ipsecctl_as(dir, ThrowawayUser::kUser, socket, "status");
  INFO(member.out << member.err);
  CHECK(member.status == 0);
  CHECK(member.out.find("site-a") != std::string::npos);
  const auto member_json = ipsecctl_as(dir, ThrowawayUser::kUser, socket, "--json version");
  CHECK(member_json.status == 0);
  CHECK(nlohmann::json::parse(member_json.out, nullptr, false).value("daemon", "") == "ipsecd");

  const auto outsider = ipsecctl_as(dir, "nobody", socket, "status");
  INFO(outsider.out << outsider.err);
  CHECK(outsider.status == 3);
  CHECK(outsider.err.find("Permission denied") != std::string::npos);

  log_is_calm(a);
  a.signal(SIGTERM);
  CHECK(a.wait_exit(5s) == std::optional<int>(0));
}

}  // namespace ipsecd::test
