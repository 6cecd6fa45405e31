// DaemonNamespaces, ScratchDir and DaemonProcess: fork/exec of ipsecd through `ip netns exec`, log polling.
#include "tests/netns/daemon_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace ipsecd::test {

const char* ipsecd_binary() { return IPSECD_BINARY; }

DaemonNamespaces::DaemonNamespaces() {
  run(ip() + " netns del " + kA);
  run(ip() + " netns del " + kB);
  const std::string a = ip() + " -n " + kA;
  const std::string b = ip() + " -n " + kB;
  const auto setup = run(ip() + " netns add " + kA + " && " + ip() + " netns add " + kB + " && " + a +
                         " link add dm-a type veth peer name dm-b netns " + kB + " && " + a +
                         " addr add 192.0.2.1/24 dev dm-a && " + b + " addr add 192.0.2.2/24 dev dm-b && " + a +
                         " link set dm-a up && " + b + " link set dm-b up && " + a + " link set lo up && " + b +
                         " link set lo up");
  if (setup.status != 0) error_ = "namespace setup failed: " + setup.output;
}

DaemonNamespaces::~DaemonNamespaces() {
  run(ip() + " netns del " + kA);
  run(ip() + " netns del " + kB);
}

ScratchDir::ScratchDir() {
  std::string pattern = "/tmp/ipsecd-daemon-test-XXXXXX";
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (!path_.empty()) run("rm -rf '" + path_ + "'");
}

std::string ScratchDir::write(const std::string& name, const std::string& text) const {
  const std::string file = path_ + "/" + name;
  std::ofstream(file) << text;
  return file;
}

DaemonProcess::DaemonProcess(const std::string& network_namespace, const std::string& config_file,
                             const std::string& log_file)
    : log_file_(log_file) {
  const std::string ip_path = ip();
  std::vector<std::string> args{ip_path,         "netns",       "exec",  network_namespace, ipsecd_binary(),
                                "--foreground",  "--log-level", "debug", "--config",        config_file};
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) _exit(127);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    // Not under systemd, whatever the test runner's environment says.
    unsetenv("NOTIFY_SOCKET");
    unsetenv("JOURNAL_STREAM");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
}

DaemonProcess::~DaemonProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string DaemonProcess::log() const {
  std::ifstream in(log_file_);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

bool DaemonProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return false;
  }
  return true;
}

bool DaemonProcess::wait_for_log(const std::string& text, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (log().find(text) != std::string::npos) return true;
    if (!running() || std::chrono::steady_clock::now() >= end) return log().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void DaemonProcess::signal(int signal_number) const {
  if (pid_ > 0) kill(pid_, signal_number);
}

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (running()) {
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

}  // namespace ipsecd::test
