#include "runner.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "connection.h"
#include "publisher.h"
#include "run_state.h"
#include "subscriber.h"

namespace unimq::bench {

namespace {

using Clock = std::chrono::steady_clock;

class IdleConnection : public Connection {
 public:
  IdleConnection(asio::io_context& io, const Options& opt, int id)
      : Connection(io, opt, opt.client_id_prefix + "-i" + std::to_string(id), 300, 512) {
  }  // idle clients only receive CONNACK and PINGRESP

 protected:
  void on_packet(const mqtt::FixedHeader& h, std::span<const uint8_t>) override {
    fail(std::string("unexpected ") + mqtt::packet_type_name(h.type));
  }
};

class IoThreads {
 public:
  explicit IoThreads(int n) {
    for (int i = 0; i < n; ++i) {
      ios_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(asio::make_work_guard(*ios_.back()));
    }
    for (auto& io : ios_) threads_.emplace_back([p = io.get()] { p->run(); });
  }
  ~IoThreads() { stop(); }
  asio::io_context& at(size_t i) { return *ios_[i % ios_.size()]; }
  void stop() {
    guards_.clear();
    for (auto& io : ios_) io->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

void log(const std::string& msg) { std::fprintf(stderr, "mqtt_bench: %s\n", msg.c_str()); }

// Starts every connection (at most opt.connect_concurrency attempts in flight) and waits until
// each is Ready or Failed. Returns the first error, or "" when all are Ready.
template <typename Conn>
std::string connect_all(const Options& opt, std::vector<std::unique_ptr<Conn>>& conns,
                        const asio::ip::tcp::endpoint& ep, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  size_t started = 0;
  size_t settled = 0;  // prefix [0, settled) is Ready or Failed
  while (settled < conns.size()) {
    while (settled < started) {
      auto st = conns[settled]->state();
      if (st == ConnState::Failed) return conns[settled]->error();
      if (st != ConnState::Ready) break;
      ++settled;
    }
    while (started < conns.size() &&
           started - settled < static_cast<size_t>(opt.connect_concurrency)) {
      conns[started++]->start(ep);
    }
    if (settled == conns.size()) break;
    if (Clock::now() > deadline) {
      return "timed out: " + std::to_string(settled) + "/" + std::to_string(conns.size()) +
             " connections ready";
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return "";
}

template <typename Conn>
void close_all(std::vector<std::unique_ptr<Conn>>& conns) {
  for (auto& c : conns) c->close_gracefully();
}

template <typename Conn>
bool all_closed(const std::vector<std::unique_ptr<Conn>>& conns) {
  for (const auto& c : conns) {
    auto st = c->state();
    if (st != ConnState::Closed && st != ConnState::Failed) return false;
  }
  return true;
}

std::string first_failure(const std::vector<std::unique_ptr<Publisher>>& pubs,
                          const std::vector<std::unique_ptr<Subscriber>>& subs) {
  for (const auto& p : pubs)
    if (p->state() == ConnState::Failed) return p->error();
  for (const auto& s : subs)
    if (s->state() == ConnState::Failed) return s->error();
  return "";
}

std::string publish_topic(const Options& opt, int i) {
  switch (opt.topic_mode) {
    case TopicMode::Fanout:
      return opt.topic_prefix + "/all";
    case TopicMode::Fanin:
      return opt.topic_prefix + "/in/" + std::to_string(i);
    case TopicMode::Pairs:
      return opt.topic_prefix + "/pair/" +
             std::to_string(opt.subscribers > 0 ? i % opt.subscribers : i);
  }
  return "";
}

std::string subscribe_filter(const Options& opt, int j) {
  switch (opt.topic_mode) {
    case TopicMode::Fanout:
      return opt.topic_prefix + "/all";
    case TopicMode::Fanin:
      return opt.topic_prefix + "/in/+";
    case TopicMode::Pairs:
      return opt.topic_prefix + "/pair/" + std::to_string(j);
  }
  return "";
}

bool feeds(const Options& opt, int pub, int sub) {
  return opt.topic_mode != TopicMode::Pairs || pub % opt.subscribers == sub;
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

long read_vmrss_kb(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kb = -1;
      in >> kb;
      return kb;
    }
    std::getline(in, key);
  }
  return -1;
}

double read_cpu_seconds(int pid) {
  if (pid == 0) {
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    auto sec = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (pid < 0 || !std::getline(in, line)) return -1;
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  auto pos = line.rfind(')');
  if (pos == std::string::npos) return -1;
  std::istringstream rest(line.substr(pos + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double read_host_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  if (!(in >> cpu) || cpu != "cpu") return -1;
  for (auto& x : v) in >> x;  // user nice system idle iowait irq softirq steal
  const unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Result run_bench(const Options& opt) {
  Result r;
  RunState run;
  asio::io_context resolver_io;
  asio::ip::tcp::resolver resolver(resolver_io);
  asio::error_code ec;
  auto eps = resolver.resolve(opt.host, std::to_string(opt.port), ec);
  if (ec || eps.empty()) {
    r.ok = false;
    r.error = "resolve " + opt.host + ": " + ec.message();
    return r;
  }
  const asio::ip::tcp::endpoint ep = *eps.begin();
  r.rss_before_kb = read_vmrss_kb(opt.broker_pid);
  r.idle_requested = opt.connections_idle;

  IoThreads threads(opt.threads);
  std::vector<std::unique_ptr<IdleConnection>> idle;
  std::vector<std::unique_ptr<Subscriber>> subs;
  std::vector<std::unique_ptr<Publisher>> pubs;
  auto finish = [&](std::string err) {
    if (!err.empty()) {
      r.ok = false;
      r.error = std::move(err);
    }
    if (r.rss_after_kb < 0) r.rss_after_kb = read_vmrss_kb(opt.broker_pid);
    close_all(idle);
    close_all(subs);
    close_all(pubs);
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while (Clock::now() < deadline && !(all_closed(idle) && all_closed(subs) && all_closed(pubs)))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    threads.stop();
  };

  size_t next_thread = 0;
  if (opt.connections_idle > 0) {
    for (int i = 0; i < opt.connections_idle; ++i)
      idle.push_back(std::make_unique<IdleConnection>(threads.at(next_thread++), opt, i));
    const auto t0 = Clock::now();
    std::string err = connect_all(opt, idle, ep, 60 + opt.connections_idle / 200.0);
    r.idle_connect_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& c : idle) r.idle_connected += c->state() == ConnState::Ready;
    log(std::to_string(r.idle_connected) + " idle connections in " +
        std::to_string(r.idle_connect_seconds) + " s");
    if (!err.empty()) {
      finish(err);
      return r;
    }
  }

  const auto pub_count = static_cast<uint32_t>(opt.publishers);
  for (int j = 0; j < opt.subscribers; ++j) {
    subs.push_back(std::make_unique<Subscriber>(threads.at(next_thread++), opt, run, j,
                                                std::vector{subscribe_filter(opt, j)}, pub_count));
  }
  if (std::string err = connect_all(opt, subs, ep, 30); !err.empty()) {
    finish(err);
    return r;
  }
  const double per_pub_rate = opt.rate > 0 && pub_count > 0 ? opt.rate / pub_count : 0;
  for (uint32_t i = 0; i < pub_count; ++i) {
    const uint64_t offset =
        per_pub_rate > 0 ? static_cast<uint64_t>(1e9 / per_pub_rate * i / pub_count) : 0;
    pubs.push_back(std::make_unique<Publisher>(threads.at(next_thread++), opt, run, i,
                                               publish_topic(opt, static_cast<int>(i)),
                                               per_pub_rate, offset));
  }
  // --max-outstanding is per subscriber: split it over the publishers feeding the busiest one.
  int max_fan_in = 0;
  for (int j = 0; j < opt.subscribers; ++j) {
    int fan_in = 0;
    for (uint32_t i = 0; i < pub_count; ++i) fan_in += feeds(opt, static_cast<int>(i), j);
    max_fan_in = std::max(max_fan_in, fan_in);
  }
  const uint64_t window =
      opt.max_outstanding > 0 && max_fan_in > 0
          ? std::max<uint64_t>(1, static_cast<uint64_t>(opt.max_outstanding) / max_fan_in)
          : 0;
  for (uint32_t i = 0; i < pub_count; ++i) {
    for (int j = 0; j < opt.subscribers; ++j)
      if (feeds(opt, static_cast<int>(i), j)) pubs[i]->watch(subs[j]->progress(i), window);
  }
  if (std::string err = connect_all(opt, pubs, ep, 30); !err.empty()) {
    finish(err);
    return r;
  }

  if (pubs.empty()) {
    log("holding connections for " + std::to_string(opt.duration) + " s");
    sleep_s(opt.duration);
    r.rss_after_kb = read_vmrss_kb(opt.broker_pid);
    r.measured_seconds = opt.duration;
    finish(first_failure(pubs, subs));
    return r;
  }

  run.phase.store(Phase::Warmup);
  for (auto& p : pubs) p->start_publishing();
  sleep_s(opt.warmup);
  run.phase.store(Phase::Measure);
  const auto m0 = Clock::now();
  const double tool_cpu0 = read_cpu_seconds(0);
  const double broker_cpu0 = opt.broker_pid > 0 ? read_cpu_seconds(opt.broker_pid) : -1;
  const double host_cpu0 = read_host_busy_seconds();
  sleep_s(opt.duration);
  run.phase.store(Phase::Drain);
  r.measured_seconds = std::chrono::duration<double>(Clock::now() - m0).count();
  const double tool_cpu1 = read_cpu_seconds(0);
  const double broker_cpu1 = opt.broker_pid > 0 ? read_cpu_seconds(opt.broker_pid) : -1;
  const double host_cpu1 = read_host_busy_seconds();
  if (host_cpu0 >= 0 && host_cpu1 >= 0)
    r.host_cpu_pct = 100 * (host_cpu1 - host_cpu0) / r.measured_seconds;
  if (tool_cpu0 >= 0 && tool_cpu1 >= 0)
    r.tool_cpu_pct = 100 * (tool_cpu1 - tool_cpu0) / r.measured_seconds;
  if (broker_cpu0 >= 0 && broker_cpu1 >= 0)
    r.broker_cpu_pct = 100 * (broker_cpu1 - broker_cpu0) / r.measured_seconds;
  for (auto& p : pubs) p->nudge();

  // Drain: publishers flush and collect their acks, then subscribers catch up.
  const auto drain_deadline = Clock::now() + std::chrono::duration<double>(opt.drain);
  auto expected_now = [&] {
    uint64_t e = 0;
    for (int j = 0; j < opt.subscribers; ++j)
      for (uint32_t i = 0; i < pub_count; ++i)
        if (feeds(opt, static_cast<int>(i), j)) e += pubs[i]->sent_total();
    return e;
  };
  bool drained = false;
  while (Clock::now() < drain_deadline) {
    if (!first_failure(pubs, subs).empty()) break;
    bool pubs_idle = true;
    for (auto& p : pubs) pubs_idle = pubs_idle && p->idle();
    uint64_t got = 0;
    for (auto& s : subs) got += s->received_total();
    if (pubs_idle && got >= expected_now()) {
      drained = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.drained = drained;
  run.phase.store(Phase::Done);
  finish(first_failure(pubs, subs));

  // The io threads are joined: plain reads of the per-connection stats are safe.
  for (const auto& p : pubs) {
    const auto& s = p->stats();
    r.sent_total += s.sent;
    r.acked_total += s.acked;
    r.unexpected_acks += s.unexpected_acks;
    r.in_msgs += opt.qos == 0 ? s.measured_sent : s.measured_acked;
  }
  for (int j = 0; j < opt.subscribers; ++j) {
    const auto& s = subs[j]->stats();
    r.out_msgs += s.measured_received;
    r.duplicates += s.duplicates;
    r.foreign += s.foreign;
    r.latency_ns.merge(s.latency_ns);
    const auto& uniq = subs[j]->unique_per_publisher();
    for (uint32_t i = 0; i < pub_count; ++i) {
      if (!feeds(opt, static_cast<int>(i), j)) continue;
      const uint64_t sent = pubs[i]->stats().sent;
      r.expected += sent;
      r.delivered += uniq[i];
      if (uniq[i] < sent) r.lost += sent - uniq[i];
    }
  }
  if (r.measured_seconds > 0) {
    r.in_rate = r.in_msgs / r.measured_seconds;
    r.out_rate = r.out_msgs / r.measured_seconds;
  }
  return r;
}

}  // namespace unimq::bench
