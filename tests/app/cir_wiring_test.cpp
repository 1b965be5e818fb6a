// The daemon's CIR wiring (CirWiring) with the real channels, the real engine and a real HTTP
// server on loopback: the phone logs in over HTTP with the `imps` tool's CspClient, agrees STCP,
// says HELO on the listener's real port, and is woken on that socket when the engine queues
// something for it; its logout closes the socket. The Backend is the test's own (it accepts any
// login), wrapped in the daemon's LoggingBackend as in the daemon.
#include <gtest/gtest.h>

// GCC 12 needs <utility> before Asio's headers.
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdio>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "cir_wiring.hpp"
#include "config.hpp"
#include "csp_client.hpp"
#include "http_client.hpp"
#include "logger.hpp"
#include "logging_backend.hpp"
#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/transport/http_server.hpp"
#include "url.hpp"

namespace net = boost::asio;
namespace engine = onesoup::imps::engine;
namespace model = onesoup::imps::model;
namespace transport = onesoup::transport;
namespace cir = onesoup::transport::cir;
using onesoup::app::base_url_from_host;
using onesoup::app::CirWiring;
using onesoup::app::Config;
using onesoup::app::Logger;
using onesoup::app::LoggingBackend;
using onesoup::app::LogLevel;

namespace {

// Accepts every login; answers every request with Status 200.
class AcceptingBackend : public engine::Backend {
  public:
    std::vector<std::string> digest_schemas_for(const std::string&) override { return {}; }
    void login(const engine::SessionInfo&, const engine::Credentials&,
               std::function<void(engine::LoginOutcome)> done) override {
        done({});
    }
    void request(const engine::SessionInfo&, const model::Primitive& primitive,
                 std::function<void(std::optional<model::Primitive>)> reply) override {
        if (std::holds_alternative<model::MessageDelivered>(primitive)) return reply(std::nullopt);
        model::Status status;
        status.result.code = 200;
        reply(model::Primitive(std::move(status)));
    }
    void session_ended(const engine::SessionId&, engine::EndReason) override {}
};

// A blocking TCP client with a receive timeout (the server runs on another thread).
class LineSocket {
  public:
    explicit LineSocket(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~LineSocket() { ::close(fd_); }
    LineSocket(const LineSocket&) = delete;
    LineSocket& operator=(const LineSocket&) = delete;

    [[nodiscard]] bool connected() const { return connected_; }
    void send(const std::string& text) {
        (void)!::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
    }
    // Reads until `want` has arrived, the peer closed, or 5 s passed; returns all read so far.
    std::string read_until(const std::string& want) {
        char buffer[1024];
        while (in_.find(want) == std::string::npos) {
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) {
                closed_ = n == 0;
                break;
            }
            in_.append(buffer, static_cast<std::size_t>(n));
        }
        return in_;
    }
    [[nodiscard]] bool closed() const { return closed_; }

  private:
    int fd_ = -1;
    bool connected_ = false;
    bool closed_ = false;
    std::string in_;
};

// Runs `f` on the event loop (another thread) and waits for its result.
template <class F>
auto run_on_loop(net::io_context& io, F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io, [&task] { task(); });
    return result.get();
}

class CirWiringTest : public ::testing::Test {
  protected:
    CirWiringTest() {
        auto parsed = onesoup::app::parse_config(R"(
[cir]
methods = ["STCP", "SHTTP", "SUDP"]
poll_min_with_cir = 600
[cir.stcp]
address = "127.0.0.1"
port = 0
[cir.udp]
address = "127.0.0.1"
)",
                                                 "test.toml", "/tmp");
        EXPECT_TRUE(parsed.ok());
        config_ = std::move(*parsed);
        log_file_ = std::tmpfile();
        log_ = std::make_unique<Logger>(LogLevel::info, log_file_);

        transport::HttpOptions ho;
        ho.address = "127.0.0.1";
        ho.port = 0;
        http_ = std::make_unique<transport::HttpServer>(io_, ho);
        wiring_ = std::make_unique<CirWiring>(io_, *http_, config_, *log_);
        wiring_->start();

        backend_ = std::make_unique<LoggingBackend>(inner_, *log_);
        backend_->on_session_ended = [this](const engine::SessionId& id) {
            wiring_->session_ended(id);
        };
        engine::EngineConfig ec;
        ec.default_domain = "test";
        ec.cir = wiring_->settings();
        csp_ =
            std::make_unique<engine::Engine>(ec, *backend_, [](std::uint8_t* out, std::size_t n) {
                std::random_device r;
                for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(r());
            });
        wiring_->attach(*csp_);
        http_->route("/wv", [this](transport::HttpRequest request,
                                   std::function<void(transport::HttpResponse)> respond) {
            engine::Incoming in;
            in.content_type = request.content_type;
            in.body = std::move(request.body);
            in.remote_address = request.remote_address;
            in.base_url = base_url_from_host(request.header("host"), false);
            in.now = engine::Clock::now();
            csp_->handle(std::move(in), [respond = std::move(respond)](engine::Outgoing out) {
                transport::HttpResponse answer;
                answer.status = out.http_status;
                answer.content_type = std::move(out.content_type);
                answer.body = std::move(out.body);
                respond(std::move(answer));
            });
        });
        EXPECT_TRUE(http_->start().ok());
        thread_ = std::thread([this] { io_.run(); });
    }

    ~CirWiringTest() override {
        // Stop on the loop's own thread, then let it finish.
        run_on_loop(io_, [this] {
            wiring_->stop();
            http_->stop();
            work_.reset();
        });
        thread_.join();
        wiring_.reset();
        std::fclose(log_file_);
    }

    template <class F>
    auto on_loop(F f) {
        return run_on_loop(io_, std::move(f));
    }

    std::string log_text() {
        std::fflush(log_file_);
        std::rewind(log_file_);
        std::string text;
        char buffer[4096];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, log_file_)) > 0) text.append(buffer, n);
        return text;
    }

    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    Config config_;
    std::FILE* log_file_ = nullptr;
    std::unique_ptr<Logger> log_;
    AcceptingBackend inner_;
    std::unique_ptr<transport::HttpServer> http_;
    std::unique_ptr<CirWiring> wiring_;
    std::unique_ptr<LoggingBackend> backend_;
    std::unique_ptr<engine::Engine> csp_;
    std::thread thread_;
};

TEST_F(CirWiringTest, StartsTheConfiguredChannelsAndSaysSo) {
    ASSERT_NE(wiring_->stcp(), nullptr);
    ASSERT_NE(wiring_->udp(), nullptr);
    ASSERT_NE(wiring_->shttp(), nullptr);
    EXPECT_EQ(wiring_->sms(), nullptr);
    const auto settings = wiring_->settings();
    const std::vector<model::CirMethod> methods{model::CirMethod::stcp, model::CirMethod::shttp,
                                                model::CirMethod::sudp};
    EXPECT_EQ(settings.methods, methods);
    EXPECT_EQ(settings.tcp_port, wiring_->stcp()->port());
    EXPECT_NE(settings.tcp_port, 0);
    EXPECT_TRUE(settings.tcp_address.empty());
    EXPECT_EQ(settings.poll_min_with_cir.count(), 600);
    const std::string log = log_text();
    EXPECT_NE(
        log.find("CIR STCP listening on 127.0.0.1 port " + std::to_string(wiring_->stcp()->port())),
        std::string::npos)
        << log;
    EXPECT_NE(log.find("CIR methods on: STCP, SHTTP, SUDP"), std::string::npos) << log;
}

TEST_F(CirWiringTest, LoggedInPhoneIsAnsweredOnHeloAndWokenOnItsSocket) {
    auto url =
        onesoup::tools::parse_url("http://127.0.0.1:" + std::to_string(http_->port()) + "/wv");
    ASSERT_TRUE(url.ok());
    onesoup::tools::HttpClient http(*url, {});
    std::ostringstream out;
    onesoup::tools::CspClientOptions options;
    options.print_exchanges = false;
    onesoup::tools::CspClient phone(http, options, out);

    model::LoginRequest login;
    login.user_id = "wv:alice@test";
    login.client_id = model::ClientId{};
    login.client_id->url = "wv:phone";
    login.password = "secret";
    login.session_cookie = "cookie42";
    login.time_to_live = 300;
    auto logged_in = phone.request(login);
    ASSERT_TRUE(logged_in.ok()) << logged_in.error().message;
    const auto* response = std::get_if<model::LoginResponse>(&*logged_in->response);
    ASSERT_NE(response, nullptr);
    ASSERT_TRUE(response->session_id);
    const std::string session = *response->session_id;
    phone.set_session_id(session);

    model::ClientCapabilityRequest capability;
    capability.capabilities = model::CapabilityList{};
    capability.capabilities->supported_cir_methods = {model::CirMethod::stcp};
    auto agreed = phone.request(capability);
    ASSERT_TRUE(agreed.ok()) << agreed.error().message;
    const auto* answer = std::get_if<model::ClientCapabilityResponse>(&*agreed->response);
    ASSERT_NE(answer, nullptr);
    ASSERT_TRUE(answer->capabilities);
    const std::vector<model::CirMethod> stcp{model::CirMethod::stcp};
    EXPECT_EQ(answer->capabilities->supported_cir_methods, stcp);
    EXPECT_EQ(answer->capabilities->tcp_address, "127.0.0.1");
    ASSERT_TRUE(answer->capabilities->tcp_port);
    EXPECT_EQ(*answer->capabilities->tcp_port, wiring_->stcp()->port());

    // A HELO for a session that does not exist gets no OK.
    LineSocket stranger(wiring_->stcp()->port());
    ASSERT_TRUE(stranger.connected());
    stranger.send("HELO 0123456789abcdef0123456789abcdef\r\n");

    LineSocket socket(wiring_->stcp()->port());
    ASSERT_TRUE(socket.connected());
    socket.send("HELO " + session + "\r\n");
    EXPECT_EQ(socket.read_until("OK\r\n"), "OK\r\n");
    EXPECT_EQ(stranger.read_until("OK\r\n").find("OK"), std::string::npos);

    // Something for the phone: the wake-up comes on its socket with its cookie.
    const bool queued = on_loop([this, &session] {
        model::NewMessage message;
        message.message_info.message_id = "m1";
        message.content_data = "hello";
        return csp_->push(session, std::move(message));
    });
    ASSERT_TRUE(queued);
    EXPECT_EQ(socket.read_until("cookie42\r\n"), "OK\r\nWVCI 1.2 cookie42\r\n");
    const auto stats = on_loop([this] { return wiring_->waker().stats(); });
    EXPECT_EQ(stats.sent[static_cast<std::size_t>(cir::Method::stcp)], 1u);

    // The phone polls and fetches it; logging out closes the CIR socket.
    auto polled = phone.request(model::PollingRequest{});
    ASSERT_TRUE(polled.ok()) << polled.error().message;
    EXPECT_EQ(on_loop([this] { return wiring_->waker().stats().pending; }), 0u);
    auto out_answer = phone.request(model::LogoutRequest{});
    ASSERT_TRUE(out_answer.ok()) << out_answer.error().message;
    socket.read_until("never");
    EXPECT_TRUE(socket.closed());
}

TEST(BaseUrl, FromTheHostHeader) {
    EXPECT_EQ(base_url_from_host("im.example.org", false), "http://im.example.org");
    EXPECT_EQ(base_url_from_host("10.0.0.1:8080", false), "http://10.0.0.1:8080");
    EXPECT_EQ(base_url_from_host("[::1]:8443", true), "https://[::1]:8443");
    EXPECT_EQ(base_url_from_host("", false), "");
    EXPECT_EQ(base_url_from_host("evil.example/x", false), "");
    EXPECT_EQ(base_url_from_host("a b", false), "");
    EXPECT_EQ(base_url_from_host(std::string(300, 'a'), false), "");
}

TEST(WakeTargetOfSession, FromSessionInfo) {
    engine::SessionInfo s;
    s.id = "abc";
    s.session_cookie = "ck";
    s.version = onesoup::imps::codec::CspVersion::v1_1;
    s.remote_address = "10.1.2.3";
    s.msisdn = "+15550001";
    s.capabilities.cir_methods = {"SUDP", "wapsms", "nonsense"};
    s.capabilities.udp_port = 4000;
    cir::WakeTarget t = CirWiring::wake_target(s);
    EXPECT_EQ(t.session_id, "abc");
    EXPECT_EQ(t.cookie, "ck");
    EXPECT_EQ(t.version, "1.1");
    const std::vector<cir::Method> methods{cir::Method::sudp, cir::Method::wap_sms};
    EXPECT_EQ(t.methods, methods);
    EXPECT_EQ(t.address, "10.1.2.3");
    EXPECT_EQ(t.udp_port, 4000);
    EXPECT_EQ(t.msisdn, "+15550001");
    EXPECT_FALSE(t.has_queued);
    s.capabilities.udp_port.reset();
    EXPECT_EQ(CirWiring::wake_target(s).udp_port, 3717);  // the CSP default
    s.capabilities.udp_port = 70000;
    EXPECT_EQ(CirWiring::wake_target(s).udp_port, 3717);
}

}  // namespace
