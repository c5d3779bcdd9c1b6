// A request of an API this broker serves, at a version it does not serve but whose wire
// format Kafka's schemas define (Produce v0-2 with its old message sets, Fetch v13+ with
// topic ids, ...): answered in that version's format with UNSUPPORTED_VERSION where the
// response has room for an error, as Kafka's AbstractRequest.getErrorResponse does, so an old
// or pinned client (kafka-python with api_version=(0, 10)) reports "unsupported version"
// instead of retrying a connection that keeps closing. Clients that negotiate through
// ApiVersions never get here.
#include "protocol/kafka/handlers/unsupported_version.h"

#include "protocol/kafka/codec/generated/api_table.h"
#include "protocol/kafka/codec/generated/fetch.h"
#include "protocol/kafka/codec/generated/find_coordinator.h"
#include "protocol/kafka/codec/generated/init_producer_id.h"
#include "protocol/kafka/codec/generated/list_groups.h"
#include "protocol/kafka/codec/generated/list_offsets.h"
#include "protocol/kafka/codec/generated/offset_commit.h"
#include "protocol/kafka/codec/generated/offset_fetch.h"
#include "protocol/kafka/codec/generated/produce.h"
#include "protocol/kafka/error_codes.h"

namespace unimq::kafka {
namespace {

const int16_t kUnsupported = code(ErrorCode::kUnsupportedVersion);

void produce(RequestContext& ctx) {
  codec::ProduceRequest req;
  if (!ctx.decode(req)) return;
  if (req.acks == 0) {  // no answer to carry the error: Kafka closes the connection too
    ctx.respond.close("Produce with acks=0 at an unsupported version");
    return;
  }
  codec::ProduceResponse resp;
  for (const auto& t : req.topic_data) {
    auto& tr = resp.responses.emplace_back();
    tr.name = t.name;
    for (const auto& p : t.partition_data) {
      auto& pr = tr.partition_responses.emplace_back();
      pr.index = p.index;
      pr.error_code = kUnsupported;
      pr.base_offset = -1;  // Kafka's INVALID_OFFSET in error answers
    }
  }
  ctx.respond.send(resp);
}

void fetch(RequestContext& ctx) {
  codec::FetchRequest req;
  if (!ctx.decode(req)) return;
  codec::FetchResponse resp;
  resp.error_code = kUnsupported;  // v7+
  for (const auto& t : req.topics) {
    auto& tr = resp.responses.emplace_back();
    tr.topic = t.topic;
    tr.topic_id = t.topic_id;
    for (const auto& p : t.partitions) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition_index = p.partition;
      pr.error_code = kUnsupported;
      pr.high_watermark = -1;
    }
  }
  ctx.respond.send(resp);
}

// Each requested partition answered with the error: ListOffsets and OffsetCommit name their
// topics and partitions alike.
template <typename Request, typename Response>
void each_partition(RequestContext& ctx) {
  Request req;
  if (!ctx.decode(req)) return;
  Response resp;
  for (const auto& t : req.topics) {
    auto& tr = resp.topics.emplace_back();
    tr.name = t.name;
    for (const auto& p : t.partitions) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition_index = p.partition_index;
      pr.error_code = kUnsupported;
    }
  }
  ctx.respond.send(resp);
}

void offset_fetch(RequestContext& ctx) {
  codec::OffsetFetchRequest req;
  if (!ctx.decode(req)) return;
  codec::OffsetFetchResponse resp;
  resp.error_code = kUnsupported;     // v2-7
  for (const auto& g : req.groups) {  // v8+
    auto& gr = resp.groups.emplace_back();
    gr.group_id = g.group_id;
    gr.error_code = kUnsupported;
  }
  ctx.respond.send(resp);
}

void find_coordinator(RequestContext& ctx) {
  codec::FindCoordinatorRequest req;
  if (!ctx.decode(req)) return;
  codec::FindCoordinatorResponse resp;
  resp.error_code = kUnsupported;  // v0-3
  resp.node_id = -1;
  for (const auto& key : req.coordinator_keys) {  // v4+
    auto& c = resp.coordinators.emplace_back();
    c.key = key;
    c.node_id = -1;
    c.error_code = kUnsupported;
  }
  ctx.respond.send(resp);
}

void list_groups(RequestContext& ctx) {
  codec::ListGroupsRequest req;
  if (!ctx.decode(req)) return;
  codec::ListGroupsResponse resp;
  resp.error_code = kUnsupported;
  ctx.respond.send(resp);
}

void init_producer_id(RequestContext& ctx) {
  codec::InitProducerIdRequest req;
  if (!ctx.decode(req)) return;
  codec::InitProducerIdResponse resp;
  resp.error_code = kUnsupported;
  resp.producer_epoch = -1;
  ctx.respond.send(resp);
}

}  // namespace

HandlerFn unsupported_version_answer(int16_t api_key) {
  namespace k = codec::api_key;
  switch (api_key) {
    case k::kProduce:
      return produce;
    case k::kFetch:
      return fetch;
    case k::kListOffsets:
      return each_partition<codec::ListOffsetsRequest, codec::ListOffsetsResponse>;
    case k::kOffsetCommit:
      return each_partition<codec::OffsetCommitRequest, codec::OffsetCommitResponse>;
    case k::kOffsetFetch:
      return offset_fetch;
    case k::kFindCoordinator:
      return find_coordinator;
    case k::kListGroups:
      return list_groups;
    case k::kInitProducerId:
      return init_producer_id;
    default:
      return nullptr;
  }
}

}  // namespace unimq::kafka
