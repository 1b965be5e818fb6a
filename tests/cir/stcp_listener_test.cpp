// StcpListener against real sockets on 127.0.0.1. The test is the phone: plain POSIX sockets in
// non-blocking mode. Everything runs on the test's one thread: the listener's io_context runs in
// short slices between the phone's steps, so nothing races and no lock is needed.
#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/transport/cir/stcp_listener.hpp"
#include "onesoup/transport/cir/wake_target.hpp"
#include "../common/heap_probe.hpp"

using namespace onesoup::transport::cir;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A phone's CIR socket: connects at once, then never blocks.
class Phone {
  public:
    explicit Phone(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) return;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // Loopback connects complete in the kernel's backlog, without the listener's help.
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd_);
            fd_ = -1;
            return;
        }
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    ~Phone() { close(); }
    Phone(const Phone&) = delete;
    Phone& operator=(const Phone&) = delete;
    Phone(Phone&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)),
          received_(std::move(other.received_)),
          reads_(std::move(other.reads_)),
          read_times_(std::move(other.read_times_)),
          closed_(other.closed_) {}

    [[nodiscard]] bool connected() const { return fd_ >= 0; }

    void send(std::string_view text) const {
        ASSERT_EQ(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(text.size()));
    }

    // Takes what has arrived, without waiting. Each recv() that returns data is kept as one
    // read, as S60's RecvOneOrMore would see it.
    void poll() {
        if (fd_ < 0 || closed_) return;
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                reads_.emplace_back(buffer, static_cast<std::size_t>(n));
                read_times_.push_back(SteadyClock::now());
                received_.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            if (n < 0 && errno == EINTR) continue;
            closed_ = true;  // end of stream or reset
            return;
        }
    }

    // Is something readable (or the end of the stream)? Reads nothing.
    [[nodiscard]] bool readable() const {
        char byte = 0;
        const ssize_t n = ::recv(fd_, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
        return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    [[nodiscard]] bool closed() const { return closed_; }
    [[nodiscard]] const std::string& received() const { return received_; }
    [[nodiscard]] const std::vector<std::string>& reads() const { return reads_; }
    [[nodiscard]] const std::vector<SteadyClock::time_point>& read_times() const {
        return read_times_;
    }

  private:
    int fd_ = -1;
    std::string received_;
    std::vector<std::string> reads_;
    std::vector<SteadyClock::time_point> read_times_;
    bool closed_ = false;
};

// Short timeouts, except the ones a test is about.
StcpOptions test_options() {
    StcpOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.helo_timeout = 30s;
    options.idle_timeout = 3600s;
    options.ok_gap = 20ms;
    options.max_line = 128;
    return options;
}

class StcpListenerTest : public ::testing::Test {
  protected:
    void start(StcpOptions options = test_options()) {
        listener_ = std::make_unique<StcpListener>(
            io_, std::move(options),
            [this](std::string_view id) {
                ++validated_;
                return sessions_.count(std::string(id)) > 0;
            },
            [this](const std::string& id) {
                ++bound_count_;
                if (record_) bound_.push_back(id);
                if (on_bound_) on_bound_(id);
            },
            [this](const std::string& id) {
                if (record_) lost_.push_back(id);
                if (on_lost_) on_lost_(id);
            },
            [this](std::string line) {
                if (record_) logs_.push_back(std::move(line));
            });
        ASSERT_TRUE(listener_->start().ok());
        ASSERT_NE(listener_->port(), 0);
    }

    StcpListener& listener() { return *listener_; }

    // Runs the listener in short slices until done() holds; false after `limit` (generous: a
    // failure, never a measure of speed).
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
        const auto deadline = SteadyClock::now() + limit;
        for (;;) {
            if (done()) return true;
            if (SteadyClock::now() > deadline) return false;
            run_for(2ms);
        }
    }

    // Runs the listener for a while (for "nothing happens" checks).
    void run_for(std::chrono::milliseconds duration) {
        if (io_.stopped()) io_.restart();
        io_.run_for(duration);
    }

    // Runs what is ready now, without waiting.
    void run_ready() {
        if (io_.stopped()) io_.restart();
        io_.poll();
    }

    // Connects a phone, says HELO and waits for the OK.
    Phone bound_phone(const std::string& session_id) {
        Phone phone(listener_->port());
        EXPECT_TRUE(phone.connected());
        phone.send("HELO " + session_id + "\r\n");
        EXPECT_TRUE(run_until([&] {
            phone.poll();
            return phone.received() == "OK\r\n";
        })) << "got '"
            << phone.received() << "'";
        EXPECT_TRUE(listener_->is_bound(session_id));
        return phone;
    }

    [[nodiscard]] std::size_t logs_containing(std::string_view text) const {
        return static_cast<std::size_t>(std::count_if(
            logs_.begin(), logs_.end(),
            [&](const std::string& line) { return line.find(text) != std::string::npos; }));
    }

    boost::asio::io_context io_;
    std::set<std::string> sessions_{"s1", "s2", "s3"};
    std::vector<std::string> bound_;
    std::vector<std::string> lost_;
    std::vector<std::string> logs_;
    std::function<void(const std::string&)> on_bound_;
    std::function<void(const std::string&)> on_lost_;
    std::size_t validated_ = 0;
    std::size_t bound_count_ = 0;
    bool record_ = true;
    std::unique_ptr<StcpListener> listener_;
};

// ---- parse_stcp_line ----

TEST(StcpLine, Helo) {
    const StcpLine line = parse_stcp_line("HELO abc123");
    EXPECT_EQ(line.kind, StcpLine::Kind::helo);
    EXPECT_EQ(line.session_id, "abc123");
}

TEST(StcpLine, HeloKeywordInAnyCaseWithSeveralSpacesAndTrailingOnes) {
    for (const char* text : {"helo abc", "Helo abc", "hElO   abc", "HELO abc   ", "HELO abc\r",
                             "HELO abc \r", "HELO\tabc", "HELO abc\r\r"}) {
        const StcpLine line = parse_stcp_line(text);
        EXPECT_EQ(line.kind, StcpLine::Kind::helo) << text;
        EXPECT_EQ(line.session_id, "abc") << text;
    }
}

TEST(StcpLine, Ping) {
    for (const char* text : {"PING", "ping", "Ping", "PING ", "PING   ", "PING\r", "PING \r"}) {
        EXPECT_EQ(parse_stcp_line(text).kind, StcpLine::Kind::ping) << text;
    }
}

TEST(StcpLine, AnythingElseIsOther) {
    for (const char* text : {"", " ", "\r", "HELO", "HELO ", "HELO  \r", "HELOabc", "HELLO abc",
                             " HELO abc", "HELO a b", "HELO a\x01", "HELO \xC3\xA9", "PING x",
                             "PINGPING", " PING", "PIN", "OK", "WVCI 1.2 abc", "GET / HTTP/1.1"}) {
        const StcpLine line = parse_stcp_line(text);
        EXPECT_EQ(line.kind, StcpLine::Kind::other) << text;
        EXPECT_TRUE(line.session_id.empty()) << text;
    }
}

TEST(StcpLine, EmbeddedNulIsNotAHelo) {
    const std::string text("HELO ab\0cd", 10);
    EXPECT_EQ(parse_stcp_line(text).kind, StcpLine::Kind::other);
}

// ---- the listener ----

TEST_F(StcpListenerTest, HeloIsAnsweredOkAndBindsTheSession) {
    start();
    Phone phone = bound_phone("s1");
    EXPECT_EQ(bound_, std::vector<std::string>{"s1"});
    EXPECT_EQ(listener().stats().helo_ok, 1U);
    EXPECT_EQ(listener().stats().bound, 1U);
    EXPECT_EQ(listener().stats().open, 1U);
    EXPECT_EQ(listener().stats().accepted, 1U);
    EXPECT_FALSE(listener().is_bound("s2"));
}

TEST_F(StcpListenerTest, HeloWithAWrongSessionIdIsClosedWithoutAnAnswer) {
    start();
    Phone phone(listener().port());
    phone.send("HELO not-a-session\r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.closed();
    }));
    EXPECT_EQ(phone.received(), "");
    EXPECT_EQ(validated_, 1U);
    EXPECT_TRUE(bound_.empty());
    EXPECT_TRUE(lost_.empty());
    EXPECT_EQ(listener().stats().helo_rejected, 1U);
    EXPECT_EQ(listener().stats().open, 0U);
    EXPECT_EQ(logs_containing("not-a-session"), 1U);
}

TEST_F(StcpListenerTest, KeywordsInAnyCaseAndAndroidsPingWithATrailingSpace) {
    start();
    Phone phone(listener().port());
    phone.send("helo s1\n");  // LF only
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\n";
    }));
    phone.send("Ping\r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nOK\r\n";
    }));
    // COMPAT: Android (TcpCirChannel) pings with "PING \r\n".
    phone.send("PING \r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nOK\r\nOK\r\n";
    }));
    EXPECT_EQ(listener().stats().pings, 2U);
    EXPECT_TRUE(listener().is_bound("s1"));
    EXPECT_FALSE(phone.closed());
}

TEST_F(StcpListenerTest, LinesSplitAcrossPacketsAndSeveralInOne) {
    start();
    Phone phone(listener().port());
    phone.send("HE");
    run_for(30ms);
    phone.send("LO s");
    run_for(30ms);
    phone.send("1\r");
    run_for(30ms);
    EXPECT_FALSE(listener().is_bound("s1"));
    phone.send("\nPING\r\nping\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nOK\r\nOK\r\n";
    })) << phone.received();
    EXPECT_TRUE(listener().is_bound("s1"));
    EXPECT_EQ(listener().stats().pings, 2U);
}

TEST_F(StcpListenerTest, PingBeforeHeloIsClosedLikeGarbage) {
    start();
    Phone phone(listener().port());
    phone.send("PING\r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.closed();
    }));
    EXPECT_EQ(phone.received(), "");
    EXPECT_EQ(listener().stats().helo_rejected, 1U);
    EXPECT_EQ(listener().stats().pings, 0U);
}

TEST_F(StcpListenerTest, GarbageBeforeHeloIsClosed) {
    start();
    Phone phone(listener().port());
    phone.send("GET / HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.closed();
    }));
    EXPECT_EQ(phone.received(), "");
    EXPECT_EQ(listener().stats().helo_rejected, 1U);
    EXPECT_EQ(validated_, 0U);
}

TEST_F(StcpListenerTest, OtherLinesOnABoundSocketAreIgnoredAndLoggedOnce) {
    start();
    Phone phone = bound_phone("s1");
    phone.send("something else\r\n\r\nand more\r\nPING\r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nOK\r\n";
    }));
    EXPECT_TRUE(listener().is_bound("s1"));
    EXPECT_EQ(logs_containing("ignored"), 1U);
    EXPECT_FALSE(phone.closed());
}

TEST_F(StcpListenerTest, NoHeloWithinTheBoundIsClosed) {
    auto options = test_options();
    options.helo_timeout = 1s;
    start(options);
    Phone bound = bound_phone("s1");
    Phone silent(listener().port());
    ASSERT_TRUE(run_until([&] {
        silent.poll();
        return silent.closed();
    }));
    EXPECT_EQ(silent.received(), "");
    EXPECT_EQ(listener().stats().helo_rejected, 1U);
    EXPECT_EQ(logs_containing("no HELO"), 1U);
    // The bound socket is not held to the HELO bound.
    bound.poll();
    EXPECT_FALSE(bound.closed());
    EXPECT_TRUE(listener().is_bound("s1"));
    EXPECT_TRUE(lost_.empty());
}

TEST_F(StcpListenerTest, ASecondHeloForTheSameSessionReplacesTheFirstSocket) {
    start();
    Phone first = bound_phone("s1");
    Phone second = bound_phone("s1");
    ASSERT_TRUE(run_until([&] {
        first.poll();
        return first.closed();
    }));
    EXPECT_EQ(listener().stats().replaced, 1U);
    EXPECT_EQ(listener().stats().bound, 1U);
    EXPECT_EQ(listener().stats().open, 1U);
    EXPECT_TRUE(lost_.empty());
    EXPECT_EQ(bound_, (std::vector<std::string>{"s1", "s1"}));

    ASSERT_TRUE(listener().send("s1", wake_line("1.2", "cookie")));
    ASSERT_TRUE(run_until([&] {
        second.poll();
        return second.received() == "OK\r\nWVCI 1.2 cookie\r\n";
    })) << second.received();
    EXPECT_EQ(first.received(), "OK\r\n");
}

TEST_F(StcpListenerTest, SendBeforeHeloIsRefused) {
    start();
    Phone phone(listener().port());
    run_for(20ms);
    EXPECT_FALSE(listener().send("s1", "WVCI 1.2 c"));
    EXPECT_FALSE(listener().send("unknown", "WVCI 1.2 c"));
    phone.send("HELO s1\r\n");
    ASSERT_TRUE(run_until([&] { return listener().is_bound("s1"); }));
    EXPECT_TRUE(listener().send("s1", "WVCI 1.2 c"));
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nWVCI 1.2 c\r\n";
    }));
    EXPECT_TRUE(run_until([&] { return listener().stats().wakes_sent == 1; }));
}

// COMPAT: S60 (TcpCirWatcher.cpp) reads once after HELO and looks for WVCI at offset 0 only.
TEST_F(StcpListenerTest, AWakeRightAfterHeloArrivesAfterOkAndOkGapLaterInItsOwnRead) {
    auto options = test_options();
    options.ok_gap = 1000ms;
    start(options);
    // What the Waker does when something waits: wake from within Bound.
    on_bound_ = [this](const std::string& id) {
        EXPECT_TRUE(listener().send(id, wake_line("1.2", "cookie")));
    };
    Phone phone(listener().port());
    const auto helo_sent = SteadyClock::now();
    phone.send("HELO s1\r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nWVCI 1.2 cookie\r\n";
    })) << phone.received();
    ASSERT_EQ(phone.reads().size(), 2U);
    EXPECT_EQ(phone.reads()[0], "OK\r\n");
    EXPECT_EQ(phone.reads()[1], "WVCI 1.2 cookie\r\n");
    // Not sooner than ok_gap after the OK (which was written after the HELO was sent).
    EXPECT_GE(phone.read_times()[1] - helo_sent, options.ok_gap);
    EXPECT_TRUE(run_until([&] { return listener().stats().wakes_sent == 1; }));
}

TEST_F(StcpListenerTest, AWakeAfterAPingAlsoWaitsOkGap) {
    auto options = test_options();
    options.ok_gap = 1000ms;
    start(options);
    Phone phone = bound_phone("s1");
    run_for(1100ms);  // past the gap of the HELO's OK
    const auto ping_sent = SteadyClock::now();
    phone.send("PING\r\n");
    ASSERT_TRUE(run_until([&] { return listener().stats().pings == 1; }));
    ASSERT_TRUE(listener().send("s1", "WVCI 1.2 k"));
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nOK\r\nWVCI 1.2 k\r\n";
    })) << phone.received();
    ASSERT_EQ(phone.reads().size(), 3U);
    EXPECT_EQ(phone.reads()[2], "WVCI 1.2 k\r\n");
    EXPECT_GE(phone.read_times()[2] - ping_sent, options.ok_gap);
}

TEST_F(StcpListenerTest, AWakeLongAfterTheOkGoesOutAtOnceAndALineEndInItIsCut) {
    start();  // ok_gap 20 ms
    Phone phone = bound_phone("s1");
    run_for(50ms);
    ASSERT_TRUE(listener().send("s1", "WVCI 1.2 abc\r\nHELO s2"));
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.received() == "OK\r\nWVCI 1.2 abc\r\n";
    })) << phone.received();
    run_for(50ms);
    phone.poll();
    EXPECT_EQ(phone.received(), "OK\r\nWVCI 1.2 abc\r\n");
}

TEST_F(StcpListenerTest, ABoundSocketIdleForTheIdleTimeoutIsClosed) {
    auto options = test_options();
    options.idle_timeout = 1s;
    start(options);
    Phone phone = bound_phone("s1");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.closed();
    }));
    EXPECT_EQ(listener().stats().closed_idle, 1U);
    EXPECT_FALSE(listener().is_bound("s1"));
    EXPECT_EQ(listener().stats().open, 0U);
    // The phone no longer hears wake-ups: the session is told, so it asks for a new CIR.
    EXPECT_EQ(lost_, std::vector<std::string>{"s1"});
}

TEST_F(StcpListenerTest, ALineTooLongBeforeHeloIsClosed) {
    auto options = test_options();
    options.max_line = 64;
    start(options);
    Phone phone(listener().port());
    phone.send(std::string(100, 'A'));  // no line end: refused before it ends
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.closed();
    }));
    EXPECT_EQ(phone.received(), "");
    EXPECT_EQ(listener().stats().helo_rejected, 1U);
}

TEST_F(StcpListenerTest, ALineOfExactlyMaxLineIsAcceptedALongerOneOnABoundSocketCloses) {
    auto options = test_options();
    options.max_line = 64;
    start(options);
    const std::string id(59, 'x');  // "HELO " + 59 = 64
    sessions_.insert(id);
    Phone phone = bound_phone(id);
    phone.send(std::string(65, 'y') + "\r\n");
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.closed();
    }));
    EXPECT_EQ(lost_, std::vector<std::string>{id});
    EXPECT_FALSE(listener().is_bound(id));
}

TEST_F(StcpListenerTest, ThePhoneClosingCallsLost) {
    start();
    Phone phone = bound_phone("s1");
    Phone other = bound_phone("s2");
    phone.close();
    ASSERT_TRUE(run_until([&] { return !lost_.empty(); }));
    EXPECT_EQ(lost_, std::vector<std::string>{"s1"});
    EXPECT_FALSE(listener().is_bound("s1"));
    EXPECT_FALSE(listener().send("s1", "WVCI 1.2 c"));
    EXPECT_TRUE(listener().is_bound("s2"));
    EXPECT_EQ(listener().stats().open, 1U);
    EXPECT_EQ(listener().stats().bound, 1U);
}

TEST_F(StcpListenerTest, APhoneClosingBeforeHeloIsForgottenQuietly) {
    start();
    {
        Phone phone(listener().port());
        ASSERT_TRUE(run_until([&] { return listener().stats().open == 1; }));
    }
    ASSERT_TRUE(run_until([&] { return listener().stats().open == 0; }));
    EXPECT_TRUE(lost_.empty());
    EXPECT_EQ(listener().stats().helo_rejected, 0U);
}

TEST_F(StcpListenerTest, UnbindClosesWithoutLost) {
    start();
    Phone phone = bound_phone("s1");
    listener().unbind("s1");
    EXPECT_FALSE(listener().is_bound("s1"));
    EXPECT_FALSE(listener().send("s1", "WVCI 1.2 c"));
    ASSERT_TRUE(run_until([&] {
        phone.poll();
        return phone.closed();
    }));
    run_for(50ms);
    EXPECT_TRUE(lost_.empty());
    EXPECT_EQ(listener().stats().open, 0U);
    listener().unbind("s1");  // twice, and for a session never bound: nothing happens
    listener().unbind("nobody");
}

TEST_F(StcpListenerTest, LostMayUnbindAndSendFromItsCallback) {
    start();
    Phone first = bound_phone("s1");
    Phone second = bound_phone("s2");
    on_lost_ = [this](const std::string&) {
        EXPECT_FALSE(listener().send("s1", "WVCI 1.2 x"));
        listener().unbind("s2");
    };
    first.close();
    ASSERT_TRUE(run_until([&] {
        second.poll();
        return second.closed();
    }));
    EXPECT_EQ(lost_, std::vector<std::string>{"s1"});
    EXPECT_EQ(listener().stats().open, 0U);
}

TEST_F(StcpListenerTest, StopClosesEverySocketWithoutCallbacks) {
    start();
    Phone first = bound_phone("s1");
    Phone second = bound_phone("s2");
    Phone pending(listener().port());
    ASSERT_TRUE(run_until([&] { return listener().stats().open == 3; }));
    const std::uint16_t port = listener().port();
    listener().stop();
    EXPECT_FALSE(listener().is_bound("s1"));
    EXPECT_FALSE(listener().send("s2", "WVCI 1.2 c"));
    ASSERT_TRUE(run_until([&] {
        first.poll();
        second.poll();
        pending.poll();
        return first.closed() && second.closed() && pending.closed();
    }));
    run_for(50ms);
    EXPECT_TRUE(lost_.empty());
    EXPECT_EQ(listener().stats().open, 0U);
    Phone late(port);
    EXPECT_FALSE(late.connected());
}

TEST_F(StcpListenerTest, DestroyingTheListenerWithSocketsOpenIsQuiet) {
    start();
    Phone first = bound_phone("s1");
    Phone pending(listener().port());
    ASSERT_TRUE(listener().send("s1", "WVCI 1.2 c"));
    listener_.reset();
    ASSERT_TRUE(run_until([&] {
        first.poll();
        pending.poll();
        return first.closed() && pending.closed();
    }));
    EXPECT_TRUE(lost_.empty());
}

TEST_F(StcpListenerTest, AListenAddressThatIsNotAnAddressIsAnError) {
    StcpOptions options = test_options();
    options.address = "not an address";
    StcpListener listener(io_, options, {}, {}, {});
    const auto result = listener.start();
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("not an address"), std::string::npos);
}

TEST_F(StcpListenerTest, APortInUseIsAnError) {
    start();
    StcpOptions options = test_options();
    options.port = listener().port();
    StcpListener second(io_, options, {}, {}, {});
    EXPECT_FALSE(second.start().ok());
}

TEST_F(StcpListenerTest, SocketsBeyondMaxConnectionsAreClosedAtOnce) {
    auto options = test_options();
    options.max_connections = 2;
    start(options);
    Phone a = bound_phone("s1");
    Phone b = bound_phone("s2");
    Phone c(listener().port());
    ASSERT_TRUE(run_until([&] {
        c.poll();
        return c.closed();
    }));
    EXPECT_EQ(listener().stats().open, 2U);
    EXPECT_EQ(listener().stats().accepted, 3U);
}

// Thousands of phones each hold one bound socket; the phones are raw descriptors (no heap), so
// the heap growth is the listener's.
TEST_F(StcpListenerTest, AThousandSocketsBoundAtOnce) {
    constexpr int kPhones = 1000;
    if (!onesoup::test::enough_descriptors(2 * kPhones + 100)) {
        GTEST_SKIP() << "needs " << 2 * kPhones + 100 << " file descriptors";
    }
    std::vector<std::string> ids;
    for (int i = 0; i < kPhones; ++i) ids.push_back("phone-" + std::to_string(i));
    sessions_.insert(ids.begin(), ids.end());
    record_ = false;
    start();
    std::vector<Phone> phones;
    phones.reserve(kPhones);
    run_for(10ms);

    const std::size_t before = onesoup::test::heap_in_use();
    for (int i = 0; i < kPhones; ++i) {
        phones.emplace_back(listener().port());
        ASSERT_TRUE(phones.back().connected()) << i;
        const std::string helo = "HELO " + ids[static_cast<std::size_t>(i)] + "\r\n";
        phones.back().send(helo);
        run_ready();  // keeps the accept backlog short
    }
    ASSERT_TRUE(run_until([&] { return listener().stats().bound == kPhones; }));
    // Every OK has left (the phones have not read them yet: reading would cost heap here).
    ASSERT_TRUE(run_until([&] {
        return std::all_of(phones.begin(), phones.end(),
                           [](const Phone& p) { return p.readable(); });
    }));
    run_for(50ms);  // the last write completions
    const std::size_t after = onesoup::test::heap_in_use();
    const double per_socket = static_cast<double>(after > before ? after - before : 0) / kPhones;
    std::printf(
        "[ memory ] %d bound idle STCP sockets: %.0f bytes of heap each "
        "(kernel socket memory not counted)\n",
        kPhones, per_socket);
    RecordProperty("heap_bytes_per_bound_stcp_socket", static_cast<int>(per_socket));
    EXPECT_GT(per_socket, 0.0);
    EXPECT_LT(per_socket, 2048.0);
    EXPECT_EQ(bound_count_, static_cast<std::size_t>(kPhones));
    EXPECT_EQ(listener().stats().open, static_cast<std::uint64_t>(kPhones));

    for (int i = 0; i < kPhones; ++i) {
        ASSERT_TRUE(listener().send(ids[static_cast<std::size_t>(i)], wake_line("1.2", "c")));
    }
    const std::string expected = "OK\r\nWVCI 1.2 c\r\n";
    ASSERT_TRUE(run_until([&] {
        return std::all_of(phones.begin(), phones.end(), [&](Phone& p) {
            p.poll();
            return p.received() == expected;
        });
    }));
    // The phones may read a line before its write completion has run.
    EXPECT_TRUE(run_until([&] { return listener().stats().wakes_sent == kPhones; }));

    for (auto& phone : phones) phone.close();
    ASSERT_TRUE(run_until([&] { return listener().stats().open == 0; }));
    EXPECT_EQ(listener().stats().bound, 0U);
}

}  // namespace
