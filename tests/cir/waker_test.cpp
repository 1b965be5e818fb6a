// The Waker with the real channels on loopback: an StcpListener with a real client socket, a
// UdpSender to a local UDP socket, an HttpCirHolder on a real HttpServer, and an SmsSender that
// talks to a local HTTP server playing Kannel's sendsms answers (202 / 403). Everything runs on
// one io_context in the test's thread; delays are milliseconds.
#include <gtest/gtest.h>

// GCC 12 needs <utility> before Asio's headers.
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "onesoup/transport/cir/http_cir.hpp"
#include "onesoup/transport/cir/sms_sender.hpp"
#include "onesoup/transport/cir/stcp_listener.hpp"
#include "onesoup/transport/cir/udp_sender.hpp"
#include "onesoup/transport/cir/waker.hpp"
#include "onesoup/transport/cir/wsp_push.hpp"
#include "onesoup/transport/http_server.hpp"

namespace net = boost::asio;
namespace cir = onesoup::transport::cir;
namespace transport = onesoup::transport;
using namespace std::chrono_literals;
using cir::Method;

namespace {

// Receives datagrams on 127.0.0.1 (any port, or the one given).
class UdpProbe {
  public:
    explicit UdpProbe(net::io_context& io, std::uint16_t port = 0) : socket_(io) {
        boost::system::error_code ec;
        socket_.open(net::ip::udp::v4(), ec);
        if (!ec) socket_.bind({net::ip::address_v4::loopback(), port}, ec);
        ok_ = !ec;
        if (ok_) receive();
    }
    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] std::uint16_t port() const { return socket_.local_endpoint().port(); }
    std::vector<std::string> got;

  private:
    void receive() {
        socket_.async_receive_from(net::buffer(buffer_), from_,
                                   [this](const boost::system::error_code& ec, std::size_t n) {
                                       if (ec) return;
                                       got.emplace_back(buffer_.data(), n);
                                       receive();
                                   });
    }
    net::ip::udp::socket socket_;
    net::ip::udp::endpoint from_;
    std::array<char, 2048> buffer_{};
    bool ok_ = false;
};

// A TCP client: writes what it is told, keeps everything it reads.
class TcpProbe {
  public:
    TcpProbe(net::io_context& io, std::uint16_t port) : socket_(io) {
        boost::system::error_code ec;
        socket_.connect({net::ip::address_v4::loopback(), port}, ec);
        connected_ = !ec;
        if (connected_) read();
    }
    [[nodiscard]] bool connected() const { return connected_; }
    void write(const std::string& text) {
        boost::system::error_code ec;
        net::write(socket_, net::buffer(text), ec);
    }
    void close() {
        boost::system::error_code ec;
        socket_.shutdown(net::ip::tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }
    std::string in;
    bool closed = false;

  private:
    void read() {
        socket_.async_read_some(net::buffer(buffer_),
                                [this](const boost::system::error_code& ec, std::size_t n) {
                                    // Aborted: the probe is being destroyed (not `this`).
                                    if (ec == net::error::operation_aborted) return;
                                    if (ec) {
                                        closed = true;
                                        return;
                                    }
                                    in.append(buffer_.data(), n);
                                    read();
                                });
    }
    net::ip::tcp::socket socket_;
    std::array<char, 2048> buffer_{};
    bool connected_ = false;
};

// One sendsms request as the Kannel double saw it.
struct SmsSeen {
    std::string target;
};

class WakerTest : public ::testing::Test {
  protected:
    WakerTest() {
        cir::StcpOptions so;
        so.address = "127.0.0.1";
        so.ok_gap = 20ms;
        stcp_ = std::make_unique<cir::StcpListener>(
            io_, so, [this](std::string_view id) { return sessions_.count(std::string(id)) > 0; },
            [this](const std::string& id) {
                if (waker_) waker_->channel_ready(id);
            },
            [this](const std::string& id) {
                if (waker_) waker_->channel_lost(id);
            });
        EXPECT_TRUE(stcp_->start().ok());

        transport::HttpOptions ho;
        ho.address = "127.0.0.1";
        ho.port = 0;
        http_ = std::make_unique<transport::HttpServer>(io_, ho);
        cir::HttpCirOptions co;
        co.hold = 5s;
        shttp_ = std::make_unique<cir::HttpCirHolder>(
            io_, *http_, co,
            [this](std::string_view id) { return sessions_.count(std::string(id)) > 0; },
            [this](const std::string& id) {
                if (waker_) waker_->channel_ready(id);
            });
        EXPECT_TRUE(http_->start().ok());

        cir::UdpOptions uo;
        uo.address = "127.0.0.1";
        udp_ = std::make_unique<cir::UdpSender>(io_, uo);
        EXPECT_TRUE(udp_->start().ok());

        // The Kannel double: sendsms answers 202 unless told to refuse.
        kannel_ = std::make_unique<transport::HttpServer>(io_, ho);
        kannel_->route("/cgi-bin/sendsms",
                       [this](transport::HttpRequest request,
                              std::function<void(transport::HttpResponse)> respond) {
                           sms_seen_.push_back({request.target});
                           transport::HttpResponse answer;
                           answer.content_type = "text/plain";
                           if (kannel_refuses_) {
                               answer.status = 403;
                               answer.body = "Authorization failed for sendsms";
                           } else {
                               answer.status = 202;
                               answer.body = "0: Accepted for delivery";
                           }
                           respond(std::move(answer));
                       });
        EXPECT_TRUE(kannel_->start().ok());
        cir::SmsOptions mo;
        mo.sendsms_url = "http://127.0.0.1:" + std::to_string(kannel_->port()) + "/cgi-bin/sendsms";
        mo.username = "onesoup";
        mo.password = "secret";
        mo.timeout = 5s;
        sms_ = std::make_unique<cir::SmsSender>(io_, mo);
        EXPECT_TRUE(sms_->start().ok());
    }

    ~WakerTest() override {
        waker_.reset();
        sms_->stop();
        kannel_->stop();
        shttp_->stop();
        http_->stop();
        stcp_->stop();
        udp_->stop();
        run_for(20ms);
    }

    void make_waker(cir::WakerOptions options) {
        waker_ = std::make_unique<cir::Waker>(
            io_, std::move(options),
            cir::Waker::Channels{stcp_.get(), shttp_.get(), udp_.get(), sms_.get()},
            [this](const std::string& id) -> std::optional<cir::WakeTarget> {
                const auto it = sessions_.find(id);
                if (it == sessions_.end()) return std::nullopt;
                return it->second;
            },
            [this](const std::string& id, std::string why) {
                failures_.emplace_back(id, std::move(why));
            });
    }

    // A session that waits for a wake-up (has_queued) with `methods`, datagrams to `udp_port`.
    cir::WakeTarget& add_session(const std::string& id, std::vector<Method> methods,
                                 std::uint16_t udp_port = 3717) {
        cir::WakeTarget t;
        t.session_id = id;
        t.cookie = "cookie-" + id;
        t.version = "1.2";
        t.methods = std::move(methods);
        t.address = "127.0.0.1";
        t.udp_port = udp_port;
        t.msisdn = "+15550001";
        t.has_queued = true;
        return sessions_[id] = t;
    }

    template <class Pred>
    bool run_until(Pred pred, std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            io_.run_one_for(5ms);
        }
        return true;
    }

    void run_for(std::chrono::milliseconds d) {
        const auto deadline = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < deadline) io_.run_one_for(5ms);
    }

    // A TCP client that sent HELO for `id` and got its OK.
    std::unique_ptr<TcpProbe> bind_stcp(const std::string& id) {
        auto probe = std::make_unique<TcpProbe>(io_, stcp_->port());
        EXPECT_TRUE(probe->connected());
        probe->write("HELO " + id + "\r\n");
        EXPECT_TRUE(run_until([&] { return probe->in.find("OK\r\n") != std::string::npos; }));
        EXPECT_TRUE(run_until([&] { return stcp_->is_bound(id); }));
        return probe;
    }

    // A TCP client whose GET of the session's CIR URL is held.
    std::unique_ptr<TcpProbe> hold_get(const std::string& id) {
        auto probe = std::make_unique<TcpProbe>(io_, http_->port());
        EXPECT_TRUE(probe->connected());
        probe->write("GET /cir/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        EXPECT_TRUE(run_until([&] { return shttp_->is_held(id); }));
        return probe;
    }

    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    std::map<std::string, cir::WakeTarget> sessions_;
    std::vector<std::pair<std::string, std::string>> failures_;
    std::vector<SmsSeen> sms_seen_;
    bool kannel_refuses_ = false;
    std::unique_ptr<cir::StcpListener> stcp_;
    std::unique_ptr<transport::HttpServer> http_;
    std::unique_ptr<cir::HttpCirHolder> shttp_;
    std::unique_ptr<cir::UdpSender> udp_;
    std::unique_ptr<transport::HttpServer> kannel_;
    std::unique_ptr<cir::SmsSender> sms_;
    std::unique_ptr<cir::Waker> waker_;
};

cir::WakerOptions options_with_resend(std::vector<std::chrono::milliseconds> resend) {
    cir::WakerOptions o;
    o.udp_resend = std::move(resend);
    return o;
}

TEST_F(WakerTest, ThreeWakesOfOneBurstSendOneDatagram) {
    UdpProbe phone(io_);
    ASSERT_TRUE(phone.ok());
    make_waker(options_with_resend({10s}));
    const auto& target = add_session("s1", {Method::sudp}, phone.port());
    waker_->wake(target);
    waker_->wake(target);
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return !phone.got.empty(); }));
    run_for(100ms);
    ASSERT_EQ(phone.got.size(), 1u);
    EXPECT_EQ(phone.got[0], "WVCI 1.2 cookie-s1");
    EXPECT_EQ(waker_->stats().wakes, 3u);
    EXPECT_EQ(waker_->stats().coalesced, 2u);
    EXPECT_EQ(waker_->stats().sent[static_cast<std::size_t>(Method::sudp)], 1u);
    EXPECT_EQ(waker_->stats().pending, 1u);
    EXPECT_TRUE(failures_.empty());

    // The phone polled: the next news is a new burst.
    waker_->on_request("s1");
    EXPECT_EQ(waker_->stats().pending, 0u);
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return phone.got.size() == 2; }));
}

TEST_F(WakerTest, DatagramResentWithBackoffUntilThePhoneAsks) {
    UdpProbe phone(io_);
    ASSERT_TRUE(phone.ok());
    make_waker(options_with_resend({40ms, 80ms, 160ms, 5s}));
    const auto start = std::chrono::steady_clock::now();
    waker_->wake(add_session("s1", {Method::sudp}, phone.port()));
    std::vector<std::chrono::milliseconds> arrivals;
    for (std::size_t n = 1; n <= 4; ++n) {
        ASSERT_TRUE(run_until([&] { return phone.got.size() >= n; })) << n;
        arrivals.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start));
    }
    // Each resend waits longer than the one before.
    EXPECT_GE(arrivals[1] - arrivals[0], 35ms);
    EXPECT_GE(arrivals[2] - arrivals[1], 75ms);
    EXPECT_GE(arrivals[3] - arrivals[2], 155ms);
    EXPECT_EQ(waker_->stats().resent, 3u);
    waker_->on_request("s1");
    run_for(300ms);
    EXPECT_EQ(phone.got.size(), 4u);
    EXPECT_TRUE(failures_.empty());
}

TEST_F(WakerTest, ResendGoesToThePhonesNewAddressAndPort) {
    UdpProbe first(io_);
    UdpProbe second(io_);
    ASSERT_TRUE(first.ok() && second.ok());
    make_waker(options_with_resend({50ms, 5s}));
    waker_->wake(add_session("s1", {Method::sudp}, first.port()));
    ASSERT_TRUE(run_until([&] { return first.got.size() == 1; }));
    sessions_["s1"].udp_port = second.port();  // the phone moved
    ASSERT_TRUE(run_until([&] { return second.got.size() == 1; }));
    EXPECT_EQ(first.got.size(), 1u);
}

TEST_F(WakerTest, FailedOnceWhenResendsRunOut) {
    UdpProbe phone(io_);
    ASSERT_TRUE(phone.ok());
    make_waker(options_with_resend({20ms, 20ms}));
    const auto& target = add_session("s1", {Method::sudp}, phone.port());
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return !failures_.empty(); }));
    run_for(100ms);
    EXPECT_EQ(phone.got.size(), 3u);  // the first and two resends
    ASSERT_EQ(failures_.size(), 1u);
    EXPECT_EQ(failures_[0].first, "s1");
    EXPECT_NE(failures_[0].second.find("SUDP"), std::string::npos) << failures_[0].second;
    // Within the burst a new wake coalesces: no second failure, no datagram storm.
    waker_->wake(target);
    run_for(100ms);
    EXPECT_EQ(phone.got.size(), 3u);
    EXPECT_EQ(failures_.size(), 1u);
    EXPECT_EQ(waker_->stats().failed, 1u);
}

TEST_F(WakerTest, NoResendOnceNothingWaits) {
    UdpProbe phone(io_);
    ASSERT_TRUE(phone.ok());
    make_waker(options_with_resend({30ms, 30ms}));
    waker_->wake(add_session("s1", {Method::sudp}, phone.port()));
    ASSERT_TRUE(run_until([&] { return phone.got.size() == 1; }));
    sessions_["s1"].has_queued = false;  // fetched some other way
    run_for(200ms);
    EXPECT_EQ(phone.got.size(), 1u);
    EXPECT_TRUE(failures_.empty());
    EXPECT_EQ(waker_->stats().pending, 0u);
}

TEST_F(WakerTest, WapUdpIsAWspPushToPort2948) {
    UdpProbe phone(io_, cir::kWapPushPort);
    if (!phone.ok()) GTEST_SKIP() << "port 2948 is taken on this machine";
    make_waker(options_with_resend({10s}));
    waker_->wake(add_session("s1", {Method::wap_udp}));
    ASSERT_TRUE(run_until([&] { return !phone.got.empty(); }));
    auto push = cir::parse_wsp_push(phone.got[0]);
    ASSERT_TRUE(push.ok()) << push.error().message;
    EXPECT_EQ(push->body, "WVCI 1.2 cookie-s1");
    EXPECT_EQ(push->content_type_code, 0x46u);
}

TEST_F(WakerTest, StcpPreferredWhenBound) {
    UdpProbe phone_udp(io_);
    ASSERT_TRUE(phone_udp.ok());
    make_waker(options_with_resend({10s}));
    const auto& target = add_session("s1", {Method::stcp, Method::sudp}, phone_udp.port());
    sessions_["s1"].has_queued = false;  // nothing yet when the phone says HELO
    auto phone = bind_stcp("s1");
    EXPECT_EQ(phone->in, "OK\r\n");
    sessions_["s1"].has_queued = true;
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return phone->in.find("WVCI") != std::string::npos; }));
    EXPECT_EQ(phone->in, "OK\r\nWVCI 1.2 cookie-s1\r\n");
    run_for(50ms);
    EXPECT_TRUE(phone_udp.got.empty());
    EXPECT_EQ(waker_->stats().sent[static_cast<std::size_t>(Method::stcp)], 1u);
}

TEST_F(WakerTest, FallsThroughToTheNextMethodWhenNotBound) {
    UdpProbe phone_udp(io_);
    ASSERT_TRUE(phone_udp.ok());
    make_waker(options_with_resend({10s}));
    waker_->wake(add_session("s1", {Method::stcp, Method::shttp, Method::sudp}, phone_udp.port()));
    ASSERT_TRUE(run_until([&] { return !phone_udp.got.empty(); }));
    EXPECT_EQ(phone_udp.got[0], "WVCI 1.2 cookie-s1");
    EXPECT_TRUE(failures_.empty());
}

TEST_F(WakerTest, NoUsableMethodIsAFailure) {
    make_waker(options_with_resend({10s}));
    auto& target = add_session("s1", {Method::stcp, Method::ssms});
    target.msisdn.clear();
    waker_->wake(target);
    ASSERT_EQ(failures_.size(), 1u);
    EXPECT_NE(failures_[0].second.find("STCP, SSMS"), std::string::npos) << failures_[0].second;
}

TEST_F(WakerTest, HeloWithSomethingWaitingWakesAtOnce) {
    make_waker(options_with_resend({10s}));
    add_session("s1", {Method::stcp});
    // No wake() call: the HELO itself finds the queue non-empty.
    auto phone = std::make_unique<TcpProbe>(io_, stcp_->port());
    phone->write("HELO s1\r\n");
    ASSERT_TRUE(run_until([&] { return phone->in.find("WVCI") != std::string::npos; }));
    EXPECT_EQ(phone->in, "OK\r\nWVCI 1.2 cookie-s1\r\n");
}

TEST_F(WakerTest, ANewSocketAfterAWakeGetsItAgain) {
    UdpProbe phone_udp(io_);
    ASSERT_TRUE(phone_udp.ok());
    make_waker(options_with_resend({10s}));
    const auto& target = add_session("s1", {Method::stcp, Method::sudp}, phone_udp.port());
    waker_->wake(target);  // not bound yet: SUDP
    ASSERT_TRUE(run_until([&] { return phone_udp.got.size() == 1; }));
    auto phone = std::make_unique<TcpProbe>(io_, stcp_->port());
    phone->write("HELO s1\r\n");
    ASSERT_TRUE(run_until([&] { return phone->in.find("WVCI") != std::string::npos; }));
    EXPECT_EQ(phone->in, "OK\r\nWVCI 1.2 cookie-s1\r\n");
}

TEST_F(WakerTest, LostSocketIsAFailure) {
    make_waker(options_with_resend({10s}));
    add_session("s1", {Method::stcp}).has_queued = false;
    auto phone = bind_stcp("s1");
    phone->close();
    ASSERT_TRUE(run_until([&] { return !failures_.empty(); }));
    EXPECT_EQ(failures_[0].first, "s1");
    EXPECT_NE(failures_[0].second.find("STCP"), std::string::npos);
}

TEST_F(WakerTest, HeldGetAnsweredWithTheWakeLine) {
    make_waker(options_with_resend({10s}));
    const auto& target = add_session("s1", {Method::shttp});
    sessions_["s1"].has_queued = false;
    auto phone = hold_get("s1");
    EXPECT_TRUE(phone->in.empty());
    sessions_["s1"].has_queued = true;
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return phone->in.find("WVCI") != std::string::npos; }));
    EXPECT_EQ(phone->in.rfind("HTTP/1.1 200", 0), 0u) << phone->in;
    EXPECT_NE(phone->in.find("\r\n\r\nWVCI 1.2 cookie-s1"), std::string::npos) << phone->in;
}

TEST_F(WakerTest, GetWithSomethingWaitingIsAnsweredAtOnce) {
    make_waker(options_with_resend({10s}));
    add_session("s1", {Method::shttp});
    auto phone = std::make_unique<TcpProbe>(io_, http_->port());
    phone->write("GET /cir/s1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ASSERT_TRUE(run_until([&] { return phone->in.find("WVCI") != std::string::npos; }));
    EXPECT_EQ(phone->in.rfind("HTTP/1.1 200", 0), 0u) << phone->in;
}

TEST_F(WakerTest, WakeBetweenTwoGetsWaitsForTheNextOne) {
    UdpProbe phone_udp(io_);
    ASSERT_TRUE(phone_udp.ok());
    make_waker(options_with_resend({10s}));
    const auto& target = add_session("s1", {Method::shttp, Method::sudp}, phone_udp.port());
    sessions_["s1"].has_queued = false;
    {
        // A GET that was answered (the phone has not sent the next one yet).
        auto first = hold_get("s1");
        shttp_->send("s1", "WVCI 1.2 old");
        ASSERT_TRUE(run_until([&] { return first->in.find("WVCI") != std::string::npos; }));
    }
    sessions_["s1"].has_queued = true;
    waker_->wake(target);
    run_for(50ms);
    EXPECT_TRUE(phone_udp.got.empty());  // SHTTP is alive: no fall through to SUDP
    auto next = std::make_unique<TcpProbe>(io_, http_->port());
    next->write("GET /cir/s1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ASSERT_TRUE(
        run_until([&] { return next->in.find("WVCI 1.2 cookie-s1") != std::string::npos; }));
}

TEST_F(WakerTest, NoMethodAgreedIsNotAFailure) {
    // A phone that agreed no CIR polls by itself: no wake, and no CIR=F on every message.
    make_waker(options_with_resend({10s}));
    const auto& target = add_session("s1", {});
    waker_->wake(target);
    waker_->wake(target);
    run_for(20ms);
    EXPECT_TRUE(failures_.empty());
    EXPECT_EQ(waker_->stats().wakes, 0u);
    EXPECT_EQ(waker_->stats().pending, 0u);
}

TEST_F(WakerTest, TheGetAfterA200WaitsForThePhonesPoll) {
    // The GET that follows a 200 may come before the poll of a phone that read the wake-up:
    // no second wake-up then. A phone whose connection died never read it: its GET is woken
    // after shttp_recheck without a request.
    auto options = options_with_resend({10s});
    options.shttp_recheck = 300ms;
    make_waker(options);
    const auto& target = add_session("s1", {Method::shttp});
    sessions_["s1"].has_queued = false;
    auto first = hold_get("s1");
    sessions_["s1"].has_queued = true;
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return first->in.find("WVCI") != std::string::npos; }));
    auto second = hold_get("s1");  // something is still queued: the phone has not polled yet
    run_for(100ms);
    waker_->on_request("s1");  // its poll
    run_for(500ms);
    EXPECT_EQ(second->in.find("WVCI"), std::string::npos) << second->in;
    EXPECT_EQ(waker_->stats().sent[static_cast<std::size_t>(Method::shttp)], 1u);

    // Next burst: the 200 goes into a connection the phone has given up; its new GET gets the
    // wake-up after shttp_recheck.
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return second->in.find("WVCI") != std::string::npos; }));
    auto third = hold_get("s1");
    run_for(100ms);
    EXPECT_EQ(third->in.find("WVCI"), std::string::npos);
    ASSERT_TRUE(run_until([&] { return third->in.find("WVCI") != std::string::npos; }));
    EXPECT_EQ(waker_->stats().sent[static_cast<std::size_t>(Method::shttp)], 3u);
}

TEST_F(WakerTest, SmsTextThroughKannel) {
    make_waker(options_with_resend({10s}));
    waker_->wake(add_session("s1", {Method::ssms}));
    ASSERT_TRUE(run_until([&] { return !sms_seen_.empty(); }));
    const std::string& t = sms_seen_[0].target;
    EXPECT_NE(t.find("to=%2B15550001"), std::string::npos) << t;
    EXPECT_NE(t.find("WVCI"), std::string::npos) << t;
    run_for(50ms);
    EXPECT_TRUE(failures_.empty());
}

TEST_F(WakerTest, WapSmsIsBinaryWithTheWapPushHeader) {
    make_waker(options_with_resend({10s}));
    waker_->wake(add_session("s1", {Method::wap_sms}));
    ASSERT_TRUE(run_until([&] { return !sms_seen_.empty(); }));
    const std::string& t = sms_seen_[0].target;
    EXPECT_NE(t.find("udh=%06%05%04%0B%84%23%F0"), std::string::npos) << t;
    EXPECT_NE(t.find("coding=1"), std::string::npos) << t;
}

TEST_F(WakerTest, SmsRefusedByKannelIsAFailure) {
    kannel_refuses_ = true;
    make_waker(options_with_resend({10s}));
    waker_->wake(add_session("s1", {Method::ssms}));
    ASSERT_TRUE(run_until([&] { return !failures_.empty(); }));
    EXPECT_EQ(failures_.size(), 1u);
    EXPECT_NE(failures_[0].second.find("SSMS"), std::string::npos) << failures_[0].second;
}

TEST_F(WakerTest, AtMostOneSmsPerSessionPerInterval) {
    cir::WakerOptions o;
    o.sms_min_interval = 1s;
    make_waker(o);
    const auto& target = add_session("s1", {Method::ssms});
    const auto start = std::chrono::steady_clock::now();
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return sms_seen_.size() == 1; }));
    waker_->on_request("s1");  // the phone polled
    waker_->wake(target);      // news again at once: the SMS waits for the interval
    run_for(500ms);
    EXPECT_EQ(sms_seen_.size(), 1u);
    ASSERT_TRUE(run_until([&] { return sms_seen_.size() == 2; }, 3s));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
    // Another session is not held back by the first.
    waker_->wake(add_session("s2", {Method::ssms}));
    ASSERT_TRUE(run_until([&] { return sms_seen_.size() == 3; }));
}

TEST_F(WakerTest, DeferredSmsDroppedWhenThePhoneAsksFirst) {
    cir::WakerOptions o;
    o.sms_min_interval = 1s;
    make_waker(o);
    const auto& target = add_session("s1", {Method::ssms});
    waker_->wake(target);
    ASSERT_TRUE(run_until([&] { return sms_seen_.size() == 1; }));
    waker_->on_request("s1");
    waker_->wake(target);
    run_for(200ms);
    waker_->on_request("s1");  // it polled by itself
    run_for(1200ms);
    EXPECT_EQ(sms_seen_.size(), 1u);
}

TEST_F(WakerTest, ForgetClosesTheSocketWithoutAFailure) {
    make_waker(options_with_resend({10s}));
    add_session("s1", {Method::stcp}).has_queued = false;
    auto phone = bind_stcp("s1");
    waker_->forget("s1");
    ASSERT_TRUE(run_until([&] { return phone->closed; }));
    run_for(50ms);
    EXPECT_TRUE(failures_.empty());
    EXPECT_FALSE(stcp_->is_bound("s1"));
}

TEST_F(WakerTest, ForgetAnswersTheHeldGetAndStopsResends) {
    UdpProbe phone_udp(io_);
    ASSERT_TRUE(phone_udp.ok());
    make_waker(options_with_resend({30ms, 30ms}));
    add_session("s1", {Method::shttp}).has_queued = false;
    auto held = hold_get("s1");
    add_session("s2", {Method::sudp}, phone_udp.port());
    waker_->wake(sessions_["s2"]);
    ASSERT_TRUE(run_until([&] { return phone_udp.got.size() == 1; }));
    waker_->forget("s1");
    waker_->forget("s2");
    sessions_.clear();
    ASSERT_TRUE(run_until([&] { return held->in.find("HTTP/1.1 404") == 0; })) << held->in;
    run_for(200ms);
    EXPECT_EQ(phone_udp.got.size(), 1u);
    EXPECT_TRUE(failures_.empty());
    EXPECT_EQ(waker_->stats().pending, 0u);
}

}  // namespace
