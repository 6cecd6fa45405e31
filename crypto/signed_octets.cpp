// The octets an IKEv2 AUTH payload covers: <InitiatorSignedOctets> / <ResponderSignedOctets> (RFC 7296
// §2.15).
#include "crypto/signed_octets.h"

namespace ipsecd::crypto {

Bytes signed_octets(ByteView real_message, ByteView peer_nonce, const Prf& prf, ByteView sk_p,
                    ByteView id_payload_body) {
  const SecureBytes maced_id = prf.compute(sk_p, id_payload_body);
  Bytes out;
  out.reserve(real_message.size() + peer_nonce.size() + maced_id.size());
  out.insert(out.end(), real_message.begin(), real_message.end());
  out.insert(out.end(), peer_nonce.begin(), peer_nonce.end());
  out.insert(out.end(), maced_id.begin(), maced_id.end());
  return out;
}

}  // namespace ipsecd::crypto
