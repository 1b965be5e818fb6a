#include "cir_wiring.hpp"

#include <algorithm>
#include <cctype>

#include "onesoup/imps/codec/version.hpp"

namespace onesoup::app {
namespace {

namespace cir = transport::cir;
namespace engine = imps::engine;

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

std::optional<imps::model::CirMethod> model_method(std::string_view name) {
    using imps::model::CirMethod;
    const auto method = cir::method_from_name(name);
    if (!method) return std::nullopt;
    switch (*method) {
        case cir::Method::stcp:
            return CirMethod::stcp;
        case cir::Method::shttp:
            return CirMethod::shttp;
        case cir::Method::sudp:
            return CirMethod::sudp;
        case cir::Method::wap_udp:
            return CirMethod::wap_udp;
        case cir::Method::wap_sms:
            return CirMethod::wap_sms;
        case cir::Method::ssms:
            return CirMethod::ssms;
    }
    return std::nullopt;
}

// "0.0.0.0 port 3717", "[::] port 3717".
std::string where(std::string_view address, std::uint16_t port) {
    std::string host(address);
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return host + " port " + std::to_string(port);
}

}  // namespace

std::string base_url_from_host(std::string_view host, bool tls) {
    // The Host header comes from the phone (or anyone): it becomes part of the TCPAddress and
    // the CIR URL given back, so only a plain host[:port] is believed.
    if (host.empty() || host.size() > 255) return {};
    const bool plain = std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' ||
               c == '_';
    });
    if (!plain) return {};
    return (tls ? "https://" : "http://") + std::string(host);
}

CirWiring::CirWiring(boost::asio::io_context& io, transport::HttpServer& http, const Config& config,
                     const Logger& log)
    : io_(io), http_(http), config_(config), log_(log) {}

CirWiring::~CirWiring() {
    if (engine_) {
        engine_->on_queued = nullptr;
        engine_->on_request = nullptr;
    }
}

void CirWiring::start() {
    const CirSection& c = config_.cir;
    std::vector<std::string> on;  // the methods whose channel started
    auto offer = [&](std::string_view method) {
        if (!c.offers(method)) return;
        if (auto m = model_method(method)) {
            settings_.methods.push_back(*m);
            on.emplace_back(method);
        }
    };

    if (c.offers("STCP")) {
        cir::StcpOptions o;
        o.address = c.stcp.address;
        o.port = c.stcp.port;
        o.helo_timeout = c.stcp.helo_timeout;
        o.idle_timeout = c.stcp.idle_timeout;
        stcp_ = std::make_unique<cir::StcpListener>(
            io_, o, [this](std::string_view id) { return agreed(id, "STCP"); },
            [this](const std::string& id) {
                if (waker_) waker_->channel_ready(id);
            },
            [this](const std::string& id) {
                if (waker_) waker_->channel_lost(id);
            },
            [this](std::string line) { log_.info("CIR " + line); });
        if (auto ok = stcp_->start(); !ok) {
            log_.warning("CIR STCP is off: cannot listen on " + where(o.address, o.port) + ": " +
                         ok.error().message);
            stcp_.reset();
        } else {
            settings_.tcp_address = c.stcp.public_address;
            settings_.tcp_port = c.stcp.public_port != 0 ? c.stcp.public_port : stcp_->port();
            log_.info("CIR STCP listening on " + where(o.address, stcp_->port()) +
                      "; phones are told " +
                      (settings_.tcp_address.empty() ? std::string("the host they use for HTTP")
                                                     : settings_.tcp_address) +
                      " port " + std::to_string(settings_.tcp_port));
            offer("STCP");
        }
    }

    if (c.offers("SHTTP")) {
        cir::HttpCirOptions o;
        o.hold = c.http.hold;
        shttp_ = std::make_unique<cir::HttpCirHolder>(
            io_, http_, o, [this](std::string_view id) { return agreed(id, "SHTTP"); },
            [this](const std::string& id) {
                if (waker_) waker_->channel_ready(id);
            });
        settings_.http_url = c.http.public_url;
        log_.info("CIR SHTTP on the HTTP server's path " + o.path + " (GETs held " +
                  std::to_string(o.hold.count()) + " s); phones are told " +
                  (c.http.public_url.empty() ? std::string("the host they use for HTTP + ") + o.path
                                             : c.http.public_url) +
                  "<session>");
        offer("SHTTP");
    }

    if (c.offers("SUDP") || c.offers("WAPUDP")) {
        cir::UdpOptions o;
        o.address = c.udp.address;
        udp_ = std::make_unique<cir::UdpSender>(io_, o);
        if (auto ok = udp_->start(); !ok) {
            log_.warning("CIR SUDP and WAPUDP are off: cannot open a UDP socket on " +
                         c.udp.address + ": " + ok.error().message);
            udp_.reset();
        } else {
            log_.info("CIR datagrams (SUDP, WAPUDP) leave from " + where(o.address, udp_->port()));
            offer("SUDP");
            offer("WAPUDP");
        }
    }

    if (c.offers("WAPSMS") || c.offers("SSMS")) {
        if (c.sms.sendsms_url.empty()) {
            log_.info("CIR WAPSMS and SSMS are off: [cir.sms] sendsms_url is not set");
        } else {
            cir::SmsOptions o;
            o.sendsms_url = c.sms.sendsms_url;
            o.username = c.sms.username;
            o.password = c.sms.password;
            o.from = c.sms.from;
            o.smsc = c.sms.smsc;
            sms_ = std::make_unique<cir::SmsSender>(io_, o);
            if (auto ok = sms_->start(); !ok) {
                log_.warning("CIR WAPSMS and SSMS are off: " + ok.error().message);
                sms_.reset();
            } else {
                // Never the password in the log.
                log_.info("CIR SMS (WAPSMS, SSMS) through Kannel at " + o.sendsms_url +
                          " as user \"" + o.username + "\"");
                offer("WAPSMS");
                offer("SSMS");
            }
        }
    }
    settings_.poll_min_with_cir = c.poll_min_with_cir;

    cir::WakerOptions w;
    w.udp_resend.assign(c.udp.resend.begin(), c.udp.resend.end());
    w.sms_min_interval = c.sms.min_interval;
    // The phone GETs again as soon as a held GET is answered (204 after `hold`).
    w.shttp_grace = c.http.hold + std::chrono::seconds(20);
    waker_ = std::make_unique<cir::Waker>(
        io_, w, cir::Waker::Channels{stcp_.get(), shttp_.get(), udp_.get(), sms_.get()},
        [this](const std::string& id) { return lookup(id); },
        [this](const std::string& id, std::string why) {
            log_.info("CIR failed: " + why + "; the phone is told CIR=F in its next answer", id);
            if (engine_) engine_->cir_failed(id);
        });

    if (on.empty()) {
        log_.info("CIR is off: phones poll (ServerPollMin " +
                  std::to_string(config_.imps.server_poll_min.count()) + " s)");
    } else {
        std::string list;
        for (const auto& m : on) list += (list.empty() ? "" : ", ") + m;
        log_.info("CIR methods on: " + list);
    }
}

engine::CirSettings CirWiring::settings() const {
    return settings_;
}

void CirWiring::attach(engine::Engine& engine) {
    engine_ = &engine;
    engine.on_queued = [this](const engine::SessionInfo& session) {
        if (!waker_) return;
        cir::WakeTarget target = wake_target(session);
        target.has_queued = engine_->queued(session.id) > 0;
        waker_->wake(target);
    };
    engine.on_request = [this](const engine::SessionInfo& session) {
        if (waker_) waker_->on_request(session.id);
    };
}

void CirWiring::session_ended(const engine::SessionId& id) {
    if (waker_) waker_->forget(id);
}

void CirWiring::stop() {
    if (waker_) waker_->stop();
    if (shttp_) shttp_->stop();
    if (stcp_) stcp_->stop();
    if (udp_) udp_->stop();
    if (sms_) sms_->stop();
}

cir::WakeTarget CirWiring::wake_target(const engine::SessionInfo& session) {
    cir::WakeTarget t;
    t.session_id = session.id;
    t.cookie = session.session_cookie;
    t.version = std::string(imps::codec::version_text(session.version));
    for (const std::string& name : session.capabilities.cir_methods) {
        if (auto m = cir::method_from_name(name)) t.methods.push_back(*m);
    }
    t.address = session.remote_address;
    const auto port = session.capabilities.udp_port;
    // CSP 1.2 Transport Binding 8.1.2: UDPPort defaults to 3717.
    t.udp_port = port && *port > 0 && *port <= 65535 ? static_cast<std::uint16_t>(*port) : 3717;
    t.msisdn = session.msisdn;
    return t;
}

std::optional<cir::WakeTarget> CirWiring::lookup(const std::string& id) const {
    if (!engine_) return std::nullopt;
    const engine::SessionInfo* session = engine_->session(id);
    if (!session) return std::nullopt;
    cir::WakeTarget t = wake_target(*session);
    t.has_queued = engine_->queued(id) > 0;
    return t;
}

bool CirWiring::agreed(std::string_view id, std::string_view method) const {
    if (!engine_) return false;
    const engine::SessionInfo* session = engine_->session(std::string(id));
    if (!session) return false;
    const auto& methods = session->capabilities.cir_methods;
    return std::any_of(methods.begin(), methods.end(),
                       [method](const std::string& m) { return same_name(m, method); });
}

}  // namespace onesoup::app
