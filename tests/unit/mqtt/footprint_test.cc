// Memory per idle client (benchmark target 4: RSS per idle connection at most Mosquitto's)
// rests on the per-client objects staying small: every connected client has one Session and
// one MqttConnection (plus net's TcpConnection, checked in the net tests). Growing one of them
// past the next malloc size class shows up in `bench/run.sh` idle_conns; check it here first.
#include <gtest/gtest.h>

#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/session/session.h"

namespace unimq::mqtt::test {
namespace {

TEST(Footprint, PerClientObjectsStaySmall) {
  EXPECT_LE(sizeof(Session), 152u);
  EXPECT_LE(sizeof(MqttConnection), 152u);
}

}  // namespace
}  // namespace unimq::mqtt::test
