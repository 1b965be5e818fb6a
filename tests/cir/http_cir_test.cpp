// HttpCirHolder on a real HttpServer on 127.0.0.1 (its io_context in a thread of its own) with
// real clients (plain sockets writing GETs and reading the answers with a deadline).
#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "onesoup/transport/cir/http_cir.hpp"
#include "onesoup/transport/http_server.hpp"
#include "../common/heap_probe.hpp"

using namespace onesoup::transport;
using namespace onesoup::transport::cir;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// An HttpServer with an HttpCirHolder on it, run by an io_context in a background thread.
// Everything that touches them goes through on_server().
class CirServer {
  public:
    explicit CirServer(HttpCirOptions options, std::set<std::string> sessions = {"s1", "s2"})
        : sessions_(std::move(sessions)), server_(io_, http_options()) {
        holder_.emplace(
            io_, server_, std::move(options),
            [this](std::string_view id) { return sessions_.count(std::string(id)) != 0; },
            [this](const std::string& id) {
                std::lock_guard lock(mutex_);
                held_calls_.push_back(id);
                if (on_held_) on_held_(id);
            });
    }
    ~CirServer() { shut_down(); }
    CirServer(const CirServer&) = delete;
    CirServer& operator=(const CirServer&) = delete;

    void start() {
        ASSERT_TRUE(server_.start().ok());
        thread_ = std::thread([this] { io_.run(); });
    }

    template <class F>
    auto on_server(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        asio::post(io_, [&task] { task(); });
        return result.get();
    }

    HttpCirHolder& holder() { return *holder_; }
    std::uint16_t port() const { return server_.port(); }
    HttpCirStats stats() {
        return on_server([this] { return holder_->stats(); });
    }
    bool is_held(const std::string& id) {
        return on_server([&] { return holder_->is_held(id); });
    }
    bool send(const std::string& id, const std::string& line) {
        return on_server([&] { return holder_->send(id, line); });
    }
    std::vector<std::string> held_calls() {
        std::lock_guard lock(mutex_);
        return held_calls_;
    }
    // Runs on the server thread after each Held callback (set before start()).
    void on_held(std::function<void(const std::string&)> f) { on_held_ = std::move(f); }
    void destroy_holder() {
        on_server([this] {
            holder_.reset();
            return 0;
        });
    }

    void shut_down() {
        if (!thread_.joinable()) return;
        on_server([this] {
            holder_.reset();
            server_.stop();
            return 0;
        });
        guard_.reset();
        thread_.join();
    }

  private:
    static HttpOptions http_options() {
        HttpOptions options;
        options.port = 0;
        options.max_connections = 10000;
        return options;
    }

    std::set<std::string> sessions_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
    HttpServer server_;
    std::optional<HttpCirHolder> holder_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> held_calls_;
    std::function<void(const std::string&)> on_held_;
};

HttpCirOptions hold_for(std::chrono::seconds hold) {
    HttpCirOptions options;
    options.hold = hold;
    return options;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

struct Answer {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
};

// A client connection: raw bytes out, answers parsed with a deadline (a test never hangs).
class Client {
  public:
    explicit Client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ADD_FAILURE() << "connect failed";
        }
    }
    ~Client() {
        if (fd_ >= 0) ::close(fd_);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void write(const std::string& data) {
        ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(data.size()));
    }
    void get(const std::string& target) {
        write("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }

    // Has anything arrived (or the connection closed) within `wait`?
    bool readable(std::chrono::milliseconds wait) {
        if (!buffer_.empty()) return true;
        pollfd fd{fd_, POLLIN, 0};
        return ::poll(&fd, 1, static_cast<int>(wait.count())) > 0;
    }

    // The next answer, or nullopt if none is complete within `wait`.
    std::optional<Answer> read(std::chrono::milliseconds wait = 5000ms) {
        const auto deadline = std::chrono::steady_clock::now() + wait;
        for (;;) {
            if (auto answer = parse()) return answer;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd fd{fd_, POLLIN, 0};
            if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char data[4096];
            const ssize_t n = ::recv(fd_, data, sizeof data, 0);
            if (n <= 0) return std::nullopt;
            buffer_.append(data, static_cast<std::size_t>(n));
        }
    }

  private:
    std::optional<Answer> parse() {
        const auto end = buffer_.find("\r\n\r\n");
        if (end == std::string::npos) return std::nullopt;
        Answer answer;
        const auto line_end = buffer_.find("\r\n");
        const std::string status_line = buffer_.substr(0, line_end);
        answer.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
        std::size_t pos = line_end + 2;
        while (pos < end) {
            const auto next = buffer_.find("\r\n", pos);
            const std::string line = buffer_.substr(pos, next - pos);
            const auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            answer.headers[name] = value;
            pos = next + 2;
        }
        std::size_t length = 0;
        if (auto found = answer.headers.find("content-length"); found != answer.headers.end()) {
            length = std::stoul(found->second);
        }
        if (buffer_.size() < end + 4 + length) return std::nullopt;
        answer.body = buffer_.substr(end + 4, length);
        buffer_.erase(0, end + 4 + length);
        return answer;
    }

    int fd_ = -1;
    std::string buffer_;
};

TEST(HttpCir, HeldGetIsAnsweredWithTheLine) {
    CirServer s(hold_for(50s));
    s.start();
    Client phone(s.port());
    phone.get("/cir/s1");
    ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    EXPECT_EQ(s.held_calls(), std::vector<std::string>{"s1"});
    // Held means not answered.
    EXPECT_FALSE(phone.readable(200ms));
    EXPECT_TRUE(s.on_server([&] { return s.holder().last_get("s1").has_value(); }));
    EXPECT_FALSE(s.on_server([&] { return s.holder().last_get("s2").has_value(); }));

    EXPECT_TRUE(s.send("s1", "WVCI 1.2 cookie"));
    auto answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "WVCI 1.2 cookie");
    EXPECT_EQ(answer->headers["content-type"], "text/plain");
    EXPECT_EQ(answer->headers["cache-control"], "no-store");
    // Nothing is held any more: a second wake-up has nowhere to go.
    EXPECT_FALSE(s.is_held("s1"));
    EXPECT_FALSE(s.send("s1", "WVCI 1.2 cookie"));
    EXPECT_FALSE(s.send("s2", "WVCI 1.2 cookie"));

    // Android GETs again on the same keep-alive connection; a query string does not matter.
    phone.get("/cir/s1?t=12345");
    ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    EXPECT_TRUE(s.send("s1", "WVCI 1.2 again"));
    answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->body, "WVCI 1.2 again");

    const auto stats = s.stats();
    EXPECT_EQ(stats.gets, 2u);
    EXPECT_EQ(stats.woken, 2u);
    EXPECT_EQ(stats.held, 0u);
}

TEST(HttpCir, HeldCallbackMayWakeAtOnce) {
    // The Waker's pattern: something already waits when the GET arrives.
    CirServer s(hold_for(50s));
    s.on_held([&](const std::string& id) { EXPECT_TRUE(s.holder().send(id, "WVCI 1.3 now")); });
    s.start();
    Client phone(s.port());
    phone.get("/cir/s2");
    auto answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "WVCI 1.3 now");
    EXPECT_FALSE(s.is_held("s2"));
}

TEST(HttpCir, HoldExpiresWith204) {
    CirServer s(hold_for(1s));
    s.start();
    Client phone(s.port());
    phone.get("/cir/s1");
    // Answered after the hold (1 s) plus at most one sweep (1 s); the bound here is generous.
    auto answer = phone.read(10s);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 204);
    EXPECT_EQ(answer->body, "");
    EXPECT_EQ(answer->headers["cache-control"], "no-store");
    EXPECT_FALSE(s.is_held("s1"));
    EXPECT_EQ(s.stats().expired, 1u);

    // The connection stays usable and the next GET is held afresh.
    phone.get("/cir/s1");
    ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    EXPECT_TRUE(s.send("s1", "WVCI 1.2 c"));
    answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 200);
}

TEST(HttpCir, NewGetReplacesTheHeldOne) {
    CirServer s(hold_for(50s));
    s.start();
    Client first(s.port());
    first.get("/cir/s1");
    ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    Client second(s.port());
    second.get("/cir/s1");
    auto answer = first.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 204);
    EXPECT_FALSE(second.readable(200ms));
    auto stats = s.stats();
    EXPECT_EQ(stats.replaced, 1u);
    EXPECT_EQ(stats.held, 1u);

    EXPECT_TRUE(s.send("s1", "WVCI 1.2 c"));
    answer = second.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(s.stats().held, 0u);
}

TEST(HttpCir, AGetWhosePhoneClosedIsForgotten) {
    // A wake-up written into a connection the phone closed would be lost: the holder lets the
    // GET go as soon as the phone closes, so send() says false and the Waker waits for the
    // next GET (which is held and answered as usual).
    CirServer s(hold_for(50s));
    s.start();
    {
        Client phone(s.port());
        phone.get("/cir/s1");
        ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    }  // closed
    ASSERT_TRUE(eventually([&] { return !s.is_held("s1"); }));
    auto stats = s.stats();
    EXPECT_EQ(stats.gone, 1u);
    EXPECT_EQ(stats.held, 0u);
    EXPECT_FALSE(s.send("s1", "WVCI 1.2 lost"));

    Client newer(s.port());
    {
        Client again(s.port());
        again.get("/cir/s1");
        ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
        EXPECT_TRUE(s.send("s1", "WVCI 1.2 found"));
        auto answer = again.read();
        ASSERT_TRUE(answer.has_value());
        EXPECT_EQ(answer->body, "WVCI 1.2 found");

        // A GET replaced by a newer one, whose connection then closes: not the newer's loss.
        again.get("/cir/s1");
        ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
        newer.get("/cir/s1");
        answer = again.read();
        ASSERT_TRUE(answer.has_value());
        EXPECT_EQ(answer->status, 204);
    }  // closed
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(s.is_held("s1"));
    EXPECT_EQ(s.stats().gone, 1u);
    EXPECT_TRUE(s.send("s1", "WVCI 1.2 newer"));
    auto answer = newer.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->body, "WVCI 1.2 newer");
}

TEST(HttpCir, UnknownSessionIs404) {
    CirServer s(hold_for(50s));
    s.start();
    Client phone(s.port());
    for (const char* target : {"/cir/nope", "/cir/", "/cir/s1x", "/cir/s"}) {
        phone.get(target);
        auto answer = phone.read();
        ASSERT_TRUE(answer.has_value()) << target;
        EXPECT_EQ(answer->status, 404) << target;
        EXPECT_EQ(answer->body, "No such session");
        EXPECT_EQ(answer->headers["content-type"], "text/plain");
    }
    EXPECT_TRUE(s.held_calls().empty());
    EXPECT_EQ(s.stats().rejected, 4u);
    // An escaped id and an absolute-form target name a session all the same.
    phone.get("/cir/%73%31");
    ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    Client other(s.port());
    other.get("http://127.0.0.1/cir/s2");
    ASSERT_TRUE(eventually([&] { return s.is_held("s2"); }));
}

TEST(HttpCir, OtherMethodsAre405) {
    CirServer s(hold_for(50s));
    s.start();
    Client phone(s.port());
    phone.write("POST /cir/s1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    auto answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 405);
    EXPECT_EQ(answer->headers["allow"], "GET");
    phone.write("DELETE /cir/s1 HTTP/1.1\r\nHost: x\r\n\r\n");
    answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 405);
    EXPECT_FALSE(s.is_held("s1"));
    EXPECT_FALSE(s.on_server([&] { return s.holder().last_get("s1").has_value(); }));
}

TEST(HttpCir, ForgetAnswers404) {
    CirServer s(hold_for(50s));
    s.start();
    Client phone(s.port());
    phone.get("/cir/s1");
    ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    s.on_server([&] {
        s.holder().forget("s1");
        return 0;
    });
    auto answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 404);
    EXPECT_FALSE(s.is_held("s1"));
    EXPECT_FALSE(s.on_server([&] { return s.holder().last_get("s1").has_value(); }));
    EXPECT_FALSE(s.send("s1", "WVCI 1.2 c"));
}

TEST(HttpCir, MaxHeldAnswers503) {
    HttpCirOptions options = hold_for(50s);
    options.max_held = 2;
    CirServer s(options, {"a", "b", "c"});
    s.start();
    Client a(s.port());
    Client b(s.port());
    Client c(s.port());
    a.get("/cir/a");
    b.get("/cir/b");
    ASSERT_TRUE(eventually([&] { return s.stats().held == 2; }));
    c.get("/cir/c");
    auto answer = c.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 503);
    // Replacing a held GET does not add one.
    Client a2(s.port());
    a2.get("/cir/a");
    answer = a.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 204);
    EXPECT_TRUE(s.is_held("a"));
    // Once one is answered there is room again.
    EXPECT_TRUE(s.send("b", "WVCI 1.2 b"));
    c.get("/cir/c");
    ASSERT_TRUE(eventually([&] { return s.is_held("c"); }));
}

TEST(HttpCir, StopAnswers503) {
    CirServer s(hold_for(50s));
    s.start();
    Client phone(s.port());
    phone.get("/cir/s1");
    ASSERT_TRUE(eventually([&] { return s.is_held("s1"); }));
    s.on_server([&] {
        s.holder().stop();
        return 0;
    });
    auto answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 503);
    phone.get("/cir/s1");
    answer = phone.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 503);
    EXPECT_FALSE(s.is_held("s1"));

    // With the holder gone, the route still answers (503) rather than touching freed state.
    s.destroy_holder();
    Client late(s.port());
    late.get("/cir/s1");
    answer = late.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 503);
}

// Thousands of phones each hold a GET at once; then each is woken. The clients are raw sockets
// (no heap), so the heap growth is the server's: HTTP connection plus the holder's entry.
TEST(HttpCir, TwoThousandHeldAtOnce) {
    constexpr int kPhones = 2000;
    if (!onesoup::test::enough_descriptors(2 * kPhones + 100)) {
        GTEST_SKIP() << "needs " << 2 * kPhones + 100 << " file descriptors";
    }
    std::set<std::string> ids;
    // 32 hex digits, as the engine's session ids.
    for (int i = 0; i < kPhones; ++i) {
        ids.insert("0123456789abcdef0123456789" + std::to_string(100000 + i));
    }
    CirServer s(hold_for(300s), ids);
    s.start();

    const std::size_t before = s.on_server([] { return onesoup::test::heap_in_use(); });
    std::vector<std::unique_ptr<Client>> phones;
    phones.reserve(kPhones);
    for (const auto& id : ids) {
        phones.push_back(std::make_unique<Client>(s.port()));
        phones.back()->get("/cir/" + id);
    }
    ASSERT_TRUE(eventually([&] { return s.stats().held == kPhones; }, 30000ms));
    const std::size_t after = s.on_server([] { return onesoup::test::heap_in_use(); });
    const double per_get = static_cast<double>(after > before ? after - before : 0) / kPhones;
    std::printf(
        "[ memory ] %d held CIR GETs: %.0f bytes of heap each (HTTP connection and "
        "holder entry; kernel socket buffers not counted)\n",
        kPhones, per_get);
    RecordProperty("heap_bytes_per_held_get", static_cast<int>(per_get));

    const int woken = s.on_server([&] {
        int n = 0;
        for (const auto& id : ids) n += s.holder().send(id, "WVCI 1.2 " + id) ? 1 : 0;
        return n;
    });
    EXPECT_EQ(woken, kPhones);
    int i = 0;
    for (const auto& id : ids) {
        auto answer = phones[static_cast<std::size_t>(i++)]->read(10s);
        ASSERT_TRUE(answer.has_value()) << id;
        EXPECT_EQ(answer->status, 200);
        EXPECT_EQ(answer->body, "WVCI 1.2 " + id);
    }
    const auto stats = s.stats();
    EXPECT_EQ(stats.held, 0u);
    EXPECT_EQ(stats.woken, static_cast<std::uint64_t>(kPhones));
}

}  // namespace
