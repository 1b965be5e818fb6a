// HttpServer on Boost.Beast: one acceptor, one small object per connection, every operation on
// the caller's io_context. A connection handles one request at a time (pipelined requests wait
// in its buffer, so answers go out in order) and keeps no read buffer or parser while idle.
#include "onesoup/transport/http_server.hpp"

#include "tls_stream.hpp"

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <list>
#include <string_view>
#include <type_traits>

namespace onesoup::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

std::string_view view(beast::string_view s) {
    return {s.data(), s.size()};
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

// The path of a request target: origin form "/wv?x" -> "/wv"; absolute form (sent through some
// proxies, RFC 7230 5.3.2) "http://host:80/wv" -> "/wv".
std::string_view target_path(std::string_view target) {
    if (target.size() > 0 && target.front() != '/') {
        auto scheme_end = target.find("://");
        if (scheme_end != std::string_view::npos) {
            auto slash = target.find('/', scheme_end + 3);
            target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
        }
    }
    return target.substr(0, target.find_first_of("?#"));
}

// A header value or name that would split the answer into several lines is never sent.
bool header_safe(std::string_view s) {
    return s.find_first_of("\r\n") == std::string_view::npos;
}

// Text of a peer's address; an IPv4 peer on a dual-stack socket shows as IPv4.
std::string address_text(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
    }
    return a.to_string();
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// How long a closing connection may take to drain what the client still sends (so that the
// client reads our last answer instead of a reset).
constexpr std::chrono::seconds kLingerTime{1};

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using RequestParser = http::request_parser<http::string_body>;

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

class HttpConnectionBase;

// The server's state, shared by its connections (HttpServer::Impl is private to HttpServer).
struct HttpServerCore : std::enable_shared_from_this<HttpServerCore> {
    HttpServerCore(asio::io_context& context, HttpOptions opts)
        : io(context), options(std::move(opts)), acceptor(context), retry_timer(context) {}

    void accept();
    void on_accept(const error_code& ec, tcp::socket socket);
    // The handler of the longest matching route, or null.
    [[nodiscard]] std::shared_ptr<const HttpHandler> find_route(std::string_view target) const;
    void unregister(HttpConnectionBase& connection);
    void stop();

    asio::io_context& io;
    HttpOptions options;
    tcp::acceptor acceptor;
    asio::steady_timer retry_timer;  // paces accept retries after EMFILE and the like
    std::unique_ptr<asio::ssl::context> tls;
    std::unique_ptr<TlsBioMethod> tls_bio;
    std::vector<std::pair<std::string, std::shared_ptr<const HttpHandler>>> routes;
    std::list<std::shared_ptr<HttpConnectionBase>> connections;
    HttpStats stats;
    bool running = false;
};

// What the server needs of a connection, whatever its stream.
class HttpConnectionBase : public std::enable_shared_from_this<HttpConnectionBase> {
  public:
    HttpConnectionBase() = default;
    HttpConnectionBase(const HttpConnectionBase&) = delete;
    HttpConnectionBase& operator=(const HttpConnectionBase&) = delete;
    virtual ~HttpConnectionBase() = default;

    virtual void start() = 0;
    // The answer to request `id` (ignored unless that request is still waiting for it).
    virtual void deliver(std::uint64_t id, HttpResponse response) = 0;
    // Closes at once (the server stops).
    virtual void close_now() = 0;
    // Calls `gone` if the client closes before request `id` is answered (HttpRequest::on_gone).
    virtual void watch_gone(std::uint64_t id, std::function<void()> gone) = 0;

    std::list<std::shared_ptr<HttpConnectionBase>>::iterator position;
    bool registered = false;
};

namespace {

// One connection over Stream: tcp::socket (HTTP) or TlsStream (HTTPS).
template <class Stream>
class Connection final : public HttpConnectionBase {
    static constexpr bool kPlain = std::is_same_v<Stream, tcp::socket>;

  public:
    template <class... Args>
    Connection(std::shared_ptr<HttpServerCore> server, tcp::endpoint remote, Args&&... args)
        : server_(std::move(server)),
          stream_(std::forward<Args>(args)...),
          timer_(server_->io),
          remote_(remote) {
        // Room for a whole header (the parser must see header_limit bytes to judge it) plus
        // some body; bodies move into the request as they arrive.
        buffer_.max_size(server_->options.max_header + 16 * 1024);
    }

    void start() override {
        phase_ = Phase::Reading;
        arm_timer(server_->options.request_timeout);
        if constexpr (kPlain) {
            begin_request();
        } else {
            stream_.async_handshake([self = self()](const error_code& ec) {
                if (self->phase_ == Phase::Closed) return;
                if (ec) {
                    ++self->server_->stats.rejected;
                    self->close_now();
                    return;
                }
                self->begin_request();
            });
        }
    }

    void deliver(std::uint64_t id, HttpResponse answer) override {
        if (phase_ != Phase::Handling || id != request_id_) return;
        gone_ = nullptr;
        auto response = std::make_unique<Response>();
        response->version(version_);
        // An interim (1xx) status cannot be the final answer.
        if (answer.status < 200 || answer.status > 999) answer.status = 500;
        response->result(static_cast<unsigned>(answer.status));
        response->set(http::field::server, "onesoup");
        if (!answer.content_type.empty() && header_safe(answer.content_type)) {
            response->set(http::field::content_type, answer.content_type);
        }
        bool keep_alive = keep_alive_ && server_->running;
        for (auto& [name, value] : answer.headers) {
            if (name.empty() || !header_safe(name) || !header_safe(value)) continue;
            // The server owns the framing of the answer.
            if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
            if (iequals(name, "connection")) {
                if (iequals(value, "close")) keep_alive = false;
                continue;
            }
            response->insert(name, value);
        }
        if (answer.status == 204 || answer.status == 304) {
            // RFC 7230 3.3.2/3.3.3: these carry no body and no Content-Length.
            answer.body.clear();
        } else {
            response->content_length(answer.body.size());
        }
        if (!head_) response->body() = std::move(answer.body);
        response->keep_alive(keep_alive);
        write(std::move(response));
    }

    void watch_gone(std::uint64_t id, std::function<void()> gone) override {
        if (phase_ != Phase::Handling || id != request_id_ || !gone) return;
        // Bytes already buffered from the client (a pipelined request) end the watch at once.
        if (buffer_.size() > 0) return;
        gone_ = std::move(gone);
        wait_gone(id);
    }

    void close_now() override {
        if (phase_ == Phase::Closed) return;
        auto keep = shared_from_this();
        gone_ = nullptr;
        phase_ = Phase::Closed;
        disarm_timer();
        error_code ignored;
        beast::get_lowest_layer(stream_).close(ignored);
        // The parser, buffers and answer stay until pending operations on them complete.
        server_->unregister(*this);
    }

  private:
    enum class Phase : std::uint8_t { Idle, Reading, Handling, Writing, Closing, Closed };

    std::shared_ptr<Connection> self() {
        return std::static_pointer_cast<Connection>(shared_from_this());
    }

    // After an answer on a kept-alive connection: parse what is buffered, or wait for more
    // holding no buffer.
    void wait_for_request() {
        phase_ = Phase::Idle;
        if (buffer_.size() > 0) {
            begin_request();
            return;
        }
        buffer_.shrink_to_fit();
        arm_timer(server_->options.idle_timeout);
        auto on_readable = [self = self()](const error_code& ec) {
            if (self->phase_ == Phase::Closed) return;
            if (ec) {
                self->close_now();
                return;
            }
            self->begin_request();
        };
        if constexpr (kPlain) {
            stream_.async_wait(tcp::socket::wait_read, std::move(on_readable));
        } else {
            stream_.async_wait_readable(std::move(on_readable));
        }
    }

    void begin_request() {
        if (phase_ == Phase::Idle) {
            // The first bytes of a request are here: it must now arrive whole in time.
            phase_ = Phase::Reading;
            arm_timer(server_->options.request_timeout);
        }
        parser_ = std::make_unique<RequestParser>();
        parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            server_->options.max_header, std::numeric_limits<std::uint32_t>::max())));
        parser_->body_limit(static_cast<std::uint64_t>(server_->options.max_body));
        continue_sent_ = false;
        read_some();
    }

    void read_some() {
        http::async_read_some(
            stream_, buffer_, *parser_,
            [self = self()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(const error_code& ec, std::size_t n) {
        if (phase_ == Phase::Closed) return;
        server_->stats.bytes_in += n;
        if (ec) {
            on_read_error(ec);
            return;
        }
        if (parser_->is_done()) {
            dispatch();
            return;
        }
        if (parser_->is_header_done() && !continue_sent_ && expects_continue()) {
            send_continue();
            return;
        }
        read_some();
    }

    void on_read_error(const error_code& ec) {
        if (ec == http::error::header_limit ||
            (ec == http::error::buffer_overflow && !parser_->is_header_done())) {
            reject(431, "Request Header Fields Too Large");
        } else if (ec == http::error::body_limit) {
            reject(413, "Payload Too Large");
        } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                   ec != http::error::end_of_stream && ec != http::error::partial_message) {
            reject(400, "Bad Request");
        } else {
            // The peer closed or reset, or TLS failed: nothing to answer.
            close_now();
        }
    }

    // RFC 7231 5.1.1: a client that waits for "100 Continue" before sending the body.
    [[nodiscard]] bool expects_continue() const {
        const auto& message = parser_->get();
        return message.version() >= 11 &&
               iequals(view(message[http::field::expect]), "100-continue");
    }

    void send_continue() {
        continue_sent_ = true;
        asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                          [self = self()](const error_code& ec, std::size_t n) {
                              if (self->phase_ == Phase::Closed) return;
                              self->server_->stats.bytes_out += n;
                              if (ec) {
                                  self->close_now();
                                  return;
                              }
                              self->read_some();
                          });
    }

    void dispatch() {
        phase_ = Phase::Handling;
        // The handler may take its time; the client waits, and we read nothing meanwhile.
        disarm_timer();
        ++server_->stats.requests;
        Request& message = parser_->get();
        keep_alive_ = message.keep_alive();
        version_ = message.version();
        head_ = message.method() == http::verb::head;

        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.content_type = std::string(message[http::field::content_type]);
        request.body = std::move(message.body());
        request.remote_address = address_text(remote_.address());
        request.remote_port = remote_.port();
        request.headers.reserve(
            static_cast<std::size_t>(std::distance(message.begin(), message.end())));
        for (const auto& field : message) {
            request.headers.emplace_back(lower(view(field.name_string())),
                                         std::string(field.value()));
        }
        parser_.reset();

        const std::uint64_t id = ++request_id_;
        auto handler = server_->find_route(request.target);
        if (!handler) {
            deliver(id, HttpResponse{404, "text/plain", "Not Found\n", {}});
            return;
        }
        std::weak_ptr<HttpConnectionBase> weak = shared_from_this();
        request.on_gone = [weak, id](std::function<void()> gone) {
            if (auto connection = weak.lock()) connection->watch_gone(id, std::move(gone));
        };
        auto respond = [weak, id](HttpResponse response) {
            if (auto connection = weak.lock()) connection->deliver(id, std::move(response));
        };
        try {
            (*handler)(std::move(request), std::move(respond));
        } catch (const std::exception&) {
            // Exceptions never cross a completion handler: the client gets 500 (ignored if
            // the handler answered before throwing).
            deliver(id, HttpResponse{500, "text/plain", "Internal Server Error\n", {}});
        }
    }

    // While request `id` is held: a readable socket with nothing to read is the client's close
    // (TLS included: its records are bytes). Bytes from the client end the watch; they stay
    // in the socket for the next request.
    void wait_gone(std::uint64_t id) {
        auto& socket = beast::get_lowest_layer(stream_);
        socket.async_wait(tcp::socket::wait_read, [self = self(), id](const error_code& ec) {
            if (ec || self->phase_ != Phase::Handling || self->request_id_ != id ||
                !self->gone_) {
                return;
            }
            char byte = 0;
            const auto n = ::recv(beast::get_lowest_layer(self->stream_).native_handle(), &byte,
                                  1, MSG_PEEK | MSG_DONTWAIT);
            if (n > 0) {
                self->gone_ = nullptr;
                return;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                self->wait_gone(id);
                return;
            }
            auto gone = std::exchange(self->gone_, nullptr);
            self->close_now();
            gone();
        });
    }

    // An answer for a request we refuse; the connection closes after it.
    void reject(int status, std::string_view reason) {
        ++server_->stats.rejected;
        parser_.reset();
        auto response = std::make_unique<Response>();
        response->version(11);
        response->result(static_cast<unsigned>(status));
        response->set(http::field::server, "onesoup");
        response->set(http::field::content_type, "text/plain");
        response->body() = std::string(reason) + "\n";
        response->content_length(response->body().size());
        response->keep_alive(false);
        write(std::move(response));
    }

    void write(std::unique_ptr<Response> response) {
        phase_ = Phase::Writing;
        // A client that does not read its answer is a slow client too.
        arm_timer(server_->options.request_timeout);
        response_ = std::move(response);
        http::async_write(
            stream_, *response_,
            [self = self()](const error_code& ec, std::size_t n) { self->on_write(ec, n); });
    }

    void on_write(const error_code& ec, std::size_t n) {
        if (phase_ == Phase::Closed) return;
        server_->stats.bytes_out += n;
        const bool keep_alive = response_->keep_alive();
        response_.reset();
        if (ec) {
            close_now();
        } else if (keep_alive && server_->running) {
            wait_for_request();
        } else {
            close_gracefully();
        }
    }

    // Ends our side and drains the peer's for a moment, so the last answer is not lost to a
    // reset (RFC 7230 6.6).
    void close_gracefully() {
        phase_ = Phase::Closing;
        arm_timer(kLingerTime);
        if constexpr (kPlain) {
            error_code ignored;
            stream_.shutdown(tcp::socket::shutdown_send, ignored);
            drain();
        } else {
            stream_.async_shutdown([self = self()](const error_code&) { self->close_now(); });
        }
    }

    void drain() {
        if (!drain_buffer_) drain_buffer_ = std::make_unique<std::array<char, 1024>>();
        stream_.async_read_some(asio::buffer(*drain_buffer_),
                                [self = self()](const error_code& ec, std::size_t) {
                                    if (self->phase_ == Phase::Closed) return;
                                    if (ec) {
                                        self->close_now();
                                        return;
                                    }
                                    self->drain();
                                });
    }

    void arm_timer(std::chrono::steady_clock::duration after) {
        const std::uint64_t generation = ++timer_generation_;
        timer_.expires_after(after);
        timer_.async_wait([self = self(), generation](const error_code& ec) {
            // A handler already queued when the timer was re-armed carries an old generation.
            if (ec || generation != self->timer_generation_) return;
            self->on_timeout();
        });
    }

    void disarm_timer() {
        ++timer_generation_;
        timer_.cancel();
    }

    void on_timeout() {
        switch (phase_) {
            case Phase::Reading:
            case Phase::Writing:
                // Too slow a request (slow loris) or a client that does not read.
                ++server_->stats.rejected;
                close_now();
                break;
            case Phase::Idle:
            case Phase::Closing:
                close_now();
                break;
            case Phase::Handling:
            case Phase::Closed:
                break;
        }
    }

    std::shared_ptr<HttpServerCore> server_;
    Stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::unique_ptr<RequestParser> parser_;                 // only while a request is read
    std::unique_ptr<Response> response_;                    // only while an answer is written
    std::unique_ptr<std::array<char, 1024>> drain_buffer_;  // only while closing
    std::function<void()> gone_;  // while a held request is watched (HttpRequest::on_gone)
    tcp::endpoint remote_;
    std::uint64_t request_id_ = 0;  // the request waiting for its answer
    std::uint64_t timer_generation_ = 0;
    unsigned version_ = 11;
    Phase phase_ = Phase::Idle;
    bool keep_alive_ = false;
    bool head_ = false;
    bool continue_sent_ = false;
};

}  // namespace

void HttpServerCore::accept() {
    acceptor.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
    });
}

void HttpServerCore::on_accept(const error_code& ec, tcp::socket socket) {
    if (!running) return;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        // Out of descriptors or memory: try again shortly instead of spinning.
        retry_timer.expires_after(std::chrono::milliseconds(100));
        retry_timer.async_wait([self = shared_from_this()](const error_code& wait_ec) {
            if (!wait_ec && self->running) self->accept();
        });
        return;
    }
    ++stats.connections_accepted;
    error_code endpoint_ec;
    const tcp::endpoint remote = socket.remote_endpoint(endpoint_ec);
    if (stats.connections_open >= options.max_connections || endpoint_ec) {
        ++stats.rejected;
        error_code ignored;
        socket.close(ignored);
        accept();
        return;
    }
    std::shared_ptr<HttpConnectionBase> connection;
    if (tls) {
        connection = std::make_shared<Connection<TlsStream>>(
            shared_from_this(), remote, std::move(socket), tls->native_handle(), *tls_bio);
    } else {
        connection = std::make_shared<Connection<tcp::socket>>(shared_from_this(), remote,
                                                               std::move(socket));
    }
    connections.push_front(connection);
    connection->position = connections.begin();
    connection->registered = true;
    ++stats.connections_open;
    connection->start();
    accept();
}

std::shared_ptr<const HttpHandler> HttpServerCore::find_route(std::string_view target) const {
    const std::string_view path = target_path(target);
    const std::pair<std::string, std::shared_ptr<const HttpHandler>>* best = nullptr;
    for (const auto& route : routes) {
        if (path.substr(0, route.first.size()) == route.first &&
            (best == nullptr || route.first.size() > best->first.size())) {
            best = &route;
        }
    }
    return best ? best->second : nullptr;
}

void HttpServerCore::unregister(HttpConnectionBase& connection) {
    if (!connection.registered) return;
    connection.registered = false;
    --stats.connections_open;
    connections.erase(connection.position);  // may drop the last owner: nothing after this
}

void HttpServerCore::stop() {
    running = false;
    error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();
    auto closing = std::move(connections);
    connections.clear();
    for (auto& connection : closing) {
        connection->registered = false;
        --stats.connections_open;
        connection->close_now();
    }
}

struct HttpServer::Impl : HttpServerCore {
    using HttpServerCore::HttpServerCore;
};

HttpServer::HttpServer(asio::io_context& io, HttpOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::route(std::string path_prefix, HttpHandler handler) {
    auto shared = std::make_shared<const HttpHandler>(std::move(handler));
    for (auto& route : impl_->routes) {
        if (route.first == path_prefix) {
            route.second = std::move(shared);
            return;
        }
    }
    impl_->routes.emplace_back(std::move(path_prefix), std::move(shared));
}

Result<void> HttpServer::start() {
    Impl& impl = *impl_;
    if (impl.running) return make_error("the HTTP server is already started");
    const HttpOptions& options = impl.options;

    if (!options.tls_certificate_file.empty() || !options.tls_private_key_file.empty()) {
        if (options.tls_certificate_file.empty() || options.tls_private_key_file.empty()) {
            return make_error("HTTPS needs both a certificate file and a private key file");
        }
        auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        context->set_options(asio::ssl::context::default_workarounds |
                             asio::ssl::context::single_dh_use);
        error_code ec;
        context->use_certificate_chain_file(options.tls_certificate_file, ec);
        if (ec) {
            return make_error("cannot use the TLS certificate " + options.tls_certificate_file +
                              ": " + ec.message());
        }
        context->use_private_key_file(options.tls_private_key_file, asio::ssl::context::pem, ec);
        if (ec) {
            return make_error("cannot use the TLS private key " + options.tls_private_key_file +
                              ": " + ec.message());
        }
        if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
            return make_error("the TLS private key does not match the certificate");
        }
        // Idle connections give their TLS record buffers back to OpenSSL.
        SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
        // TlsStream hands each write attempt a fresh copy of the data.
        SSL_CTX_set_mode(context->native_handle(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // A renegotiation would make a read write and a write read; no client needs it.
        SSL_CTX_set_options(context->native_handle(), SSL_OP_NO_RENEGOTIATION);
        // Kept across restarts: streams of closed connections may still use it.
        if (!impl.tls_bio) impl.tls_bio = std::make_unique<TlsBioMethod>();
        if (impl.tls_bio->get() == nullptr) return make_error("cannot set up TLS (BIO method)");
        impl.tls = std::move(context);
    }

    error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) return make_error("bad listen address '" + options.address + "': " + ec.message());
    const tcp::endpoint endpoint(address, options.port);
    const std::string where = options.address + ":" + std::to_string(options.port);
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl.acceptor.bind(endpoint, ec);
    if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error_code ignored;
        impl.acceptor.close(ignored);
        return make_error("cannot listen on " + where + ": " + ec.message());
    }
    impl.running = true;
    impl.accept();
    return {};
}

std::uint16_t HttpServer::port() const {
    error_code ec;
    const auto endpoint = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

void HttpServer::stop() {
    impl_->stop();
}

const HttpStats& HttpServer::stats() const {
    return impl_->stats;
}

}  // namespace onesoup::transport
