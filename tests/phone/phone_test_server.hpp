// The server the phone tests run `imps phone` against: a real transport::HttpServer and
// imps::engine::Engine on one io_context in a thread of the test, with a small Backend of the
// test's own that accepts one user and answers like a gateway would (echoes chat messages back as
// pushed NewMessages, sends presence notifications, authorization requests and delivery
// reports). With CIR on, the real CIR channels of src/transport/cir (StcpListener,
// HttpCirHolder, UdpSender and the Waker) are wired to the engine as the daemon wires them.
#pragma once

#include <openssl/evp.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/imps/model/status_code.hpp"
#include "onesoup/transport/cir/http_cir.hpp"
#include "onesoup/transport/cir/stcp_listener.hpp"
#include "onesoup/transport/cir/udp_sender.hpp"
#include "onesoup/transport/cir/wake_target.hpp"
#include "onesoup/transport/cir/waker.hpp"
#include "onesoup/transport/http_server.hpp"

namespace onesoup::test {

namespace engine = onesoup::imps::engine;
namespace model = onesoup::imps::model;
namespace transport = onesoup::transport;
namespace cir = onesoup::transport::cir;
namespace net = boost::asio;

inline constexpr const char* user = "wv:alice@test";
inline constexpr const char* password = "secret";
inline constexpr const char* default_list = "wv:alice/friends@test";

// Base64(H(nonce + password)) with OpenSSL directly, to check the phone's DigestBytes.
inline std::string expected_digest(const std::string& schema, const std::string& nonce) {
    const EVP_MD* md = schema == "SHA" ? EVP_sha1() : EVP_md5();
    const std::string input = nonce + password;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(input.data(), input.size(), hash, &length, md, nullptr);
    unsigned char out[4 * EVP_MAX_MD_SIZE];
    const int n = EVP_EncodeBlock(out, hash, static_cast<int>(length));
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

inline model::CspResult ok_result() {
    return model::CspResult{};
}

inline model::Primitive make_status(int code) {
    model::Status s;
    s.result.code = code;
    return s;
}

// What the tests look at afterwards (written on the server thread).
struct Observed {
    std::mutex mutex;
    std::vector<std::string> delivered;      // MessageIDs the phone confirmed
    std::vector<std::string> authorized;     // PresenceAuth-User with Acceptance T
    std::vector<std::string> login_schemes;  // "PWD", "MD5", "SHA" per successful login
    std::vector<engine::EndReason> endings;
};

// A Backend that accepts wv:alice@test / secret (every schema) and wv:pass@test (password only,
// as a pass-through domain would), and answers what the phone asks like a gateway.
class TestBackend : public engine::Backend {
  public:
    TestBackend(net::io_context& io, Observed& observed) : io_(io), observed_(observed) {}
    void attach(engine::Engine& e) { engine_ = &e; }

    std::vector<std::string> digest_schemas_for(const std::string& user_id) override {
        if (user_id == user) return {"MD5", "SHA"};
        return {};
    }

    void login(const engine::SessionInfo&, const engine::Credentials& c,
               std::function<void(engine::LoginOutcome)> done) override {
        if (c.user_id != user && c.user_id != "wv:pass@test") {
            done({model::status::unknown_user, "no such user", ""});
            return;
        }
        bool good = false;
        if (c.password)
            good = *c.password == password;
        else
            good = c.digest_bytes == expected_digest(c.digest_schema, c.nonce);
        if (!good) {
            done({model::status::invalid_password, "wrong password", ""});
            return;
        }
        {
            std::lock_guard lock(observed_.mutex);
            observed_.login_schemes.push_back(c.password ? "PWD" : c.digest_schema);
        }
        // Later, as a real XMPP login would be.
        net::post(io_, [done = std::move(done)] { done({}); });
    }

    void request(const engine::SessionInfo& session, const model::Primitive& primitive,
                 std::function<void(std::optional<model::Primitive>)> reply) override {
        if (const auto* d = std::get_if<model::MessageDelivered>(&primitive)) {
            std::lock_guard lock(observed_.mutex);
            observed_.delivered.push_back(d->message_id);
            reply(std::nullopt);
            return;
        }
        if (std::holds_alternative<model::GetListRequest>(primitive)) {
            model::GetListResponse r;
            r.contact_lists.assign(lists_.begin(), lists_.end());
            r.default_contact_list = default_list;
            reply(std::move(r));
            return;
        }
        if (const auto* c = std::get_if<model::CreateListRequest>(&primitive)) {
            reply(make_status(lists_.insert(c->contact_list).second
                                  ? 200
                                  : model::status::contact_list_already_exists));
            return;
        }
        if (const auto* d = std::get_if<model::DeleteListRequest>(&primitive)) {
            reply(make_status(lists_.erase(d->contact_list) != 0
                                  ? 200
                                  : model::status::contact_list_does_not_exist));
            return;
        }
        if (const auto* m = std::get_if<model::ListManageRequest>(&primitive)) {
            if (lists_.count(m->contact_list) == 0) {
                reply(make_status(model::status::contact_list_does_not_exist));
                return;
            }
            auto& nicks = contacts_[m->contact_list];
            if (m->add_nick_list)
                for (const auto& n : m->add_nick_list->nicks) nicks[n.user_id] = n.name;
            if (m->remove_nick_list)
                for (const auto& id : m->remove_nick_list->user_ids) nicks.erase(id);
            model::ListManageResponse r;
            if (m->receive_list.value_or(false)) {
                r.nick_list = model::NickList{};
                for (const auto& [id, name] : nicks) {
                    model::NickName n;
                    n.user_id = id;
                    n.name = name;
                    r.nick_list->nicks.push_back(std::move(n));
                }
            }
            reply(std::move(r));
            return;
        }
        if (const auto* s = std::get_if<model::SendMessageRequest>(&primitive)) {
            on_send(session, *s, std::move(reply));
            return;
        }
        if (const auto* u = std::get_if<model::UpdatePresenceRequest>(&primitive)) {
            reply(make_status(200));
            // The phone's own presence comes back as that of wv:echo@test.
            model::PresenceNotificationRequest n;
            model::Presence p;
            p.user_id = "wv:echo@test";
            p.sub_lists.push_back(u->presence_sub_list);
            n.presences.push_back(std::move(p));
            push_later(session.id, std::move(n));
            return;
        }
        if (const auto* g = std::get_if<model::GetPresenceRequest>(&primitive)) {
            model::GetPresenceResponse r;
            for (const auto& u : g->users) r.presences.push_back(available(u.user_id));
            reply(std::move(r));
            return;
        }
        if (const auto* s = std::get_if<model::SubscribePresenceRequest>(&primitive)) {
            reply(make_status(200));
            model::PresenceNotificationRequest n;
            for (const auto& u : s->users) n.presences.push_back(available(u.user_id));
            push_later(session.id, std::move(n));
            return;
        }
        if (std::holds_alternative<model::UnsubscribePresenceRequest>(primitive)) {
            reply(make_status(200));
            return;
        }
        if (const auto* a = std::get_if<model::PresenceAuthUser>(&primitive)) {
            if (a->acceptance) {
                std::lock_guard lock(observed_.mutex);
                observed_.authorized.push_back(a->user_id);
            }
            reply(make_status(200));
            return;
        }
        reply(make_status(model::status::not_implemented));
    }

    void session_ended(const engine::SessionId& id, engine::EndReason reason) override {
        {
            std::lock_guard lock(observed_.mutex);
            observed_.endings.push_back(reason);
        }
        if (on_ended) on_ended(id);
    }

    // Called after session_ended (the CIR server forgets the session's channels).
    std::function<void(const engine::SessionId&)> on_ended;

  private:
    static model::Presence available(const std::string& user_id) {
        model::Presence p;
        p.user_id = user_id;
        model::PresenceSubList sub;
        sub.online_status = model::OnlineStatus{};
        sub.online_status->value = true;
        sub.user_availability = model::UserAvailabilityAttribute{};
        sub.user_availability->value = model::UserAvailability::available;
        p.sub_lists.push_back(std::move(sub));
        return p;
    }

    // Pushes after the current answer went out, as an XMPP event would arrive later.
    void push_later(const engine::SessionId& id, model::Primitive primitive) {
        net::post(io_, [this, id, primitive = std::move(primitive)]() mutable {
            engine_->push(id, std::move(primitive));
        });
    }

    void on_send(const engine::SessionInfo& session, const model::SendMessageRequest& s,
                 std::function<void(std::optional<model::Primitive>)> reply) {
        const std::string to = s.message_info.recipient && !s.message_info.recipient->users.empty()
                                   ? s.message_info.recipient->users.front().user_id
                                   : "";
        const std::string id = "m" + std::to_string(++messages_);
        model::SendMessageResponse r;
        r.result = ok_result();
        r.message_id = id;
        reply(std::move(r));
        if (to == "wv:kick@test") {
            net::post(io_, [this, sid = session.id] {
                engine_->disconnect(sid, model::status::forced_logout, "kicked by the test");
            });
            return;
        }
        if (to == "wv:slow@test") {
            // The buddy answers a second later, while the phone is idle: only a CIR wakes it.
            auto timer = std::make_shared<net::steady_timer>(io_, std::chrono::seconds(1));
            timer->async_wait([this, timer, sid = session.id, text = s.content_data](auto) {
                model::NewMessage late;
                late.message_info.message_id = "slow-" + std::to_string(++messages_);
                late.message_info.content_type = "text/plain";
                late.message_info.sender = model::Sender{};
                late.message_info.sender->user = model::User{};
                late.message_info.sender->user->user_id = "wv:slow@test";
                late.content_data = "late: " + text.value_or("");
                engine_->push(sid, std::move(late));
            });
            return;
        }
        if (to == "wv:asker@test") {
            model::PresenceAuthRequest a;
            a.user_id = to;
            push_later(session.id, std::move(a));
            return;
        }
        // The buddy answers with the same text.
        model::NewMessage echo;
        echo.message_info.message_id = "echo-" + id;
        echo.message_info.content_type = "text/plain";
        echo.message_info.content_size =
            static_cast<model::Integer>(s.content_data.value_or("").size());
        echo.message_info.recipient = model::Recipient{};
        model::User me;
        me.user_id = session.user_id;
        echo.message_info.recipient->users.push_back(std::move(me));
        echo.message_info.sender = model::Sender{};
        echo.message_info.sender->user = model::User{};
        echo.message_info.sender->user->user_id = to;
        echo.content_data = s.content_data;
        push_later(session.id, std::move(echo));
        if (s.delivery_report.value_or(false)) {
            model::DeliveryReportRequest d;
            d.result = ok_result();
            d.message_info.message_id = id;
            d.message_info.recipient = model::Recipient{};
            model::User u;
            u.user_id = to;
            d.message_info.recipient->users.push_back(std::move(u));
            push_later(session.id, std::move(d));
        }
    }

    net::io_context& io_;
    Observed& observed_;
    engine::Engine* engine_ = nullptr;
    std::set<std::string> lists_{default_list};
    std::map<std::string, std::map<std::string, std::optional<std::string>>> contacts_;
    int messages_ = 0;
};

// HttpServer + Engine + TestBackend on one io_context, run by a thread of its own.
class Server {
  public:
    explicit Server(std::chrono::seconds idle_timeout = std::chrono::seconds(120),
                    std::string certificate = "", std::string key = "")
        : https_(!certificate.empty()),
          backend_(io_, observed),
          engine_(config(), backend_,
                  [](std::uint8_t* out, std::size_t size) {
                      std::random_device device;
                      for (std::size_t i = 0; i < size; ++i)
                          out[i] = static_cast<std::uint8_t>(device());
                  }),
          http_(io_, options(idle_timeout, std::move(certificate), std::move(key))) {
        backend_.attach(engine_);
        http_.route("/wv", [this](transport::HttpRequest request,
                                  std::function<void(transport::HttpResponse)> respond) {
            engine::Incoming in;
            in.content_type = request.content_type;
            in.body = std::move(request.body);
            in.remote_address = request.remote_address;
            in.now = engine::Clock::now();
            engine_.handle(std::move(in), [respond](engine::Outgoing out) {
                transport::HttpResponse r;
                r.status = out.http_status;
                r.content_type = out.content_type;
                r.body = std::move(out.body);
                respond(std::move(r));
            });
        });
        started_ = http_.start().ok();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~Server() {
        net::post(io_, [this] {
            http_.stop();
            work_.reset();
        });
        thread_.join();
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] bool started() const { return started_; }
    [[nodiscard]] std::string url() const {
        return std::string(https_ ? "https" : "http") +
               "://127.0.0.1:" + std::to_string(http_.port()) + "/wv";
    }

    // The HTTP server's counters, read on its own thread.
    transport::HttpStats http_stats() {
        std::promise<transport::HttpStats> promise;
        net::post(io_, [&] { promise.set_value(http_.stats()); });
        return promise.get_future().get();
    }

    Observed observed;

  private:
    static engine::EngineConfig config() {
        engine::EngineConfig c;
        c.default_domain = "test";
        return c;
    }
    static transport::HttpOptions options(std::chrono::seconds idle_timeout,
                                          std::string certificate, std::string key) {
        transport::HttpOptions o;
        o.port = 0;
        o.idle_timeout = idle_timeout;
        o.tls_certificate_file = std::move(certificate);
        o.tls_private_key_file = std::move(key);
        return o;
    }

    bool https_ = false;
    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    TestBackend backend_;
    engine::Engine engine_;
    transport::HttpServer http_;
    std::thread thread_;
    bool started_ = false;
};

// The same HttpServer + Engine + TestBackend, with the CIR channels of src/transport/cir wired
// as the daemon wires them (docs/architecture.md, the CIR design): Engine::on_queued ->
// Waker::wake, Engine::on_request -> Waker::on_request, StcpListener Bound / HttpCirHolder Held
// -> Waker::channel_ready, StcpListener Lost -> Waker::channel_lost, Waker Failed ->
// Engine::cir_failed, Backend::session_ended -> Waker::forget.
class CirServer {
  public:
    // `methods`: what ClientCapability may agree (STCP, SHTTP, SUDP, WAPUDP).
    explicit CirServer(std::vector<model::CirMethod> methods = {model::CirMethod::stcp,
                                                                model::CirMethod::shttp,
                                                                model::CirMethod::sudp,
                                                                model::CirMethod::wap_udp},
                       std::chrono::seconds hold = std::chrono::seconds(50))
        : backend_(io_, observed),
          stcp_(
              io_, stcp_options(), [this](std::string_view id) { return agreed(id, "STCP"); },
              [this](const std::string& id) { waker_->channel_ready(id); },
              [this](const std::string& id) { waker_->channel_lost(id); }),
          stcp_started_(stcp_.start().ok()),
          engine_(config(std::move(methods), stcp_.port()), backend_,
                  [](std::uint8_t* out, std::size_t size) {
                      std::random_device device;
                      for (std::size_t i = 0; i < size; ++i)
                          out[i] = static_cast<std::uint8_t>(device());
                  }),
          http_(io_, http_options()),
          holder_(
              io_, http_, cir::HttpCirOptions{"/cir/", hold, 100000},
              [this](std::string_view id) { return agreed(id, "SHTTP"); },
              [this](const std::string& id) { waker_->channel_ready(id); }),
          udp_(io_, cir::UdpOptions{"127.0.0.1", 0}) {
        backend_.attach(engine_);
        cir::WakerOptions waker_options;
        waker_options.udp_resend = {std::chrono::milliseconds(500), std::chrono::seconds(1)};
        waker_options.rewake_after = std::chrono::seconds(10);
        waker_ = std::make_unique<cir::Waker>(
            io_, waker_options, cir::Waker::Channels{&stcp_, &holder_, &udp_, nullptr},
            [this](const std::string& id) -> std::optional<cir::WakeTarget> {
                const auto* s = engine_.session(id);
                if (s == nullptr) return std::nullopt;
                return target_of(*s);
            },
            [this](const std::string& id, std::string why) {
                {
                    std::lock_guard lock(observed.mutex);
                    failures.push_back(why);
                }
                engine_.cir_failed(id);
            });
        engine_.on_queued = [this](const engine::SessionInfo& s) { waker_->wake(target_of(s)); };
        engine_.on_request = [this](const engine::SessionInfo& s) { waker_->on_request(s.id); };
        backend_.on_ended = [this](const engine::SessionId& id) { waker_->forget(id); };
        http_.route("/wv", [this](transport::HttpRequest request,
                                  std::function<void(transport::HttpResponse)> respond) {
            engine::Incoming in;
            in.content_type = request.content_type;
            in.body = std::move(request.body);
            in.remote_address = request.remote_address;
            in.msisdn = request.header("x-network-msisdn");
            in.base_url = "http://" + request.header("host");
            in.now = engine::Clock::now();
            engine_.handle(std::move(in), [respond](engine::Outgoing out) {
                transport::HttpResponse r;
                r.status = out.http_status;
                r.content_type = out.content_type;
                r.body = std::move(out.body);
                respond(std::move(r));
            });
        });
        started_ = stcp_started_ && http_.start().ok() && udp_.start().ok();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~CirServer() {
        net::post(io_, [this] {
            waker_->stop();
            stcp_.stop();
            holder_.stop();
            udp_.stop();
            http_.stop();
            work_.reset();
        });
        thread_.join();
    }
    CirServer(const CirServer&) = delete;
    CirServer& operator=(const CirServer&) = delete;

    [[nodiscard]] bool started() const { return started_; }
    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(http_.port()) + "/wv";
    }

    // Runs `f` on the server's thread and returns its result.
    template <class F>
    auto on_server(F f) {
        std::promise<decltype(f())> promise;
        net::post(io_, [&] { promise.set_value(f()); });
        return promise.get_future().get();
    }
    cir::StcpStats stcp_stats() {
        return on_server([this] { return stcp_.stats(); });
    }
    cir::HttpCirStats http_cir_stats() {
        return on_server([this] { return holder_.stats(); });
    }
    cir::WakerStats waker_stats() {
        return on_server([this] { return waker_->stats(); });
    }
    // The address the engine last saw the session's phone at.
    std::string remote_address_of_only_session() {
        return on_server([this] { return last_address_; });
    }

    Observed observed;
    std::vector<std::string> failures;  // Waker Failed reports (under observed.mutex)

  private:
    static cir::StcpOptions stcp_options() {
        cir::StcpOptions o;
        o.address = "127.0.0.1";
        o.port = 0;
        o.helo_timeout = std::chrono::seconds(5);
        return o;
    }
    static engine::EngineConfig config(std::vector<model::CirMethod> methods,
                                       std::uint16_t tcp_port) {
        engine::EngineConfig c;
        c.default_domain = "test";
        c.cir.methods = std::move(methods);
        c.cir.tcp_address = "127.0.0.1";
        c.cir.tcp_port = tcp_port;
        return c;
    }
    static transport::HttpOptions http_options() {
        transport::HttpOptions o;
        o.port = 0;
        return o;
    }

    bool agreed(std::string_view id, std::string_view method) const {
        const auto* s = engine_.session(std::string(id));
        if (s == nullptr) return false;
        for (const auto& m : s->capabilities.cir_methods)
            if (m == method) return true;
        return false;
    }

    cir::WakeTarget target_of(const engine::SessionInfo& s) {
        last_address_ = s.remote_address;
        cir::WakeTarget t;
        t.session_id = s.id;
        t.cookie = s.session_cookie;
        t.version = s.version == engine::CspVersion::v1_1   ? "1.1"
                    : s.version == engine::CspVersion::v1_3 ? "1.3"
                                                            : "1.2";
        for (const auto& name : s.capabilities.cir_methods)
            if (auto m = cir::method_from_name(name)) t.methods.push_back(*m);
        t.address = s.remote_address;
        if (s.capabilities.udp_port)
            t.udp_port = static_cast<std::uint16_t>(*s.capabilities.udp_port);
        t.msisdn = s.msisdn;
        t.has_queued = engine_.queued(s.id) > 0;
        return t;
    }

    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    TestBackend backend_;
    cir::StcpListener stcp_;
    bool stcp_started_ = false;
    engine::Engine engine_;
    transport::HttpServer http_;
    cir::HttpCirHolder holder_;
    cir::UdpSender udp_;
    std::unique_ptr<cir::Waker> waker_;
    std::string last_address_;
    std::thread thread_;
    bool started_ = false;
};

}  // namespace onesoup::test
