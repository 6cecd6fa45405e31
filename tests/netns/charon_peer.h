// A strongSwan charon in its own network namespace, joined by veth to a namespace for the code under test.
#pragma once

#include "tests/netns/netns_support.h"

#include <string>
#include <vector>

namespace ipsecd::test {

// Files charon authenticates with, copied into its own swanctl directory (the one SWANCTL_DIR names for
// swanctl) before `swanctl --load-all`; swanctl.conf refers to them by file name.
struct CharonCredentials {
  std::vector<std::string> certificates;  // x509/: its end-entity certificate
  std::vector<std::string> private_keys;  // private/: the matching key
  std::vector<std::string> cas;           // x509ca/: the CAs it trusts, and the intermediates it sends
};

// Namespace OURS holds 192.0.2.1/24, charon's holds 192.0.2.2/24 (TEST-NET-1), joined by veth. The
// destructor stops charon and deletes both namespaces, also when a test failed; a run that was killed is
// cleaned up by the next one (charon_netns.sh ends processes left in namespaces of the same name).
class CharonPeer {
 public:
  static constexpr const char* kOurNamespace = "ipsecd-ec-ours";
  static constexpr const char* kCharonNamespace = "ipsecd-ec-charon";

  // Starts charon with `swanctl_conf` (connections and secrets) and `credentials` loaded.
  explicit CharonPeer(const std::string& swanctl_conf, const CharonCredentials& credentials = {});
  ~CharonPeer();
  CharonPeer(const CharonPeer&) = delete;
  CharonPeer& operator=(const CharonPeer&) = delete;

  // Empty when charon is up; else what went wrong.
  const std::string& error() const { return error_; }
  CommandResult swanctl(const std::string& arguments) const;
  // charon's file log (ike level 4).
  std::string log() const;

 private:
  std::string script_;
  std::string dir_;
  std::string error_;
};

}  // namespace ipsecd::test
