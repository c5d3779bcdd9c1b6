// SASL PLAIN token check ("[authzid] NUL user NUL password" against kafka.sasl_users), shared
// by SaslAuthenticate and the raw-token exchange that follows a v0 SaslHandshake.
#pragma once

#include <map>
#include <span>
#include <string>

namespace unimq::kafka {

inline bool check_sasl_plain(const std::map<std::string, std::string>& users,
                             std::span<const uint8_t> token_bytes, std::string& user) {
  const std::string token(token_bytes.begin(), token_bytes.end());
  const size_t a = token.find('\0');
  const size_t b = a == std::string::npos ? a : token.find('\0', a + 1);
  if (b == std::string::npos) return false;
  user = token.substr(a + 1, b - a - 1);
  auto it = users.find(user);
  return it != users.end() && it->second == token.substr(b + 1);
}

}  // namespace unimq::kafka
