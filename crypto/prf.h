// IKEv2 pseudorandom functions by IANA transform ID (RFC 7296 §3.3.2, RFC 4434, RFC 4615, RFC 4868).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/pseudorandom_function.h"

#include <memory>
#include <span>
#include <string>

namespace ipsecd::crypto {

// One PRF bound to one key, for the places RFC 7296 applies the same key many times (prf+, §2.13). Keying
// is the costly part of the HMAC and AES PRFs, so it is done once here rather than on every call. Holds
// the key schedule (wiped with the object); not for concurrent use; make one per derivation, never keep
// one beyond the IKE SA whose key it holds.
class KeyedPrf {
 public:
  virtual ~KeyedPrf() = default;
  virtual size_t output_size() const = 0;
  // prf(K, pieces[0] | pieces[1] | ...) written to `out`, which must be exactly output_size() bytes. The
  // pieces are read in place, so callers need not concatenate them first.
  virtual void compute(std::span<const ByteView> pieces, std::span<uint8_t> out) = 0;
};

// A keyless PRF: the key is an argument of every call, as prf(K, S) is written in RFC 7296. Instances hold
// no per-call state, so one may be shared by threads.
class Prf {
 public:
  virtual ~Prf() = default;
  virtual iana::PseudorandomFunction id() const = 0;
  // Bytes of one output block.
  virtual size_t output_size() const = 0;
  // The preferred key length: the length of SK_d, SK_pi and SK_pr (RFC 7296 §2.13, §2.14). For the HMAC
  // PRFs it is the hash length, for AES-XCBC-PRF-128 and AES-CMAC-PRF-128 it is 16.
  virtual size_t key_size() const = 0;
  // Whether the PRF takes a fixed-size key, which changes how SKEYSEED is keyed (RFC 7296 §2.14).
  virtual bool fixed_key_size() const = 0;
  // Keys of any length are accepted: HMAC per RFC 2104; the AES PRFs reduce or extend the key as RFC 4434
  // §2 and RFC 4615 §3 say.
  virtual SecureBytes compute(ByteView key, ByteView data) const = 0;
  // The same function with `key` scheduled once, for repeated use under that key. Same key rules as
  // compute().
  virtual std::unique_ptr<KeyedPrf> keyed(ByteView key) const = 0;
};

// PRF_HMAC_MD5, PRF_HMAC_SHA1, PRF_HMAC_SHA2_256/384/512, PRF_AES128_XCBC, PRF_AES128_CMAC; an error for any
// other ID.
Expected<std::unique_ptr<Prf>, std::string> make_prf(iana::PseudorandomFunction id);

}  // namespace ipsecd::crypto
