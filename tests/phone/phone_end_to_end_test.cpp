// `imps phone` end to end: the built tool runs scripts against a real transport::HttpServer and
// imps::engine::Engine in this process, with a small Backend of the test's own that accepts one
// user and answers like a gateway would (echoes chat messages back as pushed NewMessages, sends
// presence notifications, authorization requests and delivery reports). Every encoding, CSP
// version and login scheme.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/imps/model/status_code.hpp"
#include "onesoup/transport/http_server.hpp"
#include "phone_test_support.hpp"

namespace engine = onesoup::imps::engine;
namespace model = onesoup::imps::model;
namespace transport = onesoup::transport;
namespace net = boost::asio;
using onesoup::test::CommandRun;
using onesoup::test::run_command;
using onesoup::test::shell_quote;
using onesoup::test::TempFile;

namespace {

constexpr const char* user = "wv:alice@test";
constexpr const char* password = "secret";
constexpr const char* default_list = "wv:alice/friends@test";

// Base64(H(nonce + password)) with OpenSSL directly, to check the phone's DigestBytes.
std::string expected_digest(const std::string& schema, const std::string& nonce) {
    const EVP_MD* md = schema == "SHA" ? EVP_sha1() : EVP_md5();
    const std::string input = nonce + password;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(input.data(), input.size(), hash, &length, md, nullptr);
    unsigned char out[4 * EVP_MAX_MD_SIZE];
    const int n = EVP_EncodeBlock(out, hash, static_cast<int>(length));
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

model::CspResult ok_result() {
    return model::CspResult{};
}

model::Primitive make_status(int code) {
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
            done({model::status::unknown_user, "no such user"});
            return;
        }
        bool good = false;
        if (c.password)
            good = *c.password == password;
        else
            good = c.digest_bytes == expected_digest(c.digest_schema, c.nonce);
        if (!good) {
            done({model::status::invalid_password, "wrong password"});
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

    void session_ended(const engine::SessionId&, engine::EndReason reason) override {
        std::lock_guard lock(observed_.mutex);
        observed_.endings.push_back(reason);
    }

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

// Runs `imps phone` with `args` (after the URL and credentials) and `script` as a file.
CommandRun phone(const Server& server, const std::string& args, const std::string& script,
                 const std::string& user_id = "alice@test", const std::string& pass = password) {
    TempFile file(script);
    return run_command(shell_quote(ONESOUP_IMPS_TOOL) + " phone --url " + server.url() +
                       " --user " + shell_quote(user_id) + " --password " + shell_quote(pass) +
                       " --poll-interval 0.05 " + args + " " + shell_quote(file.path()));
}

const char* const full_script = R"(# everything a phone does, against the test backend
login
getlist
create-list wv:alice/work@test Work mates
delete-list wv:alice/work@test
delete-list wv:alice/work@test expect=700
add-contact bob@test Bobby
add-contact carol@test
contacts
expect-contact bob@test nick=Bobby
expect-contact wv:carol@test
remove-contact bob@test
contacts list=wv:alice/friends@test
expect-no-contact bob@test
send bob@test hello there receipt=T
expect-message from=bob@test hello there
expect-delivery-report
send asker@test may I watch you
expect-auth-request asker@test
authorize asker@test
deny asker@test
presence away at lunch
expect-presence echo@test away text=lunch
presence offline
expect-presence echo@test offline
subscribe dave@test
expect-presence dave@test available
get-presence dave@test state=available
unsubscribe dave@test
keepalive 120
poll
expect-no-message timeout=0.3
logout
poll expect=604
)";

using Combination = std::tuple<std::string, std::string, std::string>;  // encoding, csp, auth

class PhoneEndToEnd : public ::testing::TestWithParam<Combination> {};

TEST_P(PhoneEndToEnd, FullScriptPasses) {
    const auto& [encoding, csp, auth] = GetParam();
    Server server;
    ASSERT_TRUE(server.started());
    const auto run =
        phone(server, "--encoding " + encoding + " --csp " + csp + " --auth " + auth, full_script);
    ASSERT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_TRUE(run.err.empty()) << run.err;

    // What crossed the wire is shown as XML, with the content type of the version/encoding.
    const std::string content_type =
        std::string("application/vnd\\.wv\\.csp") + (csp == "1.3" ? "\\+" : "\\.") + encoding;
    const std::regex first_post(">> POST " + server.url() + "  [0-9]+ bytes  " + content_type);
    EXPECT_TRUE(std::regex_search(run.out, first_post)) << run.out.substr(0, 400);
    EXPECT_NE(run.out.find("<Login-Request>"), std::string::npos);
    EXPECT_NE(run.out.find("<TransactionID>imps1</TransactionID>"), std::string::npos);
    EXPECT_NE(run.out.find("<SessionCookie>wv:imps."), std::string::npos);
    EXPECT_TRUE(std::regex_search(run.out, std::regex("<< 200  [0-9]+ bytes")));
    EXPECT_NE(run.out.find(auth == "pwd" ? "<Password>secret</Password>" : "<DigestBytes>"),
              std::string::npos);
    EXPECT_EQ(run.out.find(auth == "pwd" ? "<DigestBytes>" : "<Password>"), std::string::npos);
    EXPECT_TRUE(
        std::regex_search(run.out, std::regex("\nbytes sent [1-9][0-9]*, received [1-9][0-9]*, "
                                              "requests [1-9][0-9]*\n$")))
        << run.out.substr(run.out.size() > 300 ? run.out.size() - 300 : 0);

    std::lock_guard lock(server.observed.mutex);
    ASSERT_EQ(server.observed.login_schemes.size(), 1u);
    EXPECT_EQ(server.observed.login_schemes[0], auth == "pwd"   ? "PWD"
                                                : auth == "md5" ? "MD5"
                                                                : "SHA");
    // The phone answered the pushed NewMessage with MessageDelivered.
    EXPECT_EQ(server.observed.delivered, std::vector<std::string>{"echo-m1"});
    EXPECT_EQ(server.observed.authorized, std::vector<std::string>{"wv:asker@test"});
    ASSERT_EQ(server.observed.endings.size(), 1u);
    EXPECT_EQ(server.observed.endings[0], engine::EndReason::logout);
}

INSTANTIATE_TEST_SUITE_P(EveryEncodingVersionAndLogin, PhoneEndToEnd,
                         ::testing::Combine(::testing::Values("xml", "wbxml"),
                                            ::testing::Values("1.1", "1.2", "1.3"),
                                            ::testing::Values("pwd", "md5", "sha")),
                         [](const ::testing::TestParamInfo<Combination>& param_info) {
                             const auto& p = param_info.param;
                             std::string name =
                                 std::get<0>(p) + "_" + std::get<1>(p) + "_" + std::get<2>(p);
                             for (char& c : name)
                                 if (c == '.') c = '_';
                             return name;
                         });

TEST(PhoneEndToEndErrors, WrongPasswordIs409) {
    Server server;
    ASSERT_TRUE(server.started());
    for (const char* auth : {"pwd", "md5", "sha"}) {
        const auto expected =
            phone(server, std::string("--auth ") + auth, "login expect=409\n", "alice@test", "bad");
        EXPECT_EQ(expected.exit_code, 0) << auth << expected.err << expected.out;
        const auto failed =
            phone(server, std::string("--auth ") + auth, "login\npoll\n", "alice@test", "bad");
        EXPECT_EQ(failed.exit_code, 1) << auth;
        EXPECT_NE(failed.err.find("step 1 (login): expected 200, got 409"), std::string::npos)
            << failed.err;
        EXPECT_EQ(failed.out.find("== step 2"), std::string::npos);  // the script stopped
    }
}

TEST(PhoneEndToEndErrors, UnknownUserIs531) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login expect=531\n", "nobody@test");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("step 1 (login): 531"), std::string::npos) << run.out;
}

TEST(PhoneEndToEndErrors, DigestRefusedForPasswordOnlyAccountIs543) {
    Server server;
    ASSERT_TRUE(server.started());
    EXPECT_EQ(phone(server, "--auth md5", "login expect=543\n", "pass@test").exit_code, 0);
    const auto pwd = phone(server, "--auth pwd", "login\nlogout\n", "pass@test");
    EXPECT_EQ(pwd.exit_code, 0) << pwd.err;
}

TEST(PhoneEndToEndErrors, BadSessionIdIs604) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--encoding xml",
                           "login\nsession-id 0123456789abcdef0123456789abcdef\npoll expect=604\n"
                           "getlist expect=604\nexpect-disconnect code=604 timeout=1\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
}

TEST(PhoneEndToEndErrors, ServerDisconnectIsSeen) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "", "login\nsend kick@test bye\nexpect-disconnect code=601\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    const auto wrong = phone(server, "", "login\nsend kick@test bye\nexpect-message timeout=2\n");
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("step 3 (expect-message): the session ended (disconnect 601"),
              std::string::npos)
        << wrong.err;
}

TEST(PhoneEndToEndErrors, WaitingStepTimesOut) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto start = std::chrono::steady_clock::now();
    const auto run =
        phone(server, "--quiet", "login\nexpect-message from=nobody@test timeout=0.5\nlogout\n");
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("step 2 (expect-message): no message from wv:nobody@test within 0.5"),
              std::string::npos)
        << run.err;
    // Steps after the failure are not run.
    EXPECT_EQ(run.out.find("step 3"), std::string::npos);
}

TEST(PhoneEndToEndErrors, GetPresenceStateMismatchFails) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "", "login\nget-presence bob@test state=busy\n");
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("step 2 (get-presence): wv:bob@test is available, not busy"),
              std::string::npos)
        << run.err;
}

TEST(PhoneEndToEndErrors, ExpectContactFails) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "", "login\ncontacts\nexpect-contact zed@test\n");
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("step 3 (expect-contact): wv:zed@test is not on the list"),
              std::string::npos)
        << run.err;
}

TEST(PhoneEndToEndHttp, KeepAliveConnectionIsReused) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login\npoll\npoll\ngetlist\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("connections 1\n"), std::string::npos) << run.out;
    // login is three requests (Login, ClientCapability, Service).
    EXPECT_NE(run.out.find("requests 7\n"), std::string::npos) << run.out;
    // --quiet: one line per step, plus the two totals.
    std::size_t step_lines = 0;
    for (std::size_t at = run.out.find("step "); at != std::string::npos;
         at = run.out.find("\nstep ", at + 1))
        ++step_lines;
    EXPECT_EQ(step_lines, 5u) << run.out;
    EXPECT_EQ(run.out.find(">> POST"), std::string::npos);
}

TEST(PhoneEndToEndHttp, ReconnectsWhenServerClosedIdleConnection) {
    Server server(std::chrono::seconds(1));
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login\nsleep 1.6\npoll\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("connections 2\n"), std::string::npos) << run.out;
}

TEST(PhoneEndToEndHttp, ByteCountsAreExact) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--encoding wbxml --csp 1.1",
                           "login\nsend bob@test hi\nexpect-message hi\nlogout\n");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::smatch totals;
    ASSERT_TRUE(std::regex_search(run.out, totals,
                                  std::regex("HTTP headers: sent ([0-9]+) bytes, received "
                                             "([0-9]+) bytes; connections 1\nbytes sent ([0-9]+), "
                                             "received ([0-9]+), requests ([0-9]+)\n")))
        << run.out;
    const auto stats = server.http_stats();
    EXPECT_EQ(std::stoull(totals[1]) + std::stoull(totals[3]), stats.bytes_in);
    EXPECT_EQ(std::stoull(totals[2]) + std::stoull(totals[4]), stats.bytes_out);
    EXPECT_EQ(std::stoull(totals[5]), stats.requests);
    // Each exchange's body size is the sum of the sizes printed.
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    const std::regex post(">> POST [^ ]+  ([0-9]+) bytes");
    const std::regex answer("<< 200  ([0-9]+) bytes");
    for (auto it = std::sregex_iterator(run.out.begin(), run.out.end(), post);
         it != std::sregex_iterator(); ++it)
        sent += std::stoull((*it)[1]);
    for (auto it = std::sregex_iterator(run.out.begin(), run.out.end(), answer);
         it != std::sregex_iterator(); ++it)
        received += std::stoull((*it)[1]);
    EXPECT_EQ(sent, std::stoull(totals[3]));
    EXPECT_EQ(received, std::stoull(totals[4]));
}

// A self-signed certificate for 127.0.0.1 made by the openssl program, in a temporary folder.
class SelfSignedCertificate {
  public:
    SelfSignedCertificate()
        : dir_(std::filesystem::temp_directory_path() /
               ("imps_phone_tls_" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir_);
        const auto run = run_command(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
            "-addext subjectAltName=IP:127.0.0.1 -keyout " +
            shell_quote(key()) + " -out " + shell_quote(certificate()));
        ok_ = run.exit_code == 0;
        EXPECT_TRUE(ok_) << run.err;
    }
    ~SelfSignedCertificate() { std::filesystem::remove_all(dir_); }
    SelfSignedCertificate(const SelfSignedCertificate&) = delete;
    SelfSignedCertificate& operator=(const SelfSignedCertificate&) = delete;

    [[nodiscard]] std::string certificate() const { return (dir_ / "cert.pem").string(); }
    [[nodiscard]] std::string key() const { return (dir_ / "key.pem").string(); }
    [[nodiscard]] bool ok() const { return ok_; }

  private:
    std::filesystem::path dir_;
    bool ok_ = false;
};

TEST(PhoneEndToEndHttp, HttpsWithInsecureAcceptsASelfSignedCertificate) {
    SelfSignedCertificate tls;
    ASSERT_TRUE(tls.ok());
    Server server(std::chrono::seconds(120), tls.certificate(), tls.key());
    ASSERT_TRUE(server.started());
    ASSERT_EQ(server.url().rfind("https://", 0), 0u);
    const auto run = phone(server, "--insecure --quiet",
                           "login\nsend bob@test over TLS\nexpect-message TLS\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("connections 1\n"), std::string::npos) << run.out;
}

TEST(PhoneEndToEndHttp, HttpsChecksTheCertificateByDefault) {
    SelfSignedCertificate tls;
    ASSERT_TRUE(tls.ok());
    Server server(std::chrono::seconds(120), tls.certificate(), tls.key());
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login\n");
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_NE(run.err.find("step 1 (login): TLS handshake with 127.0.0.1:"), std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("--insecure"), std::string::npos) << run.err;
}

TEST(PhoneEndToEndRaw, SendsADocumentInTheChosenEncodingAndVersion) {
    Server server;
    ASSERT_TRUE(server.started());
    TempFile request(R"(<?xml version="1.0"?>
<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1">
  <Session>
    <SessionDescriptor>
      <SessionType>Inband</SessionType><SessionID>placeholder</SessionID>
    </SessionDescriptor>
    <Transaction>
      <TransactionDescriptor>
        <TransactionMode>Request</TransactionMode><TransactionID>raw1</TransactionID>
      </TransactionDescriptor>
      <TransactionContent xmlns="http://www.wireless-village.org/TRC1.1">
        <GetList-Request/>
      </TransactionContent>
    </Transaction>
  </Session>
</WV-CSP-Message>
)",
                     ".xml");
    const auto run =
        phone(server, "--encoding wbxml --csp 1.3", "login\nraw " + request.path() + "\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("<TransactionID>raw1</TransactionID>"), std::string::npos);
    EXPECT_NE(run.out.find("<DefaultContactList>wv:alice/friends@test</DefaultContactList>"),
              std::string::npos)
        << run.out;
    EXPECT_EQ(run.out.find("placeholder"), std::string::npos);  // the session id was replaced
    EXPECT_NE(run.out.find("IMPS-CSP1.3"), std::string::npos);
    // Without a session the same document gets 604.
    const auto no_session = phone(server, "", "raw " + request.path() + " expect=604\n");
    EXPECT_EQ(no_session.exit_code, 0) << no_session.err << no_session.out;
}

}  // namespace
