#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net_test_util.h"

namespace unimq::net::testing {
namespace {

struct Frame {
  uint8_t opcode = 0;
  bool fin = false;
  bool masked = false;
  std::string payload;
};

class WsClient : public Client {
 public:
  using Client::Client;
  bool send_frame(const std::vector<uint8_t>& f) {
    return send(std::string_view(reinterpret_cast<const char*>(f.data()), f.size()));
  }
  // Reads the HTTP response head (up to the blank line).
  std::string read_http() {
    std::string out;
    while (out.size() < 4 || out.compare(out.size() - 4, 4, "\r\n\r\n") != 0) {
      std::string c = recv_exact(1);
      if (c.empty()) break;
      out += c;
    }
    return out;
  }
  bool handshake(std::string_view protocol_header = "Sec-WebSocket-Protocol: mqtt\r\n") {
    std::string req =
        "GET /mqtt HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    req += protocol_header;
    req += "\r\n";
    send(req);
    response_ = read_http();
    return response_.rfind("HTTP/1.1 101 ", 0) == 0;
  }
  bool read_frame(Frame& f, int timeout_ms = 5000) {
    std::string h = recv_exact(2, timeout_ms);
    if (h.size() != 2) return false;
    f.fin = (h[0] & 0x80) != 0;
    f.opcode = h[0] & 0x0f;
    f.masked = (h[1] & 0x80) != 0;
    uint64_t len = h[1] & 0x7f;
    size_t ext = len == 126 ? 2 : (len == 127 ? 8 : 0);
    if (ext != 0) {
      std::string e = recv_exact(ext);
      if (e.size() != ext) return false;
      len = 0;
      for (char c : e) len = (len << 8) | static_cast<uint8_t>(c);
    }
    f.payload = recv_exact(len);
    return f.payload.size() == len;
  }
  const std::string& response() const { return response_; }

 private:
  std::string response_;
};

class WebSocketConnectionTest : public NetFixture {
 protected:
  uint16_t listen_ws(size_t max_message = 256u << 20) {
    ListenerOptions opts;
    opts.transport = Transport::WebSocket;
    opts.ws_max_message = max_message;
    return listen(opts);
  }
};

TEST_F(WebSocketConnectionTest, HandshakeThenEchoAsOneBinaryFrame) {
  // Each byte is sent separately: the turn's sends still leave as one frame.
  probe_->on_data = [](Connection& c, std::span<const uint8_t> d) {
    for (size_t i = 0; i < d.size(); ++i) c.send(d.subspan(i, 1));
    return d.size();
  };
  WsClient c(listen_ws());
  ASSERT_TRUE(c.handshake()) << c.response();
  EXPECT_NE(c.response().find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_NE(c.response().find("Sec-WebSocket-Protocol: mqtt\r\n"), std::string::npos);
  EXPECT_TRUE(conn().is_websocket());
  std::vector<uint8_t> two = masked(0x82, "hello ");
  auto second = masked(0x81, "websocket");  // text frames are bytes too
  two.insert(two.end(), second.begin(), second.end());
  c.send_frame(two);
  // Both frames arrive in one read, so one on_data, 15 sends, one outgoing frame.
  Frame f;
  ASSERT_TRUE(c.read_frame(f));
  EXPECT_EQ(f.opcode, 0x2);
  EXPECT_TRUE(f.fin);
  EXPECT_FALSE(f.masked);
  std::string got = f.payload;
  EXPECT_EQ(got, "hello websocket");
  // A large payload uses the 64-bit length form.
  std::string big(100000, 'b');
  c.send_frame(masked(0x82, big));
  std::string echoed;
  while (echoed.size() < big.size()) {
    Frame f;
    ASSERT_TRUE(c.read_frame(f));
    echoed += f.payload;
  }
  EXPECT_EQ(echoed, big);
}

TEST_F(WebSocketConnectionTest, FragmentedMessageAndPing) {
  WsClient c(listen_ws());
  ASSERT_TRUE(c.handshake());
  std::vector<uint8_t> in;
  for (auto part :
       {masked(0x02, "frag"), masked(0x89, "p1"), masked(0x00, "men"), masked(0x80, "ted")}) {
    in.insert(in.end(), part.begin(), part.end());
  }
  c.send_frame(in);
  std::string data;
  bool pong = false;
  while (data.size() < 10 || !pong) {
    Frame f;
    ASSERT_TRUE(c.read_frame(f));
    if (f.opcode == 0xA) {
      EXPECT_EQ(f.payload, "p1");
      pong = true;
    } else {
      EXPECT_EQ(f.opcode, 0x2);
      data += f.payload;
    }
  }
  EXPECT_EQ(data, "fragmented");
}

TEST_F(WebSocketConnectionTest, CloseHandshake) {
  WsClient c(listen_ws());
  ASSERT_TRUE(c.handshake());
  c.send_frame(masked(0x82, "last words"));
  c.send_frame(masked(0x88, std::string("\x03\xe8", 2)));
  std::string data;
  Frame f;
  while (c.read_frame(f) && f.opcode == 0x2) data += f.payload;
  EXPECT_EQ(data, "last words");  // data before the close is still delivered
  EXPECT_EQ(f.opcode, 0x8);
  EXPECT_EQ(f.payload, std::string("\x03\xe8", 2));
  bool eof = false;
  c.read_to_eof(&eof);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(wait_until([&] { return probe_->destroyed.load() == 1; }));
  EXPECT_EQ(probe_->closed.load(), 1);
}

TEST_F(WebSocketConnectionTest, ServerCloseSendsCloseFrameAfterData) {
  probe_->on_data = [](Connection& c, std::span<const uint8_t> d) {
    c.send(d);
    c.close();
    return d.size();
  };
  WsClient c(listen_ws());
  ASSERT_TRUE(c.handshake());
  c.send_frame(masked(0x82, "bye"));
  Frame f;
  ASSERT_TRUE(c.read_frame(f));
  EXPECT_EQ(f.opcode, 0x2);
  EXPECT_EQ(f.payload, "bye");
  ASSERT_TRUE(c.read_frame(f));
  EXPECT_EQ(f.opcode, 0x8);
  EXPECT_EQ(f.payload, std::string("\x03\xe8", 2));
}

TEST_F(WebSocketConnectionTest, UnmaskedFrameClosesWithProtocolError) {
  WsClient c(listen_ws());
  ASSERT_TRUE(c.handshake());
  c.send_frame(masked(0x82, "naked", false));
  Frame f;
  ASSERT_TRUE(c.read_frame(f));
  EXPECT_EQ(f.opcode, 0x8);
  EXPECT_EQ(f.payload, std::string("\x03\xea", 2));  // 1002
  bool eof = false;
  c.read_to_eof(&eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(probe_->data_calls.load(), 0);
}

TEST_F(WebSocketConnectionTest, OversizedMessageClosesWith1009) {
  WsClient c(listen_ws(1024));
  ASSERT_TRUE(c.handshake());
  c.send_frame(masked(0x82, std::string(2000, 'x')));
  Frame f;
  ASSERT_TRUE(c.read_frame(f));
  EXPECT_EQ(f.opcode, 0x8);
  EXPECT_EQ(f.payload, std::string("\x03\xf1", 2));  // 1009
}

TEST_F(WebSocketConnectionTest, MissingUpgradeGets400) {
  WsClient c(listen_ws());
  c.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(c.read_http().rfind("HTTP/1.1 400 ", 0), 0u);
  bool eof = false;
  c.read_to_eof(&eof);
  EXPECT_TRUE(eof);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(probe_->conn.load(), nullptr);  // the factory is only called after the upgrade
}

TEST_F(WebSocketConnectionTest, WrongSubprotocolGets400) {
  WsClient c(listen_ws());
  EXPECT_FALSE(c.handshake("Sec-WebSocket-Protocol: chat\r\n"));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 400 ", 0), 0u) << c.response();
}

TEST_F(WebSocketConnectionTest, NoSubprotocolIsAccepted) {
  WsClient c(listen_ws());
  ASSERT_TRUE(c.handshake(""));
  EXPECT_EQ(c.response().find("Sec-WebSocket-Protocol"), std::string::npos);
  c.send_frame(masked(0x82, "ok"));
  Frame f;
  ASSERT_TRUE(c.read_frame(f));
  EXPECT_EQ(f.payload, "ok");
}

TEST_F(WebSocketConnectionTest, FramesPipelinedWithTheHandshake) {
  WsClient c(listen_ws());
  std::string req =
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  auto frame = masked(0x82, "early");
  req.append(reinterpret_cast<const char*>(frame.data()), frame.size());
  c.send(req);
  EXPECT_EQ(c.read_http().rfind("HTTP/1.1 101 ", 0), 0u);
  Frame f;
  ASSERT_TRUE(c.read_frame(f));
  EXPECT_EQ(f.payload, "early");
}

TEST_F(WebSocketConnectionTest, StalledHandshakeTimesOut) {
  ListenerOptions opts;
  opts.transport = Transport::WebSocket;
  opts.ws_handshake_timeout = std::chrono::milliseconds(100);
  WsClient c(listen(opts));
  c.send("GET / HTTP/1.1\r\n");  // and then nothing
  bool eof = false;
  c.read_to_eof(&eof, 3000);
  EXPECT_TRUE(eof);
}

}  // namespace
}  // namespace unimq::net::testing
