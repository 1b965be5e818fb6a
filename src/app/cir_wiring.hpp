// CirWiring: the daemon's CIR part (issue 4; reference notes section 6). It starts the CIR
// channels the [cir] sections ask for (StcpListener, UdpSender, HttpCirHolder on the daemon's
// HttpServer, SmsSender), tells the engine what it may agree (CirSettings), and connects the
// engine's hooks to the Waker: on_queued -> wake, on_request -> end of the burst, a failed CIR
// -> Engine::cir_failed (Session/CIR=F in the next answer), a session's end -> forget.
//
// The transport layer never sees the engine: the conversions SessionInfo -> WakeTarget happen
// here.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config.hpp"
#include "logger.hpp"
#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/transport/cir/http_cir.hpp"
#include "onesoup/transport/cir/sms_sender.hpp"
#include "onesoup/transport/cir/stcp_listener.hpp"
#include "onesoup/transport/cir/udp_sender.hpp"
#include "onesoup/transport/cir/wake_target.hpp"
#include "onesoup/transport/cir/waker.hpp"
#include "onesoup/transport/http_server.hpp"

namespace onesoup::app {

class CirWiring {
  public:
    // `http` must not have been started yet (the SHTTP route is added to it); `config` and
    // `log` must outlive this object.
    CirWiring(boost::asio::io_context& io, transport::HttpServer& http, const Config& config,
              const Logger& log);
    ~CirWiring();
    CirWiring(const CirWiring&) = delete;
    CirWiring& operator=(const CirWiring&) = delete;

    // Starts the channels of the offered methods and logs each. A channel that cannot start
    // (its port in use) is logged as a warning and its methods are not offered. Call before
    // the HTTP server starts.
    void start();

    // What ClientCapability may agree: the offered methods whose channel started, TCPAddress and
    // TCPPort (the listener's real port unless [cir.stcp] public_port is set), the CIR URL
    // prefix and ServerPollMin. Valid after start().
    [[nodiscard]] imps::engine::CirSettings settings() const;

    // Connects the engine's on_queued and on_request hooks; `engine` must outlive this object
    // (or detach first by destroying this object before it).
    void attach(imps::engine::Engine& engine);

    // The session is over (Backend::session_ended): forget it, close its STCP socket, answer
    // its held GET.
    void session_ended(const imps::engine::SessionId& id);

    // Stops the Waker and every channel (shutting down).
    void stop();

    // The channels, for tests and stats (nullptr when not started).
    [[nodiscard]] const transport::cir::StcpListener* stcp() const { return stcp_.get(); }
    [[nodiscard]] const transport::cir::UdpSender* udp() const { return udp_.get(); }
    [[nodiscard]] const transport::cir::HttpCirHolder* shttp() const { return shttp_.get(); }
    [[nodiscard]] const transport::cir::SmsSender* sms() const { return sms_.get(); }
    [[nodiscard]] const transport::cir::Waker& waker() const { return *waker_; }

    // What the CIR layer needs of a session (the phone's agreed methods, its UDPPort or 3717,
    // its version as "1.1"/"1.2"/"1.3"); has_queued is false (the caller fills it).
    [[nodiscard]] static transport::cir::WakeTarget wake_target(
        const imps::engine::SessionInfo& session);

  private:
    [[nodiscard]] std::optional<transport::cir::WakeTarget> lookup(const std::string& id) const;
    [[nodiscard]] bool agreed(std::string_view id, std::string_view method) const;

    boost::asio::io_context& io_;
    transport::HttpServer& http_;
    const Config& config_;
    const Logger& log_;
    imps::engine::Engine* engine_ = nullptr;
    std::unique_ptr<transport::cir::StcpListener> stcp_;
    std::unique_ptr<transport::cir::UdpSender> udp_;
    std::unique_ptr<transport::cir::HttpCirHolder> shttp_;
    std::unique_ptr<transport::cir::SmsSender> sms_;
    std::unique_ptr<transport::cir::Waker> waker_;  // last: it points at the channels
    imps::engine::CirSettings settings_;
};

// The base URL of the phone's request, "http://host[:port]" ("https://" when `tls`), from its
// Host header; "" when the header is missing or does not look like a host (then the engine
// falls back to the configured addresses).
[[nodiscard]] std::string base_url_from_host(std::string_view host, bool tls);

}  // namespace onesoup::app
