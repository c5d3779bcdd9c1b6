#include "result.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

namespace unimq::bench {
namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out;
}

double per_second(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }

struct Derived {
  double mb_s, disk_mb_s, records_s, appends_s, fsyncs_s, appends_per_fsync, p50, p99, max;
};

Derived derive(Result& r) {
  Derived d{};
  d.mb_s = per_second(double(r.payload_bytes) / 1e6, r.seconds);
  d.disk_mb_s = per_second(double(r.disk_bytes) / 1e6, r.seconds);
  d.records_s = per_second(double(r.records), r.seconds);
  d.appends_s = per_second(double(r.appends), r.seconds);
  d.fsyncs_s = r.fsyncs >= 0 ? per_second(double(r.fsyncs), r.seconds) : -1;
  d.appends_per_fsync = r.fsyncs > 0 ? double(r.appends) / double(r.fsyncs) : -1;
  d.p50 = percentile(r.latencies_us, 50);
  d.p99 = percentile(r.latencies_us, 99);
  d.max = percentile(r.latencies_us, 100);
  return d;
}

}  // namespace

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

double percentile(std::vector<uint32_t>& samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t i = size_t(p / 100.0 * double(samples.size() - 1) + 0.5);
  return samples[std::min(i, samples.size() - 1)];
}

std::string format_text(const Options& o, Result& r) {
  Derived d = derive(r);
  char buf[1024];
  std::string out;
  if (o.mode == Mode::Append) {
    std::snprintf(
        buf, sizeof buf, "storage_bench: fsync=%s record=%dB batch=%d writers=%d inflight=%d\n",
        storage::fsync_policy_name(o.fsync), o.record_size, o.batch, o.writers, o.inflight);
  } else {
    std::snprintf(buf, sizeof buf, "storage_bench: %s block=%dB\n", mode_name(o.mode),
                  o.block_size);
  }
  out += buf;
  std::snprintf(buf, sizeof buf,
                "  %.2f s: %.1f MB/s payload (%.1f MB/s on disk), %.0f records/s, %.0f "
                "appends/s\n",
                r.seconds, d.mb_s, d.disk_mb_s, d.records_s, d.appends_s);
  out += buf;
  if (r.fsyncs >= 0) {
    std::snprintf(buf, sizeof buf, "  fdatasync: %lld (%.0f/s, %.1f appends each)\n",
                  (long long)r.fsyncs, d.fsyncs_s, d.appends_per_fsync);
    out += buf;
  }
  std::snprintf(buf, sizeof buf,
                "  latency p50 %.0f us, p99 %.0f us, max %.0f us; final flush %.1f ms; CPU %.2f s "
                "(%.0f%% of one core)\n",
                d.p50, d.p99, d.max, r.flush_ms, r.cpu_seconds,
                r.seconds > 0 ? 100 * r.cpu_seconds / r.seconds : 0);
  out += buf;
  if (!r.ok) out += "  FAILED: " + r.error + "\n";
  return out;
}

std::string format_json(const Options& o, Result& r) {
  Derived d = derive(r);
  char buf[2048];
  std::snprintf(
      buf, sizeof buf,
      "{\"tool\":\"storage_bench\",\"mode\":\"%s\",\"ok\":%s,\"fsync\":\"%s\","
      "\"fsync_interval_ms\":%u,\"record_size\":%d,\"batch\":%d,\"writers\":%d,"
      "\"inflight\":%d,\"block_size\":%d,\"seconds\":%.3f,\"appends\":%llu,\"records\":%llu,"
      "\"payload_bytes\":%llu,\"disk_bytes\":%llu,\"mb_s\":%.2f,\"disk_mb_s\":%.2f,"
      "\"records_s\":%.1f,\"appends_s\":%.1f,\"fsyncs\":%lld,\"fsyncs_s\":%.1f,"
      "\"appends_per_fsync\":%.2f,\"flush_ms\":%.2f,\"lat_p50_us\":%.0f,\"lat_p99_us\":%.0f,"
      "\"lat_max_us\":%.0f,\"cpu_s\":%.3f,\"error\":\"",
      mode_name(o.mode), r.ok ? "true" : "false", storage::fsync_policy_name(o.fsync),
      o.fsync_interval_ms, o.record_size, o.batch, o.writers, o.inflight, o.block_size, r.seconds,
      (unsigned long long)r.appends, (unsigned long long)r.records,
      (unsigned long long)r.payload_bytes, (unsigned long long)r.disk_bytes, d.mb_s, d.disk_mb_s,
      d.records_s, d.appends_s, (long long)r.fsyncs, d.fsyncs_s, d.appends_per_fsync, r.flush_ms,
      d.p50, d.p99, d.max, r.cpu_seconds);
  return buf + json_escape(r.error) + "\"}";
}

}  // namespace unimq::bench
