// Produce: each partition's record set is one or more v2 batches; every batch is validated
// (CRC, dense offsets) and appended as produced. acks=0 gets no answer at all; acks=1/-1 are
// answered once every append callback ran (after the fsync under storage.fsync=always).
#include <spdlog/spdlog.h>

#include "net/event_loop.h"
#include "protocol/kafka/bridge/bus_records.h"
#include "protocol/kafka/codec/generated/produce.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/session/kafka_session.h"
#include "storage/record_batch.h"

namespace unimq::kafka {

namespace {

using Resp = codec::ProduceResponse;
using PartResp = Resp::TopicProduceResponse::PartitionProduceResponse;

// Shared by the append callbacks of one request; answered when the last one completes.
struct PendingProduce {
  Resp resp;
  Responder respond;
  bool answer = true;
  size_t outstanding = 0;
};

// Splits a record set into its batches; false if the set is not whole v2 batches.
bool split_batches(std::span<const uint8_t> set, std::vector<std::span<const uint8_t>>& out) {
  while (!set.empty()) {
    storage::BatchHeader h;
    if (set.size() < storage::kBatchHeaderSize || !storage::parse_batch_header(set, h).ok() ||
        h.magic != 2 || h.batch_length <= 0 || h.total_size() > set.size())
      return false;
    out.push_back(set.first(h.total_size()));
    set = set.subspan(h.total_size());
  }
  return !out.empty();
}

void finish_one(const std::shared_ptr<PendingProduce>& p) {
  if (--p->outstanding > 0) return;
  if (p->answer)
    p->respond.send(p->resp);
  else
    p->respond.none();
}

}  // namespace

void handle_produce(RequestContext& ctx) {
  codec::ProduceRequest req;
  if (!ctx.decode(req)) return;
  auto pending = std::make_shared<PendingProduce>();
  pending->respond = ctx.respond;
  pending->answer = req.acks != 0;
  if (req.acks != 0 && req.acks != 1 && req.acks != -1) {
    for (const auto& t : req.topic_data) {
      auto& tr = pending->resp.responses.emplace_back();
      tr.name = t.name;
      for (const auto& p : t.partition_data)
        tr.partition_responses.push_back(
            PartResp{p.index, code(ErrorCode::kInvalidRequiredAcks), -1, -1, -1, {}, {}, {}});
    }
    ctx.respond.send(pending->resp);
    return;
  }
  auto& metrics = ctx.broker.metrics();
  pending->outstanding = 1;  // released at the end, so inline completions cannot answer early
  for (size_t ti = 0; ti < req.topic_data.size(); ++ti) {
    const auto& t = req.topic_data[ti];
    auto& tr = pending->resp.responses.emplace_back();
    tr.name = t.name;
    tr.partition_responses.resize(t.partition_data.size());
    const bool known = ctx.broker.topic_for_use(t.name, true).has_value();
    for (size_t pi = 0; pi < t.partition_data.size(); ++pi) {
      const auto& pd = t.partition_data[pi];
      PartResp& pr = tr.partition_responses[pi];
      pr.index = pd.index;
      pr.base_offset = -1;
      auto log = known ? ctx.broker.partition(t.name, pd.index) : nullptr;
      std::vector<std::span<const uint8_t>> batches;
      if (!log) {
        pr.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      if (pd.records.is_null || !split_batches(pd.records.bytes(), batches)) {
        pr.error_code = code(ErrorCode::kCorruptMessage);
        spdlog::warn("kafka: produce to {}-{} from {}: record set is not whole v2 batches", t.name,
                     pd.index, ctx.session.peer());
        continue;
      }
      for (size_t bi = 0; bi < batches.size(); ++bi) {
        storage::BatchHeader h;
        (void)storage::parse_batch_header(batches[bi], h);
        metrics.produced_records->inc(uint64_t(h.record_count));
        metrics.produced_bytes->inc(batches[bi].size());
        ++pending->outstanding;
        const bool first = bi == 0;
        net::EventLoop* loop = &ctx.loop();
        // Records also go to the bus (MQTT/AMQP) once appended: keep a copy only then.
        std::shared_ptr<std::vector<uint8_t>> bridged;
        const bridge::BusPublisher* bus = ctx.broker.bus_publisher();
        if (bus && bus->active(pending->resp.responses[ti].name))
          bridged = std::make_shared<std::vector<uint8_t>>(batches[bi].begin(), batches[bi].end());
        log->produce(batches[bi],
                     [pending, loop, ti, pi, first, bus, bridged](const ProduceOutcome& o) {
                       loop->post([pending, ti, pi, first, o, bus, bridged] {
                         PartResp& r = pending->resp.responses[ti].partition_responses[pi];
                         if (bridged && o.error == ErrorCode::kNone)
                           bus->publish(pending->resp.responses[ti].name, *bridged);
                         if (o.error != ErrorCode::kNone) {
                           if (r.error_code == 0) r.error_code = code(o.error);
                         } else if (first) {
                           r.base_offset = o.base_offset;
                           r.log_append_time_ms = o.log_append_time_ms;
                           r.log_start_offset = o.log_start_offset;
                         }
                         if (r.error_code != 0) r.base_offset = -1;
                         finish_one(pending);
                       });
                     });
      }
    }
  }
  finish_one(pending);
}

}  // namespace unimq::kafka
