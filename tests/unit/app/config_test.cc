#include "app/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/cli.h"

namespace unimq::app {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Config, Defaults) {
  Config c;
  EXPECT_EQ(c.server.data_dir, "./data");
  EXPECT_EQ(c.server.log_level, "info");
  EXPECT_EQ(c.server.workers, 0u);
  EXPECT_EQ(c.server.node_id, 1u);
  EXPECT_EQ(c.mqtt.bind, "0.0.0.0");
  EXPECT_EQ(c.mqtt.port, 1883);
  EXPECT_EQ(c.mqtt.ws_port, 8083);
  EXPECT_EQ(c.mqtt.ws_path, "/mqtt");
  EXPECT_EQ(c.mqtt.max_packet_size, 268435455u);
  EXPECT_EQ(c.mqtt.receive_maximum, 65535);
  EXPECT_EQ(c.mqtt.max_inflight, 1024u);
  EXPECT_EQ(c.mqtt.max_queued_messages, 10000u);
  EXPECT_EQ(c.mqtt.queue_drop_policy, QueueDropPolicy::DropOldest);
  EXPECT_EQ(c.mqtt.max_session_expiry, 0xFFFFFFFFu);
  EXPECT_EQ(c.mqtt.max_keepalive, 65535);
  EXPECT_EQ(c.mqtt.topic_alias_maximum, 65535);
  EXPECT_TRUE(c.mqtt.retain_available);
  EXPECT_TRUE(c.mqtt.wildcard_subscriptions);
  EXPECT_TRUE(c.mqtt.shared_subscriptions);
  EXPECT_EQ(c.mqtt.shared_strategy, "round_robin");
  EXPECT_EQ(c.mqtt.connect_timeout_ms, 10000u);
  EXPECT_EQ(c.mqtt.sys_interval_s, 10u);
  EXPECT_EQ(c.mqtt.max_qos, 2);
  EXPECT_TRUE(c.mqtt.allow_anonymous);
  EXPECT_EQ(c.mqtt.retry_interval_s, 0u);
  EXPECT_EQ(c.kafka.port, 9092);
  EXPECT_EQ(c.amqp.port, 5672);
  EXPECT_EQ(c.http.bind, "0.0.0.0");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.log.file, "");
  EXPECT_EQ(c.log.format, "text");
  EXPECT_GE(c.effective_workers(), 1u);
  EXPECT_NO_THROW(validate(c));
}

TEST(Config, AutoWorkersIsOnePerCoreButOneOnSmallMachines) {
  EXPECT_EQ(auto_workers(1), 1u);
  EXPECT_EQ(auto_workers(2), 1u);
  EXPECT_EQ(auto_workers(3), 3u);
  EXPECT_EQ(auto_workers(16), 16u);
}

TEST(Config, LoadsToml) {
  Config c = load_config_string(R"(
[server]
workers = 4
[mqtt]
port = 11883
queue_drop_policy = "drop_newest"
retain_available = false
shared_strategy = "sticky"
[http]
port = 0
[log]
format = "json"
)");
  EXPECT_EQ(c.server.workers, 4u);
  EXPECT_EQ(c.effective_workers(), 4u);
  EXPECT_EQ(c.mqtt.port, 11883);
  EXPECT_EQ(c.mqtt.queue_drop_policy, QueueDropPolicy::DropNewest);
  EXPECT_FALSE(c.mqtt.retain_available);
  EXPECT_EQ(c.mqtt.shared_strategy, "sticky");
  EXPECT_EQ(c.http.port, 0);
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.mqtt.ws_port, 8083);  // untouched keys keep defaults
}

TEST(Config, UnknownKeyNamesTheKey) {
  auto err = error_of([] { load_config_string("[mqtt]\nprot = 1\n", "x.toml"); });
  EXPECT_NE(err.find("unknown key 'mqtt.prot'"), std::string::npos) << err;
  EXPECT_NE(err.find("x.toml:2:"), std::string::npos) << err;
  err = error_of([] { load_config_string("[mqttt]\nport = 1\n"); });
  EXPECT_NE(err.find("unknown section 'mqttt'"), std::string::npos) << err;
  err = error_of([] { load_config_string("port = 1\n"); });
  EXPECT_NE(err.find("unknown key 'port'"), std::string::npos) << err;
}

TEST(Config, TypeErrorNamesKeyAndType) {
  auto err = error_of([] { load_config_string("[mqtt]\nport = \"1883\"\n"); });
  EXPECT_NE(err.find("mqtt.port: expected integer, got string"), std::string::npos) << err;
  err = error_of([] { load_config_string("[mqtt]\nretain_available = 1\n"); });
  EXPECT_NE(err.find("mqtt.retain_available: expected boolean, got integer"), std::string::npos)
      << err;
  err = error_of([] { load_config_string("[log]\nfile = 1.5\n"); });
  EXPECT_NE(err.find("log.file: expected string, got float"), std::string::npos) << err;
}

TEST(Config, ValidationErrors) {
  auto err = error_of([] { load_config_string("[mqtt]\nport = 70000\n"); });
  EXPECT_NE(err.find("mqtt.port: value 70000 out of range [0, 65535]"), std::string::npos) << err;
  err = error_of([] { load_config_string("[mqtt]\nmax_qos = 3\n"); });
  EXPECT_NE(err.find("mqtt.max_qos"), std::string::npos) << err;
  err = error_of([] { load_config_string("[server]\nlog_level = \"verbose\"\n"); });
  EXPECT_NE(err.find("server.log_level: invalid value \"verbose\""), std::string::npos) << err;
  err = error_of([] { load_config_string("[mqtt]\nshared_strategy = \"fair\"\n"); });
  EXPECT_NE(err.find("mqtt.shared_strategy"), std::string::npos) << err;
  err = error_of([] { load_config_string("[mqtt]\nws_path = \"mqtt\"\n"); });
  EXPECT_NE(err.find("mqtt.ws_path"), std::string::npos) << err;
  err = error_of([] { load_config_string("[http]\nport = 1883\n"); });
  EXPECT_NE(err.find("mqtt.port and http.port both use port 1883"), std::string::npos) << err;
  err = error_of([] { load_config_string("[mqtt\n"); });
  EXPECT_NE(err.find("<string>:1:"), std::string::npos) << err;
  // 0 disables listeners, so several zero ports never clash.
  EXPECT_NO_THROW(load_config_string("[mqtt]\nport = 0\nws_port = 0\n[http]\nport = 0\n"));
}

TEST(Config, Overrides) {
  Config c;
  apply_override(c, "mqtt.port", "1884");
  apply_override(c, "mqtt.allow_anonymous", "false");
  apply_override(c, "server.data_dir", "/var/lib/unimq");
  apply_override(c, "mqtt.queue_drop_policy=drop_newest");
  apply_override(c, "log.file=");
  EXPECT_EQ(c.mqtt.port, 1884);
  EXPECT_FALSE(c.mqtt.allow_anonymous);
  EXPECT_EQ(c.server.data_dir, "/var/lib/unimq");
  EXPECT_EQ(c.mqtt.queue_drop_policy, QueueDropPolicy::DropNewest);

  EXPECT_NE(error_of([&] { apply_override(c, "mqtt.nope", "1"); }).find("unknown key 'mqtt.nope'"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { apply_override(c, "mqtt.port", "12x"); }).find("mqtt.port: expected integer"),
      std::string::npos);
  EXPECT_NE(error_of([&] { apply_override(c, "mqtt.port", "-1"); }).find("out of range"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { apply_override(c, "mqtt.retain_available", "yes"); }).find("expected boolean"),
      std::string::npos);
  EXPECT_NE(error_of([&] { apply_override(c, "novalue"); }).find("section.key=value"),
            std::string::npos);
  EXPECT_EQ(c.mqtt.port, 1884);  // failed overrides leave the config unchanged
}

TEST(Config, DumpRoundTrips) {
  Config c;
  apply_override(c, "server.data_dir", "C:\\data \"q\"");
  apply_override(c, "mqtt.max_qos", "1");
  apply_override(c, "mqtt.queue_drop_policy", "drop_newest");
  EXPECT_EQ(load_config_string(dump_config(c)), c);
  EXPECT_EQ(load_config_string(dump_config(Config{})), Config{});
}

TEST(Config, ShippedFileEqualsDefaultsAndListsEveryKey) {
  const std::string path = std::string(UNIMQ_SOURCE_DIR) + "/config/unimq.toml";
  EXPECT_EQ(load_config(path), Config{});
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& key : config_keys()) {
    auto dot = key.find('.');
    EXPECT_NE(text.find("[" + key.substr(0, dot) + "]"), std::string::npos) << key;
    EXPECT_NE(text.find("\n" + key.substr(dot + 1) + " = "), std::string::npos) << key;
  }
}

TEST(Config, MissingFile) {
  auto err = error_of([] { load_config("/nonexistent/unimq.toml"); });
  EXPECT_NE(err.find("/nonexistent/unimq.toml"), std::string::npos) << err;
}

// run_cli with a fake server that records the config it was given.
struct CliRun {
  int code = -1;
  bool ran = false;
  Config config;
};

CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "unimq");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  CliRun r;
  r.code = run_cli(static_cast<int>(args.size()), argv.data(), [&](const Config& c) {
    r.ran = true;
    r.config = c;
    return 0;
  });
  return r;
}

TEST(Cli, VersionAndHelp) {
  EXPECT_EQ(run({"--version"}).code, 0);
  EXPECT_EQ(run({"--help"}).code, 0);
  EXPECT_EQ(run({"server", "--help"}).code, 0);
  EXPECT_FALSE(run({"server", "--help"}).ran);
}

TEST(Cli, BadUsageExits2) {
  EXPECT_EQ(run({}).code, 2);
  EXPECT_EQ(run({"frobnicate"}).code, 2);
  EXPECT_EQ(run({"server", "--no-such-flag"}).code, 2);
  EXPECT_EQ(run({"server", "--mqtt-port", "abc"}).code, 2);
  EXPECT_EQ(run({"server", "--set", "mqtt.nope=1"}).code, 2);
  EXPECT_EQ(run({"server", "--config", "/nonexistent.toml"}).code, 2);
  EXPECT_FALSE(run({"server", "--mqtt-port", "99999"}).ran);
}

TEST(Cli, DefaultsWithoutConfig) {
  auto r = run({"server", "--log-level", "off"});
  EXPECT_EQ(r.code, 0);
  ASSERT_TRUE(r.ran);
  Config expected;
  expected.server.log_level = "off";
  EXPECT_EQ(r.config, expected);
}

TEST(Cli, PrecedenceFileFlagsSet) {
  auto path = std::filesystem::temp_directory_path() / "unimq_cli_test.toml";
  {
    std::ofstream out(path);
    out << "[mqtt]\nport = 2000\nmax_inflight = 5\n[server]\nlog_level = \"off\"\n";
  }
  auto r = run({"server",
                "--config",
                path.string(),
                "--mqtt-port",
                "2001",
                "--http-port",
                "0",
                "--workers",
                "3",
                "--data-dir",
                "/tmp/d",
                "--set",
                "mqtt.port=2002",
                "--set",
                "mqtt.max_qos=1",
                "--mqtt-ws-port",
                "0",
                "--kafka-port",
                "0",
                "--amqp-port",
                "0"});
  std::filesystem::remove(path);
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.config.mqtt.port, 2002);  // --set beats the flag, which beats the file
  EXPECT_EQ(r.config.mqtt.max_inflight, 5u);
  EXPECT_EQ(r.config.mqtt.max_qos, 1);
  EXPECT_EQ(r.config.http.port, 0);
  EXPECT_EQ(r.config.mqtt.ws_port, 0);
  EXPECT_EQ(r.config.kafka.port, 0);
  EXPECT_EQ(r.config.amqp.port, 0);
  EXPECT_EQ(r.config.server.workers, 3u);
  EXPECT_EQ(r.config.server.data_dir, "/tmp/d");
}

TEST(Cli, ServerResultAndExceptions) {
  std::string a0 = "unimq", a1 = "server", a2 = "--log-level", a3 = "off";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  EXPECT_EQ(run_cli(4, argv, [](const Config&) { return 7; }), 7);
  EXPECT_EQ(run_cli(4, argv, [](const Config&) -> int { throw std::runtime_error("boom"); }), 1);
}

}  // namespace
}  // namespace unimq::app
