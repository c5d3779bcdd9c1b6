#include "protocol/amqp/broker/codec_args.h"

#include <vector>

#include "protocol/amqp/codec/wire.h"

namespace unimq::amqp {

ArgTable to_args(const codec::FieldTable& t) {
  std::vector<uint8_t> bytes;
  codec::Writer w(bytes);
  codec::write_table(w, t);
  std::string_view in(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  ArgTable out;
  if (!decode_table(in, out)) out.clear();  // both sides speak RabbitMQ's tags: cannot fail
  return out;
}

}  // namespace unimq::amqp
