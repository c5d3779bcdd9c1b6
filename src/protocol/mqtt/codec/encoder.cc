// Dispatch from Packet to the per-packet encoders.
#include "protocol/mqtt/codec/encoder.h"

#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {

void encode(const Packet& p, Version version, std::vector<uint8_t>& out) {
  struct Visitor {
    Version v;
    std::vector<uint8_t>& out;
    void operator()(const Connect& c) const { encode_connect(c, out); }
    void operator()(const Connack& c) const { encode_connack(c, v, out); }
    void operator()(const Publish& c) const { encode_publish(c, v, out); }
    void operator()(const Ack& c) const { encode_ack(c, v, out); }
    void operator()(const Subscribe& c) const { encode_subscribe(c, v, out); }
    void operator()(const Suback& c) const { encode_suback(c, v, out); }
    void operator()(const Unsubscribe& c) const { encode_unsubscribe(c, v, out); }
    void operator()(const Unsuback& c) const { encode_unsuback(c, v, out); }
    void operator()(const Pingreq&) const { out.insert(out.end(), {0xC0, 0x00}); }
    void operator()(const Pingresp&) const { out.insert(out.end(), {0xD0, 0x00}); }
    void operator()(const Disconnect& c) const { encode_disconnect(c, v, out); }
    void operator()(const Auth& c) const { encode_auth(c, v, out); }
  };
  std::visit(Visitor{version, out}, p);
}

void encode(const Publish& p, Version version, std::vector<uint8_t>& out) {
  encode_publish(p, version, out);
}

void encode(const Ack& p, Version version, std::vector<uint8_t>& out) {
  encode_ack(p, version, out);
}

void put_varint(uint32_t value, std::vector<uint8_t>& out) {
  const size_t base = out.size();
  out.resize(base + varint_size(value));
  PtrSink(out.data() + base).varint(value);
}

}  // namespace unimq::mqtt
