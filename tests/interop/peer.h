// The interface every real peer implementation (strongSwan, Libreswan, OpenIKED) offers the interop runner:
// configure and start it in its namespace, let it initiate, and read back what its own tool says.
#pragma once

#include "tests/interop/interop_case.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ipsecd::test {

// Everything a peer needs to mirror ipsecd's side of one case. The runner fills it in; the peer translates
// it into its own configuration syntax. Connection name "gw", child name "net" where the peer names them.
struct PeerSetup {
  InteropCase c;
  std::string ns;            // the peer's network namespace (already made, addresses and routes in place)
  std::string work_dir;      // an empty scratch directory for the peer's files, in the guest
  std::string address;       // the peer's IKE address (192.0.2.2)
  std::string ipsecd_address;  // ipsecd's (192.0.2.1)
  // Traffic selectors as prefixes: the peer's LAN and ipsecd's LAN in tunnel mode, the two IKE addresses
  // as /32 in transport mode.
  std::string local_ts, remote_ts;
  std::string local_id, remote_id;  // FQDNs: ids of PSK cases, the certificates' DNS names otherwise
  std::string psk;                  // psk cases only: the ASCII pre-shared key
  // Certificate cases only, PEM files in the guest: the peer's end-entity certificate and its unencrypted
  // PKCS#8 key, the intermediate CA that issued both sides' certificates, and the root CA both trust.
  std::string certificate, private_key, intermediate_ca, root_ca;
  // Algorithms both sides are configured with: IKE AES-CBC-256, HMAC-SHA2-256-128, PRF-HMAC-SHA2-256,
  // DH group 19 (ecp256); ESP AES-CBC-256 with HMAC-SHA2-256-128 (or what Peer::esp_proposal() names), no
  // PFS. The peer's lifetimes must be long (an hour or more): the rekeys a case checks are ipsecd's, on its
  // short lifetimes.
};

// What the peer's own tool (swanctl --list-sas, ipsec whack --trafficstatus, ikectl show sa) shows.
struct PeerView {
  bool ike_established = false;  // an established IKE SA with ipsecd
  struct Child {
    uint32_t inbound_spi = 0;   // the SPI the peer receives with (ipsecd's outbound)
    uint32_t outbound_spi = 0;  // the SPI the peer sends with (ipsecd's inbound)
  };
  std::vector<Child> children;  // installed CHILD_SAs with ipsecd
  std::string raw;              // the tool's output, for failure messages
};

class Peer {
 public:
  virtual ~Peer() = default;
  // Product and version, as the matrix prints it ("strongSwan 5.9.8").
  virtual std::string name() const = 0;
  // Empty when the peer can do this case; else why not, printed as "n/a (peer): REASON".
  virtual std::string unsupported(const InteropCase& c) const = 0;
  // The ESP proposal both sides use, in ipsecd's keyword form. A peer whose kernel interface cannot install
  // the default (OpenIKED's PF_KEY on Linux has no HMAC-SHA2-256-128) names one it can.
  virtual std::string esp_proposal() const { return "aes256-sha256"; }
  // Extra lines for ipsecd's [daemon] section in this peer's cases ("key = value\n" each): settings a
  // peer's known quirk needs, each explained where the peer returns it.
  virtual std::string ipsecd_daemon_settings() const { return {}; }
  // Writes the configuration for `setup`, starts the peer's daemon in setup.ns and waits until it accepts
  // connections. False, with the reason, when it did not come up.
  virtual bool start(const PeerSetup& setup, std::string& why) = 0;
  // Has the peer initiate the connection; returns once its tool shows the CHILD_SA installed, or false with
  // the reason after a bounded wait (20 s).
  virtual bool initiate(std::string& why) = 0;
  virtual PeerView view() const = 0;
  // Stops the daemon and removes whatever kernel state it left; harmless when it is not running.
  virtual void stop() = 0;
  // The daemon's log for failure messages (the last ~100 lines are enough).
  virtual std::string log() const = 0;
};

}  // namespace ipsecd::test
