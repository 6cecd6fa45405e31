// CharonPeer: a scratch directory and tests/netns/charon_peer.sh calls for start, swanctl and stop.
#include "tests/netns/charon_peer.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <stdlib.h>

namespace ipsecd::test {

namespace {

// Copies `files` into DIR/SUBDIR under their own names; the first failure, or empty.
std::string copy_into(const std::string& dir, const char* subdir, const std::vector<std::string>& files) {
  const std::filesystem::path target = std::filesystem::path(dir) / subdir;
  std::error_code error;
  std::filesystem::create_directories(target, error);
  for (const auto& file : files) {
    if (error) break;
    std::filesystem::copy_file(file, target / std::filesystem::path(file).filename(), error);
  }
  return error ? "cannot copy into " + target.string() + ": " + error.message() : std::string();
}

}  // namespace

CharonPeer::CharonPeer(const std::string& swanctl_conf, const CharonCredentials& credentials)
    : script_(std::string(IPSECD_SOURCE_DIR) + "/tests/netns/charon_peer.sh") {
  std::string pattern = "/tmp/ipsecd-charon-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = pattern;
  std::ofstream(dir_ + "/swanctl.conf") << swanctl_conf;
  for (const auto& [subdir, files] : {std::pair{"x509", &credentials.certificates},
                                      std::pair{"private", &credentials.private_keys},
                                      std::pair{"x509ca", &credentials.cas}}) {
    error_ = copy_into(dir_, subdir, *files);
    if (!error_.empty()) return;
  }
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
