// The daemon-wide counters of a status answer, named as ctl/PROTOCOL.md lists them.
#include "daemon/status_counters.h"

namespace ipsecd::daemon {

std::map<std::string, uint64_t> status_counters(const DaemonCounters& daemon,
                                                const ikev2::EngineCounters& engine,
                                                const IkeSocketCounters& sockets) {
  return {
      {"datagrams_received", sockets.received},
      {"datagrams_sent", sockets.sent},
      {"keepalives_sent", sockets.keepalives_sent},
      {"send_failed", sockets.send_failed},
      {"receive_failed", sockets.receive_failed},
      {"skipped_keepalives", sockets.skipped.keepalives},
      {"skipped_esp", sockets.skipped.esp},
      {"skipped_malformed", sockets.skipped.malformed},
      {"decode_failed", engine.decode_failed},
      {"integrity_failed", engine.integrity_failed},
      {"unknown_spi", engine.unknown_spi},
      {"out_of_window", engine.out_of_window},
      {"unexpected", engine.unexpected},
      {"retransmitted_requests", engine.retransmitted_requests},
      {"retransmitted_responses", engine.retransmitted_responses},
      {"errors_answered", engine.errors_answered},
      {"liveness_checks", engine.liveness_checks},
      {"acquires", daemon.acquires},
      {"acquires_ignored", engine.acquires_ignored},
      {"acquires_unknown", engine.acquires_unknown},
      {"expires", daemon.expires},
      {"foreign_expires", daemon.foreign_expires},
      {"reloads", daemon.reloads},
      {"failed_reloads", daemon.failed_reloads},
  };
}

}  // namespace ipsecd::daemon
