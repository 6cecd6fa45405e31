// The sentences for kernel errnos: what went wrong in the terms of the request and what to do about it.
#include "netlink/kernel_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace ipsecd::netlink {
namespace {

// The algorithm the kernel complained about: its extack names the kind ("Requested AEAD algorithm not
// found", "... CRYPT ...", "... AUTH ..."), the request names the algorithms.
std::string missing_algorithm(const ErrorContext& c, std::string_view extack) {
  if (!c.algorithms.empty()) {
    return fmt::format("the kernel's crypto API lacks an algorithm of this SA ({}){}: load its module "
                       "(CONFIG_CRYPTO_*) or negotiate another proposal",
                       c.algorithms, extack.empty() ? "" : fmt::format(" — {}", extack));
  }
  return "the kernel's crypto API lacks a requested algorithm: load its module or choose another";
}

// XFRM_MSG_MIGRATE (xfrm_do_migrate, xfrm_migrate in net/xfrm): its errnos mean other things than for
// the other requests. Empty when the generic sentence fits.
std::string_view migrate_advice(int error_number) {
  switch (error_number) {
    case ENOPROTOOPT: return "the kernel was built without CONFIG_XFRM_MIGRATE: MOBIKE address updates need it";
    case ENOENT: return "no policy with exactly this selector and direction (and if_id) to migrate";
    case ENODATA:
      return "the policy has no template with this protocol, mode, reqid and these old tunnel addresses "
             "(already migrated?), or an SA could not be moved (one with the new addresses and SPI exists?)";
    case EINVAL:
      return "the kernel rejected the migration: 1 to 6 distinct entries with non-zero new addresses, "
             "a valid direction";
    default: return {};
  }
}

std::string advice(const ErrorContext& c, int error_number, std::string_view extack) {
  const bool sa = c.operation.find("SA") != std::string_view::npos;
  const bool policy = c.operation.find("policy") != std::string_view::npos;
  if (c.operation.starts_with("migrate")) {
    if (const auto m = migrate_advice(error_number); !m.empty()) return std::string(m);
  }
  switch (error_number) {
    case EPROTONOSUPPORT:
      if (c.protocol == "AH") return "the kernel has no AH support: load ah4/ah6";
      if (c.protocol == "ESP") return "the kernel has no ESP support: load esp4/esp6";
      return "the kernel does not support this IPsec protocol: load esp4/esp6 or ah4/ah6";
    case ENOSYS: return missing_algorithm(c, extack);
    case EEXIST:
      if (sa) return "an SA with this destination, SPI and protocol already exists: update it or pick another SPI";
      if (policy) return "a policy with this selector, direction and mark already exists: update it instead";
      return "the entry already exists";
    case ESRCH:
    case ENOENT:
      if (sa) return "no such SA in the kernel (already expired or deleted?)";
      if (policy) return "no such policy in the kernel (already deleted?)";
      return "no such entry in the kernel";
    case EPERM:
    case EACCES: return "the XFRM interface needs CAP_NET_ADMIN: run ipsecd as root or grant the capability";
    case EINVAL: return "the kernel rejected the request's parameters (key length, mode, selector or flags)";
    case ENOBUFS:
    case ENOMEM: return "the kernel is out of memory for XFRM entries or the socket buffer overflowed";
    case EAFNOSUPPORT: return "the kernel lacks support for this address family (IPv6 disabled?)";
    case EOPNOTSUPP: return "the kernel does not support this XFRM feature";
    default: return "the kernel refused the request";
  }
}

}  // namespace

KernelError kernel_error(const ErrorContext& context, int error_number, std::string_view extack) {
  std::string message = fmt::format("{}: {} ({}, errno {}", context.operation,
                                    advice(context, error_number, extack), std::strerror(error_number),
                                    error_number);
  if (!extack.empty()) message += fmt::format("; kernel: {}", extack);
  message += ")";
  return {error_number, std::move(message)};
}

KernelError local_error(std::string_view operation, int error_number, std::string_view sentence) {
  if (error_number == 0) return {EINVAL, fmt::format("{}: {}", operation, sentence)};
  return {error_number,
          fmt::format("{}: {} ({}, errno {})", operation, sentence, std::strerror(error_number), error_number)};
}

}  // namespace ipsecd::netlink
