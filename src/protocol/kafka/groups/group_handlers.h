// The consumer-group API handlers (one file each in handlers/), listed in handlers/registry.cc.
// They translate between the wire messages and the GroupCoordinator; held answers (JoinGroup,
// SyncGroup) are posted back to the connection's loop.
#pragma once

namespace unimq::kafka {

struct RequestContext;

void handle_find_coordinator(RequestContext& ctx);  // v0-4
void handle_join_group(RequestContext& ctx);        // v0-9
void handle_sync_group(RequestContext& ctx);        // v0-5
void handle_heartbeat(RequestContext& ctx);         // v0-4
void handle_leave_group(RequestContext& ctx);       // v0-5
void handle_offset_commit(RequestContext& ctx);     // v0-8
void handle_offset_fetch(RequestContext& ctx);      // v0-8
void handle_list_groups(RequestContext& ctx);       // v0-4
void handle_describe_groups(RequestContext& ctx);   // v0-5
void handle_delete_groups(RequestContext& ctx);     // v0-2

}  // namespace unimq::kafka
