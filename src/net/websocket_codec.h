// RFC 6455 server side, transport-free: the HTTP/1.1 upgrade handshake and frame
// decoding/encoding. TcpConnection drives it; tests use it directly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace unimq::net::ws {

enum Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

enum CloseCode : uint16_t {
  kNormalClosure = 1000,
  kProtocolError = 1002,
  kNoStatus = 1005,
  kMessageTooBig = 1009,
};

// base64(SHA1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string accept_key(std::string_view client_key);

struct HandshakeResult {
  enum class Status { kIncomplete, kAccepted, kRejected };
  Status status = Status::kIncomplete;
  size_t consumed = 0;   // request bytes, through the blank line
  std::string response;  // "101 Switching Protocols" or "400 Bad Request", ready to send
  std::string protocol;  // the selected subprotocol, empty if none
  std::string error;     // why it was rejected (for the log)
};

// Parses the client's upgrade request at the start of `in`. `subprotocol` is what we require
// when the client offers any (for "mqtt", the legacy "mqttv3.1" is accepted too).
HandshakeResult parse_handshake(std::string_view in, std::string_view subprotocol);

constexpr size_t kMaxHeaderSize = 10;  // server frames are unmasked: 2 + 8
// Writes an unmasked frame header; returns its size.
size_t encode_header(uint8_t* out, uint8_t opcode, uint64_t payload_len, bool fin = true);
// Appends a whole unmasked frame.
void append_frame(std::vector<uint8_t>& out, uint8_t opcode, std::span<const uint8_t> payload);
void append_close(std::vector<uint8_t>& out, uint16_t code);

// Incremental decoder for client (masked) frames. Data payloads are unmasked into the
// caller's buffer as they arrive (a frame need not be complete); control frames are returned
// whole.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint64_t max_message) : max_message_(max_message) {}

  enum class Event { kNeedMore, kData, kPing, kPong, kClose, kError };
  struct Result {
    Event event = Event::kNeedMore;
    size_t consumed = 0;      // bytes of `in` used
    size_t produced = 0;      // payload bytes written to `out` (kData)
    uint16_t close_code = 0;  // kClose: the peer's (kNoStatus if none); kError: ours to send
    std::span<const uint8_t> control;  // kPing/kPong/kClose payload, valid until next call
  };
  // Call repeatedly until kNeedMore. `out` should be at least in.size() bytes.
  Result decode(std::span<const uint8_t> in, std::span<uint8_t> out);

 private:
  uint64_t max_message_;
  bool in_frame_ = false;  // inside a data frame's payload
  bool frame_fin_ = false;
  bool in_message_ = false;  // a fragmented message is in progress
  uint64_t remaining_ = 0;
  uint64_t message_bytes_ = 0;
  uint8_t mask_[4] = {0, 0, 0, 0};
  size_t mask_pos_ = 0;
  std::array<uint8_t, 125> control_{};
};

}  // namespace unimq::net::ws
