// Conversion from the codec's field tables (what the session decodes from method frames) to
// the broker model's ArgTable. One encode + decode: declares and binds are not hot paths.
#pragma once

#include "protocol/amqp/broker/field_table.h"
#include "protocol/amqp/codec/field_table.h"

namespace unimq::amqp {

ArgTable to_args(const codec::FieldTable& t);

}  // namespace unimq::amqp
