// Errors from the kernel as values: the errno plus a sentence a person can act on.
#pragma once

#include <string>
#include <string_view>

namespace ipsecd::netlink {

struct KernelError {
  int error_number = 0;  // errno as the kernel reported it (positive)
  std::string message;   // "<operation>: <what to do> (<strerror>, errno N; kernel: <extack>)"
};

// What the failed request was about, so the sentence can name the protocol or algorithm at fault.
struct ErrorContext {
  std::string_view operation;  // "add SA", "allocate SPI", "migrate out policy ...", ...
  std::string_view protocol;   // "ESP", "AH" or empty
  std::string_view algorithms; // kernel names of the algorithms in the request, comma separated
};

// Builds the error for a netlink request that failed with `error_number` and the kernel's extended-ack
// text `extack` (may be empty).
KernelError kernel_error(const ErrorContext& context, int error_number, std::string_view extack);

// An error raised on our side (socket setup, malformed input) with the same shape.
KernelError local_error(std::string_view operation, int error_number, std::string_view sentence);

}  // namespace ipsecd::netlink
