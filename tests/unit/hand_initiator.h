// Test support: an IKEv2 initiator driven by hand from the codec and crypto primitives. It brings up a PSK
// IKE SA with a real responder Engine, then sends whatever the test builds (malformed messages included)
// and reads the responder's answers with the keys it derived itself.
#pragma once

#include "engine_harness.h"

#include "crypto/ike_key_derivation.h"
#include "crypto/key_exchange.h"
#include "crypto/prf.h"
#include "crypto/psk_auth.h"
#include "crypto/signed_octets.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/encrypted_body.h"
#include "daemon/ike/ikev2/payload_helpers.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/sk_protection.h"

#include <botan/chacha_rng.h>

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

namespace ipsecd::test {

struct HandInitiator {
  HandInitiator(Side& responder_side, ConnectionConfig own)
      : responder(responder_side), config(std::move(own)), rng(crypto::SecureBytes(32, 0x5e)) {}

  Side& responder;
  ConnectionConfig config;  // our proposals, identity, PSK and first child
  Botan::ChaCha_RNG rng;
  ipsecd::Endpoint endpoint{ip("192.0.2.1"), 500};
  uint64_t spi_i = 0x1122334455667788;
  uint64_t spi_r = 0;
  crypto::Bytes nonce_i;
  crypto::Bytes nonce_r;
  crypto::Bytes init_request;
  std::unique_ptr<crypto::SkCipher> cipher_i;
  std::unique_ptr<crypto::SkCipher> cipher_r;
  uint32_t next_id = 0;  // the Message ID of our next request
  std::unique_ptr<crypto::Prf> prf_;
  crypto::SecureBytes sk_pi;

  void send(crypto::ByteView bytes) {
    responder.engine->handle_datagram(responder.endpoint, endpoint, bytes);
  }

  // Everything the responder sent since the last call.
  std::vector<crypto::Bytes> take() {
    std::vector<crypto::Bytes> out;
    for (auto& d : responder.sink.queue) out.push_back(std::move(d.bytes));
    responder.sink.queue.clear();
    return out;
  }

  ike::Header header(iana::ExchangeType exchange, bool response, uint32_t message_id) const {
    ike::Header h;
    h.initiator_spi = spi_i;
    h.responder_spi = spi_r;
    h.exchange = exchange;
    h.initiator = true;
    h.response = response;
    h.message_id = message_id;
    return h;
  }

  // A protected message with `inner` as its SK contents.
  crypto::Bytes protect(iana::ExchangeType exchange, bool response, uint32_t message_id,
                        const std::vector<ike::Payload>& inner) {
    return ike::protect_message(header(exchange, response, message_id), inner, *cipher_i, rng).value();
  }

  // A protected message whose SK plaintext is `plaintext` as given, starting with a payload of `first`.
  crypto::Bytes protect_raw(iana::ExchangeType exchange, bool response, uint32_t message_id,
                            iana::PayloadType first, const crypto::Bytes& plaintext) {
    const crypto::Bytes padding(ike::minimal_padding_length(plaintext.size(), cipher_i->block_size()), 0);
    const ike::Message outer{
        header(exchange, response, message_id),
        {ike::Payload{ike::SkPayload{
            first, crypto::Bytes(ike::encrypted_body_size(*cipher_i, plaintext.size(), padding.size()))}}}};
    const auto iv = cipher_i->next_iv(rng).value();
    return ike::seal_message(outer, plaintext, *cipher_i, iv, padding).value();
  }

  // The responder's protected message, verified and decrypted.
  ike::Message open(const crypto::Bytes& bytes) const {
    const auto decoded = ike::decode_message(bytes).value();
    auto inner = ike::unprotect_message(bytes, decoded, *cipher_r);
    REQUIRE(inner.has_value());
    return {decoded.message.header, std::move(inner->payloads)};
  }

  // IKE_SA_INIT and IKE_AUTH with the configured PSK and first child; fails the test unless both succeed.
  void establish() {
    init();
    authenticate();
  }

  // IKE_SA_INIT: afterwards the responder holds a half-open SA whose keys we share.
  void init() {
    const auto group = config.ike_proposals.front().key_exchange.front();
    auto ke = crypto::make_key_exchange(group, rng).value();
    nonce_i.assign(32, 0);
    rng.randomize(nonce_i.data(), nonce_i.size());
    init_request =
        ike::encode_message({header(iana::ExchangeType::IKE_SA_INIT, false, 0),
                             {ike::Payload{ike::SaPayload{to_sa_proposals(config.ike_proposals, {})}},
                              ike::Payload{ike::KePayload{group, ke->public_value()}},
                              ike::Payload{ike::NoncePayload{nonce_i}}}})
            .value()
            .bytes;
    send(init_request);
    auto answers = take();
    REQUIRE(answers.size() == 1);
    const auto init_response = ike::decode_message(answers.front()).value().message;
    spi_r = init_response.header.responder_spi;
    const auto* sa = ike::find_first<ike::SaPayload>(init_response.payloads);
    const auto* ke_r = ike::find_first<ike::KePayload>(init_response.payloads);
    const auto* nonce = ike::find_first<ike::NoncePayload>(init_response.payloads);
    REQUIRE(sa != nullptr);
    REQUIRE(ke_r != nullptr);
    REQUIRE(nonce != nullptr);
    nonce_r = nonce->data;
    const auto accepted = check_accepted_proposal(config.ike_proposals, sa->proposals).value();
    const auto shared = ke->shared_secret(ke_r->data).value();
    auto prf = crypto::make_prf(accepted.transforms.prf).value();
    const auto skeyseed = crypto::ike_sa_skeyseed(*prf, nonce_i, nonce_r, shared).value();
    const auto algorithm = accepted.transforms.sk_algorithm();
    const auto keys =
        crypto::derive_ike_sa_keys(*prf, skeyseed, nonce_i, nonce_r, spi_i, spi_r, algorithm).value();
    cipher_i = crypto::make_sk_cipher(algorithm, keys.sk_ei, keys.sk_ai).value();
    cipher_r = crypto::make_sk_cipher(algorithm, keys.sk_er, keys.sk_ar).value();
    next_id = 1;
    sk_pi = keys.sk_pi;
    prf_ = std::move(prf);
  }

  // IKE_AUTH with the configured PSK and first child.
  void authenticate() {
    const auto octets =
        crypto::signed_octets(init_request, nonce_r, *prf_, sk_pi, id_payload_body(config.local_id));
    const auto auth =
        crypto::psk_auth_padded(*prf_, crypto::psk_key_pad(*prf_, config.local_auth.psk), octets);
    const ChildConfig& child = config.children.front();
    const auto tsi = resolve(child.local_ts, endpoint.address.view()).value();
    const auto tsr = resolve(child.remote_ts, responder.endpoint.address.view()).value();
    send(protect(iana::ExchangeType::IKE_AUTH, false, next_id++,
                 {ike::Payload{ike::IdiPayload{config.local_id.type, config.local_id.data}},
                  ike::Payload{ike::AuthPayload{iana::AuthenticationMethod::SHARED_KEY_MIC,
                                                crypto::Bytes(auth.begin(), auth.end())}},
                  ike::Payload{ike::SaPayload{to_sa_proposals(child.esp_proposals, spi_bytes(0xc0000001))}},
                  ike::Payload{ike::TsiPayload{to_wire(tsi)}}, ike::Payload{ike::TsrPayload{to_wire(tsr)}}}));
    const auto answers = take();
    REQUIRE(answers.size() == 1);
    const auto auth_response = open(answers.front());
    REQUIRE(first_error_notify(auth_response.payloads) == nullptr);
    REQUIRE(ike::find_first<ike::AuthPayload>(auth_response.payloads) != nullptr);
  }
};

}  // namespace ipsecd::test
