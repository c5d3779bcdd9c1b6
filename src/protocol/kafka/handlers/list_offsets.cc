// ListOffsets: -2 earliest, -1 latest, otherwise the first record whose timestamp is at or
// after the given time (-1 offset when none; compressed batches answer the batch's base).
// A time lookup reads batch headers and a batch from the partition's files, so a request
// with one is answered on a fetch reader thread (net/blocking_pool.h), never on the loop.
#include <memory>

#include "net/blocking_pool.h"
#include "net/event_loop.h"
#include "protocol/kafka/codec/generated/list_offsets.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {
namespace {

bool looks_up_times(const codec::ListOffsetsRequest& req) {
  for (const auto& t : req.topics)
    for (const auto& p : t.partitions)
      if (p.timestamp >= 0) return true;
  return false;
}

codec::ListOffsetsResponse answer(KafkaBroker& broker, const codec::ListOffsetsRequest& req) {
  codec::ListOffsetsResponse resp;
  for (const auto& t : req.topics) {
    auto& tr = resp.topics.emplace_back();
    tr.name = t.name;
    for (const auto& p : t.partitions) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition_index = p.partition_index;
      auto log = broker.partition(t.name, p.partition_index);
      if (!log) {
        pr.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      storage::Stream& s = log->stream();
      pr.leader_epoch = 0;
      if (p.timestamp == -2) {
        pr.offset = s.earliest_offset();
      } else if (p.timestamp == -1) {
        pr.offset = s.latest_offset();
      } else {
        // The index finds the first batch whose max timestamp reaches the target; the
        // answer is the first record in it at or after the target.
        auto off = s.offset_for_timestamp(p.timestamp);
        pr.offset = off ? *off : -1;
        pr.timestamp = -1;
        std::vector<storage::Record> recs;
        if (off && s.read_records(*off, 1u << 20, recs).ok()) {
          for (const auto& rec : recs) {
            if (rec.offset >= *off && rec.timestamp_ms >= p.timestamp) {
              pr.offset = rec.offset;
              pr.timestamp = rec.timestamp_ms;
              break;
            }
          }
        }
      }
    }
  }
  return resp;
}

}  // namespace

void handle_list_offsets(RequestContext& ctx) {
  auto req = std::make_shared<codec::ListOffsetsRequest>();
  if (!ctx.decode(*req)) return;
  if (!looks_up_times(*req)) {
    ctx.respond.send(answer(ctx.broker, *req));
    return;
  }
  KafkaBroker& broker = ctx.broker;
  broker.fetch_readers().submit([&broker, req, respond = ctx.respond] {
    auto resp = std::make_shared<codec::ListOffsetsResponse>(answer(broker, *req));
    respond.loop().post([respond, resp] { respond.send(*resp); });
  });
}

}  // namespace unimq::kafka
