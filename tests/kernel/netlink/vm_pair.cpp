// Namespaces, SA/policy installation through netlink/, ping/UDP traffic and iproute2 counter parsing in the VM.
#include "tests/kernel/netlink/vm_pair.h"

#include "netlink/kernel_algorithms.h"
#include "netlink/policy_priority.h"
#include "tests/netns/netns_support.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace ipsecd::test {

using namespace netlink;

IpAddress address(const char* text) { return *IpAddress::parse(text); }

Selector host_selector(const char* src, const char* dst, uint8_t protocol) {
  return {Prefix::host(address(src)), Prefix::host(address(dst)), protocol, 0, 0};
}

Selector subnet_selector(const char* src, const char* dst) { return {*Prefix::parse(src), *Prefix::parse(dst), 0, 0, 0}; }

Selector reversed(const Selector& s) { return {s.dst, s.src, s.protocol, s.dst_port, s.src_port}; }

namespace {

// Distinct, fixed test keys per direction.
SecretBytes test_key(size_t size, uint8_t seed) {
  SecretBytes key(size);
  for (size_t i = 0; i < size; ++i) key[i] = static_cast<uint8_t>(seed + i * 7);
  return key;
}

std::string ns_exec(const std::string& ns) { return "nsenter --net=/run/netns/" + ns + " "; }

}  // namespace

SaSpec make_sa(const char* src, const char* dst, uint32_t spi, IpsecProtocol protocol, IpsecMode mode,
               const Transform& transform) {
  SaSpec sa;
  sa.src = address(src);
  sa.dst = address(dst);
  sa.spi = spi;
  sa.mode = mode;
  sa.reqid = kReqid;
  const auto seed = static_cast<uint8_t>(spi);
  if (protocol == IpsecProtocol::Ah) {
    (void)set_ah_algorithm(sa, transform.integrity, test_key(transform.integrity_key, seed));
  } else {
    (void)set_esp_algorithms(sa, transform.encryption, test_key(transform.encryption_key, seed),
                             transform.integrity, test_key(transform.integrity_key, static_cast<uint8_t>(seed + 1)));
  }
  return sa;
}

VmPair::VmPair() {
  const std::string& ipc = ip();
  const std::string setup =
      ipc + " netns add left && " + ipc + " netns add right && " + ipc +
      " link add veth-l netns left type veth peer name veth-r netns right && " + ipc +
      " -n left addr add 192.0.2.1/24 dev veth-l && " + ipc + " -n right addr add 192.0.2.2/24 dev veth-r && " + ipc +
      " -n left addr add 2001:db8::1/64 dev veth-l nodad && " + ipc +
      " -n right addr add 2001:db8::2/64 dev veth-r nodad && " + ipc + " -n left link set lo up && " + ipc +
      " -n right link set lo up && " + ipc + " -n left link set veth-l up && " + ipc +
      " -n right link set veth-r up && " + ipc + " -n left addr add 198.51.100.1/32 dev lo && " + ipc +
      " -n right addr add 203.0.113.1/32 dev lo && " + ipc +
      " -n left route add 203.0.113.0/24 via 192.0.2.2 src 198.51.100.1 && " + ipc +
      " -n right route add 198.51.100.0/24 via 192.0.2.1 src 203.0.113.1";
  if (const auto r = run(setup); r.status != 0) {
    error_ = "namespace setup failed: " + r.output;
    return;
  }
  for (auto [name, slot] : {std::pair{"left", &left_}, std::pair{"right", &right_}}) {
    EnterNetns in(name);
    if (!in.error().empty()) {
      error_ = in.error();
      return;
    }
    auto x = Xfrm::open();
    if (!x) {
      error_ = x.error().message;
      return;
    }
    slot->emplace(std::move(*x));
  }
}

VmPair::~VmPair() {
  left_.reset();
  right_.reset();
  run(ip() + " netns del left; " + ip() + " netns del right");
}

bool VmPair::add_sa_pair(const char* src, const char* dst, IpsecProtocol protocol, IpsecMode mode,
                         const Transform& transform, std::string& why) {
  for (Xfrm* x : {&left(), &right()}) {
    for (const auto& sa : {make_sa(src, dst, kSpiLeftToRight, protocol, mode, transform),
                           make_sa(dst, src, kSpiRightToLeft, protocol, mode, transform)}) {
      if (auto r = x->add_sa(sa); !r) {
        why = r.error().message;
        return false;
      }
    }
  }
  return true;
}

bool VmPair::add_policies(const Selector& left_to_right, bool esp, bool ah, IpsecMode mode, const char* outer_left,
                          const char* outer_right, std::string& why) {
  const auto l = address(outer_left);
  const auto r = address(outer_right);
  struct Entry {
    Xfrm* xfrm;
    Selector selector;
    PolicyDirection direction;
    IpAddress src, dst;
  };
  const Entry entries[] = {
      {&left(), left_to_right, PolicyDirection::Out, l, r},
      {&left(), reversed(left_to_right), PolicyDirection::In, r, l},
      {&right(), reversed(left_to_right), PolicyDirection::Out, r, l},
      {&right(), left_to_right, PolicyDirection::In, l, r},
  };
  for (const auto& e : entries) {
    PolicySpec p;
    p.selector = e.selector;
    p.direction = e.direction;
    p.templates = bundle_templates(esp, ah, mode, e.src, e.dst, kReqid);
    if (auto result = e.xfrm->add_policy(p); !result) {
      why = result.error().message;
      return false;
    }
  }
  return true;
}

bool ping(const std::string& ns, const std::string& dst, int count, std::string& output, const std::string& extra) {
  const auto r = run(ns_exec(ns) + fmt::format("ping -c {} -i 0.2 -W 5 {} {}", count, extra, dst));
  output = r.output;
  return r.status == 0 &&
         r.output.find(fmt::format("{} packets transmitted, {} packets received", count, count)) != std::string::npos;
}

bool udp_roundtrip(const std::string& ns_from, const char* src, const std::string& ns_to, const char* dst,
                   uint16_t port, std::string& why) {
  const auto from = address(src);
  const auto to = address(dst);
  const int family = to.family;
  auto make = [&](const IpAddress& a, uint16_t p, sockaddr_storage& ss) -> socklen_t {
    std::memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
      s4->sin_family = AF_INET;
      s4->sin_port = htons(p);
      std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
      return sizeof(sockaddr_in);
    }
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(p);
    std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  };
  int receiver = -1;
  int sender = -1;
  {
    EnterNetns in(ns_to);
    receiver = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  {
    EnterNetns in(ns_from);
    sender = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  sockaddr_storage local{};
  sockaddr_storage remote{};
  const socklen_t local_len = make(from, 0, local);
  const socklen_t remote_len = make(to, port, remote);
  bool ok = false;
  const char message[] = "ipsecd netlink kernel test";
  char got[64] = {};
  if (receiver < 0 || sender < 0) {
    why = "socket: " + std::string(std::strerror(errno));
  } else if (bind(receiver, reinterpret_cast<sockaddr*>(&remote), remote_len) != 0 ||
             bind(sender, reinterpret_cast<sockaddr*>(&local), local_len) != 0) {
    why = "bind: " + std::string(std::strerror(errno));
  } else {
    // The first datagram may be queued behind neighbour discovery; retry a few times.
    for (int attempt = 0; attempt < 5 && !ok; ++attempt) {
      sendto(sender, message, sizeof message, 0, reinterpret_cast<sockaddr*>(&remote), remote_len);
      pollfd pfd{receiver, POLLIN, 0};
      if (poll(&pfd, 1, 1000) == 1) {
        const auto n = recv(receiver, got, sizeof got, 0);
        ok = n == static_cast<ssize_t>(sizeof message) && std::memcmp(got, message, sizeof message) == 0;
      }
    }
    if (!ok) why = fmt::format("no UDP datagram {} -> {}:{} arrived", src, dst, port);
  }
  if (receiver >= 0) close(receiver);
  if (sender >= 0) close(sender);
  return ok;
}

IpCounters ip_counters(const std::string& ns, const char* src, const char* dst, const char* proto, uint32_t spi) {
  const auto r = run(fmt::format("{} -n {} -s xfrm state get src {} dst {} proto {} spi {:#x}", ip(), ns, src, dst,
                                 proto, spi));
  IpCounters c;
  const auto at = r.output.find("lifetime current:");
  if (at == std::string::npos) return c;
  std::istringstream rest(r.output.substr(at + std::strlen("lifetime current:")));
  std::string bytes;
  std::string packets;
  rest >> bytes >> packets;
  // "1234(bytes)," "3(packets)"
  try {
    c.bytes = std::stoll(bytes);
    c.packets = std::stoll(packets);
  } catch (const std::exception&) {
    return {};
  }
  return c;
}

}  // namespace ipsecd::test
