// Gateway as the engine's Backend: a real imps::engine::Engine, a real Prosody (with XEP-0077),
// a real SQLite AccountStore on its StoreWorker; the test plays the phone by handing CSP bodies
// to Engine::handle, and a buddy logs in with our own xmpp::ClientConnection.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "onesoup/gateway/gateway.hpp"
#include "onesoup/gateway/mapping.hpp"
#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/imps/model/login_digest.hpp"
#include "onesoup/imps/model/message.hpp"
#include "onesoup/imps/model/status_code.hpp"
#include "onesoup/xmpp/xml_writer.hpp"
#include "prosody_fixture.hpp"

namespace {

using namespace onesoup;
using namespace onesoup::gateway;
using onesoup::gateway::test::ProsodyServer;
namespace model = onesoup::imps::model;
namespace engine = onesoup::imps::engine;
namespace codec = onesoup::imps::codec;
using codec::CspVersion;
using codec::Encoding;
using namespace std::chrono_literals;

class GatewayEngine : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        std::string why;
        server_ = ProsodyServer::start("localhost", true, why).release();
        if (server_ == nullptr) skip_reason_ = new std::string(why);
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    void SetUp() override {
        if (server_ == nullptr) GTEST_SKIP() << *skip_reason_;
        char tmpl[] = "/tmp/onesoup-gw-store.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        store_dir_ = tmpl;
        auto key = store::SecretKey::load_or_create(store_dir_ + "/key");
        ASSERT_TRUE(key.ok()) << key.error().message;
        auto st = store::open_sqlite_account_store(store_dir_ + "/accounts.db", std::move(*key));
        ASSERT_TRUE(st.ok()) << st.error().message;
        accounts_ = std::move(*st);
        worker_ = std::make_unique<store::StoreWorker>(io_);
    }

    void TearDown() override {
        if (gateway_) {
            bool done = false;
            gateway_->shutdown([&] { done = true; });
            run_until([&] { return done; }, 6s);
        }
        engine_.reset();
        gateway_.reset();
        worker_.reset();
        accounts_.reset();
        if (!store_dir_.empty()) std::system(("rm -rf " + store_dir_).c_str());
    }

    // A domain config for the test server.
    DomainConfig domain(DomainConfig::Mode mode) const {
        DomainConfig d;
        d.name = "localhost";
        d.mode = mode;
        d.xmpp_host = "127.0.0.1";
        d.xmpp_port = server_->port();
        d.tls = xmpp::ClientConfig::Tls::off;
        d.allow_plain_without_tls = true;
        d.register_in_band = true;
        return d;
    }

    void make(DomainConfig::Mode mode) {
        GatewayConfig config;
        config.domains.push_back(domain(mode));
        gateway_ = std::make_unique<Gateway>(io_, config, accounts_.get(), worker_.get());
        engine::EngineConfig ec;
        ec.default_domain = "localhost";
        engine_ =
            std::make_unique<engine::Engine>(ec, *gateway_, [](std::uint8_t* out, std::size_t n) {
                std::random_device rd;
                for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(rd());
            });
        gateway_->attach(*engine_);
    }

    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 8s) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end) return false;
            if (io_.stopped()) io_.restart();
            io_.run_one_for(20ms);
        }
        return true;
    }

    // One CSP round trip through the engine (XML 1.2 unless told).
    model::Message send(std::optional<std::string> session,
                        std::vector<std::pair<std::string, model::Primitive>> transactions,
                        CspVersion v = CspVersion::v1_2, Encoding e = Encoding::xml) {
        model::Message m;
        m.version = v;
        m.session.type = session ? model::SessionType::inband : model::SessionType::outband;
        m.session.session_id = std::move(session);
        for (auto& [id, p] : transactions) {
            model::Transaction t;
            t.descriptor.id = id;
            t.content = std::move(p);
            m.transactions.push_back(std::move(t));
        }
        const auto tree = model::to_tree(m, v);
        engine::Incoming in;
        if (e == Encoding::xml) {
            in.body = codec::encode_xml(tree);
        } else {
            auto w = codec::encode_wbxml(tree, v);
            EXPECT_TRUE(w.ok());
            in.body = w.ok() ? *w : std::string();
        }
        in.content_type = std::string(codec::content_type(v, e));
        in.remote_address = "10.0.0.1";
        in.now = engine::Clock::now();
        std::optional<engine::Outgoing> out;
        engine_->handle(std::move(in), [&](engine::Outgoing o) { out = std::move(o); });
        EXPECT_TRUE(run_until([&] { return out.has_value(); })) << "no answer";
        if (!out || out->body.empty()) return {};
        auto doc = codec::decode(out->body);
        EXPECT_TRUE(doc.ok());
        if (!doc) return {};
        auto back = model::from_tree(doc->root, doc->version);
        EXPECT_TRUE(back.ok()) << back.error().describe();
        return back.ok() ? *back : model::Message{};
    }

    template <class T>
    static const T* find(const model::Message& m) {
        for (const auto& t : m.transactions)
            if (const auto* p = std::get_if<T>(&t.content)) return p;
        return nullptr;
    }

    static model::LoginRequest pwd_login(const std::string& user, const std::string& pw) {
        model::LoginRequest r;
        r.user_id = user;
        r.client_id = model::ClientId{};
        r.client_id->url = "http://example.org/phone";
        r.password = pw;
        r.time_to_live = 600;
        return r;
    }

    // 2-way login; the Login-Response.
    model::LoginResponse login(const std::string& user, const std::string& pw,
                               CspVersion v = CspVersion::v1_2, Encoding e = Encoding::xml) {
        auto answer = send(std::nullopt, {{"l1", pwd_login(user, pw)}}, v, e);
        const auto* r = find<model::LoginResponse>(answer);
        EXPECT_NE(r, nullptr);
        return r != nullptr ? *r : model::LoginResponse{};
    }

    // 4-way login with `schema` (MD5 or SHA).
    model::LoginResponse digest_login(const std::string& user, const std::string& pw,
                                      const std::string& schema, CspVersion v, Encoding e) {
        model::LoginRequest first = pwd_login(user, pw);
        first.password.reset();
        first.digest_schemas = {schema};
        auto challenge = send(std::nullopt, {{"d1", first}}, v, e);
        const auto* c = find<model::LoginResponse>(challenge);
        EXPECT_TRUE(c != nullptr && c->nonce.has_value());
        if (c == nullptr || !c->nonce) return c != nullptr ? *c : model::LoginResponse{};
        model::LoginRequest second = first;
        auto digest = model::login_digest(schema, *c->nonce, pw);
        EXPECT_TRUE(digest) << schema;
        if (digest) second.digest_bytes = *digest;
        auto answer = send(std::nullopt, {{"d1", second}}, v, e);
        const auto* r = find<model::LoginResponse>(answer);
        EXPECT_NE(r, nullptr);
        return r != nullptr ? *r : model::LoginResponse{};
    }

    std::string unique(const std::string& base) {
        return base + std::to_string(++counter_) + std::to_string(::getpid() % 1000);
    }

    static ProsodyServer* server_;
    static std::string* skip_reason_;
    boost::asio::io_context io_;
    std::string store_dir_;
    std::unique_ptr<store::AccountStore> accounts_;
    std::unique_ptr<store::StoreWorker> worker_;
    std::unique_ptr<Gateway> gateway_;
    std::unique_ptr<engine::Engine> engine_;
    int counter_ = 0;
};

ProsodyServer* GatewayEngine::server_ = nullptr;
std::string* GatewayEngine::skip_reason_ = nullptr;

// Local accounts: every login scheme; XEP-0077 creates the XMPP account; 531 / 409.
TEST_F(GatewayEngine, LocalAccountLogsInWithDigestsAndRegistersInBand) {
    make(DomainConfig::Mode::local);
    EXPECT_EQ(gateway_->digest_schemas_for("wv:x@localhost"),
              (std::vector<std::string>{"MD5", "SHA", "PWD"}));
    const auto a = unique("loc");
    ASSERT_TRUE(accounts_->add({a + "@localhost", "s3cret", 0}).ok());

    // Nokia S60 style: 4-way MD5 in WBXML CSP 1.1; the XMPP account does not exist yet.
    auto r =
        digest_login("wv:" + a + "@localhost", "s3cret", "MD5", CspVersion::v1_1, Encoding::wbxml);
    EXPECT_EQ(r.result.code, 200) << r.result.description.value_or("");
    ASSERT_TRUE(r.session_id.has_value());
    EXPECT_EQ(gateway_->stats().sessions, 1U);
    EXPECT_EQ(gateway_->stats().xmpp_logins_ok, 1U);

    // SHA in XML 1.2, and PWD in WBXML 1.3: the account now exists on the server too.
    r = digest_login("wv:" + a + "@localhost", "s3cret", "SHA", CspVersion::v1_2, Encoding::xml);
    EXPECT_EQ(r.result.code, 200) << r.result.description.value_or("");
    r = login("wv:" + a + "@localhost", "s3cret", CspVersion::v1_3, Encoding::wbxml);
    EXPECT_EQ(r.result.code, 200) << r.result.description.value_or("");

    r = login("wv:" + a + "@localhost", "wrong");
    EXPECT_EQ(r.result.code, model::status::invalid_password);
    r = digest_login("wv:" + a + "@localhost", "wrong", "MD5", CspVersion::v1_2, Encoding::xml);
    EXPECT_EQ(r.result.code, model::status::invalid_password);
    r = login("wv:" + unique("nobody") + "@localhost", "x");
    EXPECT_EQ(r.result.code, model::status::unknown_user);
    r = login("wv:someone@elsewhere.test", "x");
    EXPECT_EQ(r.result.code, 516);
}

// A local account's phone number reaches the engine with the login (LoginOutcome::msisdn), for
// SMS CIR (issue 4); a pass-through login and a refused one carry none.
TEST_F(GatewayEngine, LoginOutcomeCarriesTheAccountsMsisdn) {
    make(DomainConfig::Mode::local);
    auto login_outcome = [this](const std::string& user, const std::string& password) {
        engine::SessionInfo session;
        // The head of the id names the XMPP resource: one per user here.
        session.id = user + "-session";
        session.user_id = "wv:" + user + "@localhost";
        engine::Credentials credentials;
        credentials.user_id = session.user_id;
        credentials.password = password;
        std::optional<engine::LoginOutcome> outcome;
        gateway_->login(session, credentials,
                        [&outcome](engine::LoginOutcome o) { outcome = std::move(o); });
        EXPECT_TRUE(run_until([&] { return outcome.has_value(); })) << "no login outcome";
        return outcome.value_or(engine::LoginOutcome{500, "none", ""});
    };
    const auto a = unique("sms");
    store::Account with_number{a + "@localhost", "pw", 0};
    with_number.msisdn = "+4915112340000";
    ASSERT_TRUE(accounts_->add(with_number).ok());
    const auto b = unique("nosms");
    ASSERT_TRUE(accounts_->add({b + "@localhost", "pw", 0}).ok());

    auto outcome = login_outcome(a, "pw");
    EXPECT_EQ(outcome.code, 200) << outcome.description;
    EXPECT_EQ(outcome.msisdn, "+4915112340000");
    outcome = login_outcome(b, "pw");
    EXPECT_EQ(outcome.code, 200) << outcome.description;
    EXPECT_EQ(outcome.msisdn, "");
    outcome = login_outcome(a, "wrong");
    EXPECT_EQ(outcome.code, model::status::invalid_password);
    EXPECT_EQ(outcome.msisdn, "");

    // A number set later is there at the next login.
    ASSERT_TRUE(accounts_->set_msisdn(b + "@localhost", "+4917000000001").ok());
    outcome = login_outcome(b, "pw");
    EXPECT_EQ(outcome.code, 200) << outcome.description;
    EXPECT_EQ(outcome.msisdn, "+4917000000001");

    bool closed = false;
    gateway_->shutdown([&] { closed = true; });
    run_until([&] { return closed; });
    engine_.reset();
    make(DomainConfig::Mode::pass_through);
    const auto c = unique("ptsms");
    ASSERT_TRUE(server_->register_user(c, "pw"));
    outcome = login_outcome(c, "pw");
    EXPECT_EQ(outcome.code, 200) << outcome.description;
    EXPECT_EQ(outcome.msisdn, "");
}

// Pass-through: the phone's password logs into the XMPP account; digests are refused.
TEST_F(GatewayEngine, PassThroughLogin) {
    make(DomainConfig::Mode::pass_through);
    EXPECT_TRUE(gateway_->digest_schemas_for("wv:x@localhost").empty());
    const auto a = unique("pt");
    ASSERT_TRUE(server_->register_user(a, "pw9"));
    auto r = login("wv:" + a + "@localhost", "pw9");
    EXPECT_EQ(r.result.code, 200) << r.result.description.value_or("");
    r = login("wv:" + a + "@localhost", "nope");
    EXPECT_EQ(r.result.code, model::status::invalid_password);
    // No matching schema for an MD5-only phone.
    model::LoginRequest md5 = pwd_login("wv:" + a + "@localhost", "pw9");
    md5.password.reset();
    md5.digest_schemas = {"MD5"};
    auto answer = send(std::nullopt, {{"d1", md5}});
    const auto* lr = find<model::LoginResponse>(answer);
    ASSERT_NE(lr, nullptr);
    EXPECT_EQ(lr->result.code, model::status::no_matching_digest_schema);
}

// TLS per domain policy: STARTTLS with a certificate the gateway does not trust -> 503; the
// same server with verification off (loopback tests) -> 200.
TEST_F(GatewayEngine, TlsPolicyPerDomain) {
    const auto a = unique("tls");
    ASSERT_TRUE(server_->register_user(a, "pw5"));
    for (const bool verify : {true, false}) {
        GatewayConfig config;
        DomainConfig d = domain(DomainConfig::Mode::pass_through);
        d.tls = xmpp::ClientConfig::Tls::required;
        d.allow_plain_without_tls = false;
        d.tls_verify = verify;
        config.domains.push_back(d);
        if (gateway_) {
            bool done = false;
            gateway_->shutdown([&] { done = true; });
            run_until([&] { return done; });
        }
        engine_.reset();
        gateway_ = std::make_unique<Gateway>(io_, config, accounts_.get(), worker_.get());
        engine::EngineConfig ec;
        ec.default_domain = "localhost";
        engine_ =
            std::make_unique<engine::Engine>(ec, *gateway_, [](std::uint8_t* out, std::size_t n) {
                std::random_device rd;
                for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(rd());
            });
        gateway_->attach(*engine_);
        auto r = login("wv:" + a + "@localhost", "pw5");
        if (verify) {
            EXPECT_EQ(r.result.code, model::status::service_unavailable);
            EXPECT_NE(r.result.description.value_or("").find("TLS"), std::string::npos)
                << r.result.description.value_or("");
        } else {
            EXPECT_EQ(r.result.code, 200) << r.result.description.value_or("");
        }
    }
}

// The XMPP stream fails after login: the engine queues a Disconnect (503) for the phone and
// the gateway forgets the session.
TEST_F(GatewayEngine, LostXmppServerDisconnectsThePhone) {
    std::string why;
    auto own = ProsodyServer::start("localhost", false, why);
    ASSERT_NE(own, nullptr) << why;
    ASSERT_TRUE(own->register_user("solo", "pw"));
    GatewayConfig config;
    DomainConfig d = domain(DomainConfig::Mode::pass_through);
    d.xmpp_port = own->port();
    config.domains.push_back(d);
    gateway_ = std::make_unique<Gateway>(io_, config, accounts_.get(), worker_.get());
    engine::EngineConfig ec;
    ec.default_domain = "localhost";
    engine_ = std::make_unique<engine::Engine>(ec, *gateway_, [](std::uint8_t* out, std::size_t n) {
        std::random_device rd;
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(rd());
    });
    gateway_->attach(*engine_);
    auto r = login("wv:solo@localhost", "pw");
    ASSERT_EQ(r.result.code, 200) << r.result.description.value_or("");
    const std::string sid = *r.session_id;
    EXPECT_EQ(gateway_->stats().sessions, 1U);
    own->stop();
    ASSERT_TRUE(run_until([&] { return engine_->queued(sid) > 0; }));
    auto answer = send(sid, {{"p1", model::PollingRequest{}}});
    const auto* dc = find<model::Disconnect>(answer);
    ASSERT_NE(dc, nullptr);
    EXPECT_EQ(dc->result.code, model::status::service_unavailable);
    // Once the phone has the Disconnect, the session is over on both sides.
    EXPECT_TRUE(run_until([&] { return engine_->session(sid) == nullptr; }, 1s));
    EXPECT_EQ(gateway_->stats().sessions, 0U);
}

// A chat both ways through the engine's queue, then Logout closes the XMPP session.
TEST_F(GatewayEngine, ChatThroughTheEngineAndLogout) {
    make(DomainConfig::Mode::pass_through);
    const auto a = unique("ann"), b = unique("ben");
    ASSERT_TRUE(server_->register_user(a, "pw1") && server_->register_user(b, "pw2"));
    auto r = login("wv:" + a + "@localhost", "pw1");
    ASSERT_EQ(r.result.code, 200);
    const std::string sid = *r.session_id;

    // The buddy.
    auto tls = xmpp::TlsContext::create(false);
    auto sasl = xmpp::SaslContext::create();
    ASSERT_TRUE(tls.ok() && sasl.ok());
    xmpp::ClientContext ctx(io_, **tls, **sasl);
    std::vector<xmpp::Element> got;
    bool bound = false;
    xmpp::ConnectionHandler h;
    std::shared_ptr<xmpp::ClientConnection> ben;
    h.on_bound = [&](const xmpp::Jid&) {
        bound = true;
        ben->send(xmpp::Element("presence", xmpp::ns::client));
    };
    h.on_stanza = [&](const xmpp::Element& e) { got.push_back(e); };
    xmpp::ClientConfig cc;
    cc.jid = *xmpp::Jid::make(b, "localhost", "desk");
    cc.password = "pw2";
    cc.tls = xmpp::ClientConfig::Tls::off;
    cc.allow_plain_without_tls = true;
    xmpp::ConnectionOptions co;
    co.host = "127.0.0.1";
    co.port = server_->port();
    ben = xmpp::ClientConnection::create(ctx, cc, co, std::move(h));
    ben->start();
    // The server echoes the initial presence once the resource is available (RFC 6121 4.2.2).
    ASSERT_TRUE(run_until([&] { return bound && !got.empty(); }));

    // Phone -> buddy.
    model::SendMessageRequest sm;
    model::Recipient rc;
    model::User u;
    u.user_id = "wv:" + b + "@localhost";
    rc.users.push_back(u);
    sm.message_info.recipient = rc;
    sm.message_info.content_type = "text/plain";
    sm.content_data = "hi ben";
    auto answer = send(sid, {{"s1", sm}});
    const auto* smr = find<model::SendMessageResponse>(answer);
    ASSERT_NE(smr, nullptr);
    EXPECT_EQ(smr->result.code, 200);
    ASSERT_TRUE(run_until([&] {
        return std::any_of(got.begin(), got.end(), [](const xmpp::Element& e) {
            const auto* body = e.child("body", xmpp::ns::client);
            return body != nullptr && body->text == "hi ben";
        });
    })) <<
        [&] {
            std::string all;
            for (const auto& e : got) all += xmpp::to_xml(e) + "\n";
            return all;
        }();

    // Buddy -> phone: queued in the engine, delivered on the next poll.
    xmpp::Element m("message", xmpp::ns::client);
    m.set_attr("to", a + "@localhost").set_attr("type", "chat");
    m.add_text_child("body", xmpp::ns::client, "hello ann");
    ben->send(m);
    ASSERT_TRUE(run_until([&] { return engine_->queued(sid) > 0; }));
    answer = send(sid, {{"p1", model::PollingRequest{}}});
    const auto* nm = find<model::NewMessage>(answer);
    ASSERT_NE(nm, nullptr);
    EXPECT_EQ(nm->content_data, "hello ann");
    EXPECT_EQ(nm->message_info.sender->user->user_id, "wv:" + b + "@localhost");
    EXPECT_EQ(gateway_->stats().messages_to_phone, 1U);
    EXPECT_EQ(gateway_->stats().messages_to_xmpp, 1U);

    // Logout ends the XMPP session.
    send(sid, {{"o1", model::LogoutRequest{}}});
    EXPECT_EQ(gateway_->stats().sessions, 0U);
    ben->close();
    run_until([] { return false; }, 200ms);
}

}  // namespace
