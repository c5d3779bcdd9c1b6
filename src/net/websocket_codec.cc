#include "net/websocket_codec.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace unimq::net::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxRequest = 8192;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if the comma-separated list contains `token` (case-insensitive).
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

HandshakeResult reject(std::string error, size_t consumed, bool version = false) {
  HandshakeResult r;
  r.status = HandshakeResult::Status::kRejected;
  r.consumed = consumed;
  r.error = std::move(error);
  r.response = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n";
  if (version) r.response += "Sec-WebSocket-Version: 13\r\n";
  r.response += "Content-Length: 0\r\n\r\n";
  return r;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, digest, static_cast<int>(digest_len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

HandshakeResult parse_handshake(std::string_view in, std::string_view subprotocol) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (in.size() > kMaxRequest) return reject("request header too large", in.size());
    return {};
  }
  size_t consumed = end + 4;
  std::string_view head = in.substr(0, end + 2);  // keep the last line's CRLF

  size_t eol = head.find("\r\n");
  std::string_view request_line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return reject("bad request line", consumed);
  std::string_view method = request_line.substr(0, sp1);
  std::string_view version = request_line.substr(sp2 + 1);
  if (method != "GET") return reject("method is not GET", consumed);
  if (version != "HTTP/1.1" && version != "HTTP/2" && version != "HTTP/2.0") {
    return reject("HTTP version below 1.1", consumed);
  }

  std::string_view upgrade, connection, key, ws_version;
  std::string protocols;
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return reject("malformed header line", consumed);
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Upgrade")) {
      upgrade = value;
    } else if (iequals(name, "Connection")) {
      connection = value;
    } else if (iequals(name, "Sec-WebSocket-Key")) {
      key = value;
    } else if (iequals(name, "Sec-WebSocket-Version")) {
      ws_version = value;
    } else if (iequals(name, "Sec-WebSocket-Protocol")) {
      // The header may be repeated; treat repeats as one list.
      if (!protocols.empty()) protocols += ',';
      protocols += value;
    }
  }
  if (!has_token(upgrade, "websocket")) return reject("missing Upgrade: websocket", consumed);
  if (!has_token(connection, "upgrade")) return reject("missing Connection: upgrade", consumed);
  // The key is 16 random bytes, base64: 24 characters ending in "==".
  if (key.size() != 24 || key.substr(22) != "==") {
    return reject("missing or invalid Sec-WebSocket-Key", consumed);
  }
  if (ws_version != "13") return reject("unsupported Sec-WebSocket-Version", consumed, true);

  HandshakeResult r;
  if (!protocols.empty() && !subprotocol.empty()) {
    if (has_token(protocols, subprotocol)) {
      r.protocol = subprotocol;
    } else if (subprotocol == "mqtt" && has_token(protocols, "mqttv3.1")) {
      r.protocol = "mqttv3.1";
    } else {
      return reject("no acceptable subprotocol in '" + protocols + "'", consumed);
    }
  }
  r.status = HandshakeResult::Status::kAccepted;
  r.consumed = consumed;
  r.response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  r.response += accept_key(key);
  r.response += "\r\n";
  if (!r.protocol.empty()) r.response += "Sec-WebSocket-Protocol: " + r.protocol + "\r\n";
  r.response += "\r\n";
  return r;
}

size_t encode_header(uint8_t* out, uint8_t opcode, uint64_t payload_len, bool fin) {
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0x00) | (opcode & 0x0f));
  if (payload_len < 126) {
    out[1] = static_cast<uint8_t>(payload_len);
    return 2;
  }
  if (payload_len <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_len >> 8);
    out[3] = static_cast<uint8_t>(payload_len);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_len >> (56 - 8 * i));
  return 10;
}

void append_frame(std::vector<uint8_t>& out, uint8_t opcode, std::span<const uint8_t> payload) {
  uint8_t hdr[kMaxHeaderSize];
  size_t n = encode_header(hdr, opcode, payload.size());
  out.insert(out.end(), hdr, hdr + n);
  out.insert(out.end(), payload.begin(), payload.end());
}

void append_close(std::vector<uint8_t>& out, uint16_t code) {
  const uint8_t payload[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  append_frame(out, kClose, payload);
}

FrameDecoder::Result FrameDecoder::decode(std::span<const uint8_t> in, std::span<uint8_t> out) {
  Result r;
  auto error = [&r](uint16_t code) {
    r.event = Event::kError;
    r.close_code = code;
    return r;
  };
  if (!in_frame_) {
    if (in.size() < 2) return r;
    bool fin = (in[0] & 0x80) != 0;
    uint8_t opcode = in[0] & 0x0f;
    bool masked = (in[1] & 0x80) != 0;
    uint64_t len = in[1] & 0x7f;
    if ((in[0] & 0x70) != 0) return error(kProtocolError);  // no extensions negotiated
    if (!masked) return error(kProtocolError);              // clients must mask (RFC 6455 5.1)
    size_t ext = len == 126 ? 2 : (len == 127 ? 8 : 0);
    size_t hdr = 2 + ext + 4;
    if (in.size() < hdr) return r;
    if (ext != 0) {
      len = 0;
      for (size_t i = 0; i < ext; ++i) len = (len << 8) | in[2 + i];
      if (ext == 8 && (len >> 63) != 0) return error(kProtocolError);
    }
    const uint8_t* mask = in.data() + 2 + ext;

    if (opcode >= 0x8) {
      if (!fin || len > 125) return error(kProtocolError);
      if (opcode != kClose && opcode != kPing && opcode != kPong) return error(kProtocolError);
      if (in.size() < hdr + len) return r;  // control frames are handled whole
      for (size_t i = 0; i < len; ++i) control_[i] = in[hdr + i] ^ mask[i % 4];
      r.consumed = hdr + len;
      r.control = std::span<const uint8_t>(control_.data(), len);
      if (opcode == kPing) {
        r.event = Event::kPing;
      } else if (opcode == kPong) {
        r.event = Event::kPong;
      } else {
        if (len == 1) return error(kProtocolError);
        r.event = Event::kClose;
        r.close_code = len >= 2 ? static_cast<uint16_t>((control_[0] << 8) | control_[1])
                                : uint16_t{kNoStatus};
      }
      return r;
    }

    if (opcode == kContinuation) {
      if (!in_message_) return error(kProtocolError);
    } else if (opcode == kText || opcode == kBinary) {
      if (in_message_) return error(kProtocolError);  // previous message not finished
      in_message_ = true;
      message_bytes_ = 0;
    } else {
      return error(kProtocolError);
    }
    if (len > max_message_ || message_bytes_ + len > max_message_) return error(kMessageTooBig);
    message_bytes_ += len;
    in_frame_ = true;
    frame_fin_ = fin;
    remaining_ = len;
    std::copy(mask, mask + 4, mask_);
    mask_pos_ = 0;
    r.consumed = hdr;
  }

  size_t avail = in.size() - r.consumed;
  size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, avail));
  n = std::min(n, out.size());
  const uint8_t* src = in.data() + r.consumed;
  // XOR 8 bytes at a time: the 4-byte mask repeats twice in a word.
  uint8_t m8[8];
  for (size_t i = 0; i < 8; ++i) m8[i] = mask_[(mask_pos_ + i) & 3];
  uint64_t mw;
  std::memcpy(&mw, m8, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, src + i, 8);
    w ^= mw;
    std::memcpy(out.data() + i, &w, 8);
  }
  for (; i < n; ++i) out[i] = src[i] ^ m8[i & 7];
  mask_pos_ = (mask_pos_ + n) & 3;
  remaining_ -= n;
  r.consumed += n;
  r.produced = n;
  if (remaining_ == 0) {
    in_frame_ = false;
    if (frame_fin_) in_message_ = false;
  }
  r.event = r.consumed > 0 ? Event::kData : Event::kNeedMore;
  return r;
}

}  // namespace unimq::net::ws
