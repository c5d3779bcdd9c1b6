#include "net/websocket_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net_test_util.h"

namespace unimq::net::ws {
namespace {

using Status = HandshakeResult::Status;
using Event = FrameDecoder::Event;

std::string request(std::string_view extra, std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==") {
  std::string r = "GET /mqtt HTTP/1.1\r\nHost: localhost\r\nupgrade: WebSocket\r\n";
  r += "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n";
  if (!key.empty()) r += "Sec-WebSocket-Key: " + std::string(key) + "\r\n";
  r += extra;
  r += "\r\n";
  return r;
}

using testing::masked;

TEST(WebSocketHandshake, AcceptKeyMatchesRfcSample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, AcceptsAndEchoesMqttSubprotocol) {
  std::string req = request("Sec-WebSocket-Protocol: mqtt\r\n");
  HandshakeResult r = parse_handshake(req + "trailing", "mqtt");
  ASSERT_EQ(r.status, Status::kAccepted) << r.error;
  EXPECT_EQ(r.consumed, req.size());
  EXPECT_EQ(r.protocol, "mqtt");
  EXPECT_NE(r.response.find("HTTP/1.1 101 Switching Protocols\r\n"), std::string::npos);
  EXPECT_NE(r.response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_NE(r.response.find("Sec-WebSocket-Protocol: mqtt\r\n"), std::string::npos);
}

TEST(WebSocketHandshake, AcceptsLegacyMqttv31) {
  HandshakeResult r = parse_handshake(request("Sec-WebSocket-Protocol: mqttv3.1\r\n"), "mqtt");
  ASSERT_EQ(r.status, Status::kAccepted);
  EXPECT_EQ(r.protocol, "mqttv3.1");
  r = parse_handshake(request("Sec-WebSocket-Protocol: foo, mqtt\r\n"), "mqtt");
  ASSERT_EQ(r.status, Status::kAccepted);
  EXPECT_EQ(r.protocol, "mqtt");
}

TEST(WebSocketHandshake, NoSubprotocolOfferedIsAcceptedWithoutEcho) {
  HandshakeResult r = parse_handshake(request(""), "mqtt");
  ASSERT_EQ(r.status, Status::kAccepted);
  EXPECT_EQ(r.response.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST(WebSocketHandshake, Rejections) {
  auto rejected = [](const std::string& req) {
    HandshakeResult r = parse_handshake(req, "mqtt");
    return r.status == Status::kRejected && r.response.rfind("HTTP/1.1 400 ", 0) == 0;
  };
  EXPECT_TRUE(rejected(request("Sec-WebSocket-Protocol: chat, superchat\r\n")));
  EXPECT_TRUE(rejected(request("", "")));         // no key
  EXPECT_TRUE(rejected(request("", "short==")));  // malformed key
  EXPECT_TRUE(rejected("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(rejected("POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"));
  std::string v8 = request("");
  v8.replace(v8.find("Version: 13"), 11, "Version: 8");
  EXPECT_TRUE(rejected(v8));
  EXPECT_TRUE(rejected(std::string(9000, 'x')));  // no end of headers in sight
}

TEST(WebSocketHandshake, IncompleteWaitsForMore) {
  std::string req = request("");
  EXPECT_EQ(parse_handshake(req.substr(0, req.size() - 2), "mqtt").status, Status::kIncomplete);
}

TEST(WebSocketFrames, EncodeHeaderLengths) {
  uint8_t h[kMaxHeaderSize];
  EXPECT_EQ(encode_header(h, kBinary, 5), 2u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 5);
  EXPECT_EQ(encode_header(h, kBinary, 300), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ((h[2] << 8) | h[3], 300);
  EXPECT_EQ(encode_header(h, kBinary, 70000), 10u);
  EXPECT_EQ(h[1], 127);
}

// Feeds `in` to the decoder in pieces of `step` bytes; returns the payload and last event.
std::pair<std::string, Event> decode_all(FrameDecoder& d, const std::vector<uint8_t>& in,
                                         size_t step, uint16_t* code = nullptr) {
  std::string payload;
  std::vector<uint8_t> buffered;
  Event last = Event::kNeedMore;
  for (size_t pos = 0; pos < in.size(); pos += step) {
    buffered.insert(buffered.end(), in.begin() + pos, in.begin() + std::min(in.size(), pos + step));
    while (true) {
      std::vector<uint8_t> out(buffered.size() + 1);
      FrameDecoder::Result r = d.decode(buffered, out);
      buffered.erase(buffered.begin(), buffered.begin() + r.consumed);
      payload.append(reinterpret_cast<char*>(out.data()), r.produced);
      if (r.event == Event::kNeedMore) break;
      last = r.event;
      if (code != nullptr) *code = r.close_code;
      if (r.event == Event::kError || r.event == Event::kClose) return {payload, last};
    }
  }
  return {payload, last};
}

TEST(WebSocketFrames, FragmentedMessageAnyChunking) {
  std::string big(70000, 'q');
  std::vector<uint8_t> in;
  for (auto part : {masked(0x01, "hel"), masked(0x89, "p"), masked(0x00, "lo "),
                    masked(0x80, "world"), masked(0x82, big)}) {
    in.insert(in.end(), part.begin(), part.end());
  }
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, in.size()}) {
    FrameDecoder d(1 << 20);
    auto [payload, last] = decode_all(d, in, step);
    EXPECT_EQ(payload, "hello world" + big) << step;
    EXPECT_EQ(last, Event::kData);
  }
}

TEST(WebSocketFrames, ProtocolErrors) {
  auto error_of = [](const std::vector<uint8_t>& in) {
    FrameDecoder d(1024);
    uint16_t code = 0;
    auto [payload, last] = decode_all(d, in, in.size(), &code);
    return last == Event::kError ? code : 0;
  };
  EXPECT_EQ(error_of(masked(0x82, "x", false)), kProtocolError);  // unmasked
  EXPECT_EQ(error_of(masked(0x80, "x")), kProtocolError);         // continuation first
  EXPECT_EQ(error_of(masked(0xC2, "x")), kProtocolError);         // RSV1 set
  EXPECT_EQ(error_of(masked(0x83, "x")), kProtocolError);         // reserved opcode
  EXPECT_EQ(error_of(masked(0x09, "x")), kProtocolError);         // fragmented ping
  EXPECT_EQ(error_of(masked(0x82, std::string(2000, 'x'))), kMessageTooBig);
  std::vector<uint8_t> two = masked(0x02, std::string(600, 'x'));
  auto second = masked(0x80, std::string(600, 'x'));
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(error_of(two), kMessageTooBig);  // the limit is per message, across fragments
  std::vector<uint8_t> interleaved = masked(0x02, "a");
  auto again = masked(0x82, "b");
  interleaved.insert(interleaved.end(), again.begin(), again.end());
  EXPECT_EQ(error_of(interleaved), kProtocolError);  // new message inside a fragmented one
}

TEST(WebSocketFrames, ControlFrames) {
  FrameDecoder d(1024);
  std::vector<uint8_t> ping = masked(0x89, "are you there");
  std::vector<uint8_t> out(ping.size());
  FrameDecoder::Result r = d.decode(ping, out);
  EXPECT_EQ(r.event, Event::kPing);
  EXPECT_EQ(r.consumed, ping.size());
  EXPECT_EQ(std::string(r.control.begin(), r.control.end()), "are you there");

  std::vector<uint8_t> close = masked(0x88, std::string("\x03\xe9", 2));
  r = d.decode(close, out);
  EXPECT_EQ(r.event, Event::kClose);
  EXPECT_EQ(r.close_code, 1001);
  r = d.decode(masked(0x88, ""), out);
  EXPECT_EQ(r.close_code, kNoStatus);
}

}  // namespace
}  // namespace unimq::net::ws
