// OpenIKED 7.2 (iked, ikectl) as the interop peer: writes iked.conf and /etc/iked for a case, runs iked in
// the peer's namespace with privilege separation as packaged, and reads `ikectl show sa` back.
#pragma once

#include "tests/interop/peer.h"

#include <sys/types.h>

#include <string>

namespace ipsecd::test {

// Parses `ikectl show sa`: IKE SAs in state ESTABLISHED, and the CHILD_SAs iked lists under them, each
// "in" SA paired with its "out" partner (the P= field names the partner's address).
PeerView parse_ikectl_show_sa(const std::string& output);

class OpenikedPeer : public Peer {
 public:
  OpenikedPeer();
  ~OpenikedPeer() override;
  OpenikedPeer(const OpenikedPeer&) = delete;
  OpenikedPeer& operator=(const OpenikedPeer&) = delete;

  std::string name() const override;
  std::string unsupported(const InteropCase& c) const override;
  // AES-CBC-256 with HMAC-SHA2-512-256: iked installs SAs through PF_KEY, which has no way to ask for
  // HMAC-SHA2-256 truncated to 128 bits (Linux's PF_KEY sha256 is the pre-RFC 4868 96-bit one, and iked
  // refuses it: "pfkey_sa: unsupported integrity algorithm") and no AEAD ciphers.
  std::string esp_proposal() const override { return "aes256-sha512"; }
  // A short retransmission schedule (about 6 s to give up): iked answers no request of the original
  // responder on an IKE SA it is closing (ikev2_msg_valid_ike_sa admits only INFORMATIONAL requests with the
  // Initiator flag there), so when ipsecd, the original responder, has rekeyed the IKE SA, iked never answers
  // its Delete of the old one (RFC 7296 §2.8), and ipsecd removes that SA when its retransmissions give up.
  std::string ipsecd_daemon_settings() const override {
    return "retransmit_timeout = \"1s\"\nretransmit_tries = 2\n";
  }
  bool start(const PeerSetup& setup, std::string& why) override;
  bool initiate(std::string& why) override;
  PeerView view() const override;
  void stop() override;
  std::string log() const override;

  // The iked.conf text for `setup` (public for the failure messages of the runner and for reading).
  static std::string config(const PeerSetup& setup);

 private:
  bool install_keys(const PeerSetup& setup, std::string& why) const;
  std::string ikectl(const std::string& args, int* status = nullptr) const;
  std::string socket() const { return setup_.work_dir + "/iked.sock"; }
  std::string log_file() const { return setup_.work_dir + "/iked.log"; }

  PeerSetup setup_;
  pid_t pid_ = -1;
};

}  // namespace ipsecd::test
