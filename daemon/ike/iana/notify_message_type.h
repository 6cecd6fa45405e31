// IANA "IKEv2 Notify Message Types" registry: error types (< 16384) and status types (RFC 7296 §3.10.1).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class NotifyMessageType : uint16_t {
  // Error types: an unrecognised one in a response means the request failed (§3.10.1).
  UNSUPPORTED_CRITICAL_PAYLOAD = 1,
  INVALID_IKE_SPI = 4,
  INVALID_MAJOR_VERSION = 5,
  INVALID_SYNTAX = 7,
  INVALID_MESSAGE_ID = 9,
  INVALID_SPI = 11,
  NO_PROPOSAL_CHOSEN = 14,
  INVALID_KE_PAYLOAD = 17,
  AUTHENTICATION_FAILED = 24,
  SINGLE_PAIR_REQUIRED = 34,
  NO_ADDITIONAL_SAS = 35,
  INTERNAL_ADDRESS_FAILURE = 36,
  FAILED_CP_REQUIRED = 37,
  TS_UNACCEPTABLE = 38,
  INVALID_SELECTORS = 39,
  UNACCEPTABLE_ADDRESSES = 40,
  UNEXPECTED_NAT_DETECTED = 41,
  USE_ASSIGNED_HoA = 42,
  TEMPORARY_FAILURE = 43,
  CHILD_SA_NOT_FOUND = 44,
  INVALID_GROUP_ID = 45,
  AUTHORIZATION_FAILED = 46,
  // Status types: ignored when not recognised.
  INITIAL_CONTACT = 16384,
  SET_WINDOW_SIZE = 16385,
  ADDITIONAL_TS_POSSIBLE = 16386,
  IPCOMP_SUPPORTED = 16387,
  NAT_DETECTION_SOURCE_IP = 16388,
  NAT_DETECTION_DESTINATION_IP = 16389,
  COOKIE = 16390,
  USE_TRANSPORT_MODE = 16391,
  HTTP_CERT_LOOKUP_SUPPORTED = 16392,
  REKEY_SA = 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
  NON_FIRST_FRAGMENTS_ALSO = 16395,
  MOBIKE_SUPPORTED = 16396,
  ADDITIONAL_IP4_ADDRESS = 16397,
  ADDITIONAL_IP6_ADDRESS = 16398,
  NO_ADDITIONAL_ADDRESSES = 16399,
  UPDATE_SA_ADDRESSES = 16400,
  COOKIE2 = 16401,
  NO_NATS_ALLOWED = 16402,
  AUTH_LIFETIME = 16403,
  MULTIPLE_AUTH_SUPPORTED = 16404,
  ANOTHER_AUTH_FOLLOWS = 16405,
  REDIRECT_SUPPORTED = 16406,
  REDIRECT = 16407,
  REDIRECTED_FROM = 16408,
  TICKET_LT_OPAQUE = 16409,
  TICKET_REQUEST = 16410,
  TICKET_ACK = 16411,
  TICKET_NACK = 16412,
  TICKET_OPAQUE = 16413,
  LINK_ID = 16414,
  USE_WESP_MODE = 16415,
  ROHC_SUPPORTED = 16416,
  EAP_ONLY_AUTHENTICATION = 16417,
  CHILDLESS_IKEV2_SUPPORTED = 16418,
  QUICK_CRASH_DETECTION = 16419,
  IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,
  IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421,
  IKEV2_MESSAGE_ID_SYNC = 16422,
  IPSEC_REPLAY_COUNTER_SYNC = 16423,
  SECURE_PASSWORD_METHODS = 16424,
  PSK_PERSIST = 16425,
  PSK_CONFIRM = 16426,
  ERX_SUPPORTED = 16427,
  IFOM_CAPABILITY = 16428,
  SENDER_REQUEST_ID = 16429,
  IKEV2_FRAGMENTATION_SUPPORTED = 16430,
  SIGNATURE_HASH_ALGORITHMS = 16431,
  CLONE_IKE_SA_SUPPORTED = 16432,
  CLONE_IKE_SA = 16433,
  PUZZLE = 16434,
  USE_PPK = 16435,
  PPK_IDENTITY = 16436,
  NO_PPK_AUTH = 16437,
  INTERMEDIATE_EXCHANGE_SUPPORTED = 16438,
  IP4_ALLOWED = 16439,
  IP6_ALLOWED = 16440,
  ADDITIONAL_KEY_EXCHANGE = 16441,
  USE_AGGFRAG = 16442,
};

// Types below 16384 report errors; the rest report status (§3.10.1).
constexpr bool is_error(NotifyMessageType t) { return static_cast<uint16_t>(t) < 16384; }

constexpr std::string_view name(NotifyMessageType t) {
  switch (t) {
    case NotifyMessageType::UNSUPPORTED_CRITICAL_PAYLOAD: return "UNSUPPORTED_CRITICAL_PAYLOAD";
    case NotifyMessageType::INVALID_IKE_SPI: return "INVALID_IKE_SPI";
    case NotifyMessageType::INVALID_MAJOR_VERSION: return "INVALID_MAJOR_VERSION";
    case NotifyMessageType::INVALID_SYNTAX: return "INVALID_SYNTAX";
    case NotifyMessageType::INVALID_MESSAGE_ID: return "INVALID_MESSAGE_ID";
    case NotifyMessageType::INVALID_SPI: return "INVALID_SPI";
    case NotifyMessageType::NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
    case NotifyMessageType::INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
    case NotifyMessageType::AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
    case NotifyMessageType::SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
    case NotifyMessageType::NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
    case NotifyMessageType::INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
    case NotifyMessageType::FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
    case NotifyMessageType::TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
    case NotifyMessageType::INVALID_SELECTORS: return "INVALID_SELECTORS";
    case NotifyMessageType::UNACCEPTABLE_ADDRESSES: return "UNACCEPTABLE_ADDRESSES";
    case NotifyMessageType::UNEXPECTED_NAT_DETECTED: return "UNEXPECTED_NAT_DETECTED";
    case NotifyMessageType::USE_ASSIGNED_HoA: return "USE_ASSIGNED_HoA";
    case NotifyMessageType::TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
    case NotifyMessageType::CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
    case NotifyMessageType::INVALID_GROUP_ID: return "INVALID_GROUP_ID";
    case NotifyMessageType::AUTHORIZATION_FAILED: return "AUTHORIZATION_FAILED";
    case NotifyMessageType::INITIAL_CONTACT: return "INITIAL_CONTACT";
    case NotifyMessageType::SET_WINDOW_SIZE: return "SET_WINDOW_SIZE";
    case NotifyMessageType::ADDITIONAL_TS_POSSIBLE: return "ADDITIONAL_TS_POSSIBLE";
    case NotifyMessageType::IPCOMP_SUPPORTED: return "IPCOMP_SUPPORTED";
    case NotifyMessageType::NAT_DETECTION_SOURCE_IP: return "NAT_DETECTION_SOURCE_IP";
    case NotifyMessageType::NAT_DETECTION_DESTINATION_IP: return "NAT_DETECTION_DESTINATION_IP";
    case NotifyMessageType::COOKIE: return "COOKIE";
    case NotifyMessageType::USE_TRANSPORT_MODE: return "USE_TRANSPORT_MODE";
    case NotifyMessageType::HTTP_CERT_LOOKUP_SUPPORTED: return "HTTP_CERT_LOOKUP_SUPPORTED";
    case NotifyMessageType::REKEY_SA: return "REKEY_SA";
    case NotifyMessageType::ESP_TFC_PADDING_NOT_SUPPORTED: return "ESP_TFC_PADDING_NOT_SUPPORTED";
    case NotifyMessageType::NON_FIRST_FRAGMENTS_ALSO: return "NON_FIRST_FRAGMENTS_ALSO";
    case NotifyMessageType::MOBIKE_SUPPORTED: return "MOBIKE_SUPPORTED";
    case NotifyMessageType::ADDITIONAL_IP4_ADDRESS: return "ADDITIONAL_IP4_ADDRESS";
    case NotifyMessageType::ADDITIONAL_IP6_ADDRESS: return "ADDITIONAL_IP6_ADDRESS";
    case NotifyMessageType::NO_ADDITIONAL_ADDRESSES: return "NO_ADDITIONAL_ADDRESSES";
    case NotifyMessageType::UPDATE_SA_ADDRESSES: return "UPDATE_SA_ADDRESSES";
    case NotifyMessageType::COOKIE2: return "COOKIE2";
    case NotifyMessageType::NO_NATS_ALLOWED: return "NO_NATS_ALLOWED";
    case NotifyMessageType::AUTH_LIFETIME: return "AUTH_LIFETIME";
    case NotifyMessageType::MULTIPLE_AUTH_SUPPORTED: return "MULTIPLE_AUTH_SUPPORTED";
    case NotifyMessageType::ANOTHER_AUTH_FOLLOWS: return "ANOTHER_AUTH_FOLLOWS";
    case NotifyMessageType::REDIRECT_SUPPORTED: return "REDIRECT_SUPPORTED";
    case NotifyMessageType::REDIRECT: return "REDIRECT";
    case NotifyMessageType::REDIRECTED_FROM: return "REDIRECTED_FROM";
    case NotifyMessageType::TICKET_LT_OPAQUE: return "TICKET_LT_OPAQUE";
    case NotifyMessageType::TICKET_REQUEST: return "TICKET_REQUEST";
    case NotifyMessageType::TICKET_ACK: return "TICKET_ACK";
    case NotifyMessageType::TICKET_NACK: return "TICKET_NACK";
    case NotifyMessageType::TICKET_OPAQUE: return "TICKET_OPAQUE";
    case NotifyMessageType::LINK_ID: return "LINK_ID";
    case NotifyMessageType::USE_WESP_MODE: return "USE_WESP_MODE";
    case NotifyMessageType::ROHC_SUPPORTED: return "ROHC_SUPPORTED";
    case NotifyMessageType::EAP_ONLY_AUTHENTICATION: return "EAP_ONLY_AUTHENTICATION";
    case NotifyMessageType::CHILDLESS_IKEV2_SUPPORTED: return "CHILDLESS_IKEV2_SUPPORTED";
    case NotifyMessageType::QUICK_CRASH_DETECTION: return "QUICK_CRASH_DETECTION";
    case NotifyMessageType::IKEV2_MESSAGE_ID_SYNC_SUPPORTED: return "IKEV2_MESSAGE_ID_SYNC_SUPPORTED";
    case NotifyMessageType::IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED: return "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED";
    case NotifyMessageType::IKEV2_MESSAGE_ID_SYNC: return "IKEV2_MESSAGE_ID_SYNC";
    case NotifyMessageType::IPSEC_REPLAY_COUNTER_SYNC: return "IPSEC_REPLAY_COUNTER_SYNC";
    case NotifyMessageType::SECURE_PASSWORD_METHODS: return "SECURE_PASSWORD_METHODS";
    case NotifyMessageType::PSK_PERSIST: return "PSK_PERSIST";
    case NotifyMessageType::PSK_CONFIRM: return "PSK_CONFIRM";
    case NotifyMessageType::ERX_SUPPORTED: return "ERX_SUPPORTED";
    case NotifyMessageType::IFOM_CAPABILITY: return "IFOM_CAPABILITY";
    case NotifyMessageType::SENDER_REQUEST_ID: return "SENDER_REQUEST_ID";
    case NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED: return "IKEV2_FRAGMENTATION_SUPPORTED";
    case NotifyMessageType::SIGNATURE_HASH_ALGORITHMS: return "SIGNATURE_HASH_ALGORITHMS";
    case NotifyMessageType::CLONE_IKE_SA_SUPPORTED: return "CLONE_IKE_SA_SUPPORTED";
    case NotifyMessageType::CLONE_IKE_SA: return "CLONE_IKE_SA";
    case NotifyMessageType::PUZZLE: return "PUZZLE";
    case NotifyMessageType::USE_PPK: return "USE_PPK";
    case NotifyMessageType::PPK_IDENTITY: return "PPK_IDENTITY";
    case NotifyMessageType::NO_PPK_AUTH: return "NO_PPK_AUTH";
    case NotifyMessageType::INTERMEDIATE_EXCHANGE_SUPPORTED: return "INTERMEDIATE_EXCHANGE_SUPPORTED";
    case NotifyMessageType::IP4_ALLOWED: return "IP4_ALLOWED";
    case NotifyMessageType::IP6_ALLOWED: return "IP6_ALLOWED";
    case NotifyMessageType::ADDITIONAL_KEY_EXCHANGE: return "ADDITIONAL_KEY_EXCHANGE";
    case NotifyMessageType::USE_AGGFRAG: return "USE_AGGFRAG";
  }
  return "NOTIFY_UNKNOWN";
}

}  // namespace ipsecd::iana
