// libFuzzer target for onesoup's HTTP server (the bytes come from any host that reaches the CSP
// port): each input is written by a client into a real HttpServer on loopback, in two pieces
// (the first byte says where the input splits, so the parser also sees a request cut in two),
// and the client then closes its sending side and reads until the server closes.
// Routes: "/wv" answers at once with the body's length, or, for a target with "hold" in it,
// holds the request (HttpRequest::on_gone set) until the client has written everything; "/cir/"
// is the real SHTTP holder (sessions "s1" and "s2" exist: s1's held GET is woken, s2's is
// forgotten).
// Invariants: no crash (ASan/UBSan), no hang (the server closes within 5 s of the client's
// last byte), what the server writes starts with "HTTP/1.1 ", and no connection stays open.
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/transport/cir/http_cir.hpp"
#include "onesoup/transport/http_server.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using onesoup::transport::HttpOptions;
using onesoup::transport::HttpRequest;
using onesoup::transport::HttpResponse;
using onesoup::transport::HttpServer;
namespace cir = onesoup::transport::cir;
using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_http_server: %s\n", why);
    std::abort();
}

HttpOptions server_options() {
    HttpOptions o;
    o.port = 0;
    o.max_body = 4096;  // small limits, so that inputs reach them
    o.max_header = 1024;
    o.request_timeout = std::chrono::seconds(3);
    o.idle_timeout = std::chrono::seconds(3);
    return o;
}

struct Fixture {
    asio::io_context io;
    HttpServer server{io, server_options()};
    std::optional<cir::HttpCirHolder> holder;
    std::vector<std::function<void(HttpResponse)>> held;
    tcp::endpoint endpoint;

    Fixture() {
        ::signal(SIGPIPE, SIG_IGN);
        server.route("/wv", [this](HttpRequest request, std::function<void(HttpResponse)> respond) {
            if (request.target.find("hold") != std::string::npos) {
                request.on_gone([] {});
                held.push_back(std::move(respond));
                return;
            }
            HttpResponse answer;
            answer.content_type = "text/plain";
            answer.body = std::to_string(request.body.size());
            respond(std::move(answer));
        });
        cir::HttpCirOptions cir_options;
        cir_options.hold = std::chrono::seconds(1);
        holder.emplace(
            io, server, cir_options, [](std::string_view id) { return id == "s1" || id == "s2"; },
            [](const std::string&) {});
        if (!server.start()) fail("the server did not start");
        endpoint = tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port());
    }

    // Answers what waits: the held /wv requests (200, late), s1's held GET (woken), s2's
    // (forgotten: 404).
    void answer_held() {
        for (auto& respond : held) respond(HttpResponse{200, "text/plain", "late", {}});
        held.clear();
        (void)holder->send("s1", "WVCI 1.2 fuzz");
        holder->forget("s2");
    }

    void run(std::string_view first, std::string_view second) {
        tcp::socket client(io);
        client.connect(endpoint);
        std::string out;
        std::string buffer(4096, '\0');
        bool written = false;
        bool closed = false;
        std::function<void()> read_more = [&] {
            client.async_read_some(asio::buffer(buffer), [&](const auto& ec, std::size_t n) {
                out.append(buffer, 0, n);
                if (ec) {
                    closed = true;
                    return;
                }
                read_more();
            });
        };
        read_more();
        asio::async_write(client, asio::buffer(first), [&](const auto& ec, std::size_t) {
            if (ec) {
                written = true;
                return;
            }
            asio::async_write(client, asio::buffer(second), [&](const auto&, std::size_t) {
                boost::system::error_code ignored;
                client.shutdown(tcp::socket::shutdown_send, ignored);
                written = true;
            });
        });
        auto deadline = Clock::now() + std::chrono::seconds(5);
        while (!closed) {
            if (Clock::now() > deadline) fail("the server did not close within 5 s");
            io.run_one_for(std::chrono::milliseconds(20));
            if (written) answer_held();
        }
        if (!out.empty() && out.rfind("HTTP/1.1 ", 0) != 0 && out.rfind("HTTP/1.0 ", 0) != 0) {
            std::fprintf(stderr, "server wrote: %.200s\n", out.c_str());
            fail("an answer is not HTTP/1.x");
        }
        client.close();
        // The server's side of the connection is let go too.
        deadline = Clock::now() + std::chrono::seconds(2);
        while (server.stats().connections_open != 0) {
            if (Clock::now() > deadline) fail("a connection stays open after the client left");
            io.run_one_for(std::chrono::milliseconds(20));
            answer_held();
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Fixture fixture;
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t split = input.size() * data[0] / 255;
    fixture.run(input.substr(0, split), input.substr(split));
    return 0;
}
