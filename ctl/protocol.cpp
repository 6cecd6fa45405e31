// Encoding and strict parsing of control protocol lines, and the JSON form of each result schema.
#include "ctl/protocol.h"

#include <array>
#include <limits>
#include <set>
#include <utility>

namespace ipsecd::ctl {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 8> error_names{{
    {ErrorCode::bad_request, "bad_request"},
    {ErrorCode::unknown_command, "unknown_command"},
    {ErrorCode::unsupported_version, "unsupported_version"},
    {ErrorCode::not_found, "not_found"},
    {ErrorCode::failed, "failed"},
    {ErrorCode::timeout, "timeout"},
    {ErrorCode::busy, "busy"},
    {ErrorCode::denied, "denied"},
}};

constexpr std::array<std::pair<Command, std::string_view>, 6> command_names{{
    {Command::version, "version"},
    {Command::status, "status"},
    {Command::up, "up"},
    {Command::down, "down"},
    {Command::reload, "reload"},
    {Command::subscribe, "subscribe"},
}};

constexpr std::array<std::pair<EventType, std::string_view>, 8> event_names{{
    {EventType::ike_up, "ike_up"},
    {EventType::ike_down, "ike_down"},
    {EventType::ike_rekeyed, "ike_rekeyed"},
    {EventType::ike_failed, "ike_failed"},
    {EventType::child_up, "child_up"},
    {EventType::child_down, "child_down"},
    {EventType::child_rekeyed, "child_rekeyed"},
    {EventType::child_failed, "child_failed"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, n] : table)
    if (v == value) return n;
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text) {
  for (const auto& [v, n] : table)
    if (n == text) return v;
  return std::nullopt;
}

// One line of JSON; invalid UTF-8 is replaced rather than thrown on.
std::string dump_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Unexpected<RequestError> bad(const std::optional<uint64_t>& id, ErrorCode code, std::string message) {
  return unexpected(RequestError{id, Error{code, std::move(message)}});
}

// The arguments a command takes; any other member besides v, id and cmd is refused so a misspelt
// argument is not silently ignored.
const std::set<std::string>& allowed_args(Command command) {
  static const std::set<std::string> none;
  static const std::set<std::string> up{"conn", "child", "wait_seconds"};
  static const std::set<std::string> down{"conn", "wait_seconds"};
  static const std::set<std::string> reload{"dry_run"};
  switch (command) {
    case Command::up:
      return up;
    case Command::down:
      return down;
    case Command::reload:
      return reload;
    default:
      return none;
  }
}

Expected<std::string, std::string> required_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return unexpected(std::string("missing \"") + key + "\"");
  if (!it->is_string()) return unexpected(std::string("\"") + key + "\" must be a string");
  auto value = it->get<std::string>();
  if (value.empty()) return unexpected(std::string("\"") + key + "\" must not be empty");
  return value;
}

Expected<std::optional<std::string>, std::string> optional_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string() || it->get_ref<const std::string&>().empty())
    return unexpected(std::string("\"") + key + "\" must be a non-empty string");
  return std::optional<std::string>{it->get<std::string>()};
}

Expected<std::optional<uint32_t>, std::string> optional_seconds(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<uint32_t>{};
  if (!it->is_number_unsigned() || it->get<uint64_t>() > std::numeric_limits<uint32_t>::max())
    return unexpected(std::string("\"") + key + "\" must be a whole number of seconds");
  return std::optional<uint32_t>{static_cast<uint32_t>(it->get<uint64_t>())};
}

Expected<RequestArgs, std::string> parse_args(Command command, const json& obj) {
  switch (command) {
    case Command::up: {
      auto conn = required_string(obj, "conn");
      if (!conn) return unexpected(conn.error());
      auto child = optional_string(obj, "child");
      if (!child) return unexpected(child.error());
      auto wait = optional_seconds(obj, "wait_seconds");
      if (!wait) return unexpected(wait.error());
      return RequestArgs{UpArgs{*conn, *child, *wait}};
    }
    case Command::down: {
      auto conn = required_string(obj, "conn");
      if (!conn) return unexpected(conn.error());
      auto wait = optional_seconds(obj, "wait_seconds");
      if (!wait) return unexpected(wait.error());
      return RequestArgs{DownArgs{*conn, *wait}};
    }
    case Command::reload: {
      ReloadArgs args;
      auto it = obj.find("dry_run");
      if (it != obj.end() && !it->is_null()) {
        if (!it->is_boolean()) return unexpected(std::string("\"dry_run\" must be true or false"));
        args.dry_run = it->get<bool>();
      }
      return RequestArgs{args};
    }
    default:
      return RequestArgs{};
  }
}

template <typename T>
void optional_to(json& j, const char* key, const std::optional<T>& value) {
  if (value)
    j[key] = *value;
  else
    j[key] = nullptr;
}

template <typename T>
void optional_from(const json& j, const char* key, std::optional<T>& value) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    value.reset();
  else
    value = it->get<T>();
}

}  // namespace

std::string_view name(ErrorCode code) { return name_of(error_names, code); }
std::optional<ErrorCode> parse_error_code(std::string_view text) { return value_of(error_names, text); }
std::string_view name(Command command) { return name_of(command_names, command); }
std::optional<Command> parse_command(std::string_view text) { return value_of(command_names, text); }
std::string_view name(EventType type) { return name_of(event_names, type); }
std::optional<EventType> parse_event_type(std::string_view text) { return value_of(event_names, text); }

Expected<Request, RequestError> parse_request(std::string_view line) {
  const json obj = json::parse(line, nullptr, false);
  if (obj.is_discarded()) return bad(std::nullopt, ErrorCode::bad_request, "not valid JSON");
  if (!obj.is_object()) return bad(std::nullopt, ErrorCode::bad_request, "a request must be a JSON object");

  std::optional<uint64_t> id;
  auto id_it = obj.find("id");
  if (id_it == obj.end() || !id_it->is_number_unsigned())
    return bad(std::nullopt, ErrorCode::bad_request, "\"id\" must be a non-negative integer");
  id = id_it->get<uint64_t>();

  auto v_it = obj.find("v");
  if (v_it == obj.end() || !v_it->is_number_integer())
    return bad(id, ErrorCode::bad_request, "\"v\" must be the protocol version, an integer");
  if (v_it->get<int64_t>() != protocol_version)
    return bad(id, ErrorCode::unsupported_version,
               "protocol version " + v_it->dump() + " is not supported; this server speaks version " +
                   std::to_string(protocol_version));

  auto cmd_it = obj.find("cmd");
  if (cmd_it == obj.end() || !cmd_it->is_string())
    return bad(id, ErrorCode::bad_request, "\"cmd\" must be a string");
  const auto command = parse_command(cmd_it->get_ref<const std::string&>());
  if (!command)
    return bad(id, ErrorCode::unknown_command, "unknown command \"" + cmd_it->get<std::string>() + "\"");

  const auto& allowed = allowed_args(*command);
  for (const auto& [key, value] : obj.items()) {
    if (key == "v" || key == "id" || key == "cmd" || allowed.count(key) != 0) continue;
    return bad(id, ErrorCode::bad_request,
               "\"" + std::string(name(*command)) + "\" takes no argument \"" + key + "\"");
  }
  auto args = parse_args(*command, obj);
  if (!args) return bad(id, ErrorCode::bad_request, args.error());
  return Request{*id, *command, std::move(*args)};
}

std::string encode_request(const Request& request) {
  json j{{"v", protocol_version}, {"id", request.id}, {"cmd", name(request.command)}};
  if (const auto* up = std::get_if<UpArgs>(&request.args)) {
    j["conn"] = up->conn;
    if (up->child) j["child"] = *up->child;
    if (up->wait_seconds) j["wait_seconds"] = *up->wait_seconds;
  } else if (const auto* down = std::get_if<DownArgs>(&request.args)) {
    j["conn"] = down->conn;
    if (down->wait_seconds) j["wait_seconds"] = *down->wait_seconds;
  } else if (const auto* reload = std::get_if<ReloadArgs>(&request.args)) {
    j["dry_run"] = reload->dry_run;
  }
  return dump_line(j);
}

std::string encode_response(const Response& response) {
  if (const auto* error = std::get_if<Error>(&response.outcome)) return encode_error(response.id, *error);
  json j{{"v", protocol_version}};
  if (response.id) j["id"] = *response.id;
  j["ok"] = true;
  j["result"] = std::get<json>(response.outcome);
  return dump_line(j);
}

std::string encode_result(uint64_t id, const json& result) { return encode_response(Response{id, result}); }

std::string encode_error(const std::optional<uint64_t>& id, const Error& error) {
  json j{{"v", protocol_version}};
  if (id) j["id"] = *id;
  j["ok"] = false;
  j["error"] = json{{"code", name(error.code)}, {"message", error.message}};
  return dump_line(j);
}

std::string encode_event(const Event& event) {
  return dump_line(json{{"v", protocol_version}, {"event", event}});
}

Expected<ServerLine, std::string> parse_server_line(std::string_view line) {
  const json obj = json::parse(line, nullptr, false);
  if (obj.is_discarded()) return unexpected(std::string("the daemon sent a line that is not JSON"));
  if (!obj.is_object()) return unexpected(std::string("the daemon sent a line that is not a JSON object"));
  auto v_it = obj.find("v");
  if (v_it == obj.end() || !v_it->is_number_integer() || v_it->get<int64_t>() != protocol_version)
    return unexpected(std::string("the daemon speaks another protocol version"));
  try {
    if (auto ev = obj.find("event"); ev != obj.end()) return ServerLine{ev->get<Event>()};
    Response response;
    if (auto id = obj.find("id"); id != obj.end()) {
      if (!id->is_number_unsigned())
        return unexpected(std::string("response \"id\" is not an unsigned integer"));
      response.id = id->get<uint64_t>();
    }
    const auto ok = obj.at("ok");
    if (!ok.is_boolean()) return unexpected(std::string("response \"ok\" is not a boolean"));
    if (ok.get<bool>()) {
      const auto& result = obj.at("result");
      if (!result.is_object()) return unexpected(std::string("response \"result\" is not an object"));
      response.outcome = result;
    } else {
      const auto& error = obj.at("error");
      const auto code = parse_error_code(error.at("code").get<std::string>());
      if (!code) return unexpected("unknown error code " + error.at("code").dump());
      response.outcome = Error{*code, error.at("message").get<std::string>()};
    }
    return ServerLine{std::move(response)};
  } catch (const json::exception& e) {
    return unexpected(std::string("malformed line from the daemon: ") + e.what());
  }
}

// ---- schema conversions ----

void to_json(json& j, const Version& v) {
  j = json{{"daemon", v.daemon}, {"version", v.version}, {"protocol", v.protocol}};
}
void from_json(const json& j, Version& v) {
  j.at("daemon").get_to(v.daemon);
  j.at("version").get_to(v.version);
  j.at("protocol").get_to(v.protocol);
}

void to_json(json& j, const ConnectionInfo& v) {
  j = json{{"name", v.name},
           {"local_addrs", v.local_addrs},
           {"remote_addrs", v.remote_addrs},
           {"children", v.children}};
}
void from_json(const json& j, ConnectionInfo& v) {
  j.at("name").get_to(v.name);
  j.at("local_addrs").get_to(v.local_addrs);
  j.at("remote_addrs").get_to(v.remote_addrs);
  j.at("children").get_to(v.children);
}

void to_json(json& j, const ChildSaInfo& v) {
  j = json{{"name", v.name},       {"unique_id", v.unique_id},   {"state", v.state},
           {"mode", v.mode},       {"protocol", v.protocol},     {"spi_in", v.spi_in},
           {"spi_out", v.spi_out}, {"encryption", v.encryption}, {"integrity", v.integrity},
           {"esn", v.esn},         {"local_ts", v.local_ts},     {"remote_ts", v.remote_ts}};
  optional_to(j, "rekey_in_seconds", v.rekey_in_seconds);
  optional_to(j, "life_in_seconds", v.life_in_seconds);
  optional_to(j, "bytes_left", v.bytes_left);
  j["bytes_in"] = v.bytes_in;
  j["bytes_out"] = v.bytes_out;
  j["packets_in"] = v.packets_in;
  j["packets_out"] = v.packets_out;
  j["overhead_bytes"] = v.overhead_bytes;
  j["mss_1500"] = v.mss_1500;
}
void from_json(const json& j, ChildSaInfo& v) {
  j.at("name").get_to(v.name);
  j.at("unique_id").get_to(v.unique_id);
  j.at("state").get_to(v.state);
  j.at("mode").get_to(v.mode);
  j.at("protocol").get_to(v.protocol);
  j.at("spi_in").get_to(v.spi_in);
  j.at("spi_out").get_to(v.spi_out);
  j.at("encryption").get_to(v.encryption);
  j.at("integrity").get_to(v.integrity);
  j.at("esn").get_to(v.esn);
  j.at("local_ts").get_to(v.local_ts);
  j.at("remote_ts").get_to(v.remote_ts);
  optional_from(j, "rekey_in_seconds", v.rekey_in_seconds);
  optional_from(j, "life_in_seconds", v.life_in_seconds);
  optional_from(j, "bytes_left", v.bytes_left);
  j.at("bytes_in").get_to(v.bytes_in);
  j.at("bytes_out").get_to(v.bytes_out);
  j.at("packets_in").get_to(v.packets_in);
  j.at("packets_out").get_to(v.packets_out);
  j.at("overhead_bytes").get_to(v.overhead_bytes);
  j.at("mss_1500").get_to(v.mss_1500);
}

void to_json(json& j, const IkeSaInfo& v) {
  j = json{{"connection", v.connection}, {"unique_id", v.unique_id},
           {"state", v.state},           {"role", v.role},
           {"local", v.local},           {"remote", v.remote},
           {"local_id", v.local_id},     {"remote_id", v.remote_id},
           {"proposal", v.proposal},     {"established_seconds", v.established_seconds}};
  optional_to(j, "rekey_in_seconds", v.rekey_in_seconds);
  j["nat_local"] = v.nat_local;
  j["nat_remote"] = v.nat_remote;
  j["children"] = v.children;
}
void from_json(const json& j, IkeSaInfo& v) {
  j.at("connection").get_to(v.connection);
  j.at("unique_id").get_to(v.unique_id);
  j.at("state").get_to(v.state);
  j.at("role").get_to(v.role);
  j.at("local").get_to(v.local);
  j.at("remote").get_to(v.remote);
  j.at("local_id").get_to(v.local_id);
  j.at("remote_id").get_to(v.remote_id);
  j.at("proposal").get_to(v.proposal);
  j.at("established_seconds").get_to(v.established_seconds);
  optional_from(j, "rekey_in_seconds", v.rekey_in_seconds);
  j.at("nat_local").get_to(v.nat_local);
  j.at("nat_remote").get_to(v.nat_remote);
  j.at("children").get_to(v.children);
}

void to_json(json& j, const Status& v) {
  j = json{{"connections", v.connections}, {"ike_sas", v.ike_sas}, {"counters", v.counters}};
}
void from_json(const json& j, Status& v) {
  j.at("connections").get_to(v.connections);
  j.at("ike_sas").get_to(v.ike_sas);
  j.at("counters").get_to(v.counters);
}

void to_json(json& j, const UpResult& v) {
  j = json{{"connection", v.connection},
           {"ike_sa", v.ike_sa},
           {"children", v.children},
           {"completed", v.completed}};
}
void from_json(const json& j, UpResult& v) {
  j.at("connection").get_to(v.connection);
  j.at("ike_sa").get_to(v.ike_sa);
  j.at("children").get_to(v.children);
  j.at("completed").get_to(v.completed);
}

void to_json(json& j, const DownResult& v) {
  j = json{{"connection", v.connection}, {"ike_sas", v.ike_sas}, {"completed", v.completed}};
}
void from_json(const json& j, DownResult& v) {
  j.at("connection").get_to(v.connection);
  j.at("ike_sas").get_to(v.ike_sas);
  j.at("completed").get_to(v.completed);
}

void to_json(json& j, const ReloadResult& v) {
  j = json{{"added", v.added}, {"changed", v.changed}, {"removed", v.removed}, {"applied", v.applied}};
}
void from_json(const json& j, ReloadResult& v) {
  j.at("added").get_to(v.added);
  j.at("changed").get_to(v.changed);
  j.at("removed").get_to(v.removed);
  j.at("applied").get_to(v.applied);
}

void to_json(json& j, const Subscribed&) { j = json{{"subscribed", true}}; }
void from_json(const json& j, Subscribed&) {
  if (!j.at("subscribed").get<bool>()) throw json::other_error::create(501, "\"subscribed\" is false", &j);
}

void to_json(json& j, const Event& v) {
  j = json{{"type", name(v.type)}, {"connection", v.connection}};
  optional_to(j, "ike_sa", v.ike_sa);
  optional_to(j, "child", v.child);
  optional_to(j, "reason", v.reason);
  j["time"] = v.time;
}
void from_json(const json& j, Event& v) {
  const auto type = parse_event_type(j.at("type").get<std::string>());
  if (!type) throw json::other_error::create(501, "unknown event type " + j.at("type").dump(), &j);
  v.type = *type;
  j.at("connection").get_to(v.connection);
  optional_from(j, "ike_sa", v.ike_sa);
  optional_from(j, "child", v.child);
  optional_from(j, "reason", v.reason);
  j.at("time").get_to(v.time);
}

}  // namespace ipsecd::ctl
