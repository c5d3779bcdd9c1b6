// AMQP 0-9-1 framing: the protocol header, frames (type, channel, size, payload, 0xCE), and
// the content header payload. Pure: no I/O, no allocation when decoding (payloads are views
// into the input).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/amqp/codec/generated/basic_properties.h"
#include "protocol/amqp/codec/generated/method_base.h"
#include "protocol/amqp/codec/wire.h"

namespace unimq::amqp::codec {

inline constexpr std::array<uint8_t, 8> kProtocolHeader = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
inline constexpr size_t kFrameOverhead = 8;  // type(1) channel(2) size(4) ... end(1)

enum class FrameType : uint8_t { Method = 1, Header = 2, Body = 3, Heartbeat = 8 };

enum class HeaderCheck { NeedMore, Ok, Mismatch };
// The first 8 bytes a client sends. Mismatch as soon as a received byte differs.
HeaderCheck check_protocol_header(std::span<const uint8_t> in);

struct Frame {
  FrameType type{};
  uint16_t channel = 0;
  std::span<const uint8_t> payload;
};

enum class FrameStatus { NeedMore, Frame, Malformed };
struct FrameResult {
  FrameStatus status = FrameStatus::NeedMore;
  Frame frame;
  size_t consumed = 0;     // bytes of `in` the frame used (status Frame)
  const char* error = "";  // why, for Malformed
};

// Decodes one frame from the front of `in`. A frame whose total size exceeds frame_max
// (0 = no limit), an unknown type or a wrong end octet is Malformed (501 FRAME_ERROR).
FrameResult decode_frame(std::span<const uint8_t> in, uint32_t frame_max);

// --- encoding (appends to a byte vector) ---

// Frame header for a payload of `size` bytes; append the payload and kFrameEnd after it.
void write_frame_header(Writer& w, FrameType type, uint16_t channel, uint32_t size);
inline void write_frame_end(Writer& w) { w.u8(kFrameEnd); }

// M is one method struct, or the Method variant when method_dispatch.h is included.
template <typename M>
void encode_method_frame(std::vector<uint8_t>& out, uint16_t channel, const M& m) {
  Writer w(out);
  write_frame_header(w, FrameType::Method, channel, 0);
  const size_t size_at = out.size() - 4;
  encode_method(w, m);
  w.patch_u32(size_at, static_cast<uint32_t>(out.size() - size_at - 4));
  write_frame_end(w);
}

void encode_heartbeat_frame(std::vector<uint8_t>& out);

// Content header frame for the basic class.
void encode_content_header_frame(std::vector<uint8_t>& out, uint16_t channel, uint64_t body_size,
                                 const BasicProperties& props);
// Body frames of at most frame_max bytes each (payload frame_max - 8), copying the body.
void encode_body_frames(std::vector<uint8_t>& out, uint16_t channel, std::string_view body,
                        uint32_t frame_max);
// Largest body chunk per frame for a negotiated frame_max (0 = unlimited: whole body).
inline size_t body_chunk_size(uint32_t frame_max) {
  return frame_max == 0 ? SIZE_MAX : frame_max - kFrameOverhead;
}

// Content header payload: class id, weight, body size, properties.
struct ContentHeader {
  uint16_t class_id = kClassBasic;
  uint64_t body_size = 0;
  BasicProperties properties;
};
// Returns false with `error` set on malformed input.
bool decode_content_header(std::span<const uint8_t> payload, ContentHeader& out,
                           const char** error);

}  // namespace unimq::amqp::codec
