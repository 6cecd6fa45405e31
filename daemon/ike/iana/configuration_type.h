// IANA "IKEv2 Configuration Payload CFG Types" and "Configuration Payload Attribute Types" (RFC 7296 §3.15).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class ConfigurationType : uint8_t {
  CFG_REQUEST = 1,
  CFG_REPLY = 2,
  CFG_SET = 3,
  CFG_ACK = 4,
};

constexpr std::string_view name(ConfigurationType t) {
  switch (t) {
    case ConfigurationType::CFG_REQUEST: return "CFG_REQUEST";
    case ConfigurationType::CFG_REPLY: return "CFG_REPLY";
    case ConfigurationType::CFG_SET: return "CFG_SET";
    case ConfigurationType::CFG_ACK: return "CFG_ACK";
  }
  return "CFG_UNKNOWN";
}

// The 15-bit attribute type, without the reserved top bit (§3.15.1).
enum class ConfigurationAttributeType : uint16_t {
  INTERNAL_IP4_ADDRESS = 1,
  INTERNAL_IP4_NETMASK = 2,
  INTERNAL_IP4_DNS = 3,
  INTERNAL_IP4_NBNS = 4,
  INTERNAL_IP4_DHCP = 6,
  APPLICATION_VERSION = 7,
  INTERNAL_IP6_ADDRESS = 8,
  INTERNAL_IP6_DNS = 10,
  INTERNAL_IP6_DHCP = 12,
  INTERNAL_IP4_SUBNET = 13,
  SUPPORTED_ATTRIBUTES = 14,
  INTERNAL_IP6_SUBNET = 15,
  MIP6_HOME_PREFIX = 16,
  INTERNAL_IP6_LINK = 17,
  INTERNAL_IP6_PREFIX = 18,
  HOME_AGENT_ADDRESS = 19,
  P_CSCF_IP4_ADDRESS = 20,
  P_CSCF_IP6_ADDRESS = 21,
  FTT_KAT = 22,
  EXTERNAL_SOURCE_IP4_NAT_INFO = 23,
  TIMEOUT_PERIOD_FOR_LIVENESS_CHECK = 24,
  INTERNAL_DNS_DOMAIN = 25,
  INTERNAL_DNSSEC_TA = 26,
  ENCDNS_IP4 = 27,
  ENCDNS_IP6 = 28,
  ENCDNS_DIGEST_INFO = 29,
};

constexpr std::string_view name(ConfigurationAttributeType t) {
  switch (t) {
    case ConfigurationAttributeType::INTERNAL_IP4_ADDRESS: return "INTERNAL_IP4_ADDRESS";
    case ConfigurationAttributeType::INTERNAL_IP4_NETMASK: return "INTERNAL_IP4_NETMASK";
    case ConfigurationAttributeType::INTERNAL_IP4_DNS: return "INTERNAL_IP4_DNS";
    case ConfigurationAttributeType::INTERNAL_IP4_NBNS: return "INTERNAL_IP4_NBNS";
    case ConfigurationAttributeType::INTERNAL_IP4_DHCP: return "INTERNAL_IP4_DHCP";
    case ConfigurationAttributeType::APPLICATION_VERSION: return "APPLICATION_VERSION";
    case ConfigurationAttributeType::INTERNAL_IP6_ADDRESS: return "INTERNAL_IP6_ADDRESS";
    case ConfigurationAttributeType::INTERNAL_IP6_DNS: return "INTERNAL_IP6_DNS";
    case ConfigurationAttributeType::INTERNAL_IP6_DHCP: return "INTERNAL_IP6_DHCP";
    case ConfigurationAttributeType::INTERNAL_IP4_SUBNET: return "INTERNAL_IP4_SUBNET";
    case ConfigurationAttributeType::SUPPORTED_ATTRIBUTES: return "SUPPORTED_ATTRIBUTES";
    case ConfigurationAttributeType::INTERNAL_IP6_SUBNET: return "INTERNAL_IP6_SUBNET";
    case ConfigurationAttributeType::MIP6_HOME_PREFIX: return "MIP6_HOME_PREFIX";
    case ConfigurationAttributeType::INTERNAL_IP6_LINK: return "INTERNAL_IP6_LINK";
    case ConfigurationAttributeType::INTERNAL_IP6_PREFIX: return "INTERNAL_IP6_PREFIX";
    case ConfigurationAttributeType::HOME_AGENT_ADDRESS: return "HOME_AGENT_ADDRESS";
    case ConfigurationAttributeType::P_CSCF_IP4_ADDRESS: return "P_CSCF_IP4_ADDRESS";
    case ConfigurationAttributeType::P_CSCF_IP6_ADDRESS: return "P_CSCF_IP6_ADDRESS";
    case ConfigurationAttributeType::FTT_KAT: return "FTT_KAT";
    case ConfigurationAttributeType::EXTERNAL_SOURCE_IP4_NAT_INFO: return "EXTERNAL_SOURCE_IP4_NAT_INFO";
    case ConfigurationAttributeType::TIMEOUT_PERIOD_FOR_LIVENESS_CHECK:
      return "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK";
    case ConfigurationAttributeType::INTERNAL_DNS_DOMAIN: return "INTERNAL_DNS_DOMAIN";
    case ConfigurationAttributeType::INTERNAL_DNSSEC_TA: return "INTERNAL_DNSSEC_TA";
    case ConfigurationAttributeType::ENCDNS_IP4: return "ENCDNS_IP4";
    case ConfigurationAttributeType::ENCDNS_IP6: return "ENCDNS_IP6";
    case ConfigurationAttributeType::ENCDNS_DIGEST_INFO: return "ENCDNS_DIGEST_INFO";
  }
  return "CFG_ATTRIBUTE_UNKNOWN";
}

}  // namespace ipsecd::iana
