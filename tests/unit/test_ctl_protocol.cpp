// Control protocol v1: request parsing (strict), response/event lines, and the result schemas' JSON form.
#include "ctl/protocol.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ipsecd::ctl;
using nlohmann::json;

namespace {

Status sample_status() {
  ChildSaInfo child;
  child.name = "net";
  child.unique_id = 7;
  child.state = "installed";
  child.mode = "tunnel";
  child.protocol = "ESP";
  child.spi_in = "c1a2b3c4";
  child.spi_out = "0000beef";
  child.encryption = "aes256gcm16";
  child.esn = true;
  child.local_ts = {"192.0.2.0/24"};
  child.remote_ts = {"198.51.100.0/24", "203.0.113.5/32[tcp/443]"};
  child.rekey_in_seconds = 3000;
  child.life_in_seconds = 3600;
  child.bytes_in = 123456;
  child.bytes_out = 654321;
  child.packets_in = 100;
  child.packets_out = 200;
  child.overhead_bytes = 57;
  child.mss_1500 = 1403;
  IkeSaInfo ike;
  ike.connection = "site";
  ike.unique_id = 3;
  ike.state = "established";
  ike.role = "initiator";
  ike.local = "192.0.2.1[4500]";
  ike.remote = "203.0.113.9[4500]";
  ike.local_id = "gw1.example";
  ike.remote_id = "gw2.example";
  ike.proposal = "aes256gcm16-prfsha256-x25519";
  ike.established_seconds = 125;
  ike.nat_remote = true;
  ike.children = {child};
  return Status{{ConnectionInfo{"site", {"192.0.2.1"}, {"203.0.113.9"}, {"net"}}}, {ike}, {}};
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  return keys;
}

Error request_error(const std::string& line) {
  auto parsed = parse_request(line);
  REQUIRE_FALSE(parsed);
  return parsed.error().error;
}

}  // namespace

TEST_CASE("ctl requests survive encode and parse for every command", "[ctl]") {
  const std::vector<Request> requests{
      {1, Command::version, {}},
      {2, Command::status, {}},
      {3, Command::up, UpArgs{"site", std::nullopt, std::nullopt}},
      {4, Command::up, UpArgs{"site", "net", 30}},
      {5, Command::down, DownArgs{"site", 10}},
      {6, Command::down, DownArgs{"site", std::nullopt}},
      {7, Command::reload, ReloadArgs{true}},
      {18446744073709551615ull, Command::subscribe, {}},
  };
  for (const auto& request : requests) {
    auto parsed = parse_request(encode_request(request));
    REQUIRE(parsed);
    CHECK(*parsed == request);
  }
  CHECK(json::parse(encode_request(requests[3])) ==
        json{{"v", 1}, {"id", 4}, {"cmd", "up"}, {"conn", "site"}, {"child", "net"}, {"wait_seconds", 30}});
}

TEST_CASE("ctl request parsing refuses bad lines with the right error code and id", "[ctl]") {
  CHECK(request_error("not json").code == ErrorCode::bad_request);
  CHECK(request_error("[1,2]").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"cmd":"status"})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":-3,"cmd":"status"})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":"7","cmd":"status"})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"id":1,"cmd":"status"})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":2,"id":1,"cmd":"status"})").code == ErrorCode::unsupported_version);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"frobnicate"})").code == ErrorCode::unknown_command);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":7})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"up"})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"up","conn":5})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"up","conn":""})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"up","conn":"a","wait_seconds":-1})").code ==
        ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"up","conn":"a","wait_seconds":1.5})").code ==
        ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"up","conn":"a","wait_seconds":4294967296})").code ==
        ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"up","conn":"a","chlid":"net"})").code ==
        ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"status","conn":"a"})").code == ErrorCode::bad_request);
  CHECK(request_error(R"({"v":1,"id":1,"cmd":"reload","dry_run":"yes"})").code == ErrorCode::bad_request);

  auto versioned = parse_request(R"({"v":9,"id":42,"cmd":"status"})");
  REQUIRE_FALSE(versioned);
  CHECK(versioned.error().id == std::optional<uint64_t>(42));
  auto no_id = parse_request("{");
  REQUIRE_FALSE(no_id);
  CHECK_FALSE(no_id.error().id);
}

TEST_CASE("ctl Status converts to JSON with the documented keys and back", "[ctl]") {
  Status status = sample_status();
  status.counters = {{"datagrams_received", 12}, {"decode_failed", 1}};
  const json j = status;
  CHECK(keys_of(j) == std::set<std::string>{"connections", "ike_sas", "counters"});
  CHECK(j["counters"]["decode_failed"] == 1);
  CHECK(keys_of(j["connections"][0]) ==
        std::set<std::string>{"name", "local_addrs", "remote_addrs", "children"});
  CHECK(keys_of(j["ike_sas"][0]) == std::set<std::string>{"connection", "unique_id", "state", "role", "local",
                                                          "remote", "local_id", "remote_id", "proposal",
                                                          "established_seconds", "rekey_in_seconds",
                                                          "nat_local", "nat_remote", "children"});
  CHECK(keys_of(j["ike_sas"][0]["children"][0]) == std::set<std::string>{"name",
                                                                         "unique_id",
                                                                         "state",
                                                                         "mode",
                                                                         "protocol",
                                                                         "spi_in",
                                                                         "spi_out",
                                                                         "encryption",
                                                                         "integrity",
                                                                         "esn",
                                                                         "local_ts",
                                                                         "remote_ts",
                                                                         "rekey_in_seconds",
                                                                         "life_in_seconds",
                                                                         "bytes_left",
                                                                         "bytes_in",
                                                                         "bytes_out",
                                                                         "packets_in",
                                                                         "packets_out",
                                                                         "overhead_bytes",
                                                                         "mss_1500"});
  CHECK(j["ike_sas"][0]["rekey_in_seconds"].is_null());
  CHECK(j["ike_sas"][0]["children"][0]["spi_in"] == "c1a2b3c4");
  CHECK(j["ike_sas"][0]["children"][0]["bytes_left"].is_null());
  CHECK(j["ike_sas"][0]["children"][0]["rekey_in_seconds"] == 3000);

  auto back = result_as<Status>(j);
  REQUIRE(back);
  CHECK(*back == status);
}

TEST_CASE("ctl results and events survive their JSON form", "[ctl]") {
  const Version version{"ipsecd", "0.1.0", 1};
  CHECK(*result_as<Version>(json(version)) == version);
  const UpResult up{"site", 3, {"net", "voice"}, true};
  CHECK(*result_as<UpResult>(json(up)) == up);
  const DownResult down{"site", {3, 4}, false};
  CHECK(*result_as<DownResult>(json(down)) == down);
  const ReloadResult reload{{"new"}, {"site"}, {"old"}, false};
  CHECK(*result_as<ReloadResult>(json(reload)) == reload);
  CHECK(result_as<Subscribed>(json(Subscribed{})));

  const Event event{
      EventType::child_failed, "site", 3, "net", "NO_PROPOSAL_CHOSEN from the peer", 1700000000};
  auto line = parse_server_line(encode_event(event));
  REQUIRE(line);
  REQUIRE(std::holds_alternative<Event>(*line));
  CHECK(std::get<Event>(*line) == event);

  const Event bare{EventType::ike_up, "site", std::nullopt, std::nullopt, std::nullopt, 5};
  auto bare_line = parse_server_line(encode_event(bare));
  REQUIRE(bare_line);
  CHECK(std::get<Event>(*bare_line) == bare);
}

TEST_CASE("ctl results of the wrong shape are refused without throwing", "[ctl]") {
  CHECK_FALSE(result_as<Status>(json{{"connections", 5}}));
  CHECK_FALSE(result_as<Version>(json::array()));
  CHECK_FALSE(result_as<UpResult>(
      json{{"connection", "a"}, {"ike_sa", "x"}, {"children", json::array()}, {"completed", true}}));
  CHECK_FALSE(result_as<Event>(json{{"type", "ike_sideways"}, {"connection", "a"}, {"time", 1}}));
}

TEST_CASE("ctl response lines carry results, errors and ids", "[ctl]") {
  auto ok = parse_server_line(encode_result(9, json(Version{"ipsecd", "0.1.0", 1})));
  REQUIRE(ok);
  const auto& response = std::get<Response>(*ok);
  CHECK(response.ok());
  CHECK(response.id == std::optional<uint64_t>(9));
  CHECK(std::get<json>(response.outcome)["daemon"] == "ipsecd");

  auto failed = parse_server_line(encode_error(10, Error{ErrorCode::failed, "AUTHENTICATION_FAILED"}));
  REQUIRE(failed);
  CHECK(std::get<Error>(std::get<Response>(*failed).outcome) ==
        Error{ErrorCode::failed, "AUTHENTICATION_FAILED"});

  auto anonymous =
      parse_server_line(encode_error(std::nullopt, Error{ErrorCode::bad_request, "not valid JSON"}));
  REQUIRE(anonymous);
  CHECK_FALSE(std::get<Response>(*anonymous).id);
  CHECK(json::parse(encode_error(std::nullopt, Error{ErrorCode::busy, "x"})) ==
        json{{"v", 1}, {"ok", false}, {"error", {{"code", "busy"}, {"message", "x"}}}});
}

TEST_CASE("ctl server lines that are not protocol v1 are refused", "[ctl]") {
  CHECK_FALSE(parse_server_line("garbage"));
  CHECK_FALSE(parse_server_line("[]"));
  CHECK_FALSE(parse_server_line(R"({"v":2,"id":1,"ok":true,"result":{}})"));
  CHECK_FALSE(parse_server_line(R"({"v":1,"id":1,"ok":"yes","result":{}})"));
  CHECK_FALSE(parse_server_line(R"({"v":1,"id":1,"ok":true,"result":[]})"));
  CHECK_FALSE(parse_server_line(R"({"v":1,"id":1,"ok":false,"error":{"code":"oops","message":"m"}})"));
  CHECK_FALSE(parse_server_line(R"({"v":1,"id":1,"ok":false})"));
}

TEST_CASE("ctl lines with invalid UTF-8 in a peer identity are still encoded", "[ctl]") {
  Status status = sample_status();
  status.ike_sas[0].remote_id = std::string("CN=\xff\xfe", 5);
  const std::string line = encode_result(1, json(status));
  auto parsed = parse_server_line(line);
  REQUIRE(parsed);
  auto back = result_as<Status>(std::get<json>(std::get<Response>(*parsed).outcome));
  REQUIRE(back);
  CHECK(back->ike_sas[0].remote_id == "CN=\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("ctl names of error codes, commands and events parse back", "[ctl]") {
  for (auto code :
       {ErrorCode::bad_request, ErrorCode::unknown_command, ErrorCode::unsupported_version,
        ErrorCode::not_found, ErrorCode::failed, ErrorCode::timeout, ErrorCode::busy, ErrorCode::denied})
    CHECK(parse_error_code(name(code)) == code);
  for (auto type :
       {EventType::ike_up, EventType::ike_down, EventType::ike_rekeyed, EventType::ike_failed,
        EventType::child_up, EventType::child_down, EventType::child_rekeyed, EventType::child_failed})
    CHECK(parse_event_type(name(type)) == type);
  CHECK(name(Command::subscribe) == "subscribe");
  CHECK_FALSE(parse_command("list"));
}
