// Trust anchors (configured CA certificates and CRLs) and PKIX path validation of peer certificates.
#include "crypto/x509_store.h"

#include <botan/hash.h>
#include <botan/x509path.h>

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <iterator>
#include <optional>
#include <vector>

namespace ipsecd::crypto {

namespace {

using Botan::Certificate_Status_Code;

CertificateFailure classify(Certificate_Status_Code code) {
  switch (code) {
    case Certificate_Status_Code::CERT_HAS_EXPIRED:
      return CertificateFailure::EXPIRED;
    case Certificate_Status_Code::CERT_NOT_YET_VALID:
      return CertificateFailure::NOT_YET_VALID;
    case Certificate_Status_Code::CERT_ISSUER_NOT_FOUND:
    case Certificate_Status_Code::CANNOT_ESTABLISH_TRUST:
    case Certificate_Status_Code::CHAIN_LACKS_TRUST_ROOT:
      return CertificateFailure::UNKNOWN_CA;
    case Certificate_Status_Code::CERT_IS_REVOKED:
      return CertificateFailure::REVOKED;
    case Certificate_Status_Code::SIGNATURE_ERROR:
      return CertificateFailure::BAD_SIGNATURE;
    case Certificate_Status_Code::CRL_NOT_YET_VALID:
    case Certificate_Status_Code::CRL_HAS_EXPIRED:
    case Certificate_Status_Code::CRL_BAD_SIGNATURE:
    case Certificate_Status_Code::NO_REVOCATION_DATA:
      return CertificateFailure::CRL_PROBLEM;
    case Certificate_Status_Code::CA_CERT_NOT_FOR_CERT_ISSUER:
    case Certificate_Status_Code::CERT_CHAIN_TOO_LONG:
    case Certificate_Status_Code::INVALID_USAGE:
    case Certificate_Status_Code::NAME_CONSTRAINT_ERROR:
      return CertificateFailure::NOT_ALLOWED;
    case Certificate_Status_Code::SIGNATURE_METHOD_TOO_WEAK:
    case Certificate_Status_Code::UNTRUSTED_HASH:
      return CertificateFailure::WEAK;
    default:
      return CertificateFailure::OTHER;
  }
}

// Botan reports every problem on every certificate of the path and its overall result() is merely the
// numerically largest code (a CRL issued after the validation time outranks the certificate itself not
// being valid yet). The reason a person needs first is the one highest in this list.
constexpr CertificateFailure priority[] = {
    CertificateFailure::REVOKED,       CertificateFailure::EXPIRED,     CertificateFailure::NOT_YET_VALID,
    CertificateFailure::BAD_SIGNATURE, CertificateFailure::UNKNOWN_CA,  CertificateFailure::NOT_ALLOWED,
    CertificateFailure::WEAK,          CertificateFailure::CRL_PROBLEM, CertificateFailure::OTHER,
};

struct Problem {
  CertificateFailure failure;
  Certificate_Status_Code code;
  size_t position;  // index into the certificate path, 0 = end entity
};

Problem main_problem(const Botan::Path_Validation_Result& result) {
  std::optional<Problem> best;
  const auto rank = [](CertificateFailure f) {
    return std::find(std::begin(priority), std::end(priority), f);
  };
  const auto& statuses = result.all_statuses();
  for (size_t i = 0; i < statuses.size(); ++i) {
    for (Certificate_Status_Code code : statuses[i]) {
      if (code < Certificate_Status_Code::FIRST_ERROR_STATUS) continue;
      const Problem p{classify(code), code, i};
      if (!best || rank(p.failure) < rank(best->failure)) best = p;
    }
  }
  return best.value_or(Problem{classify(result.result()), result.result(), 0});
}

std::string describe(CertificateFailure failure, Certificate_Status_Code code) {
  switch (failure) {
    case CertificateFailure::EXPIRED:
      return "certificate expired";
    case CertificateFailure::NOT_YET_VALID:
      return "certificate not yet valid";
    case CertificateFailure::UNKNOWN_CA:
      return "unknown CA";
    case CertificateFailure::REVOKED:
      return "revoked";
    case CertificateFailure::BAD_SIGNATURE:
      return "bad certificate signature";
    default:
      return Botan::Path_Validation_Result::status_string(code);
  }
}

}  // namespace

Expected<Ok, std::string> TrustStore::add_ca(const Botan::X509_Certificate& ca) {
  if (!ca.is_CA_cert()) {
    return unexpected(fmt::format("{} is not a CA certificate", ca.subject_dn().to_string()));
  }
  try {
    const auto hash = Botan::HashFunction::create_or_throw("SHA-1")->process(ca.subject_public_key_info());
    Bytes key_hash(hash.begin(), hash.end());
    if (std::find(ca_key_hashes_.begin(), ca_key_hashes_.end(), key_hash) == ca_key_hashes_.end()) {
      ca_key_hashes_.push_back(std::move(key_hash));
    }
  } catch (const std::exception& e) {
    return unexpected(fmt::format("{}: {}", ca.subject_dn().to_string(), e.what()));
  }
  store_.add_certificate(ca);
  return Ok{};
}

void TrustStore::add_crl(const Botan::X509_CRL& crl) { store_.add_crl(crl); }

size_t TrustStore::ca_count() const { return store_.all_subjects().size(); }

Expected<ValidatedCertificate, CertificateError> TrustStore::validate(
    const Botan::X509_Certificate& end_entity, std::span<const Botan::X509_Certificate> intermediates,
    std::chrono::system_clock::time_point now) const {
  try {
    std::vector<Botan::X509_Certificate> chain{end_entity};
    chain.insert(chain.end(), intermediates.begin(), intermediates.end());
    // Defaults: revocation data optional, keys of at least 110-bit strength (RSA-2048), SHA-2 hashes only.
    const Botan::Path_Validation_Restrictions restrictions;
    const Botan::Path_Validation_Result result =
        Botan::x509_path_validate(chain, restrictions, store_, "", Botan::Usage_Type::UNSPECIFIED, now);
    if (!result.successful_validation()) {
      const Problem problem = main_problem(result);
      const auto& path = result.cert_path();
      const Botan::X509_Certificate& culprit =
          problem.position < path.size() ? *path[problem.position] : end_entity;
      return unexpected(CertificateError{
          problem.failure,
          fmt::format("{}: {}", describe(problem.failure, problem.code), culprit.subject_dn().to_string())});
    }
    // RFC 4945 §5.1.3.2: an end entity whose keyUsage allows neither digitalSignature nor nonRepudiation
    // must not authenticate an IKE peer. Botan does not check this for Usage_Type::UNSPECIFIED, and no
    // other usage type means exactly this. An absent keyUsage extension allows everything.
    const Botan::Key_Constraints usage = end_entity.constraints();
    if (usage != Botan::NO_CONSTRAINTS &&
        (usage & (Botan::DIGITAL_SIGNATURE | Botan::NON_REPUDIATION)) == 0) {
      return unexpected(CertificateError{
          CertificateFailure::NOT_ALLOWED,
          fmt::format("key usage allows neither digitalSignature nor nonRepudiation (RFC 4945 §5.1.3.2): {}",
                      end_entity.subject_dn().to_string())});
    }
    auto valid_until = std::chrono::system_clock::time_point::max();
    auto valid_from = std::chrono::system_clock::time_point::min();
    for (const auto& cert : result.cert_path()) {
      valid_until = std::min(valid_until, cert->not_after().to_std_timepoint());
      valid_from = std::max(valid_from, cert->not_before().to_std_timepoint());
    }
    std::shared_ptr<const Botan::Public_Key> key(end_entity.load_subject_public_key());
    return ValidatedCertificate{end_entity, std::move(key), valid_until, valid_from, identity_of(end_entity)};
  } catch (const std::exception& e) {
    return unexpected(CertificateError{CertificateFailure::OTHER,
                                       fmt::format("certificate validation failed: {}", e.what())});
  }
}

}  // namespace ipsecd::crypto
