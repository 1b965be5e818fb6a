// HttpServer: the HTTP/1.1 (and optional HTTPS) listener on Boost.Beast that carries CSP
// request bodies to a handler and its answers back (the IMPS data channel, CSP Transport
// Binding 1.2 section 5). It knows nothing of IMPS: it moves bytes and enforces limits.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "onesoup/core/result.hpp"

namespace onesoup::transport {

// Where and how to listen.
struct HttpOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;  // 0 = any free port (see HttpServer::port())
    // HTTPS when both are set: PEM files of the certificate chain and its private key.
    std::string tls_certificate_file;
    std::string tls_private_key_file;
    std::size_t max_body = 64 * 1024;   // larger bodies get 413
    std::size_t max_header = 8 * 1024;  // larger headers get 431
    // The whole request (headers + body) must arrive in it, counted from its first byte (from
    // the accept, TLS handshake included, for a new connection); an answer must be taken by the
    // client in it too. Slower connections are closed (slow loris).
    std::chrono::seconds request_timeout{30};
    std::chrono::seconds idle_timeout{120};  // keep-alive connections idle longer are closed
    std::size_t max_connections = 100000;    // beyond it new connections are closed at once
};

// One request as received.
struct HttpRequest {
    std::string method;        // "POST", "GET", ...
    std::string target;        // the path and query as sent
    std::string content_type;  // "" if absent
    std::string body;
    std::string remote_address;  // the peer's IP address as text
    std::uint16_t remote_port = 0;
    // Headers the gateway may use: X-Network-MSISDN, X-MSISDN, X-Up-Calling-Line-Id (the
    // operator's proxy tells the phone number), User-Agent, X-Forwarded-For. Lower-case names.
    std::vector<std::pair<std::string, std::string>> headers;
    // For a handler that holds the request (answers it later): on_gone(callback) asks the
    // server to call `callback` once, on its io_context, if the client closes its connection
    // before the answer (the connection is then closed and a later answer is dropped). Not
    // called once the request is answered. The server watches only a connection with nothing
    // more buffered from the client; bytes from the client end the watch (no call).
    std::function<void(std::function<void()> callback)> on_gone;

    // The value of header `name` (lower-case), or "".
    [[nodiscard]] std::string header(std::string_view name) const;
};

// The answer.
struct HttpResponse {
    int status = 200;
    std::string content_type;  // omitted when empty
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Answers one request: call `respond` exactly once, now or later, on the server's io_context.
// Calling it after the connection closed (or the server stopped) is harmless, and so is a
// second call. Until it is called the connection reads nothing more (pipelined requests wait)
// and no timer runs. A handler that throws gets its client a 500. Content-Length, Server and
// Connection are set by the server (extra headers of those names, or with CR/LF, are dropped;
// an extra "Connection: close" closes after the answer).
using HttpHandler = std::function<void(HttpRequest, std::function<void(HttpResponse)> respond)>;

// Counters for the load program and metrics.
struct HttpStats {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_open = 0;
    std::uint64_t requests = 0;
    std::uint64_t bytes_in = 0;   // bodies and headers as received
    std::uint64_t bytes_out = 0;  // as sent
    std::uint64_t rejected = 0;   // 4xx for limits, bad requests, timeouts
};

// The server. Requests go to the handler of the longest route whose path is a prefix of the
// target's path (the target without its query; an absolute-form target's path); others get
// 404. Runs on one io_context with no thread of its own: call it from that io_context's thread
// (or while it does not run). An idle keep-alive connection holds no read buffer or parser
// (about 1 KiB of heap for HTTP, 16 KiB for HTTPS, mostly OpenSSL's; see bench/http). Limits
// answer 413 (body), 431 (header), 400 (garbage) and close; HTTPS is TLS from the first byte.
class HttpServer {
  public:
    HttpServer(boost::asio::io_context& io, HttpOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Sends requests whose path starts with `path_prefix` ("/wv", "/cir/") to `handler`.
    void route(std::string path_prefix, HttpHandler handler);

    // Binds and starts accepting; the error says why not (address in use, bad certificate).
    [[nodiscard]] Result<void> start();
    // The port listened on (useful with port 0).
    [[nodiscard]] std::uint16_t port() const;
    // Stops accepting and closes every connection; handlers are not called after it.
    void stop();

    [[nodiscard]] const HttpStats& stats() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace onesoup::transport
