#include <spdlog/spdlog.h>

#include "app/service.h"

namespace unimq::app {

std::unique_ptr<Service> make_kafka_service(const ServiceContext& ctx) {
  if (ctx.config.kafka.port != 0)
    spdlog::info("Kafka listener (port {}) is not available in this build yet",
                 ctx.config.kafka.port);
  return nullptr;
}

}  // namespace unimq::app
