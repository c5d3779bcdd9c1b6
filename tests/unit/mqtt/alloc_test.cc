// The PUBLISH hot path must not allocate beyond the topic string: decoding into a reused
// Packet and encoding into a vector with spare capacity are allocation-free.
#include <cstdlib>
#include <functional>
#include <new>

#include "test_util.h"

namespace {
thread_local bool g_counting = false;
thread_local size_t g_allocs = 0;
}  // namespace

void* operator new(size_t n) {
  if (g_counting) ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace unimq::mqtt::test {
namespace {

size_t count_allocs(const std::function<void()>& f) {
  g_allocs = 0;
  g_counting = true;
  f();
  g_counting = false;
  return g_allocs;
}

TEST(HotPath, PublishDecodeReusesPacket) {
  for (Version v : {Version::V311, Version::V5}) {
    Publish p;
    p.qos = 1;
    p.packet_id = 1;
    p.topic = "a/fairly/long/topic/name/beyond/small/string/optimisation";
    p.payload = std::string_view("payload bytes");
    const Bytes wire = enc(p, v);
    Packet out;
    size_t consumed;
    DecodeError err;
    ASSERT_EQ(decode(wire, v, out, consumed, err), DecodeStatus::Ok);  // warms the topic buffer
    EXPECT_EQ(count_allocs([&] {
                for (int i = 0; i < 100; ++i) decode(wire, v, out, consumed, err);
              }),
              0u);
    EXPECT_TRUE(out == Packet(p));
    // The counter works: a fresh Packet has to allocate the long topic.
    EXPECT_GE(count_allocs([&] {
                Packet fresh;
                decode(wire, v, fresh, consumed, err);
              }),
              1u);
  }
}

TEST(HotPath, PublishEncodeIntoReservedBuffer) {
  Publish p;
  p.qos = 2;
  p.packet_id = 9;
  p.topic = "a/b";
  p.props.message_expiry_interval = 5;
  p.payload = std::string_view("payload");
  Bytes out;
  out.reserve(4096);
  EXPECT_EQ(count_allocs([&] {
              for (int i = 0; i < 50; ++i) {
                out.clear();
                encode(p, Version::V5, out);
                encode_publish_header(p, 7, Version::V311, out);
              }
            }),
            0u);
}

}  // namespace
}  // namespace unimq::mqtt::test
