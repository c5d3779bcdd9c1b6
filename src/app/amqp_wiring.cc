// The AMQP 0-9-1 front end: the broker model (vhosts recovered from KV + journal), the
// session context and one listener per loop on amqp.port.
#include <spdlog/spdlog.h>

#include "app/service.h"
#include "net/event_loop.h"
#include "net/listener.h"
#include "protocol/amqp/broker/broker.h"
#include "protocol/amqp/broker/bus_bridge.h"
#include "protocol/amqp/session/amqp_connection.h"
#include "protocol/amqp/session/server_context.h"

namespace unimq::app {

namespace {

class AmqpService : public Service {
 public:
  // The bus takes no locks, so the bridge registers its sink now, before the loops run.
  explicit AmqpService(const ServiceContext& ctx)
      : ctx_(ctx), bridge_(amqp::BusBridge::create(ctx.bus, ctx.config.bridge.amqp_exchange)) {}

  void start() override {
    const AmqpConfig& cfg = ctx_.config.amqp;
    amqp::BrokerOptions bo;
    bo.vhosts = amqp::split_vhosts(cfg.vhosts);
    broker_ = std::make_unique<amqp::Broker>(bo, &ctx_.engine, &ctx_.kv);
    server_ = std::make_unique<amqp::ServerContext>(amqp::SessionOptions::from_config(cfg));
    server_->set_broker(broker_.get());
    if (bridge_) {
      if (amqp::VirtualHost* vh = broker_->vhost("/"))
        bridge_->connect(*vh);
      else
        spdlog::warn("AMQP bus bridge: no vhost '/', MQTT<->AMQP routing is off");
    }
    net::ListenerOptions lo;
    lo.host = cfg.bind;
    lo.port = cfg.port;
    auto* server = server_.get();
    listener_ = std::make_unique<net::Listener>(
        ctx_.loops, lo, [server](net::Connection& c) -> std::unique_ptr<net::ConnectionHandler> {
          return std::make_unique<amqp::AmqpConnection>(*server, c);
        });
    listener_->start();
    spdlog::info("AMQP 0-9-1 listening on {}:{} (vhosts: {})", cfg.bind, listener_->port(),
                 cfg.vhosts);
  }

  // Runs after the loops were joined. Connections that did not finish closing are destroyed
  // with the loops, later, and still reference the context and the queues: at process exit
  // those are left alive (leaked) rather than freed under them.
  ~AmqpService() override {
    if (server_ && server_->live_connections() > 0) {
      (void)server_.release();
      (void)broker_.release();
    }
  }

  void shutdown() override {
    if (listener_) listener_->stop();
    if (server_) server_->close_all(ctx_.loops, 2000);
    if (bridge_) bridge_->disconnect();
    if (broker_) broker_->stop();
  }

 private:
  ServiceContext ctx_;
  std::unique_ptr<amqp::BusBridge> bridge_;
  std::unique_ptr<amqp::Broker> broker_;
  std::unique_ptr<amqp::ServerContext> server_;
  std::unique_ptr<net::Listener> listener_;
};

}  // namespace

std::unique_ptr<Service> make_amqp_service(const ServiceContext& ctx) {
  if (ctx.config.amqp.port == 0) return nullptr;
  return std::make_unique<AmqpService>(ctx);
}

}  // namespace unimq::app
