// Outcome of a broker operation in AMQP terms: ok, or a reply code and the reply text RabbitMQ
// would send. 403/404/405/406 close the channel; 503/530/541 close the connection (the session
// decides from the code).
#pragma once

#include <cstdint>
#include <string>

namespace unimq::amqp {

namespace reply {
constexpr uint16_t kNoRoute = 312;
constexpr uint16_t kAccessRefused = 403;
constexpr uint16_t kNotFound = 404;
constexpr uint16_t kResourceLocked = 405;
constexpr uint16_t kPreconditionFailed = 406;
constexpr uint16_t kCommandInvalid = 503;
constexpr uint16_t kNotAllowed = 530;
constexpr uint16_t kInternalError = 541;
}  // namespace reply

struct Result {
  uint16_t code = 0;  // 0 = ok
  std::string text;

  bool ok() const { return code == 0; }
  static Result Ok() { return {}; }
  static Result Error(uint16_t c, std::string t) { return {c, std::move(t)}; }
};

}  // namespace unimq::amqp
