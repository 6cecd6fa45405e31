// Names of the interop matrix's roles, authentications and modes, and the list of every case in print order.
#include "tests/interop/interop_case.h"

namespace ipsecd::test {

std::string to_string(Role role) {
  return role == Role::ipsecd_initiator ? "ipsecd-initiator" : "ipsecd-responder";
}

std::string to_string(Auth auth) {
  switch (auth) {
    case Auth::psk: return "psk";
    case Auth::rsa: return "rsa";
    case Auth::ecdsa: return "ecdsa";
    case Auth::ed25519: return "ed25519";
  }
  return "?";
}

std::string to_string(Mode mode) { return mode == Mode::tunnel ? "tunnel" : "transport"; }

std::string to_string(const InteropCase& c) {
  return to_string(c.role) + "/" + to_string(c.auth) + "/" + to_string(c.mode);
}

std::vector<InteropCase> all_cases() {
  std::vector<InteropCase> cases;
  for (Role role : {Role::ipsecd_initiator, Role::ipsecd_responder}) {
    for (Auth auth : {Auth::psk, Auth::rsa, Auth::ecdsa, Auth::ed25519}) {
      for (Mode mode : {Mode::tunnel, Mode::transport}) cases.push_back({role, auth, mode});
    }
  }
  return cases;
}

}  // namespace ipsecd::test
