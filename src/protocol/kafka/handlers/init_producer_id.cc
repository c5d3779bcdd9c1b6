// InitProducerId: a durable new producer id (idempotent producers) or, for a transactional
// id, its id with the epoch bumped.
#include "protocol/kafka/codec/generated/init_producer_id.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_init_producer_id(RequestContext& ctx) {
  codec::InitProducerIdRequest req;
  if (!ctx.decode(req)) return;
  codec::InitProducerIdResponse resp;
  if (auto ident = ctx.broker.producer_ids().init(req.transactional_id)) {
    resp.producer_id = ident->id;
    resp.producer_epoch = ident->epoch;
  } else {
    resp.error_code = code(ErrorCode::kCoordinatorNotAvailable);
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
