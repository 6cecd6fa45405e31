// strongSwan 5.9.8's charon as the interop peer: swanctl.conf from the PeerSetup, charon in the peer's
// namespace, swanctl (vici) to load, initiate and list.
#pragma once

#include "tests/interop/peer.h"

#include <sys/types.h>

#include <string>

namespace ipsecd::test {

class StrongswanPeer : public Peer {
 public:
  ~StrongswanPeer() override { stop(); }
  std::string name() const override { return "strongSwan 5.9.8"; }
  std::string unsupported(const InteropCase& c) const override;
  bool start(const PeerSetup& setup, std::string& why) override;
  bool initiate(std::string& why) override;
  PeerView view() const override;
  void stop() override;
  std::string log() const override;

 private:
  // `swanctl ARGS` against this charon's vici socket, with its strongswan.conf and credential directory.
  std::string swanctl(const std::string& args, int* status = nullptr) const;

  PeerSetup setup_;
  pid_t pid_ = -1;
};

// The CHILD_SAs and IKE SA state in `swanctl --list-sas` output (the pretty form): installed CHILD_SAs only.
PeerView parse_swanctl_list_sas(const std::string& output);

}  // namespace ipsecd::test
