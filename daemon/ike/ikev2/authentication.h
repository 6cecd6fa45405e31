// Proving ourselves and checking the peer in IKE_AUTH (RFC 7296 §2.15, §3.6-§3.8; RFC 7427; RFC 4754):
// AUTH by shared key or signature, CERT and CERTREQ payloads, and the identity a certificate binds.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/hash_algorithm.h"
#include "crypto/prf.h"
#include "crypto/x509_identity.h"
#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/events.h"
#include "daemon/ike/ikev2/ports.h"
#include "daemon/ike/payloads.h"

#include <optional>
#include <span>
#include <vector>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::ikev2 {

// A CERTREQ naming the trust anchors of `remote` by the SHA-1 of their SubjectPublicKeyInfo (§3.7), when
// the peer is checked against a trust store; nothing otherwise.
std::optional<ike::Payload> certificate_request(const AuthConfig& remote);

// Our certificate chain as CERT payloads (X.509 Certificate - Signature, §3.6), end entity first. They go
// out whether or not the peer sent CERTREQ: §3.6 says CERT SHOULD be included when certificates are
// available, and a peer that trusts our CA without having our certificate could not verify us otherwise.
std::vector<ike::Payload> certificate_payloads(const AuthConfig& local);

// The padded keys prf(PSK, "Key Pad for IKEv2") of §2.15 under one IKE SA's PRF, each worked out once: a
// responder checks the peer's AUTH and makes its own in one exchange, mostly with one secret both ways; the
// initiator makes its own in the IKE_AUTH request and checks the peer's in the response (IkeSa::auth_pads).
// Lives no longer than that exchange; the pad is as secret as the PSK and is wiped with the object.
class PskKeyPads {
 public:
  explicit PskKeyPads(const crypto::Prf& prf) : prf_(prf) {}
  const crypto::Prf& prf() const { return prf_; }
  // The padded key of `psk`, which must outlive this object.
  crypto::ByteView of(const crypto::SecureBytes& psk);

 private:
  const crypto::Prf& prf_;
  const crypto::SecureBytes* psk_ = nullptr;  // the secret `pad_` belongs to
  crypto::SecureBytes pad_;
};

// Our AUTH payload over `signed_octets`. With a shared key: method 2 (§2.15). With a private key: method 14
// (RFC 7427) in a scheme whose hash the peer announced when it sent SIGNATURE_HASH_ALGORITHMS, otherwise
// method 1 for RSA (§3.8) or 9-11 for ECDSA on P-256/P-384/P-521 (RFC 4754); Ed25519 exists only as 14.
Expected<ike::AuthPayload, Failure> own_auth(
    const AuthConfig& local, PskKeyPads& pads, crypto::ByteView signed_octets,
    const std::optional<std::vector<iana::HashAlgorithm>>& peer_hashes, Botan::RandomNumberGenerator& rng);

// Checks the peer's AUTH (and, with a trust store, its CERT chain, validated at wall time `now`) against
// `remote`. `announced` is what we sent in SIGNATURE_HASH_ALGORITHMS: a method-14 signature in another hash
// is refused (RFC 7427 §4). The error's reason says which check failed.
Expected<Ok, Failure> verify_peer_auth(const AuthConfig& remote, const Identity& peer_id,
                                       const std::vector<ike::Payload>& payloads, PskKeyPads& pads,
                                       crypto::ByteView signed_octets,
                                       std::span<const iana::HashAlgorithm> announced, WallTimePoint now);

// Whether a certificate binds IKE identity `id` (RFC 4945 §3.1): ID_DER_ASN1_DN equal to the subject (as
// bytes, or as names whose attributes match),
// ID_FQDN / ID_RFC822_ADDR (case-insensitively) or ID_IPV4_ADDR / ID_IPV6_ADDR present in subjectAltName.
bool certificate_binds(const crypto::CertificateIdentity& certificate, const Identity& id);

}  // namespace ipsecd::ikev2
