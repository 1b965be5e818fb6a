// http_bench: figures for the HTTP data channel (a program that prints, not a test).
//
//   http_bench [--connections N] [--seconds S] [--idle N] [--tls-idle N]
//
// 1. Throughput: N keep-alive clients (own thread, own io_context) POST a CSP-sized body in a
//    loop for S seconds against an HttpServer on its own thread; prints requests/s and the
//    latency p50/p99/max.
// 2. Memory: --idle plain connections (and --tls-idle HTTPS ones) each make one request and
//    stay open; prints the server's heap growth per idle connection. The clients run in a child
//    process (this program re-run with --clients), so only the server's memory is counted.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <malloc.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "onesoup/transport/http_server.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using onesoup::transport::HttpOptions;
using onesoup::transport::HttpRequest;
using onesoup::transport::HttpResponse;
using onesoup::transport::HttpServer;

extern char** environ;

namespace {

// A KeepAlive-Request sized like a phone's (CSP 1.2 XML, about 400 bytes).
const std::string kBody =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><WV-CSP-Message "
    "xmlns=\"http://www.wireless-village.org/CSP1.1\"><Session><SessionDescriptor>"
    "<SessionType>Inband</SessionType><SessionID>0123456789abcdef0123456789abcdef</SessionID>"
    "</SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request"
    "</TransactionMode><TransactionID>42</TransactionID></TransactionDescriptor>"
    "<TransactionContent xmlns=\"http://www.wireless-village.org/TRC1.1\"><KeepAlive-Request>"
    "<KeepAliveTime>600</KeepAliveTime></KeepAlive-Request></TransactionContent></Transaction>"
    "</Session></WV-CSP-Message>";

std::size_t heap_in_use() {
    const auto info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

void raise_file_limit() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

http::request<http::string_body> make_request() {
    http::request<http::string_body> request(http::verb::post, "/wv", 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/vnd.wv.csp.xml");
    request.body() = kBody;
    request.prepare_payload();
    return request;
}

// The server side: an HttpServer on its own io_context and thread, answering every request
// at once with a body of the same size.
class BenchServer {
  public:
    explicit BenchServer(HttpOptions options) : server_(io_, std::move(options)) {
        server_.route("/wv", [](HttpRequest request, std::function<void(HttpResponse)> respond) {
            respond(HttpResponse{200, "application/vnd.wv.csp.xml", std::move(request.body), {}});
        });
        auto started = server_.start();
        if (!started) {
            std::fprintf(stderr, "http_bench: %s\n", started.error().message.c_str());
            std::exit(1);
        }
        thread_ = std::thread([this] { io_.run(); });
    }
    ~BenchServer() {
        on_server([this] { server_.stop(); });
        guard_.reset();
        thread_.join();
    }
    BenchServer(const BenchServer&) = delete;
    BenchServer& operator=(const BenchServer&) = delete;

    template <class F>
    auto on_server(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        asio::post(io_, [&task] { task(); });
        return result.get();
    }
    std::uint16_t port() const { return server_.port(); }
    onesoup::transport::HttpStats stats() {
        return on_server([this] { return server_.stats(); });
    }

  private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
    HttpServer server_;
    std::thread thread_;
};

// One keep-alive client looping request/answer until the deadline, recording latencies.
class LoopClient : public std::enable_shared_from_this<LoopClient> {
  public:
    LoopClient(asio::io_context& io, tcp::endpoint server, Clock::time_point deadline,
               std::vector<double>& latencies_us, std::atomic<std::uint64_t>& errors)
        : socket_(io),
          server_(server),
          deadline_(deadline),
          latencies_us_(latencies_us),
          errors_(errors),
          request_(make_request()) {}

    void start() {
        socket_.async_connect(server_, [self = shared_from_this()](const error_code& ec) {
            if (ec) {
                ++self->errors_;
                return;
            }
            self->send();
        });
    }

  private:
    void send() {
        if (Clock::now() >= deadline_) return;
        sent_at_ = Clock::now();
        http::async_write(socket_, request_,
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                              if (ec) {
                                  ++self->errors_;
                                  return;
                              }
                              self->receive();
                          });
    }
    void receive() {
        response_ = {};
        http::async_read(
            socket_, buffer_, response_,
            [self = shared_from_this()](const error_code& ec, std::size_t) {
                if (ec || self->response_.result_int() != 200) {
                    ++self->errors_;
                    return;
                }
                self->latencies_us_.push_back(
                    std::chrono::duration<double, std::micro>(Clock::now() - self->sent_at_)
                        .count());
                self->send();
            });
    }

    tcp::socket socket_;
    tcp::endpoint server_;
    Clock::time_point deadline_;
    std::vector<double>& latencies_us_;
    std::atomic<std::uint64_t>& errors_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    beast::flat_buffer buffer_;
    Clock::time_point sent_at_;
};

void throughput(int connections, int seconds) {
    HttpOptions options;
    options.port = 0;
    BenchServer server(options);
    asio::io_context client_io;
    std::vector<double> latencies_us;
    std::atomic<std::uint64_t> errors{0};
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());
    const auto begin = Clock::now();
    const auto deadline = begin + std::chrono::seconds(seconds);
    for (int i = 0; i < connections; ++i) {
        std::make_shared<LoopClient>(client_io, endpoint, deadline, latencies_us, errors)->start();
    }
    client_io.run();
    const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
    std::sort(latencies_us.begin(), latencies_us.end());
    auto at = [&](double q) {
        if (latencies_us.empty()) return 0.0;
        return latencies_us[std::min(
            latencies_us.size() - 1,
            static_cast<std::size_t>(q * static_cast<double>(latencies_us.size())))];
    };
    const auto stats = server.stats();
    std::printf("throughput: %d keep-alive connections, %zu-byte POST bodies, %.1f s\n",
                connections, kBody.size(), elapsed);
    std::printf("  %.0f requests/s   latency p50 %.0f us, p99 %.0f us, max %.0f us   errors %llu\n",
                static_cast<double>(latencies_us.size()) / elapsed, at(0.5), at(0.99),
                latencies_us.empty() ? 0.0 : latencies_us.back(),
                static_cast<unsigned long long>(errors.load()));
    std::printf("  server: %llu requests, %.1f MB in, %.1f MB out\n",
                static_cast<unsigned long long>(stats.requests),
                static_cast<double>(stats.bytes_in) / 1e6,
                static_cast<double>(stats.bytes_out) / 1e6);
}

// Child process: open `count` connections (TLS if a certificate is given), one request each,
// then report on stdout and wait for stdin to close before exiting.
int run_clients(std::uint16_t port, int count, const char* certificate) {
    raise_file_limit();
    asio::io_context io;
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    const auto request = make_request();
    std::vector<tcp::socket> plain;
    std::vector<std::unique_ptr<ssl::stream<tcp::socket>>> secure;
    std::unique_ptr<ssl::context> context;
    if (certificate != nullptr) {
        context = std::make_unique<ssl::context>(ssl::context::tls_client);
        context->load_verify_file(certificate);
        context->set_verify_mode(ssl::verify_peer);
    }
    try {
        for (int i = 0; i < count; ++i) {
            beast::flat_buffer buffer;
            http::response<http::string_body> response;
            if (context) {
                auto stream = std::make_unique<ssl::stream<tcp::socket>>(io, *context);
                stream->next_layer().connect(endpoint);
                stream->handshake(ssl::stream_base::client);
                http::write(*stream, request);
                http::read(*stream, buffer, response);
                secure.push_back(std::move(stream));
            } else {
                tcp::socket socket(io);
                socket.connect(endpoint);
                http::write(socket, request);
                http::read(socket, buffer, response);
                plain.push_back(std::move(socket));
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "http_bench clients: %s\n", e.what());
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    char c = 0;
    while (::read(0, &c, 1) > 0) {
    }
    return 0;
}

// Heap growth of the server per idle connection, the clients in a child process.
void idle_memory(const char* self, int count, bool tls) {
    std::string directory;
    HttpOptions options;
    options.port = 0;
    if (tls) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "onesoup-bench-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) return;
        directory = pattern;
        options.tls_certificate_file = directory + "/cert.pem";
        options.tls_private_key_file = directory + "/key.pem";
        const std::string command =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
            "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
            options.tls_private_key_file + "' -out '" + options.tls_certificate_file +
            "' >/dev/null 2>&1";
        if (std::system(command.c_str()) != 0) {
            std::printf("memory (HTTPS): skipped, the openssl command failed\n");
            return;
        }
    }
    {
        BenchServer server(options);
        const std::size_t before = server.on_server([] { return heap_in_use(); });

        int to_child[2];
        int from_child[2];
        if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
        posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
        posix_spawn_file_actions_addclose(&actions, to_child[1]);
        posix_spawn_file_actions_addclose(&actions, from_child[0]);
        std::string port = std::to_string(server.port());
        std::string n = std::to_string(count);
        std::vector<char*> argv = {const_cast<char*>(self), const_cast<char*>("--clients"),
                                   port.data(), n.data()};
        if (tls) argv.push_back(options.tls_certificate_file.data());
        argv.push_back(nullptr);
        pid_t child = 0;
        const int spawned =
            posix_spawn(&child, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(to_child[0]);
        ::close(from_child[1]);
        if (spawned != 0) {
            std::printf("memory: could not start the client process\n");
            return;
        }
        char reply[16] = {};
        const ssize_t got = ::read(from_child[0], reply, sizeof reply - 1);
        if (got > 0 && std::string(reply).rfind("ready", 0) == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            const auto stats = server.stats();
            const std::size_t after = server.on_server([] { return heap_in_use(); });
            std::printf(
                "memory (%s): %llu idle keep-alive connections, %.0f bytes of server "
                "heap each (kernel socket buffers not counted)\n",
                tls ? "HTTPS" : "HTTP", static_cast<unsigned long long>(stats.connections_open),
                static_cast<double>(after > before ? after - before : 0) /
                    static_cast<double>(std::max<std::uint64_t>(1, stats.connections_open)));
        } else {
            std::printf("memory (%s): the client process failed\n", tls ? "HTTPS" : "HTTP");
        }
        ::close(to_child[1]);
        ::close(from_child[0]);
        int status = 0;
        ::waitpid(child, &status, 0);
    }
    if (!directory.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 4 && std::string(argv[1]) == "--clients") {
        return run_clients(static_cast<std::uint16_t>(std::atoi(argv[2])), std::atoi(argv[3]),
                           argc >= 5 ? argv[4] : nullptr);
    }
    int connections = 50;
    int seconds = 3;
    int idle = 5000;
    int tls_idle = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (option == "--connections") {
            connections = value;
        } else if (option == "--seconds") {
            seconds = value;
        } else if (option == "--idle") {
            idle = value;
        } else if (option == "--tls-idle") {
            tls_idle = value;
        } else {
            std::fprintf(stderr,
                         "usage: http_bench [--connections N] [--seconds S] [--idle N] "
                         "[--tls-idle N]\n");
            return 2;
        }
    }
    raise_file_limit();
    std::printf("machine: %u hardware threads\n", std::thread::hardware_concurrency());
    throughput(connections, seconds);
    if (idle > 0) idle_memory(argv[0], idle, false);
    if (tls_idle > 0) idle_memory(argv[0], tls_idle, true);
    return 0;
}
