// libFuzzer target: the AMQP frame decoder, then whatever the frames carry (method
// arguments incl. field tables, content headers incl. properties). Decoded methods are
// re-encoded and decoded again, which must give the same value.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/amqp/codec/frame.h"
#include "protocol/amqp/codec/generated/method_dispatch.h"

using namespace unimq::amqp::codec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  for (int frames = 0; frames < 64 && !in.empty(); ++frames) {
    const FrameResult r = decode_frame(in, 131072);
    if (r.status != FrameStatus::Frame) break;
    const auto payload = r.frame.payload;
    if (r.frame.type == FrameType::Method) {
      Reader reader(payload.data(), payload.size());
      Method m;
      if (decode_method(reader, m)) {
        std::vector<uint8_t> again;
        Writer w(again);
        encode_method(w, m);
        Reader r2(again.data(), again.size());
        Method back;
        // Decode -> encode -> decode -> encode must be stable (bytes, not values: NaN).
        if (!decode_method(r2, back)) __builtin_trap();
        std::vector<uint8_t> third;
        Writer w3(third);
        encode_method(w3, back);
        if (third != again) __builtin_trap();
      }
    } else if (r.frame.type == FrameType::Header) {
      ContentHeader h;
      const char* why = "";
      decode_content_header(payload, h, &why);
    }
    in = in.subspan(r.consumed);
  }
  return 0;
}
