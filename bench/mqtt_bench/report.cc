#include "report.h"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace unimq::bench {

namespace {

void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      appendf(out, "\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out;
}

double us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

long rss_per_connection_bytes(const Result& r) {
  if (r.rss_before_kb < 0 || r.rss_after_kb < 0 || r.idle_connected <= 0) return -1;
  return (r.rss_after_kb - r.rss_before_kb) * 1024 / r.idle_connected;
}

}  // namespace

std::string format_text(const Options& opt, const Result& r) {
  std::string o;
  appendf(o, "mqtt_bench %s:%u  mqtt v%d  qos %d  %s  pubs %d  subs %d  payload %d B  rate %s\n",
          opt.host.c_str(), opt.port, opt.version, opt.qos, topic_mode_name(opt.topic_mode),
          opt.publishers, opt.subscribers, opt.payload,
          opt.rate > 0 ? (std::to_string(static_cast<long>(opt.rate)) + " msg/s").c_str()
                       : "unlimited");
  if (!r.ok) appendf(o, "  ERROR      %s\n", r.error.c_str());
  if (r.idle_requested > 0) {
    appendf(o, "  idle       %d/%d connected in %.2f s\n", r.idle_connected, r.idle_requested,
            r.idle_connect_seconds);
  }
  if (opt.publishers > 0) {
    appendf(o, "  measured   %.2f s (after %.1f s warmup)\n", r.measured_seconds, opt.warmup);
    appendf(o, "  in         %.0f msg/s (%s)\n", r.in_rate, opt.qos == 0 ? "written" : "acked");
    appendf(o, "  out        %.0f msg/s (received by subscribers)\n", r.out_rate);
    const auto& h = r.latency_ns;
    appendf(o, "  latency    p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  (n=%llu)\n",
            us(h.percentile(0.50)), us(h.percentile(0.99)), us(h.percentile(0.999)), us(h.max()),
            static_cast<unsigned long long>(h.count()));
    appendf(o, "  delivery   sent %llu  expected %llu  delivered %llu  lost %llu  dup %llu%s\n",
            static_cast<unsigned long long>(r.sent_total),
            static_cast<unsigned long long>(r.expected),
            static_cast<unsigned long long>(r.delivered), static_cast<unsigned long long>(r.lost),
            static_cast<unsigned long long>(r.duplicates), r.drained ? "" : "  (drain timed out)");
  }
  if (r.tool_cpu_pct >= 0) {
    appendf(o, "  cpu        mqtt_bench %.0f%%", r.tool_cpu_pct);
    if (r.broker_cpu_pct >= 0) appendf(o, "  broker %.0f%%", r.broker_cpu_pct);
    if (r.host_cpu_pct >= 0) appendf(o, "  whole machine %.0f%%", r.host_cpu_pct);
    appendf(o, "  (100%% = one core, measure phase)\n");
  }
  if (r.rss_after_kb >= 0) {
    appendf(o, "  broker RSS %ld kB at start, %ld kB at end", r.rss_before_kb, r.rss_after_kb);
    if (long per = rss_per_connection_bytes(r); per >= 0)
      appendf(o, "  => %ld B per idle connection", per);
    o += "\n";
  }
  return o;
}

std::string format_json(const Options& opt, const Result& r) {
  std::string o = "{";
  appendf(o, "\"ok\":%s,", r.ok ? "true" : "false");
  if (!r.ok) o += "\"error\":\"" + json_escape(r.error) + "\",";
  appendf(o, "\"qos\":%d,\"version\":%d,\"topic_mode\":\"%s\",", opt.qos, opt.version,
          topic_mode_name(opt.topic_mode));
  appendf(o, "\"publishers\":%d,\"subscribers\":%d,\"payload\":%d,\"rate\":%.0f,", opt.publishers,
          opt.subscribers, opt.payload, opt.rate);
  appendf(o, "\"inflight\":%d,\"max_outstanding\":%d,\"threads\":%d,\"duration_s\":%.3f,",
          opt.inflight, opt.max_outstanding, opt.threads, r.measured_seconds);
  appendf(o, "\"in_msgs\":%llu,\"out_msgs\":%llu,\"in_rate\":%.1f,\"out_rate\":%.1f,",
          static_cast<unsigned long long>(r.in_msgs), static_cast<unsigned long long>(r.out_msgs),
          r.in_rate, r.out_rate);
  const auto& h = r.latency_ns;
  appendf(o,
          "\"lat_count\":%llu,\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f,"
          "\"lat_max_us\":%.1f,\"lat_mean_us\":%.1f,",
          static_cast<unsigned long long>(h.count()), us(h.percentile(0.50)),
          us(h.percentile(0.99)), us(h.percentile(0.999)), us(h.max()), h.mean() / 1000.0);
  appendf(o,
          "\"sent\":%llu,\"acked\":%llu,\"expected\":%llu,\"delivered\":%llu,\"lost\":%llu,"
          "\"duplicates\":%llu,\"foreign\":%llu,\"unexpected_acks\":%llu,\"drained\":%s,",
          static_cast<unsigned long long>(r.sent_total),
          static_cast<unsigned long long>(r.acked_total),
          static_cast<unsigned long long>(r.expected), static_cast<unsigned long long>(r.delivered),
          static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(r.duplicates),
          static_cast<unsigned long long>(r.foreign),
          static_cast<unsigned long long>(r.unexpected_acks), r.drained ? "true" : "false");
  appendf(o, "\"idle_requested\":%d,\"idle_connected\":%d,\"idle_connect_s\":%.3f,",
          r.idle_requested, r.idle_connected, r.idle_connect_seconds);
  appendf(o, "\"broker_pid\":%d,\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,", opt.broker_pid,
          r.rss_before_kb, r.rss_after_kb);
  appendf(o, "\"tool_cpu_pct\":%.1f,\"broker_cpu_pct\":%.1f,\"host_cpu_pct\":%.1f,", r.tool_cpu_pct,
          r.broker_cpu_pct, r.host_cpu_pct);
  appendf(o, "\"rss_per_conn_bytes\":%ld}", rss_per_connection_bytes(r));
  return o;
}

}  // namespace unimq::bench
