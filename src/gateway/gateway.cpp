#include "onesoup/gateway/gateway.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <map>

#include "onesoup/gateway/mapping.hpp"
#include "onesoup/gateway/user_session.hpp"
#include "onesoup/imps/model/status_code.hpp"

namespace onesoup::gateway {

namespace {

namespace model = imps::model;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// "wv:alice@example.org" -> "example.org" ("" if there is no '@').
std::string domain_of(std::string_view user_id) {
    const auto at = user_id.rfind('@');
    return at == std::string_view::npos ? std::string() : lower(user_id.substr(at + 1));
}

// "wv:alice@example.org" -> "alice@example.org", the AccountStore key.
std::string account_key(std::string_view user_id) {
    if (user_id.size() >= 3 && lower(user_id.substr(0, 3)) == "wv:") user_id.remove_prefix(3);
    return lower(user_id);
}

// The outcome of a login that failed.
imps::engine::LoginOutcome refusal(int code, std::string description) {
    imps::engine::LoginOutcome o;
    o.code = code;
    o.description = std::move(description);
    return o;
}

}  // namespace

struct Gateway::Impl {
    boost::asio::io_context& io;
    GatewayConfig config;
    store::AccountStore* accounts;
    store::StoreWorker* worker;
    imps::engine::Engine* engine = nullptr;

    std::unique_ptr<xmpp::TlsContext> tls_verify;
    std::unique_ptr<xmpp::TlsContext> tls_no_verify;
    std::unique_ptr<xmpp::SaslContext> sasl;
    std::unique_ptr<xmpp::ClientContext> context_verify;
    std::unique_ptr<xmpp::ClientContext> context_no_verify;
    std::string context_error;  // why the contexts could not be made ("" if they were)

    std::map<imps::engine::SessionId, std::shared_ptr<UserSession>> sessions;
    std::map<imps::engine::SessionId, std::shared_ptr<UserSession>> logging_in;
    GatewayStats counters;
    // Callbacks from the StoreWorker check this before touching the gateway.
    std::shared_ptr<int> alive = std::make_shared<int>(0);

    Impl(boost::asio::io_context& io_, GatewayConfig config_, store::AccountStore* accounts_,
         store::StoreWorker* worker_)
        : io(io_), config(std::move(config_)), accounts(accounts_), worker(worker_) {
        auto v = xmpp::TlsContext::create(true);
        auto nv = xmpp::TlsContext::create(false);
        auto s = xmpp::SaslContext::create();
        if (!v || !nv || !s) {
            context_error = !v ? v.error().message : !nv ? nv.error().message : s.error().message;
            return;
        }
        tls_verify = std::move(*v);
        tls_no_verify = std::move(*nv);
        sasl = std::move(*s);
        // Each context has its own SRV resolver: make only those some domain uses.
        const auto& ds = config.domains;
        if (std::any_of(ds.begin(), ds.end(), [](const auto& d) { return d.tls_verify; }))
            context_verify = std::make_unique<xmpp::ClientContext>(io, *tls_verify, *sasl);
        if (std::any_of(ds.begin(), ds.end(), [](const auto& d) { return !d.tls_verify; }))
            context_no_verify = std::make_unique<xmpp::ClientContext>(io, *tls_no_verify, *sasl);
    }

    const DomainConfig* domain(const std::string& name) const {
        for (const auto& d : config.domains)
            if (lower(d.name) == name) return &d;
        return nullptr;
    }

    void count_messages(const UserSession& s) {
        counters.messages_to_xmpp += s.messages_to_xmpp();
        counters.messages_to_phone += s.messages_to_phone();
    }

    // Opens the XMPP session of `session` as `jid` with `password` under `domain`'s policy.
    // `msisdn` (the local account's phone number, or "") goes into a successful outcome.
    void start_xmpp(const imps::engine::SessionInfo& session, const DomainConfig& domain,
                    const xmpp::Jid& jid, const std::string& password, bool register_first,
                    std::string msisdn, std::function<void(imps::engine::LoginOutcome)> done) {
        UserSessionOptions o;
        o.user_id = session.user_id;
        // The session id is 128 random bits: its head makes the resource and ids unique.
        const std::string tag = session.id.substr(0, std::min<std::size_t>(8, session.id.size()));
        auto full = jid.with_resource(config.resource + "." + tag);
        o.client.jid = full ? *full : jid;
        o.client.password = password;
        o.client.tls = domain.tls;
        o.client.allow_plain_without_tls = domain.allow_plain_without_tls;
        o.client.keepalive_interval =
            std::chrono::duration_cast<std::chrono::milliseconds>(config.xmpp_keepalive);
        // XEP-0077 first: creates the local account's XMPP twin at its first login.
        o.client.register_first = register_first;
        // An empty host makes the connection look up _xmpp-client._tcp SRV records of the
        // JID's domain (RFC 6120 3.2.1), with its A/AAAA records as fallback.
        o.connection.host = domain.xmpp_host;
        o.connection.port = domain.xmpp_port;
        o.connection.tls_name = domain.tls_name;
        o.id_prefix = tag + "-";
        o.accepted_content_length = session.capabilities.accepted_content_length;
        o.unix_now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
        const std::string id = session.id;
        SessionSink sink;
        sink.push = [this, id](model::Primitive p) {
            return engine != nullptr && engine->push(id, std::move(p));
        };
        sink.disconnect = [this, id](int code, std::string description) {
            if (engine != nullptr) engine->disconnect(id, code, std::move(description));
        };
        auto& ctx = domain.tls_verify ? *context_verify : *context_no_verify;
        auto us = UserSession::create(ctx, std::move(o), std::move(sink));
        logging_in[id] = us;
        std::weak_ptr<int> guard = alive;
        us->start([this, guard, id, msisdn = std::move(msisdn),
                   done = std::move(done)](SessionLoginResult r) {
            if (guard.expired()) return;
            auto it = logging_in.find(id);
            if (it == logging_in.end()) return;
            auto s = it->second;
            logging_in.erase(it);
            if (r.code == model::status::ok) {
                ++counters.xmpp_logins_ok;
                sessions[id] = s;
                imps::engine::LoginOutcome ok;
                // The engine may agree SMS CIR with it (issue 4).
                ok.msisdn = msisdn;
                done(std::move(ok));
            } else {
                ++counters.xmpp_logins_failed;
                done(refusal(r.code, r.description));
            }
        });
    }
};

Gateway::Gateway(boost::asio::io_context& io, GatewayConfig config, store::AccountStore* accounts,
                 store::StoreWorker* worker)
    : impl_(std::make_unique<Impl>(io, std::move(config), accounts, worker)) {}

Gateway::~Gateway() {
    for (auto& [id, s] : impl_->logging_in) s->end();
    for (auto& [id, s] : impl_->sessions) s->end();
}

void Gateway::attach(imps::engine::Engine& engine) {
    impl_->engine = &engine;
}

void Gateway::shutdown(std::function<void()> done) {
    auto& im = *impl_;
    for (auto& [id, s] : im.logging_in) s->end();
    im.logging_in.clear();
    auto all = std::move(im.sessions);
    im.sessions.clear();
    // Runs `done` once every stream is closed, or after a bound if a server does not answer.
    auto left = std::make_shared<std::size_t>(all.size());
    auto finish = std::make_shared<std::function<void()>>(std::move(done));
    auto timer = std::make_shared<boost::asio::steady_timer>(im.io, std::chrono::seconds(5));
    auto fire = [finish, timer] {
        timer->cancel();
        if (auto f = std::exchange(*finish, nullptr)) f();
    };
    if (all.empty()) {
        boost::asio::post(im.io, fire);
        return;
    }
    timer->async_wait([fire](const boost::system::error_code& ec) {
        if (!ec) fire();
    });
    for (auto& entry : all) {
        auto s = entry.second;  // clang 14 cannot capture a structured binding
        im.count_messages(*s);
        s->end([s, left, fire] {
            if (--*left == 0) fire();
        });
    }
}

GatewayStats Gateway::stats() const {
    GatewayStats st = impl_->counters;
    st.sessions = impl_->sessions.size();
    for (const auto& [id, s] : impl_->sessions) {
        st.messages_to_xmpp += s->messages_to_xmpp();
        st.messages_to_phone += s->messages_to_phone();
    }
    return st;
}

std::vector<std::string> Gateway::digest_schemas_for(const std::string& user_id) {
    const DomainConfig* d = impl_->domain(domain_of(user_id));
    // Only a local account's password is known here, so only it can check a digest.
    if (d != nullptr && d->mode == DomainConfig::Mode::local) return {"MD5", "SHA", "PWD"};
    return {};
}

void Gateway::login(const imps::engine::SessionInfo& session,
                    const imps::engine::Credentials& credentials,
                    std::function<void(imps::engine::LoginOutcome)> done) {
    auto& im = *impl_;
    const std::string domain_name = domain_of(credentials.user_id);
    const DomainConfig* d = im.domain(domain_name);
    if (d == nullptr) {
        ++im.counters.xmpp_logins_failed;
        return done(refusal(516, "domain not supported: " + domain_name));
    }
    if (!im.context_error.empty())
        return done(
            refusal(model::status::internal_error, "TLS/SASL unavailable: " + im.context_error));
    auto jid = user_id_to_jid(credentials.user_id, domain_name);
    if (!jid) return done(refusal(model::status::unknown_user, jid.error().message));

    if (d->mode == DomainConfig::Mode::pass_through) {
        if (!credentials.password) {
            return done(refusal(model::status::no_matching_digest_schema,
                                "this server needs your password itself: set the login to send the "
                                "password (PWD), not a digest"));
        }
        return im.start_xmpp(session, *d, *jid, *credentials.password, false, {}, std::move(done));
    }

    if (im.accounts == nullptr || im.worker == nullptr)
        return done(refusal(model::status::internal_error, "no account store configured"));
    store::AccountStore* accounts = im.accounts;
    const std::string key = account_key(credentials.user_id);
    std::weak_ptr<int> guard = im.alive;
    const DomainConfig domain = *d;
    im.worker->run(
        [accounts, key] { return accounts->find(key); },
        [this, guard, session, credentials, domain, jid = *jid,
         done = std::move(done)](Result<std::optional<store::Account>> found) mutable {
            if (guard.expired()) return;
            auto& i = *impl_;
            if (!found) {
                ++i.counters.xmpp_logins_failed;
                return done(refusal(model::status::internal_error,
                                    "account store: " + found.error().message));
            }
            if (!*found) {
                ++i.counters.xmpp_logins_failed;
                return done(refusal(model::status::unknown_user, "unknown user"));
            }
            const store::Account& account = **found;
            const bool ok = credentials.password
                                ? constant_time_equal(account.password, *credentials.password)
                                : digest_matches(credentials.digest_schema, credentials.nonce,
                                                 account.password, credentials.digest_bytes);
            if (!ok) {
                ++i.counters.xmpp_logins_failed;
                return done(refusal(model::status::invalid_password, "invalid password"));
            }
            i.start_xmpp(session, domain, jid, account.password, domain.register_in_band,
                         account.msisdn, std::move(done));
        });
}

void Gateway::request(const imps::engine::SessionInfo& session,
                      const imps::model::Primitive& primitive,
                      std::function<void(std::optional<imps::model::Primitive>)> reply) {
    auto it = impl_->sessions.find(session.id);
    if (it == impl_->sessions.end()) {
        model::Status s;
        s.result.code = model::status::invalid_session;
        return reply(model::Primitive(std::move(s)));
    }
    auto s = it->second;
    s->set_accepted_content_length(session.capabilities.accepted_content_length);
    s->request(primitive, std::move(reply));
}

void Gateway::session_ended(const imps::engine::SessionId& id, imps::engine::EndReason reason) {
    (void)reason;
    auto& im = *impl_;
    auto it = im.sessions.find(id);
    if (it == im.sessions.end()) return;
    auto s = it->second;
    im.sessions.erase(it);
    im.count_messages(*s);
    s->end();
}

}  // namespace onesoup::gateway
