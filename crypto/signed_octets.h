// The octets an IKEv2 AUTH payload covers: <InitiatorSignedOctets> / <ResponderSignedOctets> (RFC 7296
// §2.15).
#pragma once

#include "crypto/bytes.h"
#include "crypto/prf.h"

namespace ipsecd::crypto {

// RealMessage | Nonce | prf(SK_p, RestOfIDPayload), where
//  - real_message is the whole first message the signer sent (IKE_SA_INIT request for the initiator,
//    IKE_SA_INIT response for the responder), from the first byte of the IKE header;
//  - peer_nonce is the Nonce Data of the OTHER side (Nr for the initiator, Ni for the responder);
//  - sk_p is the signer's SK_pi or SK_pr;
//  - id_payload_body is the signer's ID payload after the generic payload header (ID Type, RESERVED,
//    Identification Data).
Bytes signed_octets(ByteView real_message, ByteView peer_nonce, const Prf& prf, ByteView sk_p,
                    ByteView id_payload_body);

}  // namespace ipsecd::crypto
