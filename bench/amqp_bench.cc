// AMQP 0-9-1 load tool on rabbitmq-c (Debian's librabbitmq), for bench/amqp.sh: the same
// workloads against UniMQ and RabbitMQ.
//
//   amqp_bench --port P --mode transient|persistent|latency [--publishers 2] [--consumers 2]
//              [--duration 10] [--warmup 2] [--size 100] [--rate 10000] [--window 256]
//              [--prefetch 256] [--max-outstanding 20000] [--json]
//
// transient:  no-ack consumers, delivery_mode 1, non-durable queues.
// persistent: durable queues, delivery_mode 2, publisher confirms with a window of unconfirmed
//             messages per publisher, consumers ack every message (prefetch bounded).
// latency:    transient at a fixed total rate; the body starts with the send time (steady
//             clock ns), consumers record end-to-end latency; prints p50/p99/max.
// Every publisher and consumer is a thread with its own connection; publisher i writes to and
// consumer i reads from queue i % queues (pairs; --queues 1 = one shared queue). Rates are measured
// after the warmup.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string mode = "transient";
  int publishers = 2;
  int consumers = 2;
  int queues = 0;  // 0 = one per consumer
  double duration = 10;
  double warmup = 2;
  int size = 100;
  double rate = 10000;  // latency mode: total msg/s
  int window = 256;     // persistent: unconfirmed messages per publisher
  int prefetch = 256;   // persistent: unacked messages per consumer
  long max_outstanding = 20000;
  bool json = false;
  std::string prefix = "amqp-bench";
};

struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::atomic<long> published{0};
  std::atomic<long> confirmed{0};
  std::atomic<long> nacked{0};
  std::atomic<long> consumed{0};
  std::mutex lat_mu;
  std::vector<uint32_t> latencies_us;  // filled by consumers after the warmup
  std::atomic<bool> measuring{false};
};

[[noreturn]] void die(const std::string& what) { throw std::runtime_error(what); }

void check_reply(amqp_rpc_reply_t r, const char* what) {
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
    die(std::string(what) + ": " + amqp_error_string2(r.library_error));
  if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
    if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD || r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
      die(std::string(what) + ": server closed with " + std::to_string(m->reply_code) + " " +
          std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len));
    }
    die(std::string(what) + ": server exception");
  }
  die(std::string(what) + ": no reply");
}

// One connection with channel 1 open.
class Conn {
 public:
  explicit Conn(const Options& o) : state_(amqp_new_connection()) {
    amqp_socket_t* sock = amqp_tcp_socket_new(state_);
    if (!sock) die("amqp_tcp_socket_new");
    if (amqp_socket_open(sock, o.host.c_str(), o.port) != AMQP_STATUS_OK)
      die("cannot connect to " + o.host + ":" + std::to_string(o.port));
    check_reply(amqp_login(state_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"),
                "login");
    amqp_channel_open(state_, 1);
    check_reply(amqp_get_rpc_reply(state_), "channel.open");
  }
  ~Conn() {
    amqp_channel_close(state_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(state_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  amqp_connection_state_t get() const { return state_; }

 private:
  amqp_connection_state_t state_;
};

std::string queue_name(const Options& o, int i) { return o.prefix + "-" + std::to_string(i); }

void declare_queues(const Options& o, int n) {
  Conn c(o);
  bool durable = o.mode == "persistent";
  for (int i = 0; i < n; ++i) {
    std::string q = queue_name(o, i);
    amqp_queue_delete(c.get(), 1, amqp_cstring_bytes(q.c_str()), 0, 0);
    check_reply(amqp_get_rpc_reply(c.get()), "queue.delete");
    amqp_queue_declare(c.get(), 1, amqp_cstring_bytes(q.c_str()), 0, durable, 0, 0,
                       amqp_empty_table);
    check_reply(amqp_get_rpc_reply(c.get()), "queue.declare");
  }
}

void delete_queues(const Options& o, int n) {
  try {
    Conn c(o);
    for (int i = 0; i < n; ++i) {
      std::string q = queue_name(o, i);
      amqp_queue_delete(c.get(), 1, amqp_cstring_bytes(q.c_str()), 0, 0);
      amqp_get_rpc_reply(c.get());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amqp_bench: cleanup: %s\n", e.what());
  }
}

uint64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Reads confirms (Basic.Ack / Basic.Nack) until none are buffered, or blocks for one when
// `block`; returns how many publishes they settled.
long read_confirms(amqp_connection_state_t c, uint64_t& settled_tag, bool block, Shared& sh) {
  long settled = 0;
  for (;;) {
    amqp_frame_t f;
    timeval zero{0, 0}, wait{0, 200000};
    int rc = amqp_simple_wait_frame_noblock(c, &f, block && settled == 0 ? &wait : &zero);
    if (rc == AMQP_STATUS_TIMEOUT) return settled;
    if (rc != AMQP_STATUS_OK) die(std::string("reading confirms: ") + amqp_error_string2(rc));
    if (f.frame_type != AMQP_FRAME_METHOD) continue;
    uint64_t tag = 0;
    bool multiple = false;
    if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      auto* m = static_cast<amqp_basic_ack_t*>(f.payload.method.decoded);
      tag = m->delivery_tag;
      multiple = m->multiple;
    } else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      auto* m = static_cast<amqp_basic_nack_t*>(f.payload.method.decoded);
      tag = m->delivery_tag;
      multiple = m->multiple;
      sh.nacked.fetch_add(multiple ? long(tag - settled_tag) : 1, std::memory_order_relaxed);
    } else if (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
               f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      die("broker closed the publisher's channel");
    } else {
      continue;
    }
    long n = multiple ? long(tag - settled_tag) : 1;
    settled_tag = multiple ? tag : std::max(settled_tag, tag);
    settled += n;
    sh.confirmed.fetch_add(n, std::memory_order_relaxed);
  }
}

void publisher(const Options& o, Shared& sh, int index, int nqueues) {
  Conn c(o);
  const bool persistent = o.mode == "persistent";
  const bool paced = o.mode == "latency";
  if (persistent) {
    amqp_confirm_select(c.get(), 1);
    check_reply(amqp_get_rpc_reply(c.get()), "confirm.select");
  }
  const std::string queue = queue_name(o, index % nqueues);
  std::vector<char> body(std::max(o.size, 8), 'x');
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = persistent ? 2 : 1;
  const double per_pub_rate = o.rate / o.publishers;
  const auto start = Clock::now();
  long sent = 0, unconfirmed = 0;
  uint64_t settled_tag = 0;
  while (!sh.stop.load(std::memory_order_relaxed)) {
    if (paced) {
      auto due = start + std::chrono::duration<double>(sent / per_pub_rate);
      if (Clock::now() < due) {
        std::this_thread::sleep_until(due);
        continue;
      }
    } else if (sh.published.load(std::memory_order_relaxed) -
                   sh.consumed.load(std::memory_order_relaxed) >
               o.max_outstanding) {
      if (persistent && unconfirmed > 0)
        unconfirmed -= read_confirms(c.get(), settled_tag, true, sh);
      else
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    if (persistent && unconfirmed >= o.window) {
      unconfirmed -= read_confirms(c.get(), settled_tag, true, sh);
      continue;
    }
    uint64_t t = now_ns();
    std::memcpy(body.data(), &t, sizeof t);
    amqp_bytes_t b{size_t(o.size < 8 ? 8 : o.size), body.data()};
    int rc = amqp_basic_publish(c.get(), 1, amqp_empty_bytes, amqp_cstring_bytes(queue.c_str()), 0,
                                0, &props, b);
    if (rc != AMQP_STATUS_OK) die(std::string("publish: ") + amqp_error_string2(rc));
    ++sent;
    sh.published.fetch_add(1, std::memory_order_relaxed);
    if (persistent) {
      ++unconfirmed;
      if ((sent & 31) == 0) unconfirmed -= read_confirms(c.get(), settled_tag, false, sh);
    }
  }
  // Wait (briefly) for the outstanding confirms so the broker is idle for the next run.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (persistent && unconfirmed > 0 && Clock::now() < deadline)
    unconfirmed -= read_confirms(c.get(), settled_tag, true, sh);
}

void consumer(const Options& o, Shared& sh, int index, int nqueues) {
  Conn c(o);
  const bool ack = o.mode == "persistent";
  const bool latency = o.mode == "latency";
  std::string q = queue_name(o, index % nqueues);
  if (ack) {
    amqp_basic_qos(c.get(), 1, 0, uint16_t(o.prefetch), 0);
    check_reply(amqp_get_rpc_reply(c.get()), "basic.qos");
  }
  amqp_basic_consume(c.get(), 1, amqp_cstring_bytes(q.c_str()), amqp_empty_bytes, 0, !ack, 0,
                     amqp_empty_table);
  check_reply(amqp_get_rpc_reply(c.get()), "basic.consume");
  std::vector<uint32_t> local;
  local.reserve(latency ? size_t(o.rate * (o.duration + 1) / o.consumers) + 1024 : 0);
  while (!sh.stop.load(std::memory_order_relaxed)) {
    amqp_envelope_t env;
    amqp_maybe_release_buffers(c.get());
    timeval tv{0, 100000};
    amqp_rpc_reply_t r = amqp_consume_message(c.get(), &env, &tv, 0);
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
      continue;
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        amqp_frame_t f;  // a non-delivery method (e.g. basic.cancel): read and ignore
        if (amqp_simple_wait_frame(c.get(), &f) != AMQP_STATUS_OK) die("consumer read failed");
        continue;
      }
      check_reply(r, "consume");
    }
    if (latency && sh.measuring.load(std::memory_order_relaxed) && env.message.body.len >= 8) {
      uint64_t t;
      std::memcpy(&t, env.message.body.bytes, sizeof t);
      local.push_back(uint32_t(std::min<uint64_t>((now_ns() - t) / 1000, UINT32_MAX)));
    }
    if (ack) amqp_basic_ack(c.get(), 1, env.delivery_tag, 0);
    amqp_destroy_envelope(&env);
    sh.consumed.fetch_add(1, std::memory_order_relaxed);
  }
  std::lock_guard<std::mutex> lk(sh.lat_mu);
  sh.latencies_us.insert(sh.latencies_us.end(), local.begin(), local.end());
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--host")
      o.host = val();
    else if (a == "--port")
      o.port = std::stoi(val());
    else if (a == "--mode")
      o.mode = val();
    else if (a == "--publishers")
      o.publishers = std::stoi(val());
    else if (a == "--consumers")
      o.consumers = std::stoi(val());
    else if (a == "--queues")
      o.queues = std::stoi(val());
    else if (a == "--duration")
      o.duration = std::stod(val());
    else if (a == "--warmup")
      o.warmup = std::stod(val());
    else if (a == "--size")
      o.size = std::stoi(val());
    else if (a == "--rate")
      o.rate = std::stod(val());
    else if (a == "--window")
      o.window = std::stoi(val());
    else if (a == "--prefetch")
      o.prefetch = std::stoi(val());
    else if (a == "--max-outstanding")
      o.max_outstanding = std::stol(val());
    else if (a == "--prefix")
      o.prefix = val();
    else if (a == "--json")
      o.json = true;
    else
      die("unknown option " + a + " (see the comment at the top of bench/amqp_bench.cc)");
  }
  if (o.mode != "transient" && o.mode != "persistent" && o.mode != "latency")
    die("--mode must be transient, persistent or latency");
  if (o.publishers < 1 || o.consumers < 1) die("need at least one publisher and one consumer");
  return o;
}

uint32_t percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = size_t(p / 100.0 * double(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

int run(const Options& o) {
  const int nqueues = o.queues > 0 ? o.queues : std::max(o.publishers, o.consumers);
  declare_queues(o, nqueues);
  Shared sh;
  std::vector<std::thread> threads;
  auto guarded = [&](auto fn, int i) {
    return std::thread([&, fn, i] {
      try {
        fn(o, sh, i, nqueues);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "amqp_bench: %s\n", e.what());
        sh.failed = true;
        sh.stop = true;
      }
    });
  };
  for (int i = 0; i < o.consumers; ++i) threads.push_back(guarded(consumer, i));
  for (int i = 0; i < o.publishers; ++i) threads.push_back(guarded(publisher, i));

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  long pub0 = sh.published, con0 = sh.consumed, conf0 = sh.confirmed;
  sh.measuring = true;
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  long pub = sh.published - pub0, con = sh.consumed - con0, conf = sh.confirmed - conf0;
  sh.measuring = false;
  sh.stop = true;
  for (auto& t : threads) t.join();
  delete_queues(o, nqueues);
  if (sh.failed) return 1;

  std::sort(sh.latencies_us.begin(), sh.latencies_us.end());
  double pub_rate = pub / secs, rate = con / secs, conf_rate = conf / secs;
  uint32_t p50 = percentile(sh.latencies_us, 50), p99 = percentile(sh.latencies_us, 99);
  uint32_t pmax = sh.latencies_us.empty() ? 0 : sh.latencies_us.back();
  if (o.json) {
    std::printf(
        "{\"mode\":\"%s\",\"publishers\":%d,\"consumers\":%d,\"size\":%d,\"seconds\":%.2f,"
        "\"published_per_s\":%.0f,\"confirmed_per_s\":%.0f,\"consumed_per_s\":%.0f,"
        "\"nacked\":%ld,\"samples\":%zu,\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u}\n",
        o.mode.c_str(), o.publishers, o.consumers, o.size, secs, pub_rate, conf_rate, rate,
        sh.nacked.load(), sh.latencies_us.size(), p50, p99, pmax);
  } else {
    std::printf("%s: %d publishers, %d consumers, %d B, %.1f s\n", o.mode.c_str(), o.publishers,
                o.consumers, o.size, secs);
    std::printf("  published %.0f msg/s, consumed %.0f msg/s", pub_rate, rate);
    if (o.mode == "persistent") std::printf(", confirmed %.0f msg/s", conf_rate);
    std::printf("\n");
    if (o.mode == "latency")
      std::printf("  latency p50 %u us, p99 %u us, max %u us (%zu samples)\n", p50, p99, pmax,
                  sh.latencies_us.size());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amqp_bench: %s\n", e.what());
    return 2;
  }
}
