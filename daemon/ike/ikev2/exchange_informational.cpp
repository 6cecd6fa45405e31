// INFORMATIONAL (RFC 7296 §1.4, §1.5): Delete of the IKE SA or of CHILD_SAs, AUTHENTICATION_FAILED after
// IKE_AUTH (§2.21.2), and the empty answer liveness checks expect.
#include "daemon/ike/ikev2/engine.h"

#include "daemon/ike/ikev2/payload_helpers.h"

#include <algorithm>

namespace ipsecd::ikev2 {

void Engine::on_informational_request(IkeSa& sa, uint32_t message_id,
                                      const std::vector<ike::Payload>& payloads) {
  bool delete_ike = false;
  std::vector<uint32_t> deleted_esp;
  std::vector<uint32_t> deleted_ah;
  for (const auto& p : payloads) {
    const auto* d = std::get_if<ike::DeletePayload>(&p.body);
    if (d == nullptr) continue;
    if (d->protocol == iana::SecurityProtocolId::IKE) {
      delete_ike = true;
      continue;
    }
    if (d->protocol != iana::SecurityProtocolId::ESP && d->protocol != iana::SecurityProtocolId::AH) continue;
    // §1.4.1: the peer names the SPIs it receives on, i.e. our outbound ones; we answer with our inbound.
    // Either SA of an ESP+AH bundle deletes both: neither is of use without the other, as the policy
    // applies both. The peer names both, in an ESP and an AH payload (§3.11: one protocol per payload),
    // and so do we.
    for (uint32_t spi : d->spis) {
      auto child = std::find_if(sa.children.begin(), sa.children.end(),
                                [&](const ChildSa& c) { return c.sends_to(d->protocol, spi); });
      if (child == sa.children.end()) continue;
      (child->transforms.protocol == iana::SecurityProtocolId::AH ? deleted_ah : deleted_esp)
          .push_back(child->spi_in);
      if (child->ah) deleted_ah.push_back(child->ah->spi_in);
      remove_child(sa, static_cast<size_t>(child - sa.children.begin()), true);
    }
  }

  if (delete_ike) {
    // §1.4.1: the answer is empty, and both sides forget the IKE SA and everything under it.
    send_response(sa, iana::ExchangeType::INFORMATIONAL, message_id, {});
    // §2.25.2: a Delete of an IKE SA we are rekeying wins and our rekey is forgotten; the children the
    // peer's own rekey already moved over (§2.18) live on in the new IKE SA.
    if (sa.peer_ike_rekey) {
      if (IkeSa* successor = find_sa(sa.peer_ike_rekey->new_sa_spi)) move_children(sa, *successor);
    }
    remove_and_report(sa, true, "the peer deleted the IKE SA", ChildDeleteCause::peer);
    return;
  }
  std::vector<ike::Payload> answer;
  if (!deleted_esp.empty()) {
    answer.push_back(ike::Payload{ike::DeletePayload{iana::SecurityProtocolId::ESP, deleted_esp}});
  }
  if (!deleted_ah.empty()) {
    answer.push_back(ike::Payload{ike::DeletePayload{iana::SecurityProtocolId::AH, deleted_ah}});
  }
  send_response(sa, iana::ExchangeType::INFORMATIONAL, message_id, answer);
  if (has_notify(payloads, iana::NotifyMessageType::AUTHENTICATION_FAILED)) {
    fail_sa(sa, failure_from_notify(iana::NotifyMessageType::AUTHENTICATION_FAILED));
  }
}

void Engine::on_informational_response(IkeSa& sa, const std::vector<ike::Payload>&) {
  if (sa.state != IkeSaState::deleting) {
    // The answer to our CHILD_SA Delete (§1.4.1): the children we asked about go now, whatever SPIs the
    // peer listed (it may have deleted them already itself).
    for (size_t i = sa.children.size(); i-- > 0;) {
      if (sa.children[i].state == ChildSaState::deleting) remove_child(sa, i);
    }
    return;
  }
  remove_and_report(sa);
}

}  // namespace ipsecd::ikev2
