// Log lines for the engine's events: one line each, labelled ike[ID] CONN or child[ID.N] CONN/CHILD, with
// the level that fits under systemd. Never key material: events carry none.
#pragma once

#include "daemon/ike/ikev2/events.h"
#include "daemon/log.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace ipsecd::daemon {

struct LogLine {
  LogLevel level = LogLevel::info;
  std::string text;
};

// "0x0a1b2c3d".
std::string spi_text(uint32_t spi);
// "kernel refused: add SA: ... (errno 93)", "no proposal chosen (peer: NO_PROPOSAL_CHOSEN)": the reason, its
// detail, and the peer's error notify when the detail does not name it already.
std::string failure_text(const ikev2::Failure& failure);

// `label` comes from SaRegistry::apply; `auth` names how the IKE SA authenticated (for IkeSaEstablished:
// "PSK", "pubkey").
LogLine describe(const ikev2::Event& event, std::string_view label, std::string_view auth);

}  // namespace ipsecd::daemon
