// The Libreswan 4.10 peer of the interop matrix: pluto configured by an ipsec.conf, an ipsec.secrets and an
// NSS database in the case's work directory, driven and read with whack.
#pragma once

#include "tests/interop/peer.h"

#include <string>

namespace ipsecd::test {

// The binaries in the guest (tests/interop/stage/libreswan.sh puts them there).
struct LibreswanTools {
  std::string pluto = "/opt/ipsecd/bin/pluto";
  std::string whack = "/opt/ipsecd/bin/whack";
  std::string certutil = "/opt/ipsecd/bin/certutil";
  std::string pk12util = "/opt/ipsecd/bin/pk12util";
  std::string openssl = "/opt/ipsecd/bin/openssl";
};

class LibreswanPeer : public Peer {
 public:
  explicit LibreswanPeer(LibreswanTools tools = {}) : tools_(std::move(tools)) {}
  ~LibreswanPeer() override { stop(); }

  std::string name() const override { return "Libreswan 4.10"; }
  std::string unsupported(const InteropCase& c) const override;
  bool start(const PeerSetup& setup, std::string& why) override;
  bool initiate(std::string& why) override;
  PeerView view() const override;
  void stop() override;
  std::string log() const override;

  // The ipsec.conf for `setup` (public so a unit test could read it; start() writes it).
  static std::string config(const PeerSetup& setup);

 private:
  std::string whack(const std::string& args) const;
  bool make_nss_database(std::string& why) const;
  std::string ctl_socket() const { return setup_.work_dir + "/run/pluto.ctl"; }
  std::string log_file() const { return setup_.work_dir + "/pluto.log"; }

  LibreswanTools tools_;
  PeerSetup setup_;
  bool started_ = false;
};

// What `whack --trafficstatus` and `whack --showstates` print, read into a PeerView: the IKE SA is
// established when a state is STATE_V2_ESTABLISHED_IKE_SA; a CHILD_SA counts when trafficstatus lists its
// state number and showstates gives its SPIs ("esp.SPI@DST"; the one addressed to `own_address` is inbound).
PeerView parse_whack(const std::string& trafficstatus, const std::string& showstates,
                     const std::string& own_address);

}  // namespace ipsecd::test
