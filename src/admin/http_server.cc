#include "admin/http_server.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <nlohmann/json.hpp>

#include "admin/routes/routes.h"

namespace unimq::admin {

namespace routes {
void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}
}  // namespace routes

AdminServer::AdminServer(std::string bind, uint16_t port, BrokerView& view,
                         metrics::Registry& registry)
    : bind_(std::move(bind)), port_(port), view_(view), registry_(registry) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
  if (server_) throw std::logic_error("AdminServer already started");
  auto server = std::make_unique<httplib::Server>();
  // Admin traffic is light; don't spend httplib's default 8+ threads on it.
  server->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server->set_read_timeout(5, 0);
  server->set_write_timeout(5, 0);
  // httplib's default also sets SO_REUSEPORT, which lets a second broker instance "bind" the
  // same port and silently steal half the scrapes. SO_REUSEADDR alone still allows fast restarts.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  routes::register_health(*server, view_);
  routes::register_metrics(*server, registry_);
  routes::register_clients(*server, view_);
  routes::register_subscriptions(*server, view_);
  routes::register_topics(*server, view_);

  // Called for every status >= 400; only fill in a body when the route didn't write one.
  httplib::Server::HandlerWithResponse on_error = [](const httplib::Request& req,
                                                     httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Handled;
    nlohmann::json j = {{"error", res.status == 404 ? "not found" : "request failed"},
                        {"path", req.path}};
    routes::send_json(res, res.status, j);
    return httplib::Server::HandlerResponse::Handled;
  };
  server->set_error_handler(std::move(on_error));
  server->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("admin http handler failed path={} error={}", req.path, what);
        routes::send_json(res, 500, nlohmann::json{{"error", what}});
      });

  if (port_ == 0) {
    int p = server->bind_to_any_port(bind_);
    if (p <= 0) throw std::runtime_error("cannot listen on " + bind_ + ":0");
    port_ = static_cast<uint16_t>(p);
  } else if (!server->bind_to_port(bind_, port_)) {
    throw std::runtime_error("cannot listen on " + bind_ + ":" + std::to_string(port_));
  }

  server_ = std::move(server);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([s = server_.get(), finished] {
    s->listen_after_bind();
    finished->store(true);
  });
  // httplib::Server::stop() is a no-op until the accept loop runs; wait for it so that an
  // immediate stop() cannot leave the thread listening forever.
  while (!server_->is_running() && !finished->load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::debug("admin http listening bind={} port={}", bind_, port_);
}

void AdminServer::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace unimq::admin
