// The control protocol (JSON lines, version 1): requests, responses, events and the result schemas that
// `ipsecctl --json` prints. PROTOCOL.md is the reference; change both together and bump the version.
#pragma once

#include "common/expected.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ipsecd::ctl {

inline constexpr int protocol_version = 1;
inline constexpr std::string_view default_socket_path = "/run/ipsecd/ctl.sock";
// Longest line either side accepts, newline excluded; a longer one is a protocol error.
inline constexpr std::size_t max_line_bytes = 64 * 1024;

// ---- errors ----

enum class ErrorCode : uint8_t {
  bad_request,          // not a JSON object, a missing or mistyped member, an unknown argument, too long
  unknown_command,      // "cmd" names no command of this version
  unsupported_version,  // "v" is not a version this server speaks
  not_found,            // no connection or CHILD_SA of that name
  failed,               // the peer or the kernel refused; the message carries their reason
  timeout,              // a --wait ran out before the SA was up or down
  busy,                 // too many clients, or too many requests of this client still unanswered
  denied,               // the peer's credentials do not allow use of the socket
};

std::string_view name(ErrorCode code);
std::optional<ErrorCode> parse_error_code(std::string_view text);

struct Error {
  ErrorCode code{};
  std::string message;
  bool operator==(const Error&) const = default;
};

// ---- requests ----

enum class Command : uint8_t { version, status, up, down, reload, subscribe };

std::string_view name(Command command);
std::optional<Command> parse_command(std::string_view text);

struct UpArgs {
  std::string conn;
  std::optional<std::string> child;      // default: every CHILD_SA of the connection
  std::optional<uint32_t> wait_seconds;  // answer once the CHILD_SA is installed, or time out
  bool operator==(const UpArgs&) const = default;
};

struct DownArgs {
  std::string conn;
  std::optional<uint32_t> wait_seconds;  // answer once the IKE SAs are gone, or time out
  bool operator==(const DownArgs&) const = default;
};

struct ReloadArgs {
  bool dry_run = false;
  bool operator==(const ReloadArgs&) const = default;
};

// Which alternative is set follows `command`: UpArgs for up, DownArgs for down, ReloadArgs for reload,
// std::monostate for the others.
using RequestArgs = std::variant<std::monostate, UpArgs, DownArgs, ReloadArgs>;

struct Request {
  uint64_t id = 0;
  Command command{};
  RequestArgs args;
  bool operator==(const Request&) const = default;
};

// Why a line is not a valid request, with the request's id when it could be read (the error response
// carries it, so a client can match it).
struct RequestError {
  std::optional<uint64_t> id;
  Error error;
};

// Strict: every member's type is checked and unknown arguments are refused. Never throws.
Expected<Request, RequestError> parse_request(std::string_view line);
// One line without the trailing newline.
std::string encode_request(const Request& request);

// ---- result schemas (the "result" member of a successful response) ----

struct Version {
  std::string daemon;   // "ipsecd"
  std::string version;  // the daemon's release, e.g. "0.1.0"
  int protocol = protocol_version;
  bool operator==(const Version&) const = default;
};

// A configured connection.
struct ConnectionInfo {
  std::string name;
  std::vector<std::string> local_addrs;
  std::vector<std::string> remote_addrs;
  std::vector<std::string> children;  // names of its CHILD_SA sections
  bool operator==(const ConnectionInfo&) const = default;
};

// One installed CHILD_SA (an inbound and an outbound kernel SA). SPIs are 8 lowercase hex digits.
struct ChildSaInfo {
  std::string name;
  uint64_t unique_id = 0;
  std::string state;     // e.g. "installed", "rekeying", "deleting"
  std::string mode;      // "tunnel" or "transport"
  std::string protocol;  // "ESP", "AH" or "ESP+AH"
  std::string spi_in;
  std::string spi_out;
  std::string encryption;  // e.g. "aes256gcm16"; empty for AH
  std::string integrity;   // e.g. "sha256"; empty for AEAD
  bool esn = false;
  std::vector<std::string> local_ts;  // "192.0.2.0/24", "10.0.0.1/32[tcp/443]"
  std::vector<std::string> remote_ts;
  std::optional<int64_t> rekey_in_seconds;  // null when no rekey is scheduled
  std::optional<int64_t> life_in_seconds;   // null when the SA has no hard lifetime
  std::optional<uint64_t> bytes_left;       // before the hard byte limit; null when there is none
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  uint32_t overhead_bytes = 0;  // bytes each packet gains (headers, IV, padding at worst, ICV)
  uint32_t mss_1500 = 0;        // TCP MSS that fits a 1500-byte path through this SA
  bool operator==(const ChildSaInfo&) const = default;
};

struct IkeSaInfo {
  std::string connection;
  uint64_t unique_id = 0;
  std::string state;  // e.g. "connecting", "established", "rekeying", "deleting"
  std::string role;   // "initiator" or "responder"
  std::string local;  // "address:port", "[IPv6 address]:port"
  std::string remote;
  std::string local_id;
  std::string remote_id;
  std::string proposal;  // keyword form, e.g. "aes256gcm16-prfsha256-x25519"
  int64_t established_seconds = 0;
  std::optional<int64_t> rekey_in_seconds;
  bool nat_local = false;   // we are behind a NAT (RFC 7296 §2.23)
  bool nat_remote = false;  // the peer is behind a NAT
  std::vector<ChildSaInfo> children;
  bool operator==(const IkeSaInfo&) const = default;
};

struct Status {
  std::vector<ConnectionInfo> connections;
  std::vector<IkeSaInfo> ike_sas;
  // Daemon-wide counters by name (PROTOCOL.md): datagrams, drops by reason, kernel events.
  std::map<std::string, uint64_t> counters;
  bool operator==(const Status&) const = default;
};

struct UpResult {
  std::string connection;
  uint64_t ike_sa = 0;                // unique id of the IKE SA that carries (or will carry) the children
  std::vector<std::string> children;  // CHILD_SAs installed when the answer was given
  bool completed = false;             // true when answered after installation (a wait), false when started
  bool operator==(const UpResult&) const = default;
};

struct DownResult {
  std::string connection;
  std::vector<uint64_t> ike_sas;  // unique ids of the IKE SAs being (or that were) deleted
  bool completed = false;         // true when answered after they were gone (a wait)
  bool operator==(const DownResult&) const = default;
};

struct ReloadResult {
  std::vector<std::string> added;  // connection names
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  bool applied = false;  // false for a dry run
  bool operator==(const ReloadResult&) const = default;
};

// The result of "subscribe": events follow on the same connection.
struct Subscribed {
  bool operator==(const Subscribed&) const = default;
};

// ---- events (after "subscribe") ----

enum class EventType : uint8_t {
  ike_up,
  ike_down,
  ike_rekeyed,
  ike_failed,
  child_up,
  child_down,
  child_rekeyed,
  child_failed,
};

std::string_view name(EventType type);
std::optional<EventType> parse_event_type(std::string_view text);

struct Event {
  EventType type{};
  std::string connection;
  std::optional<uint64_t> ike_sa;     // the IKE SA's unique id (the new one for ike_rekeyed)
  std::optional<std::string> child;   // the CHILD_SA's name, for child_* events
  std::optional<std::string> reason;  // why it failed or went down, as the peer or the kernel said it
  int64_t time = 0;                   // seconds since the Unix epoch
  bool operator==(const Event&) const = default;
};

// ---- responses ----

struct Response {
  std::optional<uint64_t> id;  // absent only on an error for a line whose id could not be read
  std::variant<nlohmann::json, Error> outcome;  // the result object, or the error
  bool ok() const { return outcome.index() == 0; }
};

// One line from the server: a response or an event.
using ServerLine = std::variant<Response, Event>;

// Lines without the trailing newline. Strings that are not valid UTF-8 (a peer's identity may be any
// bytes) are encoded with U+FFFD in place of the bad bytes, never an exception.
std::string encode_response(const Response& response);
std::string encode_result(uint64_t id, const nlohmann::json& result);
std::string encode_error(const std::optional<uint64_t>& id, const Error& error);
std::string encode_event(const Event& event);
// Never throws; an error names what is wrong with the line.
Expected<ServerLine, std::string> parse_server_line(std::string_view line);

// ---- JSON conversions (nlohmann ADL); from_json throws nlohmann::json::exception on a wrong shape ----

void to_json(nlohmann::json& j, const Version& v);
void from_json(const nlohmann::json& j, Version& v);
void to_json(nlohmann::json& j, const ConnectionInfo& v);
void from_json(const nlohmann::json& j, ConnectionInfo& v);
void to_json(nlohmann::json& j, const ChildSaInfo& v);
void from_json(const nlohmann::json& j, ChildSaInfo& v);
void to_json(nlohmann::json& j, const IkeSaInfo& v);
void from_json(const nlohmann::json& j, IkeSaInfo& v);
void to_json(nlohmann::json& j, const Status& v);
void from_json(const nlohmann::json& j, Status& v);
void to_json(nlohmann::json& j, const UpResult& v);
void from_json(const nlohmann::json& j, UpResult& v);
void to_json(nlohmann::json& j, const DownResult& v);
void from_json(const nlohmann::json& j, DownResult& v);
void to_json(nlohmann::json& j, const ReloadResult& v);
void from_json(const nlohmann::json& j, ReloadResult& v);
void to_json(nlohmann::json& j, const Subscribed& v);
void from_json(const nlohmann::json& j, Subscribed& v);
void to_json(nlohmann::json& j, const Event& v);
void from_json(const nlohmann::json& j, Event& v);

// A result object read back as its schema type, for clients. Never throws.
template <typename T>
Expected<T, std::string> result_as(const nlohmann::json& result) {
  try {
    return result.get<T>();
  } catch (const nlohmann::json::exception& e) {
    return unexpected(std::string("result does not match its schema: ") + e.what());
  }
}

}  // namespace ipsecd::ctl
