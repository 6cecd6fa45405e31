// CharonPeer: a scratch directory and tests/netns/charon_peer.sh calls for start, swanctl and stop.
#include "tests/netns/charon_peer.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <stdlib.h>

namespace ipsecd::test {

CharonPeer::CharonPeer(const std::string& swanctl_conf)
    : script_(std::string(IPSECD_SOURCE_DIR) + "/tests/netns/charon_peer.sh") {
  std::string pattern = "/tmp/ipsecd-charon-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = pattern;
  std::ofstream(dir_ + "/swanctl.conf") << swanctl_conf;
  const auto started = run(script_ + " start " + dir_ + " " + kOurNamespace + " " + kCharonNamespace);
  if (started.status != 0) error_ = "charon_peer.sh start failed: " + started.output;
}

CharonPeer::~CharonPeer() {
  (void)run(script_ + " stop " + dir_ + " " + kOurNamespace + " " + kCharonNamespace);
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

CommandResult CharonPeer::swanctl(const std::string& arguments) const {
  return run(script_ + " swanctl " + dir_ + " " + arguments);
}

std::string CharonPeer::log() const {
  std::ifstream in(dir_ + "/charon.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ipsecd::test
