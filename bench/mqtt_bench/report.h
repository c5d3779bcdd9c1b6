// Human-readable and one-line JSON output of a run.
#pragma once

#include <string>

#include "options.h"
#include "runner.h"

namespace unimq::bench {

std::string format_text(const Options& opt, const Result& r);
std::string format_json(const Options& opt, const Result& r);

}  // namespace unimq::bench
