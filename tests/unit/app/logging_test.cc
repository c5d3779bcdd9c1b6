// base/logging is exercised here because the app binary is its main user (no base test target).
#include "base/logging.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace unimq {
namespace {

TEST(Logging, LogValueQuotesOnlyWhenNeeded) {
  EXPECT_EQ(log_value("sensor-1"), "sensor-1");
  EXPECT_EQ(log_value(""), "\"\"");
  EXPECT_EQ(log_value("a b"), "\"a b\"");
  EXPECT_EQ(log_value("x=1"), "\"x=1\"");
  EXPECT_EQ(log_value("q\"\\"), "\"q\\\"\\\\\"");
  // A client id cannot forge a second log line.
  EXPECT_EQ(log_value("a\nb\r\x01"), "\"a\\nb\\r\\x01\"");
  EXPECT_EQ(client_fields("c1", "1.2.3.4:5"), "client_id=c1 peer=1.2.3.4:5");
}

TEST(Logging, RejectsBadLevelAndFormat) {
  EXPECT_THROW(init_logging("loud"), std::invalid_argument);
  EXPECT_THROW(init_logging("info", "", "xml"), std::invalid_argument);
  EXPECT_TRUE(is_valid_log_level("warn"));
  EXPECT_FALSE(is_valid_log_level("warning"));
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Logging, TextAndJsonFiles) {
  auto dir = std::filesystem::temp_directory_path() / "unimq_logging_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  init_logging("info", (dir / "text.log").string(), "text");
  spdlog::debug("hidden");
  log_client(spdlog::level::info, "id 1", "10.0.0.1:1", "connected proto={}", 5);
  spdlog::default_logger()->flush();
  std::string text = read_file(dir / "text.log");
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  EXPECT_NE(text.find(" info ["), std::string::npos) << text;
  EXPECT_NE(text.find("] connected proto=5 client_id=\"id 1\" peer=10.0.0.1:1\n"),
            std::string::npos)
      << text;

  init_logging("debug", (dir / "json.log").string(), "json");
  spdlog::debug("say \"hi\"\n");
  spdlog::default_logger()->flush();
  std::string json = read_file(dir / "json.log");
  EXPECT_NE(json.find(R"("level":"debug")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("msg":"say \"hi\"\n"})"), std::string::npos) << json;

  init_logging("off");  // back to stderr, quiet, for the other tests
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace unimq
