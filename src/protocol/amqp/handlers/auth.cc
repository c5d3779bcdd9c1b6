#include "protocol/amqp/codec/wire.h"
#include "protocol/amqp/handlers/handlers.h"

namespace unimq::amqp::handlers {

namespace {
bool check(const std::unordered_map<std::string, std::string>& users, const std::string& user,
           const std::string& pass) {
  auto it = users.find(user);
  return it != users.end() && it->second == pass;
}
}  // namespace

std::string authenticate(const std::string& mechanism, const std::string& response,
                         const std::unordered_map<std::string, std::string>& users) {
  std::string user, pass;
  if (mechanism == "PLAIN") {
    // [authzid] NUL authcid NUL passwd
    const auto a = response.find('\0');
    if (a == std::string::npos) return {};
    const auto b = response.find('\0', a + 1);
    if (b == std::string::npos) return {};
    user = response.substr(a + 1, b - a - 1);
    pass = response.substr(b + 1);
  } else if (mechanism == "AMQPLAIN") {
    // A field table without its 4-byte length prefix.
    std::vector<uint8_t> bytes;
    codec::Writer w(bytes);
    w.u32(static_cast<uint32_t>(response.size()));
    w.raw(response);
    codec::Reader r(bytes.data(), bytes.size());
    codec::FieldTable t;
    codec::read_table(r, t);
    if (!r.ok()) return {};
    const auto* login = t.find("LOGIN");
    const auto* password = t.find("PASSWORD");
    if (!login || !password || !login->as_string() || !password->as_string()) return {};
    user = *login->as_string();
    pass = *password->as_string();
  } else {
    return {};
  }
  if (user.empty() || !check(users, user, pass)) return {};
  return user;
}

}  // namespace unimq::amqp::handlers
