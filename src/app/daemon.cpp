#include "daemon.hpp"

// GCC 12 needs <utility> before Asio's headers.
#include <utility>

#include <sodium.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <memory>
#include <optional>

#include "cir_wiring.hpp"
#include "logging_backend.hpp"
#include "msisdn.hpp"
#include "onesoup/gateway/gateway.hpp"
#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/store/account_store.hpp"
#include "onesoup/store/store_worker.hpp"
#include "onesoup/transport/http_server.hpp"

namespace onesoup::app {
namespace {

namespace engine = imps::engine;

transport::HttpOptions http_options(const HttpSection& http) {
    transport::HttpOptions o;
    o.address = http.address;
    o.port = http.port;
    o.tls_certificate_file = http.tls_certificate;
    o.tls_private_key_file = http.tls_private_key;
    o.max_body = http.max_body;
    o.max_header = http.max_header;
    o.request_timeout = http.request_timeout;
    o.idle_timeout = http.idle_timeout;
    o.max_connections = http.max_connections;
    return o;
}

engine::EngineConfig engine_config(const Config& config, engine::CirSettings cir) {
    engine::EngineConfig e;
    e.default_domain = config.imps.default_domain;
    e.keep_alive_default = config.imps.keep_alive_default;
    e.keep_alive_min = config.imps.keep_alive_min;
    e.keep_alive_max = config.imps.keep_alive_max;
    e.keep_alive_grace = config.imps.keep_alive_grace;
    e.server_poll_min = config.imps.server_poll_min;
    e.max_body = config.http.max_body;
    e.cir = std::move(cir);
    return e;
}

gateway::GatewayConfig gateway_config(const Config& config) {
    gateway::GatewayConfig g;
    for (const DomainSection& d : config.domains) {
        gateway::DomainConfig out;
        out.name = d.name;
        out.mode = d.mode == DomainSection::Mode::local ? gateway::DomainConfig::Mode::local
                                                        : gateway::DomainConfig::Mode::pass_through;
        out.xmpp_host = d.xmpp_host;
        out.xmpp_port = d.xmpp_port;
        out.tls_name = d.tls_name;
        switch (d.tls) {
            case DomainSection::Tls::required:
                out.tls = xmpp::ClientConfig::Tls::required;
                break;
            case DomainSection::Tls::optional:
                out.tls = xmpp::ClientConfig::Tls::optional;
                break;
            case DomainSection::Tls::off:
                out.tls = xmpp::ClientConfig::Tls::off;
                break;
        }
        out.tls_verify = d.tls_verify;
        out.allow_plain_without_tls = d.allow_plain_without_tls;
        out.register_in_band = d.register_in_band;
        g.domains.push_back(std::move(out));
    }
    return g;
}

// Everything that lives while the daemon runs, in the order it is built; members are destroyed
// in reverse, so the store outlives its worker, and the worker (finishing its queued jobs)
// outlives the gateway that queues them. The CIR channels are started before the engine (it
// needs their real ports) and destroyed before it and the HTTP server (they hold both).
struct Daemon {
    Daemon(const Config& c, const Logger& l) : config(c), log(l) {}
    ~Daemon() {
        // The hook points at `cir`, which goes before the engine and the backend.
        if (backend) backend->on_session_ended = nullptr;
        cir.reset();
    }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    const Config& config;
    const Logger& log;
    boost::asio::io_context io{1};
    std::unique_ptr<store::AccountStore> accounts;
    std::optional<store::StoreWorker> worker;
    std::optional<gateway::Gateway> gateway;
    std::optional<LoggingBackend> backend;
    std::optional<engine::Engine> csp;
    std::optional<transport::HttpServer> http;
    std::optional<CirWiring> cir;
    boost::asio::steady_timer ticker{io};
    boost::asio::steady_timer stop_bound{io};
    boost::asio::signal_set signals{io, SIGINT, SIGTERM};
    bool stopping = false;

    bool start();
    void handle(transport::HttpRequest request,
                std::function<void(transport::HttpResponse)> respond);
    void tick();
    void wait_for_signal();
    void stop();
};

bool Daemon::start() {
    if (config.has_local_domain()) {
        auto key = store::SecretKey::load_or_create(config.store.key_file);
        if (!key) {
            log.error(key.error().message);
            return false;
        }
        auto opened = store::open_sqlite_account_store(config.store.database, std::move(*key));
        if (!opened) {
            log.error(opened.error().message);
            return false;
        }
        accounts = std::move(*opened);
        worker.emplace(io);
    }
    gateway.emplace(io, gateway_config(config), accounts.get(), worker ? &*worker : nullptr);
    backend.emplace(*gateway, log);

    http.emplace(io, http_options(config.http));
    // The CIR channels start first: the engine offers only the methods whose channel started.
    cir.emplace(io, *http, config, log);
    cir->start();
    csp.emplace(engine_config(config, cir->settings()), *backend,
                [](std::uint8_t* out, std::size_t size) { randombytes_buf(out, size); });
    gateway->attach(*csp);
    cir->attach(*csp);
    backend->on_session_ended = [this](const engine::SessionId& id) {
        if (cir) cir->session_ended(id);
    };
    http->route(config.http.path, [this](transport::HttpRequest request,
                                         std::function<void(transport::HttpResponse)> respond) {
        handle(std::move(request), std::move(respond));
    });
    if (auto ok = http->start(); !ok) {
        log.error("cannot listen on " + config.http.address + " port " +
                  std::to_string(config.http.port) + ": " + ok.error().message);
        return false;
    }
    log.info("onesoup listening on " + listen_url(config.http, http->port()));
    for (const DomainSection& d : config.domains) {
        log.info("domain " + d.name + ": " +
                 (d.mode == DomainSection::Mode::local ? "local accounts" : "pass-through") +
                 ", XMPP server " + (d.xmpp_host.empty() ? "by DNS" : d.xmpp_host) + " port " +
                 std::to_string(d.xmpp_port));
    }
    if (config.domains.empty()) {
        log.warning("no [[domain]] in " + config.file + ": every login will be refused");
    }
    tick();
    wait_for_signal();
    return true;
}

void Daemon::handle(transport::HttpRequest request,
                    std::function<void(transport::HttpResponse)> respond) {
    if (request.method != "POST") {
        transport::HttpResponse answer;
        answer.status = 405;
        answer.content_type = "text/plain; charset=utf-8";
        answer.body = "This is an IMPS (Wireless Village) server: phones POST CSP requests here.\n";
        answer.headers.emplace_back("Allow", "POST");
        respond(std::move(answer));
        return;
    }
    engine::Incoming in;
    in.content_type = std::move(request.content_type);
    in.body = std::move(request.body);
    in.remote_address = std::move(request.remote_address);
    in.msisdn = msisdn_from_headers(request.header("x-network-msisdn"), request.header("x-msisdn"),
                                    request.header("x-up-calling-line-id"));
    in.base_url = base_url_from_host(request.header("host"), !config.http.tls_certificate.empty());
    if (in.base_url.empty() && config.http.address != "0.0.0.0" && config.http.address != "::") {
        // No usable Host header (HTTP/1.0): the address onesoup listens on, if it is one.
        std::string host = config.http.address;
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        in.base_url = base_url_from_host(host + ":" + std::to_string(http->port()),
                                         !config.http.tls_certificate.empty());
    }
    in.now = engine::Clock::now();
    csp->handle(std::move(in), [respond = std::move(respond)](engine::Outgoing out) {
        transport::HttpResponse answer;
        answer.status = out.http_status;
        answer.content_type = std::move(out.content_type);
        answer.body = std::move(out.body);
        respond(std::move(answer));
    });
}

void Daemon::tick() {
    const auto now = engine::Clock::now();
    const auto next = csp->tick(now);
    // About once a second (engine.hpp), sooner if the engine asks.
    const auto at = std::min(next, now + std::chrono::seconds(1));
    ticker.expires_at(std::max(at, now + std::chrono::milliseconds(10)));
    ticker.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && !stopping) tick();
    });
}

void Daemon::wait_for_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (stopping) {
            log.warning("second signal: stopping at once");
            io.stop();
            return;
        }
        log.info(std::string("stopping (") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ")");
        stop();
        wait_for_signal();
    });
}

void Daemon::stop() {
    stopping = true;
    // The CIR channels first: a held SHTTP GET is answered 503 while its connection is open.
    cir->stop();
    http->stop();
    ticker.cancel();
    // The gateway bounds its own shutdown; this bound only guards against a callback that
    // never comes.
    stop_bound.expires_after(std::chrono::seconds(15));
    stop_bound.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        log.warning("XMPP sessions did not close in time; stopping anyway");
        io.stop();
    });
    gateway->shutdown([this] {
        log.info("all XMPP sessions closed; goodbye");
        io.stop();
    });
}

}  // namespace

int run_daemon(const Config& config, const Logger& log) {
    if (sodium_init() < 0) {
        log.error("libsodium could not be initialised");
        return 1;
    }
    std::signal(SIGPIPE, SIG_IGN);
    Daemon daemon(config, log);
    if (!daemon.start()) return 1;
    daemon.io.run();
    return 0;
}

}  // namespace onesoup::app
