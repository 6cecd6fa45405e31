// ipsecctl's human output: aligned tables of a fixed Status, durations, byte counts, results and events.
#include "ctl/status_table.h"
#include "ctl/text_table.h"

#include <catch2/catch.hpp>

using namespace ipsecd::ctl;

namespace {

Status fixed_status() {
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
  child.bytes_in = 1536;
  child.bytes_out = 10 * 1024 * 1024;
  child.packets_in = 12;
  child.packets_out = 9000;
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
  ike.rekey_in_seconds = 14000;
  ike.nat_remote = true;
  ike.children = {child};
  return Status{{ConnectionInfo{"site", {"192.0.2.1"}, {"203.0.113.9"}, {"net"}},
                 ConnectionInfo{"roadwarrior-pool", {}, {"0.0.0.0/0", "::/0"}, {"lan", "dmz"}}},
                {ike},
                {}};
}

}  // namespace

TEST_CASE("ctl text table aligns columns and trims trailing blanks", "[ctl]") {
  TextTable table({{"NAME"}, {"COUNT", TextTable::Align::right}, {"NOTE"}});
  table.add_row({"a", "5", ""});
  table.add_row({"longer", "12345", "x"});
  table.add_row({"é", "1"});
  CHECK(table.render() ==
        "NAME    COUNT  NOTE\n"
        "a           5\n"
        "longer  12345  x\n"
        "é           1\n");
}

TEST_CASE("ctl status of a fixed Status prints as three aligned tables and the counters", "[ctl]") {
  const std::string expected =
      "Connections:\n"
      "NAME              LOCAL      REMOTE          CHILDREN\n"
      "site              192.0.2.1  203.0.113.9     net\n"
      "roadwarrior-pool  -          0.0.0.0/0,::/0  lan,dmz\n"
      "\n"
      "IKE SAs:\n"
      "ID  CONNECTION  STATE        ROLE       LOCAL            REMOTE             LOCAL ID     REMOTE ID    "
      "PROPOSAL                         UP  REKEY IN  NAT\n"
      " 3  site        established  initiator  192.0.2.1[4500]  203.0.113.9[4500]  gw1.example  gw2.example  "
      "aes256gcm16-prfsha256-x25519  2m05s     3h53m  remote\n"
      "\n"
      "CHILD SAs:\n"
      "IKE  CHILD     ID  STATE      MODE    PROTO  SPI IN    SPI OUT   ALGORITHMS       LOCAL TS      "
      "REMOTE TS                                REKEY IN   LIFE  BYTES LEFT       IN       OUT  PKTS IN  "
      "PKTS OUT  OVERHEAD   MSS\n"
      "  3  site/net   7  installed  tunnel  ESP    c1a2b3c4  0000beef  aes256gcm16/esn  192.0.2.0/24  "
      "198.51.100.0/24,203.0.113.5/32[tcp/443]    50m00s  1h00m           -  1.5 KiB  10.0 MiB       12      "
      "9000      57 B  1403\n"
      "\n"
      "Counters: datagrams_received 7, decode_failed 2\n";
  auto status = fixed_status();
  status.counters = {{"datagrams_received", 7}, {"datagrams_sent", 0}, {"decode_failed", 2}};
  CHECK(format_status(status) == expected);
  CHECK(format_counters({{"datagrams_sent", 0}}) == "Counters: all zero\n");
  CHECK(format_connections({}) == "Connections: none\n");
  CHECK(format_child_sas({}) == "CHILD SAs: none\n");
}

TEST_CASE("ctl durations and byte counts print in short units", "[ctl]") {
  CHECK(format_duration(std::nullopt) == "-");
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(59) == "59s");
  CHECK(format_duration(61) == "1m01s");
  CHECK(format_duration(3600) == "1h00m");
  CHECK(format_duration(90061) == "1d01h");
  CHECK(format_duration(-5) == "-5s");
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.0 KiB");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(5ull << 30) == "5.0 GiB");
}

TEST_CASE("ctl results and events print as one line each", "[ctl]") {
  CHECK(format_up(UpResult{"site", 3, {"net", "voice"}, true}) ==
        "site: IKE SA 3 up, CHILD_SAs installed: net, voice\n");
  CHECK(format_up(UpResult{"site", 3, {}, false}) == "site: IKE SA 3, initiating\n");
  CHECK(format_down(DownResult{"site", {3, 5}, true}) == "site: IKE SA 3, 5 deleted\n");
  CHECK(format_down(DownResult{"site", {}, false}) == "site: no IKE SA was up\n");
  CHECK(format_reload(ReloadResult{{"new"}, {}, {"old", "older"}, false}) ==
        "dry run, nothing applied: added new; changed -; removed old, older\n");
  CHECK(format_event(
            Event{EventType::child_failed, "site", 3, "net", "TS_UNACCEPTABLE from the peer", 1700000000}) ==
        "2023-11-14T22:13:20Z  child_failed  site/net  IKE SA 3  TS_UNACCEPTABLE from the peer\n");
  CHECK(format_event(Event{EventType::ike_up, "site", 4, std::nullopt, std::nullopt, 0}) ==
        "1970-01-01T00:00:00Z  ike_up  site  IKE SA 4\n");
}
