#include "http_client.hpp"

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace onesoup::tools {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t max_response_body = 16 * 1024 * 1024;

// The request line and fields as Beast writes them, for the byte count.
std::size_t header_size(const http::request<http::string_body>& req) {
    std::size_t n = req.method_string().size() + 1 + req.target().size() + 1 + 8 + 2;
    for (const auto& f : req.base()) n += f.name_string().size() + 2 + f.value().size() + 2;
    return n + 2;
}

std::size_t header_size(const http::response<http::string_body>& res) {
    std::size_t n = 8 + 1 + 3 + 1 + res.reason().size() + 2;
    for (const auto& f : res.base()) n += f.name_string().size() + 2 + f.value().size() + 2;
    return n + 2;
}

// True for the errors that mean "the server closed a kept-alive connection before our request
// reached it": worth one more try on a new connection.
bool closed_by_peer(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

}  // namespace

struct HttpClient::Impl {
    Url url;
    HttpClientOptions options;
    net::io_context io;
    ssl::context tls{ssl::context::tls_client};
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    std::size_t connections = 0;

    Impl(Url u, HttpClientOptions o) : url(std::move(u)), options(std::move(o)) {
        if (options.insecure) {
            tls.set_verify_mode(ssl::verify_none);
        } else {
            tls.set_default_verify_paths();
            tls.set_verify_mode(ssl::verify_peer);
        }
    }

    [[nodiscard]] bool connected() const { return plain.has_value() || secure.has_value(); }

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

    // Runs one asynchronous operation to completion on our own io_context: Beast's timeouts
    // (tcp_stream::expires_after) only apply to asynchronous operations.
    template <class Start>
    beast::error_code run(Start start) {
        beast::error_code result = net::error::would_block;
        start([&result](beast::error_code ec, auto&&...) { result = ec; });
        io.restart();
        io.run();
        return result;
    }

    void close() {
        beast::error_code ignored;
        if (connected()) lowest().socket().close(ignored);
        secure.reset();
        plain.reset();
        buffer.clear();
    }

    std::string describe(const beast::error_code& ec) const {
        if (ec == beast::error::timeout)
            return "no answer from " + url.host_header() + " within " +
                   std::to_string(options.timeout.count()) + " ms";
        return ec.message();
    }

    Result<void> connect() {
        tcp::resolver resolver(io);
        beast::error_code ec;
        auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
        if (ec) return make_error("cannot resolve " + url.host + ": " + ec.message());
        if (url.https) {
            secure.emplace(io, tls);
            if (!options.insecure) {
                secure->set_verify_callback(ssl::host_name_verification(url.host));
            }
            beast::error_code addr_ec;
            net::ip::make_address(url.host, addr_ec);
            // SNI carries host names only (RFC 6066 section 3), never an address literal.
            if (addr_ec &&
                SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                         TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str())) != 1) {
                close();
                return make_error("cannot set the TLS server name " + url.host);
            }
        } else {
            plain.emplace(io);
        }
        lowest().expires_after(options.timeout);
        if (options.local_address.empty()) {
            ec = run([&](auto handler) { lowest().async_connect(endpoints, handler); });
        } else {
            // A range connect reopens the socket for each endpoint, losing the bind: connect
            // to the first endpoint of the local address's family only.
            auto local = net::ip::make_address(options.local_address, ec);
            if (ec) {
                close();
                return make_error("bad local address " + options.local_address);
            }
            std::optional<tcp::endpoint> target;
            for (const auto& e : endpoints) {
                if (e.endpoint().address().is_v4() == local.is_v4()) {
                    target = e.endpoint();
                    break;
                }
            }
            if (!target) {
                close();
                return make_error("no address of " + url.host + " in the family of " +
                                  options.local_address);
            }
            auto& socket = lowest().socket();
            socket.open(target->protocol(), ec);
            if (!ec) socket.bind(tcp::endpoint(local, 0), ec);
            if (ec) {
                close();
                return make_error("cannot bind to " + options.local_address + ": " + ec.message());
            }
            const tcp::endpoint destination = *target;
            ec = run([&](auto handler) { lowest().async_connect(destination, handler); });
        }
        if (ec) {
            close();
            return make_error("cannot connect to " + url.host_header() + ": " + describe(ec));
        }
        if (secure) {
            lowest().expires_after(options.timeout);
            ec = run(
                [&](auto handler) { secure->async_handshake(ssl::stream_base::client, handler); });
            if (ec) {
                close();
                return make_error(
                    "TLS handshake with " + url.host_header() + " failed: " + describe(ec) +
                    (options.insecure ? "" : " (--insecure accepts any certificate)"));
            }
        }
        ++connections;
        return {};
    }

    template <class Stream>
    beast::error_code exchange(Stream& stream, http::request<http::string_body>& req,
                               http::response_parser<http::string_body>& parser) {
        lowest().expires_after(options.timeout);
        auto ec = run([&](auto handler) { http::async_write(stream, req, handler); });
        if (ec) return ec;
        lowest().expires_after(options.timeout);
        return run([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
    }
};

HttpClient::HttpClient(Url url, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {}

HttpClient::~HttpClient() {
    impl_->close();
}

Result<HttpReply> HttpClient::post(std::string_view content_type, std::string body) {
    Impl& d = *impl_;
    http::request<http::string_body> req{http::verb::post, d.url.target, 11};
    req.set(http::field::host, d.url.host_header());
    req.set(http::field::user_agent, d.options.user_agent);
    req.set(http::field::content_type,
            boost::beast::string_view(content_type.data(), content_type.size()));
    for (const auto& [name, value] : d.options.headers) req.set(name, value);
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();

    for (int attempt = 0;; ++attempt) {
        const bool reused = d.connected();
        if (!reused) {
            if (auto connected = d.connect(); !connected) return connected.error();
        }
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_response_body);
        const auto ec =
            d.secure ? d.exchange(*d.secure, req, parser) : d.exchange(*d.plain, req, parser);
        if (ec) {
            d.close();
            if (reused && attempt == 0 && closed_by_peer(ec)) continue;
            return make_error("HTTP exchange with " + d.url.host_header() +
                              " failed: " + d.describe(ec));
        }
        auto res = parser.release();
        HttpReply reply;
        reply.status = static_cast<int>(res.result_int());
        reply.content_type = std::string(res[http::field::content_type]);
        reply.request_header_bytes = header_size(req);
        reply.response_header_bytes = header_size(res);
        if (!res.keep_alive()) d.close();
        reply.body = std::move(res.body());
        return reply;
    }
}

void HttpClient::close() {
    impl_->close();
}

void HttpClient::set_local_address(std::string address) {
    impl_->close();
    impl_->options.local_address = std::move(address);
}

std::size_t HttpClient::connections_opened() const {
    return impl_->connections;
}

const Url& HttpClient::url() const {
    return impl_->url;
}

}  // namespace onesoup::tools
