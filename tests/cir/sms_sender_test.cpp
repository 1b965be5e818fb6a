// SmsSender against a real Kannel (bearerbox + smsbox + fakesmsc, started by
// tests/integration/harness/kannel.sh): the text and binary SMS that reach the fake SMS centre
// are the ones sent, byte for byte; Kannel's refusals, a port where nothing listens and a server
// that never answers are errors. Kannel is a CI dependency (scripts/install-deps): a missing
// Kannel fails these tests, it does not skip them.
#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "onesoup/transport/cir/sms_sender.hpp"
#include "onesoup/transport/cir/wsp_push.hpp"

using namespace onesoup::transport::cir;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

const std::string kannel_sh = ONESOUP_SOURCE_DIR "/tests/integration/harness/kannel.sh";

// 'text' for a POSIX shell command line.
std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

// Runs `script` in bash after sourcing kannel.sh; true if it exited with 0.
bool run_with_kannel_sh(const std::string& script) {
    const std::string command =
        "bash -c " + shell_quote("set -eu; source " + shell_quote(kannel_sh) + "; " + script);
    const int status = std::system(command.c_str());
    return status == 0;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        out += digits[c >> 4];
        out += digits[c & 0x0F];
    }
    return out;
}

// What a send ended with, after running the io_context until it did.
struct Outcome {
    bool called = false;
    std::optional<onesoup::Result<void>> result;

    [[nodiscard]] bool ok() const { return result && result->ok(); }
    [[nodiscard]] std::string error() const {
        return result && !result->ok() ? result->error().message : std::string("(no error)");
    }
};

SmsSender::Done record(Outcome& outcome) {
    return [&outcome](onesoup::Result<void> r) {
        EXPECT_FALSE(outcome.called) << "done called twice";
        outcome.called = true;
        outcome.result = std::move(r);
    };
}

// A free loopback port with nothing listening on it.
std::uint16_t closed_port() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

// URL checks need no Kannel.
TEST(SmsSenderOptions, AcceptsHttpUrlsOnly) {
    asio::io_context io;
    auto start_with = [&io](const std::string& url) {
        SmsOptions o;
        o.sendsms_url = url;
        o.username = "u";
        SmsSender sender(io, o);
        return sender.start();
    };
    EXPECT_TRUE(start_with("http://127.0.0.1:13013/cgi-bin/sendsms").ok());
    EXPECT_TRUE(start_with("HTTP://kannel.example/cgi-bin/sendsms").ok());
    EXPECT_TRUE(start_with("http://[::1]:13013/cgi-bin/sendsms").ok());
    EXPECT_TRUE(start_with("http://127.0.0.1:13013/cgi-bin/sendsms?smsc=fake").ok());

    for (const char* bad :
         {"https://127.0.0.1:13013/cgi-bin/sendsms", "ftp://h/x", "127.0.0.1:13013/cgi-bin/sendsms",
          "http://127.0.0.1:13013", "http:///cgi-bin/sendsms", "http://h:0/x", "http://h:65536/x",
          "http://h:12a/x", "http://[::1/x", "http://h/x y", ""}) {
        auto r = start_with(bad);
        EXPECT_FALSE(r.ok()) << bad;
    }
    auto r = start_with("https://127.0.0.1/cgi-bin/sendsms");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("http://"), std::string::npos) << r.error().message;

    SmsOptions o;
    o.username = "";
    SmsSender no_user(io, o);
    EXPECT_FALSE(no_user.start().ok());
}

TEST(SmsSenderOptions, RefusesBeforeStartAndBadNumbers) {
    asio::io_context io;
    SmsOptions o;
    o.sendsms_url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/cgi-bin/sendsms";
    o.username = "u";
    SmsSender sender(io, o);
    Outcome not_started;
    sender.send_text("+4915100000000", "x", record(not_started));
    // The outcome comes later, from the io_context, never from inside the call.
    EXPECT_FALSE(not_started.called);
    io.run_for(std::chrono::seconds(5));
    ASSERT_TRUE(not_started.called);
    EXPECT_NE(not_started.error().find("not started"), std::string::npos) << not_started.error();

    ASSERT_TRUE(sender.start().ok());
    // Kannel reads a space in `to` as a second receiver: only one plain number may pass.
    for (const char* number :
         {"", "+", "+49 151", "4915x", "+49151,+49152", "123456789012345678901"}) {
        Outcome bad;
        sender.send_text(number, "x", record(bad));
        io.restart();
        io.run_for(std::chrono::seconds(5));
        ASSERT_TRUE(bad.called) << number;
        EXPECT_NE(bad.error().find("not a phone number"), std::string::npos) << bad.error();
    }
    EXPECT_EQ(sender.stats().sent, 0u);
    EXPECT_EQ(sender.stats().failed, 7u);
}

// A server that accepts connections (the kernel does, from the backlog) and never answers.
TEST(SmsSenderOptions, SilentServerTimesOut) {
    asio::io_context io;
    tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    SmsOptions o;
    o.sendsms_url =
        "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/cgi-bin/sendsms";
    o.username = "u";
    o.timeout = std::chrono::seconds(1);
    SmsSender sender(io, o);
    ASSERT_TRUE(sender.start().ok());
    Outcome outcome;
    const auto began = std::chrono::steady_clock::now();
    sender.send_text("+4915100000000", "WVCI 1.2 x", record(outcome));
    io.run_for(std::chrono::seconds(10));
    const auto took = std::chrono::steady_clock::now() - began;
    ASSERT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().find("no answer from Kannel"), std::string::npos) << outcome.error();
    EXPECT_GE(took, std::chrono::milliseconds(900));
    EXPECT_LT(took, std::chrono::seconds(5));
    EXPECT_EQ(sender.stats().failed, 1u);
}

TEST(SmsSenderOptions, NothingListeningIsAnError) {
    asio::io_context io;
    SmsOptions o;
    o.sendsms_url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/cgi-bin/sendsms";
    o.username = "u";
    SmsSender sender(io, o);
    ASSERT_TRUE(sender.start().ok());
    Outcome outcome;
    sender.send_text("+4915100000000", "WVCI 1.2 x", record(outcome));
    io.run_for(std::chrono::seconds(10));
    ASSERT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error().find("cannot connect to Kannel"), std::string::npos)
        << outcome.error();
    EXPECT_EQ(sender.stats().failed, 1u);
}

// More than max_in_flight at once fail at once; stop() fails what waits; after stop() nothing
// is sent.
TEST(SmsSenderOptions, InFlightLimitAndStop) {
    asio::io_context io;
    tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    SmsOptions o;
    o.sendsms_url =
        "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/cgi-bin/sendsms";
    o.username = "u";
    o.max_in_flight = 2;
    SmsSender sender(io, o);
    ASSERT_TRUE(sender.start().ok());
    Outcome first;
    Outcome second;
    Outcome third;
    sender.send_text("+4915100000001", "a", record(first));
    sender.send_text("+4915100000002", "b", record(second));
    sender.send_text("+4915100000003", "c", record(third));
    io.run_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(third.called);
    EXPECT_NE(third.error().find("too many SMS"), std::string::npos) << third.error();
    EXPECT_FALSE(first.called);
    EXPECT_FALSE(second.called);

    sender.stop();
    EXPECT_TRUE(first.called);
    EXPECT_TRUE(second.called);
    EXPECT_NE(first.error().find("stopped"), std::string::npos) << first.error();
    Outcome after;
    sender.send_text("+4915100000004", "d", record(after));
    io.restart();
    io.run_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(after.called);
    EXPECT_NE(after.error().find("stopped"), std::string::npos) << after.error();
    EXPECT_EQ(sender.stats().failed, 4u);
}

// Destroying the sender with a request in flight: no callback, no leak, no crash.
TEST(SmsSenderOptions, DestroyedWhileInFlight) {
    asio::io_context io;
    tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    SmsOptions o;
    o.sendsms_url =
        "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/cgi-bin/sendsms";
    o.username = "u";
    Outcome outcome;
    {
        SmsSender sender(io, o);
        ASSERT_TRUE(sender.start().ok());
        sender.send_text("+4915100000001", "a", record(outcome));
        io.run_for(std::chrono::milliseconds(200));
    }
    io.restart();
    io.run_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(outcome.called);
}

// A Kannel for the whole suite, in a temporary folder.
class SmsSenderKannel : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        std::string pattern = (std::filesystem::temp_directory_path() / "onesoup-sms.XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr) {
            setup_error_ = "cannot make a temporary folder";
            return;
        }
        dir_ = pattern;
        // The shell exits at once: no trap; the watchdog watches this test process instead.
        const bool started =
            run_with_kannel_sh("KANNEL_TRAP=0 KANNEL_WATCH_PID=" + std::to_string(::getpid()) +
                               " kannel_start " + shell_quote(dir_));
        if (!started) {
            setup_error_ =
                "kannel_start failed (see its output above); Kannel (Debian kannel, "
                "kannel-extras) is needed: scripts/install-deps";
            return;
        }
        std::ifstream env(dir_ + "/kannel.env");
        std::string line;
        while (std::getline(env, line)) {
            const auto eq = line.find('=');
            if (eq != std::string::npos) env_[line.substr(0, eq)] = line.substr(eq + 1);
        }
        if (env_["KANNEL_SENDSMS_URL"].empty()) setup_error_ = "kannel.env has no sendsms URL";
    }

    static void TearDownTestSuite() {
        if (!dir_.empty()) {
            EXPECT_TRUE(run_with_kannel_sh("kannel_stop " + shell_quote(dir_)));
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
        dir_.clear();
        env_.clear();
    }

    void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

    SmsOptions options() const {
        SmsOptions o;
        o.sendsms_url = env_.at("KANNEL_SENDSMS_URL");
        o.username = env_.at("KANNEL_USER");
        o.password = env_.at("KANNEL_PASSWORD");
        o.timeout = std::chrono::seconds(10);
        return o;
    }

    // Waits (up to 10 s) for fakesmsc to have received an SMS to `number` whose decoded line
    // (kannel_sms_decoded: "RECEIVER SENDER TYPE udh=HEX data=HEX text=PRINTABLE") contains
    // `pattern`.
    static bool fakesmsc_received(const std::string& number, const std::string& pattern) {
        return run_with_kannel_sh("KANNEL_SMS_LOG=" + shell_quote(dir_ + "/fakesmsc.out") +
                                  " kannel_wait_sms " + shell_quote(number) + " " +
                                  shell_quote(pattern) + " 10 >/dev/null");
    }

    static inline std::string dir_;
    static inline std::map<std::string, std::string> env_;
    static inline std::string setup_error_;
};

TEST_F(SmsSenderKannel, TextSmsReachesTheSmsCentre) {
    asio::io_context io;
    SmsSender sender(io, options());
    ASSERT_TRUE(sender.start().ok());
    // Characters that mean something in a query string must arrive as they were.
    const std::string text = "WVCI 1.2 Ab+c%d&e=f?g#h";
    Outcome outcome;
    sender.send_text("+4915111111111", text, record(outcome));
    io.run_for(std::chrono::seconds(15));
    ASSERT_TRUE(outcome.called);
    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_EQ(sender.stats().sent, 1u);
    EXPECT_TRUE(fakesmsc_received("+4915111111111",
                                  " 4321 text udh=- data=" + hex(text) + " text=" + text));
}

TEST_F(SmsSenderKannel, SenderAndSmscOptionsAreUsed) {
    asio::io_context io;
    auto o = options();
    o.from = "onesoup";
    o.smsc = "fake";
    SmsSender sender(io, o);
    ASSERT_TRUE(sender.start().ok());
    Outcome outcome;
    sender.send_text("+4915122222222", "WVCI 1.3 xyz", record(outcome));
    io.run_for(std::chrono::seconds(15));
    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_TRUE(fakesmsc_received("+4915122222222", "+4915122222222 onesoup text "));
}

// WAPSMS: the WAP push UDH and the WSP push PDU, binary, arrive with exactly those bytes.
TEST_F(SmsSenderKannel, BinaryWapPushArrivesByteForByte) {
    asio::io_context io;
    SmsSender sender(io, options());
    ASSERT_TRUE(sender.start().ok());
    // TID 0 and a cookie with bytes that need escaping: '%', '+', ' ', a NUL and 0xFF.
    const std::string pdu = wsp_cir_push(std::string("WVCI 1.2 c%o+o k\0\xFF", 18), 0);
    Outcome outcome;
    sender.send_binary("4915133333333", std::string(kWapPushUdh), pdu, record(outcome));
    io.run_for(std::chrono::seconds(15));
    ASSERT_TRUE(outcome.called);
    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_TRUE(fakesmsc_received("4915133333333",
                                  " udh-data udh=0605040B8423F0 data=" + hex(pdu) + " text="));
    EXPECT_TRUE(fakesmsc_received("4915133333333", "WVCI 1.2 c%o+o k.."));
}

TEST_F(SmsSenderKannel, WrongPasswordIsKannelsRefusal) {
    asio::io_context io;
    auto o = options();
    o.password = "not-" + o.password;
    SmsSender sender(io, o);
    ASSERT_TRUE(sender.start().ok());
    Outcome outcome;
    sender.send_text("+4915144444444", "WVCI 1.2 x", record(outcome));
    io.run_for(std::chrono::seconds(15));
    ASSERT_TRUE(outcome.called);
    EXPECT_FALSE(outcome.ok());
    // Kannel's own words and status.
    EXPECT_NE(outcome.error().find("403"), std::string::npos) << outcome.error();
    EXPECT_NE(outcome.error().find("Authorization failed"), std::string::npos) << outcome.error();
    EXPECT_EQ(sender.stats().failed, 1u);
    EXPECT_EQ(sender.stats().sent, 0u);
}

// Several at once, each on its own connection: all arrive.
TEST_F(SmsSenderKannel, ConcurrentSends) {
    asio::io_context io;
    SmsSender sender(io, options());
    ASSERT_TRUE(sender.start().ok());
    constexpr int count = 20;
    std::array<Outcome, count> outcomes;
    for (int i = 0; i < count; ++i) {
        sender.send_text("+49151555" + std::to_string(10000 + i), "WVCI 1.2 n" + std::to_string(i),
                         record(outcomes[static_cast<std::size_t>(i)]));
    }
    io.run_for(std::chrono::seconds(30));
    for (const auto& o : outcomes) EXPECT_TRUE(o.ok()) << o.error();
    EXPECT_EQ(sender.stats().sent, static_cast<std::uint64_t>(count));
    for (int i = 0; i < count; ++i) {
        EXPECT_TRUE(fakesmsc_received("+49151555" + std::to_string(10000 + i),
                                      "text=WVCI 1.2 n" + std::to_string(i)));
    }
}

}  // namespace
