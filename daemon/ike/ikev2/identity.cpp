// IKE identities (RFC 7296 §3.5) from and to their usual text forms.
#include "daemon/ike/ikev2/config.h"

#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/der_enc.h>
#include <botan/hex.h>
#include <botan/pkix_types.h>

#include <map>

#include <sys/socket.h>

#include <exception>

namespace ipsecd::ikev2 {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Expected<crypto::Bytes, std::string> encode_dn(std::string_view text) {
  try {
    Botan::X509_DN dn;
    size_t start = 0;
    while (start <= text.size()) {
      const size_t comma = text.find(',', start);
      const std::string_view rdn =
          trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
      const size_t eq = rdn.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return unexpected("'" + std::string(rdn) +
                          "' is not an attribute=value pair of a distinguished name");
      }
      const std::string key(trim(rdn.substr(0, eq)));
      const std::string value(trim(rdn.substr(eq + 1)));
      if (value.empty()) return unexpected("attribute '" + key + "' of the distinguished name has no value");
      // Botan knows the short names (C, O, OU, CN, L, ST, ...) and dotted OIDs; unknown names throw.
      dn.add_attribute(Botan::X509_DN::deref_info_field(key), value);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    crypto::Bytes bytes;
    Botan::DER_Encoder der(bytes);
    dn.encode_into(der);
    return bytes;
  } catch (const std::exception& e) {
    return unexpected("distinguished name '" + std::string(text) + "': " + e.what());
  }
}

// Botan's long attribute names and the short ones people write.
const std::map<std::string, std::string> kShortNames{
    {"X520.CommonName", "CN"},         {"X520.Country", "C"},       {"X520.Organization", "O"},
    {"X520.OrganizationalUnit", "OU"}, {"X520.Locality", "L"},      {"X520.State", "ST"},
    {"X520.SerialNumber", "SN"},       {"PKCS9.EmailAddress", "E"}, {"X520.Surname", "surname"},
    {"X520.GivenName", "G"},           {"X520.Title", "T"},         {"RFC2247.DomainComponent", "DC"}};

}  // namespace

Identity address_identity(const IpAddress& address) {
  const auto view = address.view();
  return Identity{address.family == AF_INET6 ? iana::IdentificationType::ID_IPV6_ADDR
                                             : iana::IdentificationType::ID_IPV4_ADDR,
                  crypto::Bytes(view.begin(), view.end())};
}

Expected<Identity, std::string> parse_identity(std::string_view input) {
  const std::string_view text = trim(input);
  if (text.empty()) return unexpected(std::string("an identity may not be empty"));
  if (text.substr(0, 6) == "keyid:") {
    try {
      const auto raw = Botan::hex_decode(std::string(text.substr(6)), false);
      if (raw.empty()) return unexpected(std::string("keyid: needs hex digits"));
      return Identity{iana::IdentificationType::ID_KEY_ID, crypto::Bytes(raw.begin(), raw.end())};
    } catch (const std::exception&) {
      return unexpected("'" + std::string(text.substr(6)) + "' is not hex");
    }
  }
  if (auto ip = IpAddress::parse(text)) return address_identity(*ip);
  if (text.find('=') != std::string_view::npos) {
    auto der = encode_dn(text);
    if (!der) return unexpected(der.error());
    return Identity{iana::IdentificationType::ID_DER_ASN1_DN, std::move(*der)};
  }
  if (text.front() == '@') {
    if (text.size() == 1) return unexpected(std::string("'@' needs a name after it"));
    return Identity{iana::IdentificationType::ID_FQDN, crypto::Bytes(text.begin() + 1, text.end())};
  }
  if (text.find('@') != std::string_view::npos) {
    return Identity{iana::IdentificationType::ID_RFC822_ADDR, crypto::Bytes(text.begin(), text.end())};
  }
  return Identity{iana::IdentificationType::ID_FQDN, crypto::Bytes(text.begin(), text.end())};
}

std::string to_string(const Identity& identity) {
  const auto& d = identity.data;
  switch (identity.type) {
    case iana::IdentificationType::ID_IPV4_ADDR:
    case iana::IdentificationType::ID_IPV6_ADDR:
      if (auto ip = IpAddress::from_bytes(d)) return ip->to_string();
      break;
    case iana::IdentificationType::ID_FQDN:
    case iana::IdentificationType::ID_RFC822_ADDR:
      return std::string(d.begin(), d.end());
    case iana::IdentificationType::ID_DER_ASN1_DN:
      try {
        Botan::X509_DN dn;
        Botan::BER_Decoder(d.data(), d.size()).decode(dn);
        std::string out;
        for (const auto& [oid, value] : dn.dn_info()) {
          if (!out.empty()) out += ", ";
          const std::string long_name = oid.to_formatted_string();
          auto known = kShortNames.find(long_name);
          out += (known == kShortNames.end() ? long_name : known->second) + "=" + value.value();
        }
        return out;
      } catch (const std::exception&) {
        break;
      }
    default:
      break;
  }
  return "keyid:" + Botan::hex_encode(d.data(), d.size(), false);
}

}  // namespace ipsecd::ikev2
