// SmsSender: one HTTP GET to Kannel's sendsms interface per SMS (Kannel user guide, "Sending SMS
// messages"), each over its own TCP connection, on the caller's io_context.
#include "onesoup/transport/cir/sms_sender.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <set>
#include <string_view>

namespace onesoup::transport::cir {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// Kannel's answers are one line ("0: Accepted for delivery"); anything longer is cut.
constexpr std::size_t max_response_body = 16 * 1024;
// A phone number as Kannel's `to` takes it: an optional '+' and digits. Kannel reads spaces in
// `to` as a list of receivers, so nothing else may pass.
constexpr std::size_t max_msisdn_digits = 20;

// The sendsms URL split up.
struct Endpoint {
    std::string host;    // without brackets for IPv6
    std::string port;    // decimal
    std::string target;  // path, possibly with a query of its own
    std::string host_header;
};

// http://host[:port]/path, http://[v6]:port/path; nothing else (Kannel's smsbox speaks plain
// HTTP: an operator reaches a remote one through a tunnel or a local smsbox).
Result<Endpoint> parse_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    auto lowered = std::string(url.substr(0, scheme.size()));
    for (char& c : lowered)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lowered != scheme) {
        return make_error("sendsms URL \"" + std::string(url) +
                          "\" must start with http:// (Kannel's sendsms interface is plain HTTP)");
    }
    std::string_view rest = url.substr(scheme.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos)
        return make_error("sendsms URL \"" + std::string(url) +
                          "\" has no path (/cgi-bin/sendsms)");
    const std::string_view authority = rest.substr(0, slash);
    Endpoint e;
    e.target = std::string(rest.substr(slash));
    e.host_header = std::string(authority);
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return make_error("sendsms URL \"" + std::string(url) + "\": unclosed '['");
        e.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return make_error("sendsms URL \"" + std::string(url) + "\": bad host");
            port = after.substr(1);
        }
    } else {
        const auto colon = authority.find(':');
        e.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (e.host.empty() || e.host.find_first_of("@ ") != std::string::npos)
        return make_error("sendsms URL \"" + std::string(url) + "\" has no usable host");
    if (port.empty()) {
        e.port = "80";
    } else {
        unsigned long value = 0;
        for (const char c : port) {
            if (c < '0' || c > '9' || value > 65535) {
                value = 0;
                break;
            }
            value = value * 10 + static_cast<unsigned long>(c - '0');
        }
        if (value == 0 || value > 65535)
            return make_error("sendsms URL \"" + std::string(url) + "\": bad port");
        e.port = std::to_string(value);
    }
    if (e.target.find_first_of(" #\r\n") != std::string::npos)
        return make_error("sendsms URL \"" + std::string(url) + "\": bad path");
    return e;
}

// RFC 3986 2.3: only unreserved characters stay as they are; every other byte, binary data and
// UDH included, becomes %XX.
void append_encoded(std::string& out, std::string_view bytes) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        }
    }
}

void append_param(std::string& out, std::string_view name, std::string_view value) {
    if (out.back() != '?' && out.back() != '&') out += '&';
    out += name;
    out += '=';
    append_encoded(out, value);
}

bool is_msisdn(std::string_view number) {
    if (!number.empty() && number.front() == '+') number.remove_prefix(1);
    return !number.empty() && number.size() <= max_msisdn_digits &&
           number.find_first_not_of("0123456789") == std::string_view::npos;
}

// Kannel's body as one short line for an error message.
std::string one_line(std::string_view body) {
    std::string out;
    for (const char c : body.substr(0, 200)) out += (c == '\r' || c == '\n') ? ' ' : c;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// One GET in flight: resolve, connect, write, read, under one deadline.
class SmsRequest : public std::enable_shared_from_this<SmsRequest> {
  public:
    using Finished = std::function<void(SmsRequest&, Result<void>)>;

    SmsRequest(asio::io_context& io, std::string target, SmsSender::Done done)
        : resolver_(io), socket_(io), timer_(io), done_(std::move(done)) {
        request_.method(http::verb::get);
        request_.target(std::move(target));
        request_.version(11);
        request_.set(http::field::user_agent, "onesoup");
        // One request per connection: Kannel need not keep it.
        request_.set(http::field::connection, "close");
        parser_.body_limit(max_response_body);
    }

    void start(const Endpoint& endpoint, std::chrono::seconds timeout, Finished finished) {
        finished_ = std::move(finished);
        request_.set(http::field::host, endpoint.host_header);
        where_ = endpoint.host_header;
        timer_.expires_after(timeout);
        timer_.async_wait(
            [self = shared_from_this(), timeout](const boost::system::error_code& ec) {
                if (ec || self->over_) return;
                self->fail("no answer from Kannel at " + self->where_ + " within " +
                           std::to_string(timeout.count()) + " s");
            });
        resolver_.async_resolve(
            endpoint.host, endpoint.port,
            [self = shared_from_this()](const boost::system::error_code& ec,
                                        const tcp::resolver::results_type& results) {
                if (self->over_) return;
                if (ec) return self->fail("cannot find Kannel's host: " + ec.message());
                self->connect(results);
            });
    }

    // Ends the request now with `why` (stop(), the deadline, an I/O error).
    void fail(const std::string& why) { finish(make_error("SMS not sent: " + why)); }

    // The SmsSender is gone: end quietly, without calling `done`.
    void abandon() {
        done_ = nullptr;
        finished_ = nullptr;
        finish({});
    }

    SmsSender::Done take_done() { return std::exchange(done_, nullptr); }

  private:
    void connect(const tcp::resolver::results_type& results) {
        asio::async_connect(
            socket_, results,
            [self = shared_from_this()](const boost::system::error_code& ec, const tcp::endpoint&) {
                if (self->over_) return;
                if (ec) {
                    return self->fail("cannot connect to Kannel at " + self->where_ + ": " +
                                      ec.message());
                }
                self->write();
            });
    }

    void write() {
        http::async_write(
            socket_, request_,
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                if (self->over_) return;
                if (ec) {
                    return self->fail("cannot send to Kannel at " + self->where_ + ": " +
                                      ec.message());
                }
                self->read();
            });
    }

    void read() {
        http::async_read(
            socket_, buffer_, parser_,
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                if (self->over_) return;
                if (ec) {
                    return self->fail("no valid answer from Kannel at " + self->where_ + ": " +
                                      ec.message());
                }
                self->answered();
            });
    }

    void answered() {
        const auto& response = parser_.get();
        const unsigned status = response.result_int();
        // 202 "Accepted for delivery" / "Queued for later delivery"; 200 "Sent." (older
        // Kannels and some other gateways with the same interface).
        if (status == 202 || status == 200) return finish({});
        std::string words = one_line(response.body());
        if (words.empty()) words = std::string(response.reason());
        fail("Kannel answered " + std::to_string(status) + ": " + words);
    }

    void finish(Result<void> result) {
        if (over_) return;
        over_ = true;
        boost::system::error_code ignored;
        timer_.cancel();
        resolver_.cancel();
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        if (auto f = std::exchange(finished_, nullptr)) f(*this, std::move(result));
    }

    tcp::resolver resolver_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    http::request<http::empty_body> request_;
    boost::beast::flat_buffer buffer_;
    http::response_parser<http::string_body> parser_;
    SmsSender::Done done_;
    Finished finished_;
    std::string where_;
    bool over_ = false;
};

}  // namespace

struct SmsSender::Impl : std::enable_shared_from_this<SmsSender::Impl> {
    asio::io_context& io;
    SmsOptions options;
    Endpoint endpoint;
    bool started = false;
    bool stopped = false;
    SmsStats stats;
    std::set<std::shared_ptr<SmsRequest>> in_flight;

    Impl(asio::io_context& io_, SmsOptions options_) : io(io_), options(std::move(options_)) {}

    // A failure the caller hears of after the call returns, like every other outcome.
    void refuse(Done done, std::string why) {
        ++stats.failed;
        asio::post(io, [done = std::move(done), why = std::move(why)] {
            if (done) done(make_error("SMS not sent: " + why));
        });
    }

    void send(const std::string& msisdn, std::string_view text, std::string_view udh, bool binary,
              Done done) {
        if (stopped) return refuse(std::move(done), "the SMS sender has stopped");
        if (!started) return refuse(std::move(done), "the SMS sender was not started");
        if (!is_msisdn(msisdn))
            return refuse(std::move(done), "\"" + msisdn + "\" is not a phone number");
        if (in_flight.size() >= options.max_in_flight)
            return refuse(std::move(done), "too many SMS waiting for Kannel");

        std::string target = endpoint.target;
        target += target.find('?') == std::string::npos ? '?' : '&';
        append_param(target, "username", options.username);
        append_param(target, "password", options.password);
        append_param(target, "to", msisdn);
        if (!options.from.empty()) append_param(target, "from", options.from);
        if (!options.smsc.empty()) append_param(target, "smsc", options.smsc);
        if (binary) {
            if (!udh.empty()) append_param(target, "udh", udh);
            // coding=1: 8-bit data, passed on byte for byte (no charset conversion).
            append_param(target, "coding", "1");
        }
        append_param(target, "text", text);

        auto request = std::make_shared<SmsRequest>(io, std::move(target), std::move(done));
        in_flight.insert(request);
        std::weak_ptr<Impl> weak = weak_from_this();
        request->start(endpoint, options.timeout, [weak](SmsRequest& r, Result<void> result) {
            auto self = weak.lock();
            if (!self) return;
            // Keeps the request alive until its `done` has returned.
            auto keep = r.shared_from_this();
            self->in_flight.erase(keep);
            if (result) {
                ++self->stats.sent;
            } else {
                ++self->stats.failed;
            }
            if (auto d = r.take_done()) d(std::move(result));
        });
    }
};

SmsSender::SmsSender(boost::asio::io_context& io, SmsOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

SmsSender::~SmsSender() {
    // The owner is going away: callbacks into it would find it half destroyed, so what is in
    // flight ends without calling `done`.
    impl_->stopped = true;
    auto requests = std::move(impl_->in_flight);
    for (const auto& r : requests) r->abandon();
}

Result<void> SmsSender::start() {
    auto& im = *impl_;
    auto endpoint = parse_url(im.options.sendsms_url);
    if (!endpoint) return endpoint.error();
    if (im.options.username.empty())
        return make_error("SMS: no sendsms username (Kannel's sendsms-user group needs one)");
    if (im.options.timeout.count() <= 0) return make_error("SMS: the timeout must be positive");
    if (im.options.max_in_flight == 0) return make_error("SMS: max_in_flight must be positive");
    im.endpoint = std::move(*endpoint);
    im.started = true;
    return {};
}

void SmsSender::send_text(const std::string& msisdn, const std::string& text, Done done) {
    impl_->send(msisdn, text, {}, false, std::move(done));
}

void SmsSender::send_binary(const std::string& msisdn, const std::string& udh,
                            const std::string& data, Done done) {
    impl_->send(msisdn, data, udh, true, std::move(done));
}

void SmsSender::stop() {
    auto& im = *impl_;
    im.stopped = true;
    // Failing a request erases it from the set: walk a copy.
    auto requests = im.in_flight;
    for (const auto& r : requests) r->fail("the SMS sender has stopped");
}

const SmsStats& SmsSender::stats() const {
    return impl_->stats;
}

}  // namespace onesoup::transport::cir
