// IKE_AUTH authentication (RFC 7296 §2.15, §3.6-§3.8; RFC 7427; RFC 4754): our AUTH, CERT and CERTREQ, and
// the checks on the peer's certificate chain, identity binding and signature.
#include "daemon/ike/ikev2/authentication.h"

#include "crypto/psk_auth.h"
#include "crypto/signature.h"
#include "crypto/signature_algorithm_identifier.h"
#include "crypto/validated_key_cache.h"

#include <botan/ber_dec.h>
#include <botan/mem_ops.h>
#include <botan/pk_keys.h>
#include <botan/pkix_types.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <string>

namespace ipsecd::ikev2 {
namespace {

Failure refused(FailureReason reason, std::string detail) {
  return {reason, std::nullopt, std::move(detail)};
}

FailureReason reason_of(crypto::CertificateFailure failure) {
  switch (failure) {
    case crypto::CertificateFailure::UNKNOWN_CA:
      return FailureReason::certificate_untrusted;
    case crypto::CertificateFailure::EXPIRED:
      return FailureReason::certificate_expired;
    case crypto::CertificateFailure::REVOKED:
      return FailureReason::certificate_revoked;
    case crypto::CertificateFailure::NOT_ALLOWED:
      return FailureReason::certificate_not_allowed;
    default:
      return FailureReason::certificate_invalid;
  }
}

bool equal_ignoring_case(std::string_view a, const crypto::Bytes& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, uint8_t y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(y);
         });
}

// RFC 4945 §3.1.5 compares the DER bytes, but peers (and our own text identities) often encode the same
// name with another string type (PrintableString for UTF8String); strongSwan and iked compare names, not
// bytes. Botan's comparison matches attribute values by X.500 rules, case and spacing aside.
bool same_dn(const crypto::Bytes& a, const crypto::Bytes& b) {
  try {
    Botan::X509_DN dn_a;
    Botan::X509_DN dn_b;
    Botan::BER_Decoder(a.data(), a.size()).decode(dn_a).verify_end();
    Botan::BER_Decoder(b.data(), b.size()).decode(dn_b).verify_end();
    return !dn_a.empty() && dn_a == dn_b;
  } catch (const std::exception&) {
    return false;
  }
}

// Method 1 or 9-11 for keys that have one, when the peer did not announce RFC 7427 hashes.
std::optional<iana::AuthenticationMethod> legacy_method(const Botan::Public_Key& key) {
  const std::string algo = key.algo_name();
  if (algo == "RSA") return iana::AuthenticationMethod::RSA_DIGITAL_SIGNATURE;
  if (algo == "ECDSA") {
    switch (key.key_length()) {
      case 256:
        return iana::AuthenticationMethod::ECDSA_SHA256_P256;
      case 384:
        return iana::AuthenticationMethod::ECDSA_SHA384_P384;
      case 521:
        return iana::AuthenticationMethod::ECDSA_SHA512_P521;
      default:
        break;
    }
  }
  return std::nullopt;
}

bool is_signature_method(iana::AuthenticationMethod method) {
  switch (method) {
    case iana::AuthenticationMethod::RSA_DIGITAL_SIGNATURE:
    case iana::AuthenticationMethod::ECDSA_SHA256_P256:
    case iana::AuthenticationMethod::ECDSA_SHA384_P384:
    case iana::AuthenticationMethod::ECDSA_SHA512_P521:
    case iana::AuthenticationMethod::DIGITAL_SIGNATURE:
      return true;
    default:
      return false;
  }
}

// The peer's public key: pinned, or from its CERT chain validated against the trust store.
Expected<std::shared_ptr<const Botan::Public_Key>, Failure> peer_key(
    const AuthConfig& remote, const Identity& peer_id, const std::vector<ike::Payload>& payloads,
    WallTimePoint now) {
  if (remote.pinned_key) return remote.pinned_key;
  if (!remote.trust) {
    return unexpected(refused(FailureReason::certificate_untrusted, "no trust store to check the peer with"));
  }
  std::vector<crypto::ByteView> chain;
  for (const auto& p : payloads) {
    const auto* cert = std::get_if<ike::CertPayload>(&p.body);
    if (cert == nullptr) continue;
    // Other encodings (hash and URL, raw keys) are not offered in our CERTREQ; skipping them lets an
    // X.509 certificate beside them still serve.
    if (cert->encoding != iana::CertificateEncoding::X509_SIGNATURE) continue;
    chain.push_back(cert->data);
  }
  if (chain.empty()) {
    return unexpected(refused(FailureReason::certificate_invalid, "peer sent no X.509 certificate"));
  }
  // §3.6: the first CERT holds the certificate of the key that signed AUTH; the rest help build the path.
  // The cache recognises a certificate it validated before by its bytes, without parsing them again.
  auto validated = remote.trust->validate_encoded(chain.front(), std::span(chain).subspan(1), now);
  if (!validated) {
    const crypto::CertificateError& error = validated.error();
    if (error.failure == crypto::CertificateFailure::MALFORMED) {
      return unexpected(refused(FailureReason::certificate_invalid, "peer's CERT: " + error.message));
    }
    return unexpected(refused(reason_of(error.failure), error.message));
  }
  const crypto::CertificateIdentity& names = (*validated)->identity;
  if (!certificate_binds(names, peer_id)) {
    return unexpected(
        refused(FailureReason::id_not_in_certificate,
                "peer identity " + to_string(peer_id) + " is not in its certificate " + names.subject_dn));
  }
  return (*validated)->public_key;
}

}  // namespace

std::optional<ike::Payload> certificate_request(const AuthConfig& remote) {
  if (remote.method != AuthMethod::pubkey || !remote.trust) return std::nullopt;
  crypto::Bytes authority;
  for (const auto& hash : remote.trust->store().ca_key_hashes()) {
    authority.insert(authority.end(), hash.begin(), hash.end());
  }
  if (authority.empty()) return std::nullopt;
  return ike::Payload{ike::CertReqPayload{iana::CertificateEncoding::X509_SIGNATURE, std::move(authority)}};
}

std::vector<ike::Payload> certificate_payloads(const AuthConfig& local) {
  std::vector<ike::Payload> out;
  if (local.method != AuthMethod::pubkey) return out;
  for (const auto& cert : local.certificates) {
    const auto der = cert.BER_encode();
    out.push_back(ike::Payload{
        ike::CertPayload{iana::CertificateEncoding::X509_SIGNATURE, crypto::Bytes(der.begin(), der.end())}});
  }
  return out;
}

crypto::ByteView PskKeyPads::of(const crypto::SecureBytes& psk) {
  // Two configured secrets are compared in constant time like any other secret.
  const bool same = psk_ != nullptr && psk_->size() == psk.size() &&
                    Botan::constant_time_compare(psk_->data(), psk.data(), psk.size());
  if (!same) {
    pad_ = crypto::psk_key_pad(prf_, psk);
    psk_ = &psk;
  }
  return pad_;
}

Expected<ike::AuthPayload, Failure> own_auth(
    const AuthConfig& local, PskKeyPads& pads, crypto::ByteView signed_octets,
    const std::optional<std::vector<iana::HashAlgorithm>>& peer_hashes, Botan::RandomNumberGenerator& rng) {
  if (local.method == AuthMethod::psk) {
    const auto mac = crypto::psk_auth_padded(pads.prf(), pads.of(local.psk), signed_octets);
    return ike::AuthPayload{iana::AuthenticationMethod::SHARED_KEY_MIC,
                            crypto::Bytes(mac.begin(), mac.end())};
  }
  if (!local.private_key) {
    return unexpected(
        refused(FailureReason::authentication_failed, "no private key configured to sign AUTH"));
  }
  const Botan::Private_Key& key = *local.private_key;
  iana::AuthenticationMethod method{};
  std::optional<crypto::SignatureScheme> scheme;
  if (peer_hashes) {
    auto chosen = crypto::choose_signature_scheme(key, *peer_hashes);
    if (!chosen) return unexpected(refused(FailureReason::hash_not_acceptable, chosen.error()));
    method = iana::AuthenticationMethod::DIGITAL_SIGNATURE;
    scheme = *chosen;
  } else if (auto legacy = legacy_method(key)) {
    method = *legacy;
  } else {
    return unexpected(refused(FailureReason::hash_not_acceptable,
                              "a " + key.algo_name() +
                                  " key signs only with RFC 7427 auth, and the peer sent no "
                                  "SIGNATURE_HASH_ALGORITHMS"));
  }
  auto signature = crypto::sign_auth_data(method, key, scheme, signed_octets, rng);
  if (!signature) return unexpected(refused(FailureReason::authentication_failed, signature.error()));
  return ike::AuthPayload{method, std::move(*signature)};
}

Expected<Ok, Failure> verify_peer_auth(const AuthConfig& remote, const Identity& peer_id,
                                       const std::vector<ike::Payload>& payloads, PskKeyPads& pads,
                                       crypto::ByteView signed_octets,
                                       std::span<const iana::HashAlgorithm> announced, WallTimePoint now) {
  const auto* auth = ike::find_first<ike::AuthPayload>(payloads);
  if (auth == nullptr) return unexpected(refused(FailureReason::protocol_error, "no AUTH payload"));
  if (remote.method == AuthMethod::psk) {
    if (auth->method != iana::AuthenticationMethod::SHARED_KEY_MIC) {
      return unexpected(refused(FailureReason::authentication_failed,
                                "AUTH of " + to_string(peer_id) + " uses " +
                                    std::string(iana::name(auth->method)) + ", we expect a pre-shared key"));
    }
    if (!crypto::verify_psk_auth_padded(pads.prf(), pads.of(remote.psk), signed_octets, auth->data)) {
      return unexpected(refused(FailureReason::authentication_failed,
                                "AUTH of " + to_string(peer_id) + " does not verify"));
    }
    return Ok{};
  }
  if (!is_signature_method(auth->method)) {
    return unexpected(refused(FailureReason::authentication_failed,
                              "AUTH of " + to_string(peer_id) + " uses " +
                                  std::string(iana::name(auth->method)) + ", we expect a signature"));
  }
  // RFC 7427 §4: the hash is checked before the certificate work, and reported as such.
  if (auth->method == iana::AuthenticationMethod::DIGITAL_SIGNATURE && !auth->data.empty() &&
      auth->data.size() > 1u + auth->data[0]) {
    const auto scheme =
        crypto::decode_algorithm_identifier(crypto::ByteView(auth->data).subspan(1, auth->data[0]));
    if (scheme) {
      const iana::HashAlgorithm hash = crypto::hash_algorithm(*scheme);
      if (hash == iana::HashAlgorithm::SHA1 ||
          std::find(announced.begin(), announced.end(), hash) == announced.end()) {
        return unexpected(
            refused(FailureReason::hash_not_acceptable, "AUTH of " + to_string(peer_id) + " signs with " +
                                                            std::string(crypto::name(*scheme)) +
                                                            ", whose hash we did not announce"));
      }
    }
  }
  auto key = peer_key(remote, peer_id, payloads, now);
  if (!key) return unexpected(key.error());
  auto verified = crypto::verify_auth_data(auth->method, **key, auth->data, signed_octets, announced);
  if (!verified) {
    return unexpected(
        refused(FailureReason::bad_signature, "AUTH of " + to_string(peer_id) + ": " + verified.error()));
  }
  return Ok{};
}

bool certificate_binds(const crypto::CertificateIdentity& certificate, const Identity& id) {
  switch (id.type) {
    case iana::IdentificationType::ID_DER_ASN1_DN:
      return certificate.subject_dn_der == id.data || same_dn(certificate.subject_dn_der, id.data);
    case iana::IdentificationType::ID_FQDN:
      return std::any_of(certificate.dns_names.begin(), certificate.dns_names.end(),
                         [&](const std::string& n) { return equal_ignoring_case(n, id.data); });
    case iana::IdentificationType::ID_RFC822_ADDR:
      return std::any_of(certificate.emails.begin(), certificate.emails.end(),
                         [&](const std::string& e) { return equal_ignoring_case(e, id.data); });
    case iana::IdentificationType::ID_IPV4_ADDR:
    case iana::IdentificationType::ID_IPV6_ADDR:
      return std::find(certificate.ip_addresses.begin(), certificate.ip_addresses.end(), id.data) !=
             certificate.ip_addresses.end();
    default:
      // ID_KEY_ID and the rest name nothing a certificate carries.
      return false;
  }
}

}  // namespace ipsecd::ikev2
