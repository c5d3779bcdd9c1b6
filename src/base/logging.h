// Logging setup and conventions.
//
// Everything logs through spdlog's default logger (spdlog::info(...) etc.); init_logging()
// configures it once at startup. Line format (text):
//   2024-05-01T12:00:00.123 info [12345] connected client_id=sensor-1 peer=10.0.0.7:51234
//
// Convention for grep-ability: facts are key=value fields after a short lowercase message.
// Anything about one client carries `client_id=<id> peer=<ip:port>` (use log_client() or
// client_fields() so values with spaces, quotes or control characters are quoted/escaped and
// cannot forge log lines). `grep 'client_id=sensor-1 '` then yields a client's whole story.
// Other common keys: topic=, filter=, packet_id=, reason=, bytes=.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace unimq {

// level: trace, debug, info, warn, error, off. file: "" = stderr, else appended to.
// format: "text" (pattern above) or "json" (one object per line: ts, level, thread, msg).
// Flushes on warn and above. Throws std::invalid_argument on a bad level/format and
// spdlog::spdlog_ex if the file cannot be opened.
void init_logging(std::string_view level, const std::string& file = "",
                  std::string_view format = "text");

// True if `level` is one of the names above.
bool is_valid_log_level(std::string_view level);

// A value as it should appear after `key=`: verbatim if safe, else double-quoted with \" \\ \n
// \r \t and \xNN escapes. Empty values become "".
std::string log_value(std::string_view v);

// "client_id=<id> peer=<peer>" with both values passed through log_value().
std::string client_fields(std::string_view client_id, std::string_view peer);

// Logs "<message> client_id=<id> peer=<peer>". Formatting is skipped when the level is off.
template <typename... Args>
void log_client(spdlog::level::level_enum level, std::string_view client_id, std::string_view peer,
                fmt::format_string<Args...> fmt_str, Args&&... args) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  logger->log(level, "{} {}", fmt::format(fmt_str, std::forward<Args>(args)...),
              client_fields(client_id, peer));
}

}  // namespace unimq
