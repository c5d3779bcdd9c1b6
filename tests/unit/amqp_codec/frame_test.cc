#include "protocol/amqp/codec/frame.h"

#include <gtest/gtest.h>

#include "protocol/amqp/codec/generated/basic.h"

namespace unimq::amqp::codec {
namespace {

std::vector<uint8_t> method_frame(uint16_t channel) {
  std::vector<uint8_t> out;
  BasicQos q;
  q.prefetch_count = 10;
  encode_method_frame(out, channel, q);
  return out;
}

TEST(ProtocolHeader, Checks) {
  const std::vector<uint8_t> good = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
  EXPECT_EQ(check_protocol_header(good), HeaderCheck::Ok);
  EXPECT_EQ(check_protocol_header(std::span(good).first(3)), HeaderCheck::NeedMore);
  const std::vector<uint8_t> amqp10 = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};
  EXPECT_EQ(check_protocol_header(amqp10), HeaderCheck::Mismatch);
  const std::vector<uint8_t> http = {'G', 'E'};
  EXPECT_EQ(check_protocol_header(http), HeaderCheck::Mismatch);
}

TEST(Frames, DecodesOneFrameAndNeedsMoreForPartial) {
  auto bytes = method_frame(7);
  bytes.push_back(8);  // start of the next frame
  auto r = decode_frame(bytes, 4096);
  ASSERT_EQ(r.status, FrameStatus::Frame);
  EXPECT_EQ(r.frame.type, FrameType::Method);
  EXPECT_EQ(r.frame.channel, 7);
  EXPECT_EQ(r.consumed, bytes.size() - 1);
  EXPECT_EQ(r.frame.payload.size(), bytes.size() - 1 - kFrameOverhead);
  for (size_t n = 0; n < bytes.size() - 1; ++n)
    EXPECT_EQ(decode_frame(std::span(bytes).first(n), 4096).status, FrameStatus::NeedMore) << n;
}

TEST(Frames, Malformed) {
  auto bad_end = method_frame(1);
  bad_end.back() = 0xCD;
  EXPECT_EQ(decode_frame(bad_end, 4096).status, FrameStatus::Malformed);
  auto bad_type = method_frame(1);
  bad_type[0] = 4;
  EXPECT_EQ(decode_frame(bad_type, 4096).status, FrameStatus::Malformed);
  // Oversize is detected from the header alone, before the payload arrives.
  const std::vector<uint8_t> big = {3, 0, 1, 0, 0, 0x10, 0x00};  // 4096-byte body payload
  const auto r = decode_frame(big, 4096);
  EXPECT_EQ(r.status, FrameStatus::Malformed);
  EXPECT_STREQ(r.error, "frame larger than frame_max");
  EXPECT_EQ(decode_frame(big, 0).status, FrameStatus::NeedMore);  // 0 = no limit
}

TEST(Frames, Heartbeat) {
  std::vector<uint8_t> hb;
  encode_heartbeat_frame(hb);
  EXPECT_EQ(hb, (std::vector<uint8_t>{8, 0, 0, 0, 0, 0, 0, 0xCE}));
  const auto r = decode_frame(hb, 4096);
  ASSERT_EQ(r.status, FrameStatus::Frame);
  EXPECT_EQ(r.frame.type, FrameType::Heartbeat);
  EXPECT_TRUE(r.frame.payload.empty());
}

TEST(Content, HeaderRoundTripAndBodySplit) {
  BasicProperties p;
  p.content_type = "application/json";
  p.delivery_mode = 2;
  std::vector<uint8_t> out;
  encode_content_header_frame(out, 3, 10000, p);
  const auto r = decode_frame(out, 4096);
  ASSERT_EQ(r.status, FrameStatus::Frame);
  EXPECT_EQ(r.frame.type, FrameType::Header);
  ContentHeader h;
  const char* why = "";
  ASSERT_TRUE(decode_content_header(r.frame.payload, h, &why)) << why;
  EXPECT_EQ(h.class_id, kClassBasic);
  EXPECT_EQ(h.body_size, 10000u);
  EXPECT_EQ(h.properties, p);

  const std::string body(10000, 'x');
  std::vector<uint8_t> frames;
  encode_body_frames(frames, 3, body, 4096);
  // 4088 + 4088 + 1824 payload bytes in three frames.
  EXPECT_EQ(frames.size(), body.size() + 3 * kFrameOverhead);
  std::span<const uint8_t> rest(frames);
  std::string joined;
  while (!rest.empty()) {
    const auto f = decode_frame(rest, 4096);
    ASSERT_EQ(f.status, FrameStatus::Frame);
    EXPECT_EQ(f.frame.type, FrameType::Body);
    joined.append(f.frame.payload.begin(), f.frame.payload.end());
    rest = rest.subspan(f.consumed);
  }
  EXPECT_EQ(joined, body);
  frames.clear();
  encode_body_frames(frames, 3, "", 4096);
  EXPECT_TRUE(frames.empty());  // a zero-size body has no body frame
}

TEST(Content, MalformedHeader) {
  const std::vector<uint8_t> short_header = {0, 60, 0, 0, 0, 0};
  ContentHeader h;
  const char* why = "";
  EXPECT_FALSE(decode_content_header(short_header, h, &why));
  const std::vector<uint8_t> trailing = {0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 9};
  EXPECT_FALSE(decode_content_header(trailing, h, &why));
  EXPECT_STREQ(why, "trailing bytes after content properties");
}

}  // namespace
}  // namespace unimq::amqp::codec
