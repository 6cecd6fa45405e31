// One cell of the interoperability matrix: the peer, who initiates, how both sides authenticate, the mode.
#pragma once

#include <string>
#include <vector>

namespace ipsecd::test {

enum class Role { ipsecd_initiator, ipsecd_responder };
// psk: a pre-shared key with FQDN identities; the others: certificates of that key type on both sides,
// both issued by the fixture PKI's intermediate CA (tests/fixtures/pki), identities the certificates' DNS names.
enum class Auth { psk, rsa, ecdsa, ed25519 };
enum class Mode { tunnel, transport };

struct InteropCase {
  Role role = Role::ipsecd_initiator;
  Auth auth = Auth::psk;
  Mode mode = Mode::tunnel;
};

std::string to_string(Role role);
std::string to_string(Auth auth);
std::string to_string(Mode mode);
// "ipsecd-initiator/psk/tunnel": the case's name in logs and in the matrix.
std::string to_string(const InteropCase& c);

// Every combination, in the order the matrix prints them (role, then auth, then mode).
std::vector<InteropCase> all_cases();

}  // namespace ipsecd::test
