// libFuzzer target for the MQTT codec: decodes the input as a stream of packets for each
// protocol version; every packet that decodes must re-encode to bytes that decode to an
// equal packet. Any mismatch aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "protocol/mqtt/codec/decoder.h"
#include "protocol/mqtt/codec/encoder.h"
#include "protocol/mqtt/codec/packet.h"

namespace {

using namespace unimq::mqtt;

[[noreturn]] void fail(const char* what, const Packet& p, Version v) {
  std::fprintf(stderr, "mqtt fuzz: %s (%s, level %d)\n", what, packet_type_name(packet_type(p)),
               int(v));
  std::abort();
}

void check_round_trip(const Packet& p, Version v) {
  std::vector<uint8_t> wire;
  encode(p, v, wire);
  Packet again;
  size_t consumed = 0;
  DecodeError err;
  if (decode(wire, v, again, consumed, err) != DecodeStatus::Ok) {
    std::fprintf(stderr, "re-decode error: %s\n", err.message.c_str());
    fail("re-encoded packet does not decode", p, v);
  }
  if (consumed != wire.size()) fail("re-encoded packet not fully consumed", p, v);
  if (!(again == p)) fail("round trip mismatch", p, v);
  // One byte short is always incomplete.
  if (decode(std::span(wire.data(), wire.size() - 1), v, again, consumed, err) !=
      DecodeStatus::NeedMore) {
    fail("truncated packet is not NeedMore", p, v);
  }
  if (const auto* pub = std::get_if<Publish>(&p)) {
    if (publish_wire_size(*pub, pub->payload.size(), v) != wire.size()) {
      fail("publish_wire_size mismatch", p, v);
    }
    std::vector<uint8_t> zc;
    encode_publish_header(*pub, pub->payload.size(), v, zc);
    zc.insert(zc.end(), pub->payload.begin(), pub->payload.end());
    if (zc != wire) fail("encode_publish_header mismatch", p, v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (Version v : {Version::V31, Version::V311, Version::V5}) {
    std::span<const uint8_t> buf(data, size);
    Packet packet;  // reused across packets, like a connection does
    while (!buf.empty()) {
      size_t consumed = 0;
      DecodeError err;
      const DecodeStatus st = decode(buf, v, packet, consumed, err);
      if (st != DecodeStatus::Ok) break;
      if (consumed == 0 || consumed > buf.size()) fail("bad consumed count", packet, v);
      check_round_trip(packet, v);
      buf = buf.subspan(consumed);
    }
  }
  return 0;
}
