// hiccup: how long this machine takes its CPUs away from a running thread, with nothing else
// to do. One thread per CPU, pinned, reads the clock in a tight loop for SECONDS and counts
// the gaps (time it was not running: hypervisor preemption, interrupts, kernel threads). A
// p99 latency of a few milliseconds cannot be better than the gaps a machine has when idle;
// bench/kafka.sh prints this next to its latency target.
//
//   hiccup [SECONDS=5]   -> one JSON line: gaps over 1 ms and 5 ms, the worst, time lost
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

int64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

struct Gaps {
  int64_t over_1ms = 0, over_5ms = 0, worst_ns = 0, lost_ns = 0;
};

Gaps spin(int cpu, double seconds) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  Gaps g;
  int64_t prev = now_ns();
  const int64_t end = prev + int64_t(seconds * 1e9);
  while (prev < end) {
    const int64_t t = now_ns();
    const int64_t gap = t - prev;
    if (gap > 200'000) {  // a clock read takes ~0.1 us: anything this long is time taken away
      g.lost_ns += gap;
      g.over_1ms += gap > 1'000'000;
      g.over_5ms += gap > 5'000'000;
      g.worst_ns = std::max(g.worst_ns, gap);
    }
    prev = t;
  }
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5;
  const int cpus = int(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  std::vector<Gaps> per(size_t(cpus), Gaps{});
  std::vector<std::thread> threads;
  for (int c = 0; c < cpus; ++c)
    threads.emplace_back([&per, c, seconds] { per[size_t(c)] = spin(c, seconds); });
  for (auto& t : threads) t.join();
  Gaps all;
  for (const Gaps& g : per) {
    all.over_1ms += g.over_1ms;
    all.over_5ms += g.over_5ms;
    all.lost_ns += g.lost_ns;
    all.worst_ns = std::max(all.worst_ns, g.worst_ns);
  }
  std::printf(
      "{\"cpus\":%d,\"seconds\":%.1f,\"gaps_over_1ms\":%lld,\"gaps_over_5ms\":%lld,"
      "\"worst_ms\":%.2f,\"lost_ms_per_cpu_s\":%.2f}\n",
      cpus, seconds, static_cast<long long>(all.over_1ms), static_cast<long long>(all.over_5ms),
      double(all.worst_ns) / 1e6, double(all.lost_ns) / 1e6 / cpus / seconds);
  return 0;
}
