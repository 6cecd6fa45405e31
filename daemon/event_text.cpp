// Text for the engine's events: SA labels, SPIs, selector lists, failures and their log levels.
#include "daemon/event_text.h"

#include "daemon/ike/ikev2/traffic_selectors.h"

#include <fmt/format.h>

#include <type_traits>

namespace ipsecd::daemon {

namespace {

std::string join(const std::vector<ikev2::Selector>& selectors) {
  std::string out;
  for (const auto& s : selectors) {
    if (!out.empty()) out += ",";
    out += ikev2::format_selector(s);
  }
  return out.empty() ? "-" : out;
}

std::string_view role_text(ikev2::IkeRole role) {
  return role == ikev2::IkeRole::initiator ? "initiator" : "responder";
}

std::string ike_label(std::string_view label, std::string_view connection) {
  return fmt::format("ike[{}] {}:", label, connection.empty() ? "(no connection)" : connection);
}

std::string child_label(std::string_view label, std::string_view connection, std::string_view child) {
  return fmt::format("child[{}] {}/{}:", label, connection, child);
}

}  // namespace

std::string spi_text(uint32_t spi) { return fmt::format("0x{:08x}", spi); }

std::string failure_text(const ikev2::Failure& failure) {
  std::string out(ikev2::name(failure.reason));
  if (!failure.detail.empty()) out += ": " + failure.detail;
  // The peer's notify, unless the detail already names it.
  if (failure.peer_notify && failure.detail.find(iana::name(*failure.peer_notify)) == std::string::npos) {
    out += fmt::format(" (peer: {})", iana::name(*failure.peer_notify));
  }
  return out;
}

LogLine describe(const ikev2::Event& event, std::string_view label, std::string_view auth) {
  return std::visit(
      [&](const auto& e) -> LogLine {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ikev2::IkeSaEstablished>) {
          return {LogLevel::notice,
                  fmt::format("{} established {} <-> {} as {}, {} <-> {} ({}, {})", ike_label(label, e.connection),
                              e.local.to_string(), e.remote.to_string(), role_text(e.role),
                              ikev2::to_string(e.local_id), ikev2::to_string(e.remote_id), auth,
                              ikev2::to_string(e.transforms))};
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaFailed>) {
          return {LogLevel::warning, fmt::format("{} failed as {}: {}", ike_label(label, e.connection),
                                                 role_text(e.role), failure_text(e.failure))};
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaDeleted>) {
          return {LogLevel::notice,
                  fmt::format("{} deleted{}", ike_label(label, e.connection), e.by_peer ? " by the peer" : "")};
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaRekeyed>) {
          return {LogLevel::info, fmt::format("{} rekeyed: replaces ike[{}] ({})", ike_label(label, e.connection),
                                              e.old_ike_sa, ikev2::to_string(e.transforms))};
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaInstalled>) {
          return {LogLevel::notice,
                  fmt::format("{} installed {} SPIs in {} out {} reqid {} {} mode, {} === {} ({})",
                              child_label(label, e.connection, e.child), iana::name(e.transforms.protocol),
                              spi_text(e.spi_in), spi_text(e.spi_out), e.reqid,
                              e.mode == ikev2::IpsecMode::tunnel ? "tunnel" : "transport", join(e.local_ts),
                              join(e.remote_ts), ikev2::to_string(e.transforms))};
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaFailed>) {
          const auto level =
              e.failure.reason == ikev2::FailureReason::kernel_refused ? LogLevel::error : LogLevel::warning;
          return {level, fmt::format("{} failed: {}", child_label(label, e.connection, e.child),
                                     failure_text(e.failure))};
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaDeleted>) {
          return {LogLevel::info, fmt::format("{} deleted SPIs in {} out {}", child_label(label, e.connection, e.child),
                                              spi_text(e.spi_in), spi_text(e.spi_out))};
        } else {
          static_assert(std::is_same_v<T, ikev2::ChildSaRekeyed>);
          return {LogLevel::info, fmt::format("{} rekeyed: SPI in {} replaces {}",
                                              child_label(label, e.connection, e.child), spi_text(e.new_spi_in),
                                              spi_text(e.old_spi_in))};
        }
      },
      event);
}

}  // namespace ipsecd::daemon
