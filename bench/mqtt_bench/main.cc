// mqtt_bench: MQTT load generator for UniMQ and Mosquitto. See bench/README.md.
#include <cstdio>

#include "options.h"
#include "report.h"
#include "runner.h"

int main(int argc, char** argv) {
  using namespace unimq::bench;
  const Options opt = parse_options(argc, argv);
  const Result r = run_bench(opt);
  const std::string out = opt.json ? format_json(opt, r) + "\n" : format_text(opt, r);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  if (!r.ok) std::fprintf(stderr, "mqtt_bench: %s\n", r.error.c_str());
  return r.ok ? 0 : 1;
}
