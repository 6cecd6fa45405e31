// Helpers for the configuration tests: a temporary directory with config files and the test PKI in it.
#pragma once

#include "daemon/config/load_config.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ipsecd::test {

namespace fs = std::filesystem;

inline fs::path source_dir() { return fs::path(IPSECD_FIXTURES_DIR).parent_path().parent_path(); }

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ipsecd-config-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

  fs::path write(const std::string& name, const std::string& content) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
    return file;
  }

  void copy(const fs::path& from, const std::string& name) const {
    const fs::path to = path_ / name;
    fs::create_directories(to.parent_path());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  }

  // The names the certificate example uses: ee-ecdsa is the gateway.
  void install_pki() const {
    const fs::path pki = fs::path(IPSECD_FIXTURES_DIR) / "pki";
    copy(pki / "ee-ecdsa.pem", "certs/gateway.pem");
    copy(pki / "intermediate-ca.pem", "certs/intermediate-ca.pem");
    copy(pki / "root-ca.pem", "certs/root-ca.pem");
    copy(pki / "intermediate-ca.crl.pem", "crls/intermediate-ca.crl.pem");
    copy(pki / "ee-ecdsa.key.pem", "private/gateway.key.pem");
  }

 private:
  fs::path path_;
};

inline std::string describe(const std::vector<config::ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += config::to_string(e) + "\n";
  return out;
}

// Loads and requires success, printing the errors otherwise.
inline std::shared_ptr<const config::DaemonConfig> load_ok(const fs::path& file) {
  auto loaded = config::load_config(file);
  INFO((loaded ? std::string() : describe(loaded.error())));
  REQUIRE(loaded.has_value());
  return *loaded;
}

inline std::vector<config::ConfigError> load_errors(const fs::path& file) {
  auto loaded = config::load_config(file);
  REQUIRE_FALSE(loaded.has_value());
  return loaded.error();
}

// Whether one error is at `file`:`line` and its reason contains `reason`.
inline bool has_error(const std::vector<config::ConfigError>& errors, const fs::path& file, unsigned line,
                      const std::string& reason) {
  for (const auto& e : errors) {
    if (e.file == file && e.line == line && e.reason.find(reason) != std::string::npos) return true;
  }
  return false;
}

}  // namespace ipsecd::test
