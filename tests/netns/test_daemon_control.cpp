// ipsecd's control socket against the real daemon: version, status before and after the IKE SA, up --wait
// reporting the kernel's CHILD_SA refusal, down --wait until the IKE SA is gone, events to a subscriber.
#include "ctl/control_client.h"
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

ctl::Response call(ctl::ControlClient& client, ctl::Command command, ctl::RequestArgs args = {}) {
  auto response = client.call({client.next_id(), command, std::move(args)}, ctl::ControlClient::Clock::now() + 15s);
  REQUIRE(response.has_value());
  return *response;
}

}  // namespace

TEST_CASE("ipsecd answers version, status, up and down on its control socket", "[netns][daemon]") {
  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  const auto socket_a = dir.path() + "/a.sock";
  DaemonProcess b(DaemonNamespaces::kB, dir.write("b.toml", site_b_config(dir.path() + "/b.sock")),
                  dir.path() + "/b.log");
  DaemonProcess a(DaemonNamespaces::kA, dir.write("a.toml", site_a_config(socket_a, "none")), dir.path() + "/a.log");
  INFO("A:\n" << a.log() << "\nB:\n" << b.log());
  REQUIRE(b.wait_for_log("started", 5s));
  REQUIRE(a.wait_for_log("started", 5s));

  auto client = ctl::ControlClient::connect(socket_a, 2s);
  REQUIRE(client.has_value());
  auto subscriber = ctl::ControlClient::connect(socket_a, 2s);
  REQUIRE(subscriber.has_value());
  REQUIRE(call(*subscriber, ctl::Command::subscribe).ok());

  const auto version = call(*client, ctl::Command::version);
  REQUIRE(version.ok());
  CHECK(std::get<nlohmann::json>(version.outcome).at("daemon") == "ipsecd");

  auto status = ctl::result_as<ctl::Status>(std::get<nlohmann::json>(call(*client, ctl::Command::status).outcome));
  REQUIRE(status.has_value());
  REQUIRE(status->connections.size() == 1);
  CHECK(status->connections[0].name == "site-a");
  CHECK(status->connections[0].children == std::vector<std::string>{"net"});
  CHECK(status->ike_sas.empty());

  const auto unknown = call(*client, ctl::Command::up, ctl::UpArgs{"nowhere", std::nullopt, std::nullopt});
  REQUIRE(!unknown.ok());
  CHECK(std::get<ctl::Error>(unknown.outcome).code == ctl::ErrorCode::not_found);

  // The IKE SA comes up; the responder's kernel refuses the ESP SA, so the wait ends in that failure.
  const auto up = call(*client, ctl::Command::up, ctl::UpArgs{"site-a", std::nullopt, 10});
  REQUIRE(!up.ok());
  CHECK(std::get<ctl::Error>(up.outcome).code == ctl::ErrorCode::failed);
  CHECK(std::get<ctl::Error>(up.outcome).message.find("child net: ") == 0);

  status = ctl::result_as<ctl::Status>(std::get<nlohmann::json>(call(*client, ctl::Command::status).outcome));
  REQUIRE(status.has_value());
  REQUIRE(status->ike_sas.size() == 1);
  CHECK(status->ike_sas[0].state == "established");
  CHECK(status->ike_sas[0].role == "initiator");
  CHECK(status->ike_sas[0].local == "192.0.2.1:500");
  CHECK(status->ike_sas[0].remote_id == "gw-b.example.com");

  const auto down = call(*client, ctl::Command::down, ctl::DownArgs{"site-a", 5});
  REQUIRE(down.ok());
  auto result = ctl::result_as<ctl::DownResult>(std::get<nlohmann::json>(down.outcome));
  REQUIRE(result.has_value());
  CHECK(result->completed);
  CHECK(result->ike_sas == std::vector<uint64_t>{status->ike_sas[0].unique_id});
  CHECK(b.wait_for_log("site-a: deleted by the peer", 2s));

  // The subscriber saw the IKE SA come up and go.
  bool saw_up = false;
  bool saw_down = false;
  while (!(saw_up && saw_down)) {
    auto line = subscriber->read(ctl::ControlClient::Clock::now() + 2s);
    REQUIRE(line.has_value());
    if (const auto* event = std::get_if<ctl::Event>(&*line)) {
      saw_up = saw_up || event->type == ctl::EventType::ike_up;
      saw_down = saw_down || event->type == ctl::EventType::ike_down;
      CHECK(event->connection == "site-a");
    }
  }
}

}  // namespace ipsecd::test
