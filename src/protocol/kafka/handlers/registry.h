// The dispatch table: every API this broker answers, with the versions that really work.
#pragma once

#include <span>
#include <string>

#include "protocol/kafka/handlers/handler.h"

namespace unimq::kafka {

std::span<const HandlerEntry> handler_table();
const HandlerEntry* find_handler(int16_t api_key);  // nullptr if not served

void handle_api_versions(RequestContext& ctx);
void handle_metadata(RequestContext& ctx);
void handle_produce(RequestContext& ctx);
void handle_fetch(RequestContext& ctx);
void handle_list_offsets(RequestContext& ctx);
void handle_create_topics(RequestContext& ctx);
void handle_delete_topics(RequestContext& ctx);
void handle_create_partitions(RequestContext& ctx);
void handle_describe_configs(RequestContext& ctx);
void handle_alter_configs(RequestContext& ctx);
void handle_incremental_alter_configs(RequestContext& ctx);
void handle_init_producer_id(RequestContext& ctx);
void handle_sasl_handshake(RequestContext& ctx);
void handle_sasl_authenticate(RequestContext& ctx);
void handle_describe_cluster(RequestContext& ctx);
// The host this node advertises in Metadata/FindCoordinator/DescribeCluster answers:
// kafka.advertised_host, else the local address the client dialled.
std::string advertised_host(RequestContext& ctx);

// Consumer-group APIs (handlers by the groups module) are declared in
// protocol/kafka/groups/... and listed in registry.cc.

}  // namespace unimq::kafka
