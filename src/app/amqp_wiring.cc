#include <spdlog/spdlog.h>

#include "app/service.h"

namespace unimq::app {

std::unique_ptr<Service> make_amqp_service(const ServiceContext& ctx) {
  if (ctx.config.amqp.port != 0)
    spdlog::info("AMQP listener (port {}) is not available in this build yet",
                 ctx.config.amqp.port);
  return nullptr;
}

}  // namespace unimq::app
