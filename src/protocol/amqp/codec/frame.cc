#include "protocol/amqp/codec/frame.h"

#include <algorithm>

namespace unimq::amqp::codec {

HeaderCheck check_protocol_header(std::span<const uint8_t> in) {
  const size_t n = std::min(in.size(), kProtocolHeader.size());
  if (!std::equal(in.begin(), in.begin() + n, kProtocolHeader.begin()))
    return HeaderCheck::Mismatch;
  return n == kProtocolHeader.size() ? HeaderCheck::Ok : HeaderCheck::NeedMore;
}

FrameResult decode_frame(std::span<const uint8_t> in, uint32_t frame_max) {
  FrameResult res;
  if (in.size() < 7) return res;
  const uint8_t type = in[0];
  if (type != 1 && type != 2 && type != 3 && type != 8) {
    res.status = FrameStatus::Malformed;
    res.error = "unknown frame type";
    return res;
  }
  const uint32_t size =
      uint32_t(in[3]) << 24 | uint32_t(in[4]) << 16 | uint32_t(in[5]) << 8 | uint32_t(in[6]);
  if (frame_max != 0 && uint64_t(size) + kFrameOverhead > frame_max) {
    res.status = FrameStatus::Malformed;
    res.error = "frame larger than frame_max";
    return res;
  }
  const uint64_t total = uint64_t(size) + kFrameOverhead;
  if (in.size() < total) return res;
  if (in[total - 1] != kFrameEnd) {
    res.status = FrameStatus::Malformed;
    res.error = "bad frame end octet";
    return res;
  }
  res.status = FrameStatus::Frame;
  res.frame.type = static_cast<FrameType>(type);
  res.frame.channel = static_cast<uint16_t>(in[1] << 8 | in[2]);
  res.frame.payload = in.subspan(7, size);
  res.consumed = static_cast<size_t>(total);
  return res;
}

void write_frame_header(Writer& w, FrameType type, uint16_t channel, uint32_t size) {
  w.u8(static_cast<uint8_t>(type));
  w.u16(channel);
  w.u32(size);
}

void encode_heartbeat_frame(std::vector<uint8_t>& out) {
  Writer w(out);
  write_frame_header(w, FrameType::Heartbeat, 0, 0);
  write_frame_end(w);
}

void encode_content_header_frame(std::vector<uint8_t>& out, uint16_t channel, uint64_t body_size,
                                 const BasicProperties& props) {
  Writer w(out);
  write_frame_header(w, FrameType::Header, channel, 0);
  const size_t size_at = out.size() - 4;
  w.u16(kClassBasic);
  w.u16(0);  // weight
  w.u64(body_size);
  props.write(w);
  w.patch_u32(size_at, static_cast<uint32_t>(out.size() - size_at - 4));
  write_frame_end(w);
}

void encode_body_frames(std::vector<uint8_t>& out, uint16_t channel, std::string_view body,
                        uint32_t frame_max) {
  Writer w(out);
  const size_t chunk = body_chunk_size(frame_max);
  for (size_t at = 0; at < body.size(); at += chunk) {
    const size_t n = std::min(chunk, body.size() - at);
    write_frame_header(w, FrameType::Body, channel, static_cast<uint32_t>(n));
    w.raw(body.substr(at, n));
    write_frame_end(w);
  }
}

bool decode_content_header(std::span<const uint8_t> payload, ContentHeader& out,
                           const char** error) {
  Reader r(payload.data(), payload.size());
  out.class_id = r.u16();
  r.u16();  // weight, unused
  out.body_size = r.u64();
  out.properties = BasicProperties{};
  out.properties.read(r);
  if (r.ok() && !r.at_end()) r.fail("trailing bytes after content properties");
  if (!r.ok()) {
    *error = r.error();
    return false;
  }
  return true;
}

}  // namespace unimq::amqp::codec
