// kafka_bench: Kafka load generator on librdkafka's C API (bench/kafka.sh drives it).
//
//   kafka_bench produce  --bootstrap H:P --topic T [--size 1024] [--acks 1|all|0]
//                        [--linger-ms 5] [--batch-bytes 1048576] [--duration 10] [--warmup 2]
//                        [--rate 0]            0 = flat out; >0 = records/s, reports the
//                                              delivery-report latency percentiles too
//                        [--timeline 1]        per 100 ms: worst latency, records > 5 ms
//                        [--stats FILE]        librdkafka's statistics JSON, one line a
//                                              second (bench/lib/rdkafka_stats.py reads it)
//                        [--conf key=value]... any librdkafka producer setting
//   kafka_bench consume  --bootstrap H:P --topic T [--records N] [--duration 10]
//                        reads the topic from the beginning (throughput)
//   kafka_bench e2e      --bootstrap H:P --topic T --rate R [--size 100] [--acks 1]
//                        producer at a fixed rate, consumer in the same process; the
//                        payload carries the send time, reports end-to-end percentiles
//
// Prints one JSON object per run on stdout; progress and errors go to stderr.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mqtt_bench/histogram.h"

namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string mode, bootstrap = "127.0.0.1:9092", topic = "bench", acks = "1";
  size_t size = 1024;
  int linger_ms = 5, batch_bytes = 1 << 20;
  double duration = 10, warmup = 2, rate = 0;
  int64_t records = 0;
  // --timeline 1: per-100 ms worst latency on stderr (where a p99 comes from)
  bool timeline = false;
  std::string stats_file;  // --stats FILE: librdkafka's statistics JSON, one line a second
  std::vector<std::pair<std::string, std::string>> conf;  // --conf key=value (librdkafka)
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "kafka_bench: %s (see the header of bench/kafka_bench/kafka_bench.cc)\n",
               msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc) usage("missing value");
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--bootstrap")
      o.bootstrap = v;
    else if (k == "--topic")
      o.topic = v;
    else if (k == "--acks")
      o.acks = v;
    else if (k == "--size")
      o.size = std::stoul(v);
    else if (k == "--linger-ms")
      o.linger_ms = std::stoi(v);
    else if (k == "--batch-bytes")
      o.batch_bytes = std::stoi(v);
    else if (k == "--duration")
      o.duration = std::stod(v);
    else if (k == "--warmup")
      o.warmup = std::stod(v);
    else if (k == "--rate")
      o.rate = std::stod(v);
    else if (k == "--records")
      o.records = std::stoll(v);
    else if (k == "--conf" && v.find('=') != std::string::npos)
      o.conf.emplace_back(v.substr(0, v.find('=')), v.substr(v.find('=') + 1));
    else if (k == "--timeline")
      o.timeline = v == "1";
    else if (k == "--stats")
      o.stats_file = v;
    else
      usage(("unknown option " + k).c_str());
  }
  if (o.size < 16) o.size = 16;  // room for the send timestamp
  return o;
}

void set(rd_kafka_conf_t* conf, const char* k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka_bench: %s=%s: %s\n", k, v.c_str(), err);
    std::exit(2);
  }
}

// Latency samples in the benches' fixed log-linear histogram (mqtt_bench/histogram.h, < 1%
// error): recording never allocates. (A vector of samples once stalled the delivery-report
// thread for milliseconds each time it doubled, inside the very latency it was measuring.)
struct Samples {
  unimq::bench::Histogram h;
  void add(int64_t ns) { h.record(static_cast<uint64_t>(std::max<int64_t>(ns, 0))); }
  uint64_t count() const { return h.count(); }
  double pct(double p) const {
    return h.count() ? static_cast<double>(h.percentile(p / 100.0)) / 1e6 : -1;
  }
};

struct ProduceState {
  std::atomic<int64_t> delivered{0}, failed{0}, bytes{0};
  int64_t measure_from_ns = 0;  // delivery latencies before this (warmup) are ignored
  Samples latency;              // touched only on the poll thread (delivery callbacks)
  // Delivery reports come in runs (one per produce response), handled back to back in one
  // rd_kafka_poll: the clock is read at the first report of each poll (poll() below) and then
  // once per clock_every reports, so a report's time is a few microseconds stale at most. A
  // read per report cost the generator ~5% of the machine (a vDSO clock read takes ~100 ns on
  // this VM), CPU that the broker and the client library then lacked. rd_kafka_flush polls on
  // its own: clock_every is 1 from then on.
  static constexpr int kClockEvery = 16;
  int clock_every = kClockEvery;
  int64_t clock_ns = 0;
  int clock_uses = kClockEvery;
  // --timeline: by send time, per 100 ms window of the measured run, the worst latency and
  // the records over 5 ms.
  static constexpr int64_t kWindowNs = 100'000'000;
  static constexpr size_t kWindows = 1200;
  bool timeline = false;
  std::array<int64_t, kWindows> worst_ns{};
  std::array<int64_t, kWindows> over_5ms{};
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<ProduceState*>(opaque);
  if (m->err) {
    if (st->failed.fetch_add(1) < 5)
      std::fprintf(stderr, "kafka_bench: delivery failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  st->delivered.fetch_add(1, std::memory_order_relaxed);
  st->bytes.fetch_add(static_cast<int64_t>(m->len), std::memory_order_relaxed);
  auto sent = reinterpret_cast<intptr_t>(m->_private);  // send time, set as msg_opaque
  if (++st->clock_uses >= st->clock_every) {
    st->clock_ns = now_ns();
    st->clock_uses = 0;
  }
  if (sent < st->measure_from_ns) return;
  const int64_t lat = std::max<int64_t>(st->clock_ns - sent, 0);
  st->latency.add(lat);
  if (st->timeline) {
    const auto w = static_cast<size_t>((sent - st->measure_from_ns) / ProduceState::kWindowNs);
    if (w < ProduceState::kWindows) {
      st->worst_ns[w] = std::max(st->worst_ns[w], lat);
      st->over_5ms[w] += lat > 5'000'000;
    }
  }
}

void print_timeline(const ProduceState& st, double seconds) {
  const auto n = std::min(ProduceState::kWindows,
                          static_cast<size_t>(seconds * 1e9 / ProduceState::kWindowNs));
  std::fprintf(stderr, "kafka_bench: timeline (send time s: worst ms, records > 5 ms)\n");
  for (size_t w = 0; w < n; ++w)
    std::fprintf(stderr, "%6.1f %8.2f %8lld\n", static_cast<double>(w) / 10,
                 static_cast<double>(st.worst_ns[w]) / 1e6, static_cast<long long>(st.over_5ms[w]));
}

// rd_kafka_poll, making the next delivery report read the clock afresh.
void poll(rd_kafka_t* rk, ProduceState& st, int timeout_ms) {
  st.clock_uses = ProduceState::kClockEvery;
  rd_kafka_poll(rk, timeout_ms);
}

rd_kafka_t* make_producer(const Options& o, ProduceState* st) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.bootstrap);
  set(conf, "acks", o.acks);
  set(conf, "linger.ms", std::to_string(o.linger_ms));
  set(conf, "batch.size", std::to_string(o.batch_bytes));
  set(conf, "queue.buffering.max.messages", "1000000");
  set(conf, "queue.buffering.max.kbytes", "1048576");
  set(conf, "message.timeout.ms", "30000");
  for (const auto& [k, v] : o.conf) set(conf, k.c_str(), v);
  if (!o.stats_file.empty()) {
    static FILE* stats = std::fopen(o.stats_file.c_str(), "w");
    set(conf, "statistics.interval.ms", "1000");
    rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t len, void*) {
      if (stats) {
        std::fwrite(json, 1, len, stats);
        std::fputc('\n', stats);
        std::fflush(stats);
      }
      return 0;
    });
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, st);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) usage(err);
  return rk;
}

// Produces for warmup + duration seconds (flat out, or paced at o.rate records/s).
// Returns the measured-window counts.
struct ProduceResult {
  int64_t records = 0, bytes = 0, failed = 0;
  double seconds = 0;
};

// stamp: write the send time into each payload (e2e reads it back), which needs a copy of the
// payload per record (RD_KAFKA_MSG_F_COPY). Without it every record points at one constant
// payload, as Kafka's own producer-perf-test does, so the load generator spends its CPU on the
// client library, not on a malloc and copy of its own per record.
ProduceResult produce_loop(const Options& o, rd_kafka_t* rk, ProduceState& st, bool stamp) {
  std::vector<char> payload(o.size, 'x');
  const int flags = stamp ? RD_KAFKA_MSG_F_COPY : 0;
  int64_t start = now_ns();
  int64_t warm_end = start + static_cast<int64_t>(o.warmup * 1e9);
  int64_t end = warm_end + static_cast<int64_t>(o.duration * 1e9);
  st.measure_from_ns = warm_end;
  int64_t base_delivered = -1, base_bytes = 0, sent = 0;
  // The clock is read once per burst of up to kBurst records (they leave within a few
  // microseconds of each other): a clock read per record cost the generator ~8% of the CPU.
  constexpr int64_t kBurst = 32;
  std::array<rd_kafka_message_t, kBurst> batch{};
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  while (true) {
    int64_t t = now_ns();
    if (base_delivered < 0 && t >= warm_end) {
      base_delivered = st.delivered.load();
      base_bytes = st.bytes.load();
    }
    if (t >= end) break;
    int64_t burst = kBurst;
    if (o.rate > 0) {
      auto due = static_cast<int64_t>((t - start) / 1e9 * o.rate);
      if (sent >= due) {
        poll(rk, st, 0);
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        continue;
      }
      burst = std::min(burst, due - sent);
    }
    if (stamp) std::memcpy(payload.data(), &t, sizeof t);
    // One rd_kafka_produce_batch per burst: the library takes its queue lock once for the
    // burst instead of once per record, so the generator leaves the CPU to the broker and to
    // the library's own threads (the delivery reports and latencies are the same per record).
    for (int64_t i = 0; i < burst; ++i) {
      auto& m = batch[static_cast<size_t>(i)];
      m = rd_kafka_message_t{};
      m.payload = payload.data();
      m.len = payload.size();
      m._private = reinterpret_cast<void*>(t);
    }
    const int queued = rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, flags, batch.data(),
                                              static_cast<int>(burst));
    sent += queued;
    if (queued < burst) {  // the failed ones carry their error; they are not sent again
      for (int64_t i = 0; i < burst; ++i) {
        const rd_kafka_resp_err_t e = batch[static_cast<size_t>(i)].err;
        if (e && e != RD_KAFKA_RESP_ERR__QUEUE_FULL) usage(rd_kafka_err2str(e));
      }
      poll(rk, st, 1);
    } else if ((sent & ~int64_t{255}) != ((sent - queued) & ~int64_t{255})) {
      poll(rk, st, 0);
    }
  }
  rd_kafka_topic_destroy(rkt);
  // The measured window ends now: records delivered after it do not count.
  ProduceResult r;
  r.records = st.delivered.load() - base_delivered;
  r.bytes = st.bytes.load() - base_bytes;
  r.seconds = o.duration;
  st.clock_every = 1;
  rd_kafka_flush(rk, 30000);
  r.failed = st.failed.load();
  return r;
}

int run_produce(const Options& o) {
  ProduceState st;
  st.timeline = o.timeline;
  rd_kafka_t* rk = make_producer(o, &st);
  ProduceResult r = produce_loop(o, rk, st, false);
  if (o.timeline) print_timeline(st, o.duration);
  std::printf(
      "{\"mode\":\"produce\",\"size\":%zu,\"acks\":\"%s\",\"linger_ms\":%d,\"rate\":%.0f,"
      "\"records_per_s\":%.0f,\"mb_per_s\":%.2f,\"failed\":%lld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
      "\"p999_ms\":%.3f}\n",
      o.size, o.acks.c_str(), o.linger_ms, o.rate, r.records / r.seconds, r.bytes / r.seconds / 1e6,
      static_cast<long long>(r.failed), st.latency.pct(50), st.latency.pct(99),
      st.latency.pct(99.9));
  rd_kafka_destroy(rk);
  return r.failed ? 1 : 0;
}

rd_kafka_t* make_consumer(const Options& o, int64_t start_offset) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.bootstrap);
  set(conf, "group.id", "kafka-bench-" + std::to_string(now_ns()));
  set(conf, "enable.auto.commit", "false");
  set(conf, "fetch.wait.max.ms", "100");
  set(conf, "fetch.max.bytes", "52428800");
  set(conf, "max.partition.fetch.bytes", "10485760");
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) usage(err);
  rd_kafka_poll_set_consumer(rk);
  // All partitions of the topic, from start_offset.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err)
    usage("topic metadata unavailable");
  rd_kafka_topic_partition_list_t* parts =
      rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i)
    rd_kafka_topic_partition_list_add(parts, o.topic.c_str(), md->topics[0].partitions[i].id)
        ->offset = start_offset;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  return rk;
}

int run_consume(const Options& o) {
  rd_kafka_t* rk = make_consumer(o, RD_KAFKA_OFFSET_BEGINNING);
  int64_t n = 0, bytes = 0, first = 0, last = 0,
          deadline = now_ns() + static_cast<int64_t>((o.duration + 10) * 1e9);
  while ((o.records == 0 || n < o.records) && now_ns() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) {
      if (o.records == 0 && n > 0) break;  // drained
      continue;
    }
    if (!m->err) {
      if (n == 0) first = now_ns();
      ++n;
      bytes += static_cast<int64_t>(m->len);
      last = now_ns();
    }
    rd_kafka_message_destroy(m);
  }
  double s = std::max(1e-9, (last - first) / 1e9);
  std::printf("{\"mode\":\"consume\",\"records\":%lld,\"records_per_s\":%.0f,\"mb_per_s\":%.2f}\n",
              static_cast<long long>(n), n / s, bytes / s / 1e6);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return (o.records && n < o.records) ? 1 : 0;
}

int run_e2e(const Options& o) {
  if (o.rate <= 0) usage("e2e needs --rate");
  ProduceState st;
  rd_kafka_t* prod = make_producer(o, &st);
  // One record first: the producer's metadata request creates the topic (consumers do not
  // auto-create), and the consumer then starts at its end.
  int64_t zero = 0;
  rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_VALUE(&zero, sizeof zero),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  rd_kafka_flush(prod, 10000);
  rd_kafka_t* cons = make_consumer(o, RD_KAFKA_OFFSET_END);
  std::atomic<bool> done{false};
  Samples e2e;
  int64_t measure_from = now_ns() + static_cast<int64_t>(o.warmup * 1e9);
  std::thread reader([&] {
    while (!done.load()) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(cons, 100);
      if (!m) continue;
      if (!m->err && m->len >= sizeof(int64_t)) {
        int64_t sent;
        std::memcpy(&sent, m->payload, sizeof sent);
        if (sent >= measure_from) e2e.add(now_ns() - sent);
      }
      rd_kafka_message_destroy(m);
    }
  });
  ProduceResult r = produce_loop(o, prod, st, true);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let the tail arrive
  done = true;
  reader.join();
  std::printf(
      "{\"mode\":\"e2e\",\"size\":%zu,\"acks\":\"%s\",\"rate\":%.0f,\"records_per_s\":%.0f,"
      "\"received\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
      "\"produce_p99_ms\":%.3f}\n",
      o.size, o.acks.c_str(), o.rate, r.records / r.seconds,
      static_cast<unsigned long long>(e2e.count()), e2e.pct(50), e2e.pct(99), e2e.pct(99.9),
      st.latency.pct(99));
  rd_kafka_consumer_close(cons);
  rd_kafka_destroy(cons);
  rd_kafka_destroy(prod);
  return r.failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (o.mode == "produce") return run_produce(o);
  if (o.mode == "consume") return run_consume(o);
  if (o.mode == "e2e") return run_e2e(o);
  usage("mode must be produce, consume or e2e");
}
