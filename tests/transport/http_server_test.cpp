// HttpServer against real sockets on 127.0.0.1: the server runs on its io_context in a thread
// of its own, the test is the client (Beast's client side, or raw bytes where a well-behaved
// client cannot produce the case).
#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "onesoup/transport/http_server.hpp"
#include "../common/heap_probe.hpp"

using namespace onesoup::transport;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

namespace {

using ClientRequest = http::request<http::string_body>;
using ClientResponse = http::response<http::string_body>;

// An HttpServer running on its io_context in a background thread. Everything that touches the
// server goes through on_server(), which runs on that thread and waits for the result.
class ServerThread {
  public:
    explicit ServerThread(HttpOptions options) : server_(io_, std::move(options)) {}
    ~ServerThread() { shut_down(); }
    ServerThread(const ServerThread&) = delete;
    ServerThread& operator=(const ServerThread&) = delete;

    HttpServer& server() { return server_; }

    // Starts listening (before the thread runs, so routes set up front are in place).
    onesoup::Result<void> start() {
        auto started = server_.start();
        if (started) {
            thread_ = std::thread([this] { io_.run(); });
        }
        return started;
    }

    template <class F>
    auto on_server(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        asio::post(io_, [&task] { task(); });
        return result.get();
    }

    HttpStats stats() {
        return on_server([this] { return server_.stats(); });
    }
    std::uint16_t port() const { return server_.port(); }
    asio::io_context& io() { return io_; }

    void shut_down() {
        if (!thread_.joinable()) return;
        on_server([this] { server_.stop(); });
        guard_.reset();
        thread_.join();
    }

  private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
    HttpServer server_;
    std::thread thread_;
};

HttpOptions test_options() {
    HttpOptions options;
    options.port = 0;
    return options;
}

// Polls `done` until it holds or `limit` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

tcp::socket connect(asio::io_context& io, std::uint16_t port) {
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    return socket;
}

ClientRequest post(std::string target, std::string body,
                   std::string content_type = "application/vnd.wv.csp.xml") {
    ClientRequest request(http::verb::post, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, content_type);
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
}

template <class Stream>
ClientResponse round_trip(Stream& stream, beast::flat_buffer& buffer,
                          const ClientRequest& request) {
    http::write(stream, request);
    ClientResponse response;
    http::read(stream, buffer, response);
    return response;
}

// Waits up to `limit` for the server to close the connection (end of stream or reset), reading
// and dropping whatever else arrives. False if it is still open.
bool closed_by_server(tcp::socket& socket, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd fd{socket.native_handle(), POLLIN, 0};
        if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) return false;
        std::array<char, 4096> data{};
        error_code ec;
        socket.read_some(asio::buffer(data), ec);
        if (ec) return true;
    }
}

// A handler that answers at once with the request's body and its facts in headers.
HttpHandler echo_handler() {
    return [](HttpRequest request, std::function<void(HttpResponse)> respond) {
        HttpResponse response;
        response.content_type = request.content_type;
        response.body = request.body;
        response.headers = {{"X-Target", request.target}, {"X-Method", request.method}};
        respond(std::move(response));
    };
}

TEST(HttpServer, PostRoundTripWithBinaryBody) {
    ServerThread s(test_options());
    std::mutex mutex;
    std::optional<HttpRequest> seen;
    s.server().route("/wv", [&](HttpRequest request, std::function<void(HttpResponse)> respond) {
        HttpResponse response;
        response.content_type = "application/vnd.wv.csp.wbxml";
        response.body = request.body;
        {
            std::lock_guard lock(mutex);
            seen = std::move(request);
        }
        respond(std::move(response));
    });
    ASSERT_TRUE(s.start().ok());

    // WBXML-like bytes: NULs, 0xFF and CR/LF inside the body.
    std::string wbxml("\x03\x10\x6a\x00\x49\x00\x00\xff\r\n\x01", 11);
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    auto request = post("/wv/csp?x=1", wbxml, "application/vnd.wv.csp.wbxml");
    request.set("X-MSISDN", "+358401234567");
    request.set(http::field::user_agent, "Nokia6630/1.0");
    auto response = round_trip(socket, buffer, request);

    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response.body(), wbxml);
    EXPECT_EQ(response[http::field::content_length], std::to_string(wbxml.size()));
    EXPECT_EQ(response[http::field::content_type], "application/vnd.wv.csp.wbxml");
    EXPECT_EQ(response[http::field::server], "onesoup");
    EXPECT_TRUE(response.keep_alive());

    std::lock_guard lock(mutex);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->method, "POST");
    EXPECT_EQ(seen->target, "/wv/csp?x=1");
    EXPECT_EQ(seen->content_type, "application/vnd.wv.csp.wbxml");
    EXPECT_EQ(seen->body, wbxml);
    EXPECT_EQ(seen->header("x-msisdn"), "+358401234567");
    EXPECT_EQ(seen->header("user-agent"), "Nokia6630/1.0");
    EXPECT_EQ(seen->header("x-up-calling-line-id"), "");
    for (const auto& [name, value] : seen->headers) {
        std::string lower = name;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(name, lower) << "header names are lower-case";
    }
    EXPECT_EQ(seen->remote_address, "127.0.0.1");
    EXPECT_EQ(seen->remote_port, socket.local_endpoint().port());
}

TEST(HttpServer, KeepAliveCarriesSeveralRequests) {
    ServerThread s(test_options());
    s.server().route("/wv", echo_handler());
    ASSERT_TRUE(s.start().ok());

    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    for (int i = 0; i < 5; ++i) {
        auto response = round_trip(socket, buffer, post("/wv", "request " + std::to_string(i)));
        EXPECT_EQ(response.body(), "request " + std::to_string(i));
        EXPECT_TRUE(response.keep_alive());
    }
    const auto stats = s.stats();
    EXPECT_EQ(stats.connections_accepted, 1u);
    EXPECT_EQ(stats.connections_open, 1u);
    EXPECT_EQ(stats.requests, 5u);
    EXPECT_GT(stats.bytes_in, 5 * 10u);
    EXPECT_GT(stats.bytes_out, 5 * 10u);
    EXPECT_EQ(stats.rejected, 0u);
}

TEST(HttpServer, Http10KeepAliveOnlyWhenAsked) {
    ServerThread s(test_options());
    s.server().route("/", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;

    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    for (int i = 0; i < 2; ++i) {
        auto request = post("/wv", "one");
        request.version(10);
        request.keep_alive(true);
        auto response = round_trip(socket, buffer, request);
        EXPECT_EQ(response.version(), 10u);
        EXPECT_TRUE(response.keep_alive());
        EXPECT_EQ(response[http::field::connection], "keep-alive");
        EXPECT_EQ(response.body(), "one");
    }

    auto plain = connect(io, s.port());
    beast::flat_buffer plain_buffer;
    auto request = post("/wv", "two");
    request.version(10);
    auto response = round_trip(plain, plain_buffer, request);
    EXPECT_FALSE(response.keep_alive());
    EXPECT_EQ(response.body(), "two");
    EXPECT_TRUE(closed_by_server(plain, 3000ms));
}

TEST(HttpServer, ConnectionCloseIsHonoured) {
    ServerThread s(test_options());
    s.server().route("/", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    auto request = post("/wv", "bye");
    request.keep_alive(false);
    auto response = round_trip(socket, buffer, request);
    EXPECT_EQ(response[http::field::connection], "close");
    EXPECT_EQ(response.body(), "bye");
    EXPECT_TRUE(closed_by_server(socket, 3000ms));
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
    ServerThread s(test_options());
    std::vector<std::string> handled;  // on the server thread only
    // The first request is answered last in time (after a timer), the third at once: the
    // answers must still come in request order.
    s.server().route("/wv", [&](HttpRequest request, std::function<void(HttpResponse)> respond) {
        handled.push_back(request.body);
        const auto delay = request.body == "1" ? 200ms : request.body == "2" ? 50ms : 0ms;
        if (delay == 0ms) {
            respond(HttpResponse{200, "text/plain", "answer " + request.body, {}});
            return;
        }
        auto timer = std::make_shared<asio::steady_timer>(s.io(), delay);
        timer->async_wait([timer, body = request.body, respond](const error_code&) {
            respond(HttpResponse{200, "text/plain", "answer " + body, {}});
        });
    });
    ASSERT_TRUE(s.start().ok());

    asio::io_context io;
    auto socket = connect(io, s.port());
    std::string all;
    for (const char* body : {"1", "2", "3"}) {
        all += "POST /wv HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n";
        all += body;
    }
    asio::write(socket, asio::buffer(all));  // one write: the three arrive together
    beast::flat_buffer buffer;
    for (const char* body : {"1", "2", "3"}) {
        ClientResponse response;
        http::read(socket, buffer, response);
        EXPECT_EQ(response.body(), std::string("answer ") + body);
    }
    EXPECT_EQ(s.on_server([&] { return handled; }), (std::vector<std::string>{"1", "2", "3"}));
}

TEST(HttpServer, AsynchronousAnswerAfterATimer) {
    ServerThread s(test_options());
    s.server().route("/wv", [&](HttpRequest request, std::function<void(HttpResponse)> respond) {
        auto timer = std::make_shared<asio::steady_timer>(s.io(), 100ms);
        timer->async_wait([timer, body = std::move(request.body), respond](const error_code&) {
            respond(HttpResponse{200, "text/plain", body + " later", {}});
        });
    });
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    const auto begin = std::chrono::steady_clock::now();
    auto response = round_trip(socket, buffer, post("/wv", "poll"));
    EXPECT_GE(std::chrono::steady_clock::now() - begin, 100ms);
    EXPECT_EQ(response.body(), "poll later");
    // The connection is still usable afterwards.
    response = round_trip(socket, buffer, post("/wv", "again"));
    EXPECT_EQ(response.body(), "again later");
}

TEST(HttpServer, AnswerAfterTheClientLeftIsHarmless) {
    ServerThread s(test_options());
    std::vector<std::function<void(HttpResponse)>> pending;  // server thread only
    s.server().route("/wv", [&](HttpRequest, std::function<void(HttpResponse)> respond) {
        pending.push_back(std::move(respond));
    });
    ASSERT_TRUE(s.start().ok());
    {
        asio::io_context io;
        auto socket = connect(io, s.port());
        http::write(socket, post("/wv", "hello"));
        ASSERT_TRUE(eventually([&] { return s.on_server([&] { return pending.size(); }) == 1; }));
        socket.close();
    }
    std::this_thread::sleep_for(50ms);
    // Answer to a closed peer: the write fails or lands in a dead socket; either way the
    // connection ends and nothing breaks. Answering twice is ignored.
    s.on_server([&] {
        pending[0](HttpResponse{200, "text/plain", "too late", {}});
        pending[0](HttpResponse{200, "text/plain", "twice", {}});
    });
    EXPECT_TRUE(eventually([&] { return s.stats().connections_open == 0; }));

    // Answers kept past the server's stop are harmless too.
    {
        asio::io_context io;
        auto socket = connect(io, s.port());
        http::write(socket, post("/wv", "hello"));
        ASSERT_TRUE(eventually([&] { return s.on_server([&] { return pending.size(); }) == 2; }));
        s.on_server([&] { s.server().stop(); });
        EXPECT_TRUE(closed_by_server(socket, 3000ms));
        s.on_server([&] { pending[1](HttpResponse{200, "text/plain", "after stop", {}}); });
        EXPECT_EQ(s.stats().connections_open, 0u);
    }
    s.on_server([&] { pending.clear(); });
}

// A held request whose client closes: the server tells the handler (on_gone) and closes; a
// held request whose client stays, or that is answered, is never reported gone.
TEST(HttpServer, HeldRequestReportsTheClientGone) {
    ServerThread s(test_options());
    std::vector<std::function<void(HttpResponse)>> pending;  // server thread only
    std::vector<std::string> gone;                           // server thread only
    s.server().route("/cir/", [&](HttpRequest request, std::function<void(HttpResponse)> respond) {
        const std::string target = request.target;
        request.on_gone([&gone, target] { gone.push_back(target); });
        pending.push_back(std::move(respond));
    });
    ASSERT_TRUE(s.start().ok());
    auto held = [&] { return s.on_server([&] { return pending.size(); }); };
    auto gone_list = [&] { return s.on_server([&] { return gone; }); };

    asio::io_context io;
    auto leaving = connect(io, s.port());
    http::write(leaving, post("/cir/leaving", ""));
    ASSERT_TRUE(eventually([&] { return held() == 1; }));
    auto staying = connect(io, s.port());
    http::write(staying, post("/cir/staying", ""));
    ASSERT_TRUE(eventually([&] { return held() == 2; }));

    leaving.close();
    ASSERT_TRUE(eventually([&] { return gone_list().size() == 1; }));
    EXPECT_EQ(gone_list().front(), "/cir/leaving");
    EXPECT_TRUE(eventually([&] { return s.stats().connections_open == 1; }));

    // The one that stayed is answered normally, and its connection serves the next request;
    // closing it afterwards (nothing held) reports nothing.
    s.on_server([&] { pending[1](HttpResponse{200, "text/plain", "WVCI 1.2 x", {}}); });
    ClientResponse response;
    beast::flat_buffer buffer;
    http::read(staying, buffer, response);
    EXPECT_EQ(response.body(), "WVCI 1.2 x");
    http::write(staying, post("/cir/staying-again", ""));
    ASSERT_TRUE(eventually([&] { return held() == 3; }));
    s.on_server([&] { pending[2](HttpResponse{204, "", "", {}}); });
    ClientResponse second;
    http::read(staying, buffer, second);
    EXPECT_EQ(second.result_int(), 204);
    staying.close();
    EXPECT_TRUE(eventually([&] { return s.stats().connections_open == 0; }));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(gone_list().size(), 1u);
    s.on_server([&] { pending.clear(); });
}

// Bytes from the client while its request is held (a pipelined request) end the watch: the
// client is not gone, and both requests are answered in order.
TEST(HttpServer, HeldRequestWithPipelinedBytesIsNotGone) {
    ServerThread s(test_options());
    std::vector<std::function<void(HttpResponse)>> pending;  // server thread only
    int gone = 0;                                            // server thread only
    s.server().route("/cir/", [&](HttpRequest request, std::function<void(HttpResponse)> respond) {
        request.on_gone([&gone] { ++gone; });
        pending.push_back(std::move(respond));
    });
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    http::write(socket, post("/cir/one", ""));
    ASSERT_TRUE(eventually([&] { return s.on_server([&] { return pending.size(); }) == 1; }));
    http::write(socket, post("/cir/two", ""));
    std::this_thread::sleep_for(100ms);
    s.on_server([&] { pending[0](HttpResponse{200, "text/plain", "first", {}}); });
    ASSERT_TRUE(eventually([&] { return s.on_server([&] { return pending.size(); }) == 2; }));
    s.on_server([&] { pending[1](HttpResponse{200, "text/plain", "second", {}}); });
    beast::flat_buffer buffer;
    ClientResponse first;
    ClientResponse second;
    http::read(socket, buffer, first);
    http::read(socket, buffer, second);
    EXPECT_EQ(first.body(), "first");
    EXPECT_EQ(second.body(), "second");
    EXPECT_EQ(s.on_server([&] { return gone; }), 0);
    s.on_server([&] { pending.clear(); });
}

TEST(HttpServer, RoutesByLongestPrefixElse404) {
    ServerThread s(test_options());
    auto answer = [](std::string name) {
        return [name](HttpRequest, std::function<void(HttpResponse)> respond) {
            respond(HttpResponse{200, "text/plain", name, {}});
        };
    };
    s.server().route("/wv", answer("wv"));
    s.server().route("/wv/cir", answer("cir"));
    s.server().route("/wv/cir/", answer("cir-slash"));
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/wv", "wv"},
        {"/wv/x", "wv"},
        {"/wv?cir/", "wv"},
        {"/wv/cir", "cir"},
        {"/wv/cir/5", "cir-slash"},
        {"http://gateway.example:80/wv/cir", "cir"},
    };
    for (const auto& [target, expected] : cases) {
        auto response = round_trip(socket, buffer, post(target, ""));
        EXPECT_EQ(response.result_int(), 200u) << target;
        EXPECT_EQ(response.body(), expected) << target;
    }
    for (std::string target : {"/", "/w", "/other/wv", "*"}) {
        auto response = round_trip(socket, buffer, post(target, "x"));
        EXPECT_EQ(response.result_int(), 404u) << target;
        EXPECT_EQ(response[http::field::content_length], std::to_string(response.body().size()));
        EXPECT_TRUE(response.keep_alive()) << "a 404 does not end the connection";
    }
}

TEST(HttpServer, BodyOverTheLimitGets413) {
    auto options = test_options();
    options.max_body = 1000;
    ServerThread s(options);
    s.server().route("/wv", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;

    // At the limit: fine.
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    auto response = round_trip(socket, buffer, post("/wv", std::string(1000, 'a')));
    EXPECT_EQ(response.result_int(), 200u);

    // Declared too large: refused from the header alone.
    auto big = connect(io, s.port());
    beast::flat_buffer big_buffer;
    asio::write(big, asio::buffer(std::string(
                         "POST /wv HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\nabc")));
    ClientResponse refused;
    http::read(big, big_buffer, refused);
    EXPECT_EQ(refused.result_int(), 413u);
    EXPECT_EQ(refused[http::field::connection], "close");
    EXPECT_EQ(refused[http::field::content_length], std::to_string(refused.body().size()));
    EXPECT_TRUE(closed_by_server(big, 3000ms));

    // Chunked past the limit: refused on the way.
    auto chunked = connect(io, s.port());
    beast::flat_buffer chunked_buffer;
    std::string chunks = "POST /wv HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunks += "190\r\n" + std::string(400, 'b') + "\r\n";
    asio::write(chunked, asio::buffer(chunks));
    ClientResponse chunked_refused;
    http::read(chunked, chunked_buffer, chunked_refused);
    EXPECT_EQ(chunked_refused.result_int(), 413u);
    EXPECT_TRUE(closed_by_server(chunked, 3000ms));
    EXPECT_EQ(s.stats().rejected, 2u);
}

TEST(HttpServer, HeaderOverTheLimitGets431) {
    auto options = test_options();
    options.max_header = 1024;
    ServerThread s(options);
    s.server().route("/wv", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    auto request = post("/wv", "x");
    request.set("X-Big", std::string(4000, 'h'));
    http::write(socket, request);
    ClientResponse response;
    http::read(socket, buffer, response);
    EXPECT_EQ(response.result_int(), 431u);
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(closed_by_server(socket, 3000ms));
    EXPECT_EQ(s.stats().rejected, 1u);
}

TEST(HttpServer, GarbageGets400AndClose) {
    ServerThread s(test_options());
    s.server().route("/", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    for (std::string garbage :
         {std::string("\x01\x02\x03 garbage\r\n\r\n", 15), std::string("GET / HTTP/9\r\n\r\n"),
          std::string("POST /wv HTTP/1.1\r\nContent-Length: 12x\r\n\r\n"),
          std::string("POST /wv HTTP/1.1\r\nBad Header\r\n\r\n")}) {
        auto socket = connect(io, s.port());
        asio::write(socket, asio::buffer(garbage));
        beast::flat_buffer buffer;
        ClientResponse response;
        http::read(socket, buffer, response);
        EXPECT_EQ(response.result_int(), 400u);
        EXPECT_EQ(response[http::field::connection], "close");
        EXPECT_TRUE(closed_by_server(socket, 3000ms));
    }
    EXPECT_EQ(s.stats().requests, 0u);
    EXPECT_EQ(s.stats().rejected, 4u);
}

TEST(HttpServer, RequestTimeoutClosesASlowClient) {
    auto options = test_options();
    options.request_timeout = 1s;
    ServerThread s(options);
    s.server().route("/", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    // Slow loris: a byte every 200 ms never finishes the header, yet keeps the line busy.
    const std::string request = "POST /wv HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    asio::write(socket, asio::buffer(request));
    const auto begin = std::chrono::steady_clock::now();
    bool closed = false;
    while (std::chrono::steady_clock::now() - begin < 4s) {
        error_code ec;
        asio::write(socket, asio::buffer("a", 1), ec);
        if (ec || closed_by_server(socket, 200ms)) {
            closed = true;
            break;
        }
    }
    const auto took = std::chrono::steady_clock::now() - begin;
    EXPECT_TRUE(closed);
    EXPECT_GE(took, 800ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(s.stats().rejected, 1u);
    EXPECT_TRUE(eventually([&] { return s.stats().connections_open == 0; }));

    // A connection that sends nothing at all is closed in the same time.
    auto silent = connect(io, s.port());
    EXPECT_TRUE(closed_by_server(silent, 3000ms));
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosed) {
    auto options = test_options();
    options.idle_timeout = 1s;
    options.request_timeout = 5s;
    ServerThread s(options);
    s.server().route("/", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    EXPECT_EQ(round_trip(socket, buffer, post("/wv", "a")).body(), "a");
    // Half the idle time, then another request: the clock starts again.
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(round_trip(socket, buffer, post("/wv", "b")).body(), "b");
    const auto begin = std::chrono::steady_clock::now();
    EXPECT_TRUE(closed_by_server(socket, 4000ms));
    const auto took = std::chrono::steady_clock::now() - begin;
    EXPECT_GE(took, 800ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(s.stats().rejected, 0u) << "an idle close is no rejection";
}

TEST(HttpServer, ConnectionsBeyondTheMaximumAreClosed) {
    auto options = test_options();
    options.max_connections = 2;
    ServerThread s(options);
    s.server().route("/", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto first = connect(io, s.port());
    auto second = connect(io, s.port());
    beast::flat_buffer b1;
    beast::flat_buffer b2;
    EXPECT_EQ(round_trip(first, b1, post("/wv", "1")).body(), "1");
    EXPECT_EQ(round_trip(second, b2, post("/wv", "2")).body(), "2");

    auto third = connect(io, s.port());
    EXPECT_TRUE(closed_by_server(third, 3000ms));
    EXPECT_EQ(s.stats().connections_open, 2u);

    first.close();
    ASSERT_TRUE(eventually([&] { return s.stats().connections_open == 1; }));
    auto fourth = connect(io, s.port());
    beast::flat_buffer b4;
    EXPECT_EQ(round_trip(fourth, b4, post("/wv", "4")).body(), "4");
    const auto stats = s.stats();
    EXPECT_EQ(stats.connections_accepted, 4u);
    EXPECT_EQ(stats.rejected, 1u);
}

TEST(HttpServer, HandlerExceptionGets500) {
    ServerThread s(test_options());
    s.server().route("/", [](HttpRequest, std::function<void(HttpResponse)>) {
        throw std::runtime_error("handler bug");
    });
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    EXPECT_EQ(round_trip(socket, buffer, post("/wv", "x")).result_int(), 500u);
    EXPECT_EQ(round_trip(socket, buffer, post("/wv", "x")).result_int(), 500u);
}

TEST(HttpServer, ExtraHeadersCannotBreakTheFraming) {
    ServerThread s(test_options());
    s.server().route("/", [](HttpRequest, std::function<void(HttpResponse)> respond) {
        respond(HttpResponse{200,
                             "text/plain",
                             "body",
                             {{"Content-Length", "99"},
                              {"X-Evil", "a\r\nX-Injected: yes"},
                              {"Cache-Control", "no-cache"}}});
    });
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    auto response = round_trip(socket, buffer, post("/wv", "x"));
    EXPECT_EQ(response.body(), "body");
    EXPECT_EQ(response[http::field::content_length], "4");
    EXPECT_EQ(response["X-Injected"], "");
    EXPECT_EQ(response["X-Evil"], "");
    EXPECT_EQ(response[http::field::cache_control], "no-cache");
}

TEST(HttpServer, NoContentAndHeadAnswersCarryNoBody) {
    ServerThread s(test_options());
    s.server().route("/empty", [](HttpRequest, std::function<void(HttpResponse)> respond) {
        respond(HttpResponse{204, "", "ignored", {}});
    });
    s.server().route("/wv", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    beast::flat_buffer buffer;
    auto response = round_trip(socket, buffer, post("/empty", "x"));
    EXPECT_EQ(response.result_int(), 204u);
    EXPECT_EQ(response[http::field::content_length], "");
    EXPECT_EQ(response.body(), "");

    ClientRequest head(http::verb::head, "/wv", 11);
    head.set(http::field::host, "x");
    http::write(socket, head);
    http::response_parser<http::string_body> parser;
    parser.skip(true);  // a HEAD answer has a Content-Length but no body
    http::read(socket, buffer, parser);
    EXPECT_EQ(parser.get().result_int(), 200u);
    EXPECT_EQ(parser.get()[http::field::content_length], "0");

    // The connection is still in step: the next answer is read whole.
    EXPECT_EQ(round_trip(socket, buffer, post("/wv", "next")).body(), "next");
}

TEST(HttpServer, ExpectContinueGetsA100First) {
    ServerThread s(test_options());
    s.server().route("/", echo_handler());
    ASSERT_TRUE(s.start().ok());
    asio::io_context io;
    auto socket = connect(io, s.port());
    asio::write(socket,
                asio::buffer(std::string("POST /wv HTTP/1.1\r\nHost: x\r\n"
                                         "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n")));
    beast::flat_buffer buffer;
    http::response<http::empty_body> interim;
    http::read(socket, buffer, interim);
    EXPECT_EQ(interim.result_int(), 100u);
    asio::write(socket, asio::buffer(std::string("body")));
    ClientResponse response;
    http::read(socket, buffer, response);
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response.body(), "body");
}

TEST(HttpServer, StartReportsWhyItCannotListen) {
    ServerThread first(test_options());
    ASSERT_TRUE(first.start().ok());
    auto options = test_options();
    options.port = first.port();
    asio::io_context io;
    HttpServer second(io, options);
    auto started = second.start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("cannot listen"), std::string::npos)
        << started.error().message;

    options.port = 0;
    options.address = "not an address";
    HttpServer third(io, options);
    EXPECT_FALSE(third.start().ok());

    options.address = "127.0.0.1";
    options.tls_certificate_file = "/nonexistent/cert.pem";
    options.tls_private_key_file = "/nonexistent/key.pem";
    HttpServer fourth(io, options);
    auto tls_started = fourth.start();
    ASSERT_FALSE(tls_started.ok());
    EXPECT_NE(tls_started.error().message.find("certificate"), std::string::npos);

    options.tls_private_key_file.clear();
    HttpServer fifth(io, options);
    EXPECT_FALSE(fifth.start().ok());
}

// A temporary folder with a self-signed certificate for 127.0.0.1, made by the openssl command.
class SelfSignedCertificate {
  public:
    SelfSignedCertificate() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "onesoup-http-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) return;
        dir_ = pattern;
        const std::string command =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
            "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
            key() + "' -out '" + certificate() + "' >/dev/null 2>&1";
        ok_ = std::system(command.c_str()) == 0;
    }
    ~SelfSignedCertificate() {
        if (!dir_.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(dir_, ignored);
        }
    }
    SelfSignedCertificate(const SelfSignedCertificate&) = delete;
    SelfSignedCertificate& operator=(const SelfSignedCertificate&) = delete;

    bool ok() const { return ok_; }
    std::string certificate() const { return dir_ + "/cert.pem"; }
    std::string key() const { return dir_ + "/key.pem"; }

  private:
    std::string dir_;
    bool ok_ = false;
};

TEST(HttpServer, HttpsWithASelfSignedCertificate) {
    SelfSignedCertificate certificate;
    ASSERT_TRUE(certificate.ok()) << "the openssl command could not make a certificate";
    auto options = test_options();
    options.tls_certificate_file = certificate.certificate();
    options.tls_private_key_file = certificate.key();
    ServerThread s(options);
    std::atomic<int> requests{0};
    s.server().route("/wv", [&](HttpRequest request, std::function<void(HttpResponse)> respond) {
        ++requests;
        respond(HttpResponse{200, request.content_type, request.body, {}});
    });
    ASSERT_TRUE(s.start().ok());

    asio::io_context io;
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(certificate.certificate());
    context.set_verify_mode(ssl::verify_peer);
    ssl::stream<tcp::socket> stream(io, context);
    stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port()));
    stream.handshake(ssl::stream_base::client);
    beast::flat_buffer buffer;
    const std::string wbxml("\x03\x10\x6a\x00\x00\xff", 6);
    for (int i = 0; i < 3; ++i) {
        auto response =
            round_trip(stream, buffer, post("/wv", wbxml, "application/vnd.wv.csp.wbxml"));
        EXPECT_EQ(response.result_int(), 200u);
        EXPECT_EQ(response.body(), wbxml);
        EXPECT_EQ(response[http::field::server], "onesoup");
    }
    EXPECT_EQ(requests.load(), 3);
    EXPECT_EQ(s.stats().connections_accepted, 1u);

    // Plain HTTP on the HTTPS port is a failed handshake: closed, counted.
    auto plain = connect(io, s.port());
    http::write(plain, post("/wv", "x"));
    EXPECT_TRUE(closed_by_server(plain, 3000ms));
    EXPECT_TRUE(eventually([&] { return s.stats().rejected == 1; }));

    error_code ignored;
    stream.shutdown(ignored);
}

// An HTTPS server on a fresh self-signed certificate, and clients that trust it.
class HttpsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(certificate_.ok()) << "openssl could not make a certificate";
    }

    HttpOptions options() const {
        auto o = test_options();
        o.tls_certificate_file = certificate_.certificate();
        o.tls_private_key_file = certificate_.key();
        return o;
    }

    // A connected, handshaken client stream; `max_version` limits the TLS version offered.
    std::unique_ptr<ssl::stream<tcp::socket>> client(std::uint16_t port,
                                                     int max_version = TLS1_3_VERSION) {
        context_.load_verify_file(certificate_.certificate());
        context_.set_verify_mode(ssl::verify_peer);
        SSL_CTX_set_max_proto_version(context_.native_handle(), max_version);
        auto stream = std::make_unique<ssl::stream<tcp::socket>>(io_, context_);
        stream->next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        stream->handshake(ssl::stream_base::client);
        return stream;
    }

    SelfSignedCertificate certificate_;
    asio::io_context io_;
    ssl::context context_{ssl::context::tls_client};
};

TEST_F(HttpsTest, LargeBodiesAndTls12) {
    auto o = options();
    o.max_body = 200 * 1024;
    ServerThread s(o);
    s.server().route("/wv", echo_handler());
    ASSERT_TRUE(s.start().ok());
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        auto stream = client(s.port(), version);
        beast::flat_buffer buffer;
        // Many records each way, with every byte value.
        std::string body(150 * 1024, '\0');
        for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 % 256);
        auto response = round_trip(*stream, buffer, post("/wv", body, "application/octet-stream"));
        EXPECT_EQ(response.result_int(), 200u);
        EXPECT_EQ(response.body(), body) << "TLS version " << version;
        EXPECT_EQ(round_trip(*stream, buffer, post("/wv", "small")).body(), "small");
    }
}

TEST_F(HttpsTest, PipelinedOverTls) {
    ServerThread s(options());
    s.server().route("/wv", echo_handler());
    ASSERT_TRUE(s.start().ok());
    auto stream = client(s.port());
    std::string all;
    for (const char* body : {"1", "2", "3"}) {
        all += "POST /wv HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n";
        all += body;
    }
    asio::write(*stream, asio::buffer(all));
    beast::flat_buffer buffer;
    for (const char* body : {"1", "2", "3"}) {
        ClientResponse response;
        http::read(*stream, buffer, response);
        EXPECT_EQ(response.body(), body);
    }
}

TEST_F(HttpsTest, TimeoutsAndClosesOverTls) {
    auto o = options();
    o.request_timeout = 1s;
    o.idle_timeout = 1s;
    ServerThread s(o);
    s.server().route("/wv", echo_handler());
    ASSERT_TRUE(s.start().ok());

    // No handshake at all: closed after the request timeout, counted as rejected.
    auto silent = connect(io_, s.port());
    EXPECT_TRUE(closed_by_server(silent, 3000ms));
    EXPECT_TRUE(eventually([&] { return s.stats().rejected == 1; }));

    // Idle after a request: closed after the idle timeout.
    auto idle = client(s.port());
    beast::flat_buffer buffer;
    EXPECT_EQ(round_trip(*idle, buffer, post("/wv", "a")).body(), "a");
    EXPECT_TRUE(closed_by_server(idle->next_layer(), 3000ms));
    EXPECT_EQ(s.stats().rejected, 1u) << "an idle close is no rejection";

    // The client ends TLS properly between requests: the server lets go at once (long before
    // this server's idle timeout).
    ServerThread patient(options());
    patient.server().route("/wv", echo_handler());
    ASSERT_TRUE(patient.start().ok());
    auto polite = client(patient.port());
    beast::flat_buffer polite_buffer;
    EXPECT_EQ(round_trip(*polite, polite_buffer, post("/wv", "b")).body(), "b");
    error_code ignored;
    polite->shutdown(ignored);
    EXPECT_TRUE(eventually([&] { return patient.stats().connections_open == 0; }, 10000ms));
}

// Memory of idle keep-alive connections: 5,000 clients each make one request and stay
// connected. The clients are raw sockets (no heap), so the heap growth is the server's.
TEST(HttpServer, MemoryPerIdleKeepAliveConnection) {
    constexpr int kConnections = 5000;
    if (!onesoup::test::enough_descriptors(2 * kConnections + 100)) {
        GTEST_SKIP() << "needs " << 2 * kConnections + 100 << " file descriptors";
    }

    ServerThread s(test_options());
    s.server().route("/wv", [](HttpRequest, std::function<void(HttpResponse)> respond) {
        respond(HttpResponse{200, "application/vnd.wv.csp.xml", "ok", {}});
    });
    ASSERT_TRUE(s.start().ok());
    std::vector<int> fds;
    fds.reserve(kConnections);
    const std::string request =
        "POST /wv HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.wv.csp.xml\r\n"
        "Content-Length: 5\r\n\r\n<x/>\n";
    const std::size_t before = s.on_server([] { return onesoup::test::heap_in_use(); });

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(s.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char reply[1024];
    for (int i = 0; i < kConnections; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(fd, 0);
        fds.push_back(fd);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ASSERT_EQ(::send(fd, request.data(), request.size(), 0),
                  static_cast<ssize_t>(request.size()));
        // The answer is small and ends with the body "ok".
        std::string got;
        while (got.size() < 2 || got.compare(got.size() - 2, 2, "ok") != 0) {
            const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
            ASSERT_GT(n, 0);
            got.append(reply, static_cast<std::size_t>(n));
        }
    }
    ASSERT_TRUE(eventually([&] { return s.stats().connections_open == kConnections; }));
    std::this_thread::sleep_for(200ms);  // the last answers' write completions
    const std::size_t after = s.on_server([] { return onesoup::test::heap_in_use(); });
    const double per_connection =
        static_cast<double>(after > before ? after - before : 0) / kConnections;
    std::printf(
        "[ memory ] %d idle keep-alive HTTP connections: %.0f bytes of heap each "
        "(kernel socket buffers not counted)\n",
        kConnections, per_connection);
    RecordProperty("heap_bytes_per_idle_connection", static_cast<int>(per_connection));
    EXPECT_GT(per_connection, 0.0);
    // The aim for a whole session is about 12 KiB; the HTTP side must stay a small part of it.
    EXPECT_LT(per_connection, 2048.0);

    for (int fd : fds) ::close(fd);
    EXPECT_TRUE(eventually([&] { return s.stats().connections_open == 0; }, 10000ms));
    EXPECT_EQ(s.stats().requests, static_cast<std::uint64_t>(kConnections));
}

}  // namespace
