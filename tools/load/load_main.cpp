// onesoup-load: many phones at once against a running onesoup, for figures (not a test).
//
// Phones log in at a given rate (2-way PWD login, then ClientCapability, as phones do), over a
// pool of HTTP keep-alive connections (as phones behind an operator's WAP gateway arrive).
// At each milestone (e.g. 1,000 and 10,000 sessions) the ramp pauses and onesoup's memory is
// read from /proc/PID/status, so the figure per session is (RSS now - RSS before) / sessions.
// Then, for --blast seconds, --concurrency workers send Polling-Requests and KeepAlive-Requests
// of random sessions back to back, and phones send chat messages to each other at --messages
// per second (through onesoup, the XMPP server and back); the messages are counted when they
// arrive in a poll. Prints logins/s, CSP transactions/s, latency p50/p99 and errors.
//
// CIR (issue 4): with --cir stcp|shttp the phones offer that method in ClientCapability; once
// all are logged in, onesoup's memory is read (the sessions alone), then every phone opens the
// CIR channel it was given (STCP: a TCP socket to TCPAddress:TCPPort with "HELO <SessionID>";
// SHTTP: a GET of its CIR URL on a connection of its own, sent again after each answer) and the
// memory is read again, so the figure per held channel is the difference / channels. With
// --wakes R an XMPP client in this process (--xmpp-port, --buddy) then sends R chat messages per
// second to random idle phones; each phone takes the WVCI line, polls, and answers the
// NewMessage with MessageDelivered, as a woken phone does. The wake-up latency is the WVCI
// arrival minus the moment the XMPP client wrote the message (one process, one clock); the end
// to end time runs to the NewMessage in the poll answer. --echo adds a second XMPP client that
// receives a copy of each message straight from the XMPP server: the latency of the XMPP server
// alone, for comparison. Bytes on the phone's link per woken message are counted as HTTP and
// STCP payload (headers included, TCP/IP headers not).

// GCC 12 needs <utility> before Asio's headers.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/codec/version.hpp"
#include "onesoup/imps/model/message.hpp"
#include "onesoup/imps/model/primitives.hpp"
#include "onesoup/xmpp/client_connection.hpp"
#include "onesoup/xmpp/element.hpp"
#include "onesoup/xmpp/jid.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace model = onesoup::imps::model;
namespace codec = onesoup::imps::codec;
namespace xmpp = onesoup::xmpp;

namespace {

// The CIR method the phones ask for (none: they poll, as before).
enum class CirMode : std::uint8_t { none, stcp, shttp };

struct Options {
    std::string host = "127.0.0.1";
    std::string port = "8080";
    std::string path = "/wv";
    std::size_t users = 1000;
    std::size_t first = 1;
    std::string user_format = "load%zu@load.test";  // printf format with the phone's number
    std::string password = "secret";
    double ramp = 100;  // logins started per second
    std::size_t logins_in_flight = 200;
    std::size_t connections = 64;  // HTTP keep-alive connections in the pool
    std::vector<std::size_t> milestones;
    double blast_seconds = 10;
    std::size_t concurrency = 64;
    double messages_per_second = 0;
    long pid = 0;
    codec::Encoding encoding = codec::Encoding::wbxml;
    codec::CspVersion version = codec::CspVersion::v1_2;
    bool logout = false;
    double timeout_seconds = 30;
    CirMode cir = CirMode::none;
    double cir_ramp = 500;  // CIR channels opened per second
    // The XMPP client that sends the wake-up messages (0 = none).
    std::string xmpp_host = "127.0.0.1";
    std::uint16_t xmpp_port = 0;
    std::string buddy = "buddy@load.test";
    std::string buddy_password = "secret";
    std::string echo;  // a second account that gets a copy of each message (XMPP-only latency)
    double wake_rate = 0;  // wake-up messages per second
    double wake_seconds = 20;
};

[[noreturn]] void usage(int code) {
    std::fprintf(
        code == 0 ? stdout : stderr, "%s",
        "usage: onesoup-load [options]\n"
        "Logs many phones into onesoup at once and prints how fast and how big it ran.\n"
        "  --url URL            onesoup's CSP URL (default http://127.0.0.1:8080/wv)\n"
        "  --users N            phones to log in (default 1000)\n"
        "  --first N            number of the first phone (default 1)\n"
        "  --user-format F      user id of phone N, printf style (default load%zu@load.test)\n"
        "  --password P         every phone's password (default secret)\n"
        "  --ramp R             logins started per second (default 100)\n"
        "  --in-flight N        most logins waiting for an answer at once (default 200)\n"
        "  --connections N      HTTP keep-alive connections used by all phones (default 64)\n"
        "  --milestones A,B     session counts at which onesoup's memory is read\n"
        "  --pid PID            onesoup's process id (for the memory figures)\n"
        "  --blast S            seconds of back-to-back polls/keep-alives after login (10)\n"
        "  --concurrency N      requests in flight during the blast (default 64)\n"
        "  --messages R         chat messages per second between phones during the blast\n"
        "  --encoding xml|wbxml (default wbxml)   --csp 1.1|1.2|1.3 (default 1.2)\n"
        "  --timeout S          seconds to wait for any answer before counting an error (30)\n"
        "  --logout             log every phone out at the end\n"
        "  --cir none|stcp|shttp  the CIR method the phones ask for and hold (default none)\n"
        "  --cir-ramp R         CIR channels opened per second (default 500)\n"
        "  --xmpp-port P        the XMPP server's c2s port on --xmpp-host (127.0.0.1): starts\n"
        "                       the XMPP client that sends the wake-up messages\n"
        "  --buddy JID          its account (default buddy@load.test)\n"
        "  --buddy-password P   its password (default secret)\n"
        "  --echo JID           a second account (same password) that gets a copy of each\n"
        "                       message: the XMPP server's own latency, for comparison\n"
        "  --wakes R            wake-up messages per second from the XMPP client (needs --cir)\n"
        "  --wake-seconds S     how long the wake-ups run (default 20)\n"
        "Phases: logins are started at --ramp per second (at most --in-flight waiting); at each\n"
        "milestone the ramp pauses 3 s and onesoup's RSS is read (needs --pid). Then the blast:\n"
        "--concurrency workers send Polling-Requests (3 of 4) and KeepAlive-Requests back to\n"
        "back for --blast seconds, while phones send each other --messages chat messages per\n"
        "second; messages still on their way are then collected for up to 10 s.\n"
        "With --cir, between the logins and the blast: onesoup's RSS is read (the sessions\n"
        "alone), every phone opens its CIR channel, the RSS is read again; then, with --wakes,\n"
        "the XMPP client sends messages to random idle phones for --wake-seconds (each phone\n"
        "polls when its WVCI arrives), and the latencies and bytes per woken message are\n"
        "printed. Use --blast 0 to leave the blast out.\n"
        "Exit status: 0 when every login and transaction succeeded and every message arrived,\n"
        "1 otherwise, 2 for a usage error.\n");
    std::exit(code);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(2);
            return argv[++i];
        };
        if (a == "--help" || a == "-h")
            usage(0);
        else if (a == "--url") {
            std::string url = next();
            if (url.rfind("http://", 0) != 0) {
                std::fprintf(stderr, "onesoup-load: only http:// URLs are supported\n");
                std::exit(2);
            }
            url = url.substr(7);
            auto slash = url.find('/');
            std::string hostport = url.substr(0, slash);
            o.path = slash == std::string::npos ? "/" : url.substr(slash);
            auto colon = hostport.rfind(':');
            o.host = hostport.substr(0, colon);
            o.port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
        } else if (a == "--users")
            o.users = std::stoul(next());
        else if (a == "--first")
            o.first = std::stoul(next());
        else if (a == "--user-format")
            o.user_format = next();
        else if (a == "--password")
            o.password = next();
        else if (a == "--ramp")
            o.ramp = std::stod(next());
        else if (a == "--in-flight")
            o.logins_in_flight = std::stoul(next());
        else if (a == "--connections")
            o.connections = std::stoul(next());
        else if (a == "--milestones") {
            std::stringstream ss(next());
            std::string item;
            while (std::getline(ss, item, ',')) o.milestones.push_back(std::stoul(item));
        } else if (a == "--pid")
            o.pid = std::stol(next());
        else if (a == "--blast")
            o.blast_seconds = std::stod(next());
        else if (a == "--concurrency")
            o.concurrency = std::stoul(next());
        else if (a == "--messages")
            o.messages_per_second = std::stod(next());
        else if (a == "--encoding") {
            std::string e = next();
            if (e == "xml")
                o.encoding = codec::Encoding::xml;
            else if (e == "wbxml")
                o.encoding = codec::Encoding::wbxml;
            else
                usage(2);
        } else if (a == "--csp") {
            auto v = codec::parse_version_text(next());
            if (!v) usage(2);
            o.version = *v;
        } else if (a == "--logout")
            o.logout = true;
        else if (a == "--timeout")
            o.timeout_seconds = std::stod(next());
        else if (a == "--cir") {
            std::string m = next();
            if (m == "none")
                o.cir = CirMode::none;
            else if (m == "stcp")
                o.cir = CirMode::stcp;
            else if (m == "shttp")
                o.cir = CirMode::shttp;
            else
                usage(2);
        } else if (a == "--cir-ramp")
            o.cir_ramp = std::stod(next());
        else if (a == "--xmpp-host")
            o.xmpp_host = next();
        else if (a == "--xmpp-port")
            o.xmpp_port = static_cast<std::uint16_t>(std::stoul(next()));
        else if (a == "--buddy")
            o.buddy = next();
        else if (a == "--buddy-password")
            o.buddy_password = next();
        else if (a == "--echo")
            o.echo = next();
        else if (a == "--wakes")
            o.wake_rate = std::stod(next());
        else if (a == "--wake-seconds")
            o.wake_seconds = std::stod(next());
        else
            usage(2);
    }
    if (o.users == 0 || o.connections == 0 || o.concurrency == 0 || o.ramp <= 0 ||
        o.timeout_seconds <= 0 || o.logins_in_flight == 0 || o.blast_seconds < 0 ||
        o.messages_per_second < 0 || o.cir_ramp <= 0 || o.wake_rate < 0 || o.wake_seconds < 0)
        usage(2);
    // Wake-ups need a channel to wake and an XMPP client to send them.
    if (o.wake_rate > 0 && (o.cir == CirMode::none || o.xmpp_port == 0)) usage(2);
    std::sort(o.milestones.begin(), o.milestones.end());
    return o;
}

// Resident memory of a process in bytes (VmRSS), 0 if unknown.
std::uint64_t rss_bytes(long pid) {
    if (pid <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

// Latency samples in microseconds.
struct Samples {
    std::vector<std::uint32_t> us;
    void add(Clock::duration d) {
        auto v = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
        us.push_back(static_cast<std::uint32_t>(std::min<long long>(v, UINT32_MAX)));
    }
    [[nodiscard]] double percentile_ms(double p) {
        if (us.empty()) return 0;
        std::sort(us.begin(), us.end());
        auto index = static_cast<std::size_t>(p * static_cast<double>(us.size() - 1));
        return us[index] / 1000.0;
    }
    [[nodiscard]] double max_ms() const {
        return us.empty() ? 0.0 : *std::max_element(us.begin(), us.end()) / 1000.0;
    }
    // "p50 A ms, p99 B ms, max C ms (N)"
    [[nodiscard]] std::string summary() {
        char buffer[160];
        std::snprintf(buffer, sizeof buffer, "p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu)",
                      percentile_ms(0.5), percentile_ms(0.99), max_ms(), us.size());
        return buffer;
    }
};

// Bytes one HTTP exchange moved (request and answer, headers included).
struct Transfer {
    std::size_t sent = 0;
    std::size_t received = 0;
};

// One exchange waiting for a connection.
struct Exchange {
    std::string body;
    std::function<void(int status, std::string body, Transfer bytes)> done;
};

// A keep-alive HTTP connection that carries one exchange at a time.
class Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(asio::io_context& io, const tcp::resolver::results_type& endpoints,
               const Options& options, std::function<void(std::shared_ptr<Connection>)> idle)
        : socket_(io),
          timer_(io),
          endpoints_(endpoints),
          options_(options),
          idle_(std::move(idle)) {}

    void run(Exchange exchange) {
        exchange_ = std::move(exchange);
        transfer_ = {};
        // onesoup closes keep-alive connections idle for long (between the phases): such a
        // connection fails at once, and the exchange is tried again once on a new one.
        reused_ = socket_.is_open();
        // An answer that never comes must not hang the run: close the socket, which ends the
        // pending operation with an error.
        timer_.expires_after(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(options_.timeout_seconds)));
        timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
            if (ec) return;
            if (auto self = weak.lock()) {
                beast::error_code ignored;
                self->socket_.close(ignored);
            }
        });
        if (!socket_.is_open()) {
            auto self = shared_from_this();
            asio::async_connect(socket_, endpoints_,
                                [self](beast::error_code ec, const tcp::endpoint&) {
                                    if (ec) return self->finish(0, ec.message());
                                    self->write();
                                });
            return;
        }
        write();
    }

  private:
    void write() {
        request_ = {};
        request_.method(http::verb::post);
        request_.target(options_.path);
        request_.version(11);
        // RFC 9110 7.2: the port too; onesoup builds the STCP address and CIR URL from it.
        request_.set(http::field::host, options_.port == "80"
                                            ? options_.host
                                            : options_.host + ":" + options_.port);
        request_.set(http::field::content_type,
                     std::string(codec::content_type(options_.version, options_.encoding)));
        request_.body() = exchange_.body;
        request_.prepare_payload();
        auto self = shared_from_this();
        http::async_write(socket_, request_, [self](beast::error_code ec, std::size_t sent) {
            if (ec) return self->fail(ec);
            self->transfer_.sent = sent;
            self->response_ = {};
            http::async_read(self->socket_, self->buffer_, self->response_,
                             [self](beast::error_code ec2, std::size_t received) {
                                 if (ec2) return self->fail(ec2);
                                 self->transfer_.received = received;
                                 bool keep = self->response_.keep_alive();
                                 int status = static_cast<int>(self->response_.result_int());
                                 std::string body = std::move(self->response_.body());
                                 if (!keep) {
                                     beast::error_code ignored;
                                     self->socket_.close(ignored);
                                 }
                                 self->finish(status, std::move(body));
                             });
        });
    }
    void fail(beast::error_code ec) {
        beast::error_code ignored;
        socket_.close(ignored);
        bool stale = ec == http::error::end_of_stream || ec == asio::error::eof ||
                     ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
        if (reused_ && stale) {
            reused_ = false;
            buffer_.clear();
            auto self = shared_from_this();
            asio::async_connect(socket_, endpoints_,
                                [self](beast::error_code ec2, const tcp::endpoint&) {
                                    if (ec2) return self->finish(0, ec2.message());
                                    self->write();
                                });
            return;
        }
        finish(0, ec.message());
    }
    void finish(int status, std::string body) {
        timer_.cancel();
        auto done = std::move(exchange_.done);
        exchange_ = {};
        buffer_.clear();
        idle_(shared_from_this());
        if (done) done(status, std::move(body), transfer_);
    }

    tcp::socket socket_;
    asio::steady_timer timer_;
    tcp::resolver::results_type endpoints_;
    const Options& options_;
    std::function<void(std::shared_ptr<Connection>)> idle_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    Exchange exchange_;
    Transfer transfer_;
    bool reused_ = false;
};

// A pool of connections and a queue of exchanges waiting for one.
class Pool {
  public:
    Pool(asio::io_context& io, const Options& options) {
        tcp::resolver resolver(io);
        auto endpoints = resolver.resolve(options.host, options.port);
        for (std::size_t i = 0; i < options.connections; ++i) {
            idle_.push_back(std::make_shared<Connection>(
                io, endpoints, options,
                [this](std::shared_ptr<Connection> c) { released(std::move(c)); }));
        }
    }
    void post(std::string body, std::function<void(int, std::string)> done) {
        post_counted(std::move(body), [done = std::move(done)](int status, std::string answer,
                                                               Transfer) {
            done(status, std::move(answer));
        });
    }
    // The same, and the exchange's bytes on the wire.
    void post_counted(std::string body, std::function<void(int, std::string, Transfer)> done) {
        Exchange exchange{std::move(body), std::move(done)};
        if (idle_.empty()) {
            waiting_.push_back(std::move(exchange));
            return;
        }
        auto c = idle_.back();
        idle_.pop_back();
        c->run(std::move(exchange));
    }

  private:
    void released(std::shared_ptr<Connection> c) {
        if (!waiting_.empty()) {
            auto exchange = std::move(waiting_.front());
            waiting_.pop_front();
            c->run(std::move(exchange));
            return;
        }
        idle_.push_back(std::move(c));
    }
    std::vector<std::shared_ptr<Connection>> idle_;
    std::deque<Exchange> waiting_;
};

// What a phone's CIR channel reports to the load program (one object shared by all phones).
struct CirEvents {
    // The channel is up: STCP answered the HELO with OK; SHTTP wrote its first GET.
    std::function<void(std::size_t phone)> up;
    // A wake-up: the WVCI line (without line end) and the bytes it took on the link (STCP: the
    // line; SHTTP: the GET that was held and its answer).
    std::function<void(std::size_t phone, std::string line, std::size_t bytes)> wake;
    // The channel failed or closed; `why` in plain words.
    std::function<void(std::size_t phone, std::string why)> lost;
};

// One phone's STCP channel (CSP Transport Binding 1.2 section 8.1.3): connect, "HELO
// <SessionID>\r\n", then read lines: "OK" answers, "WVCI ..." wakes.
class StcpChannel : public std::enable_shared_from_this<StcpChannel> {
  public:
    StcpChannel(asio::io_context& io, std::size_t phone, const CirEvents& events)
        : socket_(io), phone_(phone), events_(events) {}

    void start(const tcp::endpoint& endpoint, const std::string& session_id) {
        out_ = "HELO " + session_id + "\r\n";
        auto self = shared_from_this();
        socket_.async_connect(endpoint, [self](beast::error_code ec) {
            if (ec) return self->lost("STCP connect: " + ec.message());
            asio::async_write(self->socket_, asio::buffer(self->out_),
                              [self](beast::error_code ec2, std::size_t) {
                                  if (ec2) return self->lost("STCP HELO: " + ec2.message());
                                  self->read();
                              });
        });
    }
    void close() {
        closing_ = true;
        beast::error_code ignored;
        socket_.close(ignored);
    }

  private:
    void read() {
        auto self = shared_from_this();
        asio::async_read_until(
            socket_, asio::dynamic_buffer(in_), "\r\n",
            [self](beast::error_code ec, std::size_t n) {
                if (ec) {
                    return self->lost(ec == asio::error::eof ? "STCP closed by onesoup"
                                                             : "STCP read: " + ec.message());
                }
                std::string line = self->in_.substr(0, n - 2);
                self->in_.erase(0, n);
                if (line == "OK") {
                    if (!self->up_) {
                        self->up_ = true;
                        self->events_.up(self->phone_);
                    }
                } else if (line.rfind("WVCI", 0) == 0) {
                    self->events_.wake(self->phone_, line, n);
                } else {
                    return self->lost("STCP: unexpected line \"" + line.substr(0, 40) + "\"");
                }
                self->read();
            });
    }
    void lost(std::string why) {
        if (closing_) return;
        closing_ = true;
        beast::error_code ignored;
        socket_.close(ignored);
        events_.lost(phone_, std::move(why));
    }

    tcp::socket socket_;
    std::size_t phone_;
    const CirEvents& events_;
    std::string out_;
    std::string in_;
    bool up_ = false;
    bool closing_ = false;
};

// One phone's SHTTP channel: GET of its CIR URL on a connection of its own, held by onesoup
// until there is news (200 with the WVCI line) or the hold time passes (204); sent again at
// once after each answer, as Android's HttpCirChannel does (it waits up to 10 s).
class ShttpChannel : public std::enable_shared_from_this<ShttpChannel> {
  public:
    ShttpChannel(asio::io_context& io, std::size_t phone, const CirEvents& events)
        : socket_(io), phone_(phone), events_(events) {}

    void start(const tcp::endpoint& endpoint, std::string host, std::string target) {
        endpoint_ = endpoint;
        request_.method(http::verb::get);
        request_.target(target);
        request_.version(11);
        request_.set(http::field::host, host);
        request_.set(http::field::user_agent, "onesoup-load");
        connect();
    }
    void close() {
        closing_ = true;
        beast::error_code ignored;
        socket_.close(ignored);
    }

  private:
    void connect() {
        auto self = shared_from_this();
        socket_.async_connect(endpoint_, [self](beast::error_code ec) {
            if (ec) return self->lost("SHTTP connect: " + ec.message());
            self->get();
        });
    }
    void get() {
        auto self = shared_from_this();
        http::async_write(socket_, request_, [self](beast::error_code ec, std::size_t sent) {
            if (ec) return self->lost("SHTTP GET: " + ec.message());
            self->get_bytes_ = sent;
            if (!self->up_) {
                self->up_ = true;
                self->events_.up(self->phone_);
            }
            self->response_ = {};
            http::async_read(self->socket_, self->buffer_, self->response_,
                             [self](beast::error_code ec2, std::size_t received) {
                                 self->answered(ec2, received);
                             });
        });
    }
    void answered(beast::error_code ec, std::size_t received) {
        if (ec) {
            return lost(ec == http::error::end_of_stream ? "SHTTP closed by onesoup"
                                                         : "SHTTP read: " + ec.message());
        }
        int status = static_cast<int>(response_.result_int());
        if (status == 200) {
            events_.wake(phone_, response_.body(), get_bytes_ + received);
        } else if (status != 204) {
            return lost("SHTTP answer HTTP " + std::to_string(status));
        }
        buffer_.clear();
        if (!response_.keep_alive()) {
            beast::error_code ignored;
            socket_.close(ignored);
            return connect();
        }
        get();
    }
    void lost(std::string why) {
        if (closing_) return;
        closing_ = true;
        beast::error_code ignored;
        socket_.close(ignored);
        events_.lost(phone_, std::move(why));
    }

    tcp::socket socket_;
    std::size_t phone_;
    const CirEvents& events_;
    tcp::endpoint endpoint_;
    http::request<http::empty_body> request_;
    http::response<http::string_body> response_;
    beast::flat_buffer buffer_;
    std::size_t get_bytes_ = 0;
    bool up_ = false;
    bool closing_ = false;
};

struct Phone {
    std::string user_id;
    std::string session_id;
    std::uint64_t next_transaction = 1;
    bool logged_in = false;
    bool busy = false;
    std::uint32_t expected = 0;  // messages accepted for this phone and not yet polled
    // CIR: what ClientCapability agreed, the open channel, the wake-up message out (if any).
    std::string tcp_address;
    std::uint16_t tcp_port = 0;
    std::string cir_url;
    std::shared_ptr<StcpChannel> stcp;
    std::shared_ptr<ShttpChannel> shttp;
    std::optional<std::size_t> wake;  // index into Load::wakes_
    bool cir_up = false;              // the channel is open (HELO answered / GET written)
    bool poll_again = false;          // a WVCI came while a request was in flight
    int empty_polls = 0;              // polls since the WVCI that did not bring the message
};

// One wake-up message from the XMPP client to a phone.
struct Wake {
    std::size_t phone = 0;
    Clock::time_point sent{};
    bool woken = false;
    bool delivered = false;
    std::size_t link_bytes = 0;  // on the phone's link: CIR + polls + MessageDelivered
    Clock::time_point echo_sent{};  // when the copy to the echo client was written
};

// The result code of a response primitive, if it has one.
std::optional<std::int64_t> code_of(const model::Primitive& p) {
    return std::visit(
        [](const auto& x) -> std::optional<std::int64_t> {
            if constexpr (requires { x.result.code; })
                return x.result.code;
            else
                return std::nullopt;
        },
        p);
}

class Load {
  public:
    Load(asio::io_context& io, Options options)
        : io_(io), options_(std::move(options)), pool_(io, options_), timer_(io), rng_(12345) {
        phones_.resize(options_.users);
        for (std::size_t i = 0; i < options_.users; ++i) {
            char buffer[256];
            std::snprintf(buffer, sizeof buffer, options_.user_format.c_str(), options_.first + i);
            phones_[i].user_id = std::string("wv:") + buffer;
        }
        cir_events_.up = [this](std::size_t index) { channel_up(index); };
        cir_events_.wake = [this](std::size_t index, std::string line, std::size_t bytes) {
            on_wake(index, line, bytes);
        };
        cir_events_.lost = [this](std::size_t index, std::string why) {
            channel_lost(index, why);
        };
    }

    void start() {
        baseline_rss_ = rss_bytes(options_.pid);
        started_ = Clock::now();
        last_report_ = started_;
        std::printf("onesoup-load: %zu phones, ramp %.0f logins/s, %zu connections, %s CSP %s\n",
                    options_.users, options_.ramp, options_.connections,
                    options_.encoding == codec::Encoding::wbxml ? "WBXML" : "XML",
                    std::string(codec::version_text(options_.version)).c_str());
        if (options_.pid > 0)
            std::printf("onesoup RSS before: %.1f MiB\n",
                        static_cast<double>(baseline_rss_) / 1048576.0);
        if (options_.xmpp_port != 0) start_xmpp();
        tick();
    }

    int report() {
        double ramp_seconds =
            std::chrono::duration<double>(ramp_done_ - started_).count() - paused_seconds_;
        std::printf("\n== results\n");
        std::printf("logins: %zu ok, %zu failed in %.1f s of ramp: %.0f logins/s\n", logged_in_,
                    login_failed_, ramp_seconds,
                    ramp_seconds > 0 ? static_cast<double>(logged_in_) / ramp_seconds : 0.0);
        std::printf(
            "login latency (Login-Request to answer, includes the XMPP login): "
            "p50 %.1f ms, p99 %.1f ms\n",
            login_latency_.percentile_ms(0.5), login_latency_.percentile_ms(0.99));
        double blast = std::chrono::duration<double>(blast_end_ - blast_start_).count();
        if (options_.blast_seconds > 0 && blast > 0 && workers_ > 0) {
            std::printf(
                "blast: %llu Polling/KeepAlive transactions in %.1f s: %.0f "
                "transactions/s (%zu workers back to back)\n",
                static_cast<unsigned long long>(blast_transactions_), blast,
                static_cast<double>(blast_transactions_) / blast, workers_);
            std::printf("transaction latency: p50 %.2f ms, p99 %.2f ms\n",
                        tx_latency_.percentile_ms(0.5), tx_latency_.percentile_ms(0.99));
        }
        if (options_.messages_per_second > 0)
            std::printf(
                "messages: %llu sent (%llu refused), %llu arrived at the other phone "
                "(%llu SendMessage/MessageDelivered/Polling transactions for them)\n",
                static_cast<unsigned long long>(messages_sent_),
                static_cast<unsigned long long>(messages_refused_),
                static_cast<unsigned long long>(messages_received_),
                static_cast<unsigned long long>(message_transactions_));
        std::printf(
            "transactions in all: %llu (2 per login, the blast, the messages, "
            "logouts)\n",
            static_cast<unsigned long long>(transactions_));
        for (const auto& [count, bytes] : memory_)
            std::printf(
                "memory at %zu sessions: RSS +%.1f MiB over the start, %.1f KiB per "
                "session\n",
                count, bytes / 1048576.0, bytes / 1024.0 / static_cast<double>(count));
        if (options_.cir != CirMode::none) report_cir();
        if (options_.wake_rate > 0) report_wakes();
        std::printf("errors: %llu", static_cast<unsigned long long>(errors_));
        for (const auto& [what, n] : error_kinds_)
            std::printf(" [%s: %llu]", what.c_str(), static_cast<unsigned long long>(n));
        std::printf("\n");
        bool lost = messages_received_ < messages_sent_ || wakes_delivered_ < wakes_sent_;
        if (lost)
            std::printf("messages lost: %llu\n",
                        static_cast<unsigned long long>(messages_sent_ - messages_received_));
        return errors_ == 0 && login_failed_ == 0 && !lost ? 0 : 1;
    }

  private:
    enum class Phase {
        ramp,
        settle,
        sessions_settle,
        cir_open,
        cir_settle,
        wake,
        wake_drain,
        blast,
        drain,
        logout,
        done
    };

    void report_cir() {
        std::printf("CIR %s: %zu channels up at the end, %zu never came up, %zu lost after; "
                    "opened in %.1f s\n",
                    cir_name(), channels_up_, channels_failed_, channels_lost_,
                    cir_open_seconds_);
        if (options_.pid <= 0 || logged_in_ == 0) return;
        double sessions = static_cast<double>(sessions_rss_) - static_cast<double>(baseline_rss_);
        double channels = static_cast<double>(cir_rss_) - static_cast<double>(sessions_rss_);
        std::printf("memory, %zu sessions alone: RSS %.1f MiB, +%.1f MiB over the start: %.1f KiB "
                    "per session\n",
                    logged_in_, static_cast<double>(sessions_rss_) / 1048576.0,
                    sessions / 1048576.0, sessions / 1024.0 / static_cast<double>(logged_in_));
        std::size_t held = channels_up_ + channels_lost_;  // up when the memory was read
        if (held > 0)
            std::printf("memory, %zu held %s channels: RSS %.1f MiB, +%.1f MiB over the sessions "
                        "alone: %.0f bytes (%.2f KiB) per held channel\n",
                        held, cir_name(), static_cast<double>(cir_rss_) / 1048576.0,
                        channels / 1048576.0, channels / static_cast<double>(held),
                        channels / 1024.0 / static_cast<double>(held));
    }

    void report_wakes() {
        double seconds = std::chrono::duration<double>(wake_end_ - wake_start_).count();
        auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
        std::printf("wake-ups: %llu messages written by the XMPP client (%llu skipped: no idle "
                    "phone), %llu woken, %llu delivered, in %.1f s\n",
                    u(wakes_sent_), u(wakes_skipped_), u(wakes_woken_), u(wakes_delivered_),
                    seconds);
        std::printf("WVCI lines: %llu (%llu with no wake-up message waiting); polls after a "
                    "wake: %llu\n",
                    u(wvci_received_), u(unexpected_wakes_), u(wake_polls_));
        std::printf("wake latency (XMPP write -> WVCI at the phone): %s\n",
                    wake_latency_.summary().c_str());
        std::printf("end to end (XMPP write -> NewMessage in the poll answer): %s\n",
                    end_to_end_.summary().c_str());
        if (!options_.echo.empty())
            std::printf("XMPP server alone (XMPP write -> copy at a second XMPP client): %s\n",
                        echo_latency_.summary().c_str());
        auto avg = [](std::uint64_t sum, std::uint64_t n) {
            return n == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(n);
        };
        // Everything the phones' links carried in the wake phase, per message delivered (a
        // second wake or poll of a message counts too).
        std::uint64_t all = cir_bytes_ + poll_sent_ + poll_received_ + delivered_sent_ +
                            delivered_received_;
        std::printf("bytes on the phone's link per delivered message: %.0f in all (%.0f in the "
                    "exchanges of the message itself)\n",
                    avg(all, wakes_delivered_), avg(woken_bytes_, woken_counted_));
        std::printf("  per exchange: CIR %.0f (%s) x %.2f per message, poll request %.0f + "
                    "answer %.0f x %.2f, MessageDelivered request + answer %.0f x %.2f "
                    "(HTTP/STCP payload with headers)\n",
                    avg(cir_bytes_, cir_lines_),
                    options_.cir == CirMode::stcp ? "the WVCI line" : "held GET + 200 answer",
                    avg(cir_lines_, wakes_delivered_), avg(poll_sent_, wake_polls_),
                    avg(poll_received_, wake_polls_), avg(wake_polls_, wakes_delivered_),
                    avg(delivered_sent_ + delivered_received_, delivered_exchanges_),
                    avg(delivered_exchanges_, wakes_delivered_));
    }

    void error(const std::string& what) {
        ++errors_;
        if (error_kinds_.size() < 20 || error_kinds_.count(what)) ++error_kinds_[what];
    }

    std::string encode(const Phone& phone, model::Primitive primitive, std::string tid,
                       bool outband = false) {
        model::Message m;
        m.version = options_.version;
        m.session.type = outband ? model::SessionType::outband : model::SessionType::inband;
        if (!outband) m.session.session_id = phone.session_id;
        model::Transaction t;
        t.descriptor.mode = model::TransactionMode::request;
        t.descriptor.id = std::move(tid);
        t.content = std::move(primitive);
        m.transactions.push_back(std::move(t));
        return encode_message(m);
    }
    std::string encode_message(const model::Message& m) {
        auto tree = model::to_tree(m, options_.version);
        if (options_.encoding == codec::Encoding::xml) return codec::encode_xml(tree);
        auto bytes = codec::encode_wbxml(tree, options_.version);
        return bytes ? std::move(*bytes) : std::string();
    }
    std::optional<model::Message> decode(const std::string& body) {
        auto doc = codec::decode(body);
        if (!doc) return std::nullopt;
        auto m = model::from_tree(doc->root, doc->version);
        if (!m) return std::nullopt;
        return std::move(*m);
    }
    std::string next_tid(Phone& p) { return "ld" + std::to_string(p.next_transaction++); }

    // Every 10 ms: start logins at the ramp rate, print progress each second, move phases on.
    void tick() {
        auto now = Clock::now();
        if (phase_ == Phase::ramp) {
            double elapsed =
                std::chrono::duration<double>(now - started_).count() - paused_seconds_;
            auto due = static_cast<std::size_t>(elapsed * options_.ramp) + 1;
            while (next_login_ < phones_.size() && next_login_ < due &&
                   logins_in_flight_ < options_.logins_in_flight && !milestone_due()) {
                login(next_login_++);
            }
            if (milestone_due() && logins_in_flight_ == 0) {
                phase_ = Phase::settle;
                settle_until_ = now + std::chrono::seconds(3);
                pause_started_ = now;
            }
            if (next_login_ == phones_.size() && logins_in_flight_ == 0 && !milestone_due()) {
                ramp_done_ = now;
                after_logins(now);
            }
        } else if (phase_ == Phase::settle && now >= settle_until_) {
            auto rss = rss_bytes(options_.pid);
            std::size_t milestone = options_.milestones[milestone_index_++];
            if (options_.pid > 0) {
                double extra = static_cast<double>(rss) - static_cast<double>(baseline_rss_);
                memory_[milestone] = extra;
                std::printf("memory at %zu sessions: RSS %.1f MiB, %.1f KiB per session\n",
                            logged_in_, static_cast<double>(rss) / 1048576.0,
                            extra / 1024.0 / static_cast<double>(logged_in_));
            }
            paused_seconds_ += std::chrono::duration<double>(now - pause_started_).count();
            phase_ = Phase::ramp;
        } else if (phase_ == Phase::sessions_settle && now >= settle_until_) {
            sessions_rss_ = rss_bytes(options_.pid);
            if (options_.pid > 0)
                std::printf("memory with %zu sessions, no CIR channel: RSS %.1f MiB\n", logged_in_,
                            static_cast<double>(sessions_rss_) / 1048576.0);
            std::printf("opening %zu %s channels at %.0f/s\n", live_.size(), cir_name(),
                        options_.cir_ramp);
            phase_ = Phase::cir_open;
            cir_started_ = now;
        } else if (phase_ == Phase::cir_open) {
            double elapsed = std::chrono::duration<double>(now - cir_started_).count();
            auto due = static_cast<std::size_t>(elapsed * options_.cir_ramp) + 1;
            while (next_channel_ < live_.size() && next_channel_ < due)
                open_channel(live_[next_channel_++]);
            bool all = next_channel_ == live_.size() &&
                       channels_up_ + channels_failed_ >= live_.size();
            // Channels that neither come up nor fail must not stall the run.
            bool late = elapsed > static_cast<double>(live_.size()) / options_.cir_ramp + 30;
            if (all || late) {
                if (!all) error("CIR channels not up 30 s after the last was opened");
                cir_open_seconds_ = elapsed;
                phase_ = Phase::cir_settle;
                settle_until_ = now + std::chrono::seconds(3);
            }
        } else if (phase_ == Phase::cir_settle && now >= settle_until_) {
            cir_rss_ = rss_bytes(options_.pid);
            if (options_.pid > 0)
                std::printf("memory with %zu sessions and %zu %s channels: RSS %.1f MiB\n",
                            logged_in_, channels_up_, cir_name(),
                            static_cast<double>(cir_rss_) / 1048576.0);
            if (options_.wake_rate > 0)
                start_wakes(now);
            else
                start_blast(now);
        } else if (phase_ == Phase::wake) {
            if (now >= wake_deadline_) {
                phase_ = Phase::wake_drain;
                drain_deadline_ = now + std::chrono::seconds(10);
            } else {
                double elapsed = std::chrono::duration<double>(now - wake_start_).count();
                auto due = static_cast<std::uint64_t>(elapsed * options_.wake_rate);
                while (wakes_started_ < due) {
                    ++wakes_started_;
                    send_wake();
                }
            }
        } else if (phase_ == Phase::wake_drain) {
            if ((wakes_pending_ == 0 && wake_in_flight_ == 0) || now >= drain_deadline_) {
                wake_end_ = now;
                start_blast(now);
            }
        } else if (phase_ == Phase::blast) {
            if (now >= blast_deadline_) {
                if (blast_in_flight_ == 0) {
                    blast_end_ = now;
                    phase_ = Phase::drain;
                    drain_deadline_ = now + std::chrono::seconds(10);
                }
            } else if (options_.messages_per_second > 0) {
                double elapsed = std::chrono::duration<double>(now - blast_start_).count();
                auto due = static_cast<std::uint64_t>(elapsed * options_.messages_per_second);
                while (messages_started_ < due) send_message();
            }
        }
        if (phase_ == Phase::drain) {
            // Messages accepted but not yet seen: poll their recipients until they arrive.
            bool waiting = messages_expected_ > messages_received_;
            if (!waiting || now >= drain_deadline_) {
                if (drain_in_flight_ == 0) {
                    phase_ = options_.logout ? Phase::logout : Phase::done;
                    if (options_.logout) logout_all();
                }
            } else if (now >= next_drain_poll_) {
                next_drain_poll_ = now + std::chrono::milliseconds(200);
                for (std::size_t index : live_) {
                    if (phones_[index].expected > 0 && !phones_[index].busy) drain_poll(index);
                }
            }
        }
        if (phase_ == Phase::logout && logouts_in_flight_ == 0) {
            phase_ = Phase::done;
        }
        if (now - last_report_ >= std::chrono::seconds(1)) {
            last_report_ = now;
            std::printf(
                "[%5.1f s] sessions %zu, logins failed %zu, in flight %zu, "
                "transactions %llu, errors %llu\n",
                std::chrono::duration<double>(now - started_).count(), logged_in_, login_failed_,
                logins_in_flight_ + blast_in_flight_,
                static_cast<unsigned long long>(transactions_),
                static_cast<unsigned long long>(errors_));
            std::fflush(stdout);
        }
        if (phase_ == Phase::done) {
            close_channels();
            return;
        }
        timer_.expires_after(std::chrono::milliseconds(10));
        timer_.async_wait([this](beast::error_code ec) {
            if (!ec) tick();
        });
    }

    bool milestone_due() const {
        return milestone_index_ < options_.milestones.size() &&
               logged_in_ + login_failed_ + logins_in_flight_ >=
                   options_.milestones[milestone_index_];
    }

    void login(std::size_t index) {
        Phone& p = phones_[index];
        ++logins_in_flight_;
        model::LoginRequest login;
        login.user_id = p.user_id;
        model::ClientId client;
        client.url = "WV:onesoup-load";
        login.client_id = client;
        login.password = options_.password;
        login.time_to_live = 1800;
        login.session_cookie = "wv:load." + std::to_string(index);
        auto sent = Clock::now();
        pool_.post(encode(p, login, next_tid(p), true),
                   [this, index, sent](int status, std::string body) {
                       login_answered(index, sent, status, body);
                   });
    }

    void login_answered(std::size_t index, Clock::time_point sent, int status,
                        const std::string& body) {
        Phone& p = phones_[index];
        ++transactions_;
        login_latency_.add(Clock::now() - sent);
        auto m = status == 200 ? decode(body) : std::nullopt;
        const model::LoginResponse* r = nullptr;
        if (m && !m->transactions.empty())
            r = std::get_if<model::LoginResponse>(&m->transactions.front().content);
        if (!r || r->result.code != 200 || !r->session_id) {
            --logins_in_flight_;
            ++login_failed_;
            error(r ? "login " + std::to_string(r->result.code)
                    : "login answer HTTP " + std::to_string(status));
            return;
        }
        p.session_id = *r->session_id;
        model::ClientCapabilityRequest caps;
        model::CapabilityList list;
        list.client_type = std::string("MOBILE_PHONE");
        list.accepted_content_length = 10000;
        list.multi_trans = 1;
        list.initial_delivery_method = model::DeliveryMethod::push;
        if (options_.cir == CirMode::stcp) list.supported_cir_methods = {model::CirMethod::stcp};
        if (options_.cir == CirMode::shttp)
            list.supported_cir_methods = {model::CirMethod::shttp};
        caps.client_id.url = "WV:onesoup-load";
        caps.capabilities = list;
        pool_.post(encode(p, caps, next_tid(p)), [this, index](int s, std::string b) {
            --logins_in_flight_;
            ++transactions_;
            auto cm = s == 200 ? decode(b) : std::nullopt;
            if (!cm || cm->transactions.empty()) {
                ++login_failed_;
                error("capability answer HTTP " + std::to_string(s));
                return;
            }
            if (options_.cir != CirMode::none && !take_agreed_cir(index, *cm)) {
                ++login_failed_;
                return;
            }
            phones_[index].logged_in = true;
            live_.push_back(index);
            ++logged_in_;
        });
    }

    // After the last login: the CIR phases first when the phones use CIR.
    void after_logins(Clock::time_point now) {
        if (options_.cir == CirMode::none) return start_blast(now);
        std::printf("all logins done: %zu sessions\n", logged_in_);
        phase_ = Phase::sessions_settle;
        settle_until_ = now + std::chrono::seconds(3);
    }

    [[nodiscard]] const char* cir_name() const {
        return options_.cir == CirMode::stcp ? "STCP" : "SHTTP";
    }

    // Keeps what ClientCapability-Response agreed for the phone's CIR method; false (an error
    // counted) if onesoup did not agree it.
    bool take_agreed_cir(std::size_t index, const model::Message& m) {
        const auto* r =
            std::get_if<model::ClientCapabilityResponse>(&m.transactions.front().content);
        if (!r || !r->capabilities) {
            error("capability answer without an agreed capability list");
            return false;
        }
        const model::CapabilityList& caps = *r->capabilities;
        auto want =
            options_.cir == CirMode::stcp ? model::CirMethod::stcp : model::CirMethod::shttp;
        const auto& agreed = caps.supported_cir_methods;
        if (std::find(agreed.begin(), agreed.end(), want) == agreed.end()) {
            error(std::string(cir_name()) + " not agreed");
            return false;
        }
        Phone& p = phones_[index];
        if (want == model::CirMethod::stcp) {
            if (!caps.tcp_port || *caps.tcp_port <= 0 || *caps.tcp_port > 65535) {
                error("STCP agreed without a TCPPort");
                return false;
            }
            p.tcp_address = caps.tcp_address.value_or(options_.host);
            p.tcp_port = static_cast<std::uint16_t>(*caps.tcp_port);
        } else {
            if (!caps.cir_url || caps.cir_url->url.empty()) {
                error("SHTTP agreed without a CIR URL");
                return false;
            }
            p.cir_url = caps.cir_url->url;
        }
        return true;
    }

    // Opens the phone's CIR channel to where ClientCapability said.
    void open_channel(std::size_t index) {
        Phone& p = phones_[index];
        beast::error_code ec;
        if (options_.cir == CirMode::stcp) {
            auto address = asio::ip::make_address(p.tcp_address, ec);
            if (ec) return channel_lost(index, "TCPAddress is not an IP address");
            p.stcp = std::make_shared<StcpChannel>(io_, index, cir_events_);
            p.stcp->start(tcp::endpoint(address, p.tcp_port), p.session_id);
            return;
        }
        // http://host[:port]/path (the load program does not resolve names here).
        const std::string& url = p.cir_url;
        if (url.rfind("http://", 0) != 0) return channel_lost(index, "CIR URL is not http://");
        auto slash = url.find('/', 7);
        std::string hostport = url.substr(7, slash == std::string::npos ? slash : slash - 7);
        std::string target = slash == std::string::npos ? "/" : url.substr(slash);
        std::string host = hostport;
        std::uint16_t port = 80;
        if (auto colon = hostport.rfind(':');
            colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
            host = hostport.substr(0, colon);
            port = static_cast<std::uint16_t>(std::strtoul(hostport.c_str() + colon + 1,
                                                           nullptr, 10));
        }
        if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
        auto address = asio::ip::make_address(host, ec);
        if (ec || port == 0) return channel_lost(index, "CIR URL host is not IP:port");
        p.shttp = std::make_shared<ShttpChannel>(io_, index, cir_events_);
        p.shttp->start(tcp::endpoint(address, port), hostport, target);
    }

    void channel_up(std::size_t index) {
        phones_[index].cir_up = true;
        ++channels_up_;
    }

    void channel_lost(std::size_t index, const std::string& why) {
        Phone& p = phones_[index];
        if (p.cir_up) {
            p.cir_up = false;
            ++channels_lost_;
            --channels_up_;
        } else {
            ++channels_failed_;
        }
        error(why);
    }

    // Closes every CIR channel and the XMPP clients, so that the event loop runs dry.
    void close_channels() {
        for (auto& p : phones_) {
            if (p.stcp) p.stcp->close();
            if (p.shttp) p.shttp->close();
        }
        if (buddy_) buddy_->close();
        if (echo_) echo_->close();
    }

    // The XMPP clients that send the wake-up messages (and receive the copies).
    void start_xmpp() {
        auto sasl = xmpp::SaslContext::create();
        if (!sasl) throw std::runtime_error("libgsasl: " + sasl.error().message);
        sasl_ = std::move(*sasl);
        auto tls = xmpp::TlsContext::create(false);
        if (!tls) throw std::runtime_error("OpenSSL: " + tls.error().message);
        tls_ = std::move(*tls);
        xmpp_ = std::make_unique<xmpp::ClientContext>(io_, *tls_, *sasl_);
        buddy_ = connect_xmpp(options_.buddy, [this] {
            buddy_bound_ = true;
            buddy_->send(xmpp::Element("presence", xmpp::ns::client));
        });
        if (!options_.echo.empty()) {
            echo_ = connect_xmpp(options_.echo, [this] {
                echo_bound_ = true;
                echo_->send(xmpp::Element("presence", xmpp::ns::client));
            });
        }
    }

    std::shared_ptr<xmpp::ClientConnection> connect_xmpp(const std::string& jid,
                                                         std::function<void()> bound) {
        auto parsed = xmpp::Jid::parse(jid + "/load");
        if (!parsed) throw std::runtime_error("bad JID " + jid);
        xmpp::ClientConfig c;
        c.jid = *parsed;
        c.password = options_.buddy_password;
        // Loopback benchmark: no TLS, so the XMPP side costs little CPU next to onesoup's.
        c.tls = xmpp::ClientConfig::Tls::off;
        c.allow_plain_without_tls = true;
        c.release_parser_when_idle = false;
        xmpp::ConnectionOptions o;
        o.host = options_.xmpp_host;
        o.port = options_.xmpp_port;
        xmpp::ConnectionHandler h;
        h.on_bound = [bound = std::move(bound)](const xmpp::Jid&) { bound(); };
        h.on_stanza = [this](const xmpp::Element& e) { on_xmpp_stanza(e); };
        h.on_failed = [this, jid](const std::string& why) {
            std::fprintf(stderr, "onesoup-load: XMPP client %s failed: %s\n", jid.c_str(),
                         why.c_str());
            error("XMPP client failed");
        };
        auto conn = xmpp::ClientConnection::create(*xmpp_, std::move(c), std::move(o),
                                                   std::move(h));
        conn->start();
        return conn;
    }

    // A copy of a wake-up message at the echo client: the XMPP server's own latency.
    void on_xmpp_stanza(const xmpp::Element& e) {
        if (!e.is("message", xmpp::ns::client)) return;
        const xmpp::Element* body = e.child("body", xmpp::ns::client);
        if (!body || body->text.rfind("echo ", 0) != 0) return;
        std::size_t seq = std::strtoul(body->text.c_str() + 5, nullptr, 10);
        if (seq < wakes_.size()) echo_latency_.add(Clock::now() - wakes_[seq].echo_sent);
    }

    void start_wakes(Clock::time_point now) {
        if (!buddy_bound_) {
            error("XMPP client not logged in: no wake-ups");
            return start_blast(now);
        }
        std::printf("wake-ups: %.0f messages/s from %s to random idle phones for %.0f s\n",
                    options_.wake_rate, options_.buddy.c_str(), options_.wake_seconds);
        phase_ = Phase::wake;
        wake_start_ = now;
        wake_deadline_ = now + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options_.wake_seconds));
    }

    // One message from the XMPP client to a random phone that is idle (no message of ours on
    // its way, no request in flight) and holds its CIR channel.
    void send_wake() {
        if (live_.empty()) return;
        std::uniform_int_distribution<std::size_t> pick(0, live_.size() - 1);
        std::optional<std::size_t> chosen;
        for (int tries = 0; tries < 32 && !chosen; ++tries) {
            std::size_t index = live_[pick(rng_)];
            const Phone& p = phones_[index];
            if (!p.wake && !p.busy && p.cir_up) chosen = index;
        }
        if (!chosen) {
            ++wakes_skipped_;
            return;
        }
        Phone& p = phones_[*chosen];
        std::size_t seq = wakes_.size();
        wakes_.push_back(Wake{});
        Wake& w = wakes_.back();
        w.phone = *chosen;
        p.wake = seq;
        p.empty_polls = 0;
        ++wakes_pending_;
        xmpp::Element m("message", xmpp::ns::client);
        m.set_attr("to", p.user_id.substr(3)).set_attr("type", "chat");
        m.add_text_child("body", xmpp::ns::client, "wake " + std::to_string(seq));
        w.sent = Clock::now();
        buddy_->send(m);
        ++wakes_sent_;
        if (echo_ && echo_bound_) {
            xmpp::Element copy("message", xmpp::ns::client);
            copy.set_attr("to", options_.echo).set_attr("type", "chat");
            copy.add_text_child("body", xmpp::ns::client, "echo " + std::to_string(seq));
            w.echo_sent = Clock::now();
            buddy_->send(copy);
        }
    }

    // A WVCI line on the phone's channel: check it, time it, poll.
    void on_wake(std::size_t index, const std::string& line, std::size_t bytes) {
        auto now = Clock::now();
        ++wvci_received_;
        Phone& p = phones_[index];
        // "WVCI <version> <cookie>": the cookie is the one the phone gave at login (S60 and
        // Android check it).
        std::string cookie = "wv:load." + std::to_string(index);
        auto space = line.rfind(' ');
        if (space == std::string::npos || line.compare(space + 1, std::string::npos, cookie) != 0)
            error("WVCI line without the phone's cookie");
        cir_bytes_ += bytes;
        ++cir_lines_;
        if (p.wake) {
            Wake& w = wakes_[*p.wake];
            w.link_bytes += bytes;
            if (!w.woken) {
                w.woken = true;
                ++wakes_woken_;
                wake_latency_.add(now - w.sent);
            }
        } else {
            ++unexpected_wakes_;
        }
        wake_poll(index);
    }

    // The woken phone's Polling-Request.
    void wake_poll(std::size_t index) {
        Phone& p = phones_[index];
        if (p.busy) {
            p.poll_again = true;
            return;
        }
        p.busy = true;
        ++wake_in_flight_;
        pool_.post_counted(encode(p, model::PollingRequest{}, next_tid(p)),
                           [this, index](int status, std::string body, Transfer bytes) {
                               --wake_in_flight_;
                               Phone& ph = phones_[index];
                               ph.busy = false;
                               ++transactions_;
                               ++wake_polls_;
                               poll_sent_ += bytes.sent;
                               poll_received_ += bytes.received;
                               if (ph.wake) wakes_[*ph.wake].link_bytes += bytes.sent + bytes.received;
                               if (status != 200)
                                   error("poll HTTP " + std::to_string(status));
                               else if (!body.empty())
                                   take_wake_answer(index, body);
                               after_wake_exchange(index);
                           });
    }

    // Finds the wake-up message in an answer and answers it with MessageDelivered.
    void take_wake_answer(std::size_t index, const std::string& body) {
        auto m = decode(body);
        if (!m) return error("undecodable answer");
        if (m->poll && *m->poll) phones_[index].poll_again = true;
        for (const auto& t : m->transactions) {
            if (auto code = code_of(t.content); code && *code != 200)
                error("result " + std::to_string(*code));
            const auto* nm = std::get_if<model::NewMessage>(&t.content);
            if (!nm) continue;
            auto now = Clock::now();
            const std::string text = nm->content_data.value_or("");
            Phone& p = phones_[index];
            std::optional<std::size_t> seq;
            if (text.rfind("wake ", 0) == 0) seq = std::strtoul(text.c_str() + 5, nullptr, 10);
            if (seq && p.wake && *seq == *p.wake) {
                Wake& w = wakes_[*seq];
                w.delivered = true;
                ++wakes_delivered_;
                if (w.woken) end_to_end_.add(now - w.sent);
            } else {
                error("a message that was not the phone's wake-up");
            }
            model::MessageDelivered delivered;
            delivered.message_id = nm->message_info.message_id.value_or("");
            model::Message reply;
            reply.version = options_.version;
            reply.session.session_id = p.session_id;
            model::Transaction rt;
            rt.descriptor.mode = model::TransactionMode::response;
            rt.descriptor.id = t.descriptor.id;
            rt.content = delivered;
            reply.transactions.push_back(std::move(rt));
            p.busy = true;
            ++wake_in_flight_;
            pool_.post_counted(
                encode_message(reply),
                [this, index, seq](int status, std::string answer, Transfer bytes) {
                    --wake_in_flight_;
                    Phone& ph = phones_[index];
                    ph.busy = false;
                    ++transactions_;
                    delivered_sent_ += bytes.sent;
                    delivered_received_ += bytes.received;
                    ++delivered_exchanges_;
                    if (seq && *seq < wakes_.size()) wakes_[*seq].link_bytes +=
                        bytes.sent + bytes.received;
                    if (status != 200) error("MessageDelivered HTTP " + std::to_string(status));
                    if (seq && ph.wake && *ph.wake == *seq) {
                        if (wakes_[*seq].woken) {
                            woken_bytes_ += wakes_[*seq].link_bytes;
                            ++woken_counted_;
                        }
                        ph.wake.reset();
                        --wakes_pending_;
                    }
                    if (status == 200 && !answer.empty()) take_wake_answer(index, answer);
                    after_wake_exchange(index);
                });
        }
    }

    // After a poll or MessageDelivered of a woken phone: poll again if asked (Poll=T, a WVCI
    // during the request), or while the message the WVCI announced has not come.
    void after_wake_exchange(std::size_t index) {
        Phone& p = phones_[index];
        if (p.busy) return;
        if (p.poll_again) {
            p.poll_again = false;
            return wake_poll(index);
        }
        if (p.wake && wakes_[*p.wake].woken && !wakes_[*p.wake].delivered) {
            if (++p.empty_polls > 50) {
                error("woken, but the message was not in 50 polls");
                p.wake.reset();
                --wakes_pending_;
                return;
            }
            auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
            timer->async_wait([this, index, timer](beast::error_code ec) {
                if (!ec) wake_poll(index);
            });
        }
    }

    void start_blast(Clock::time_point now) {
        if (options_.cir == CirMode::none)
            std::printf("all logins done: %zu sessions\n", logged_in_);
        phase_ = Phase::blast;
        blast_start_ = now;
        blast_deadline_ = now + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options_.blast_seconds));
        if (live_.empty()) {
            blast_deadline_ = now;
            return;
        }
        // More workers than sessions would only spin on busy phones.
        workers_ = std::min(options_.concurrency, live_.size());
        for (std::size_t i = 0; i < workers_; ++i) blast_one();
    }

    // One back-to-back worker: a Polling-Request (or every fourth time a KeepAlive-Request)
    // of a random idle session; collects messages that arrive.
    void blast_one() {
        if (Clock::now() >= blast_deadline_ || live_.empty()) return;
        std::size_t index = 0;
        for (int tries = 0; tries < 8; ++tries) {
            index = live_[std::uniform_int_distribution<std::size_t>(0, live_.size() - 1)(rng_)];
            if (!phones_[index].busy) break;
        }
        Phone& p = phones_[index];
        if (p.busy) {  // every sampled phone busy: try again shortly
            asio::post(io_, [this] { blast_one(); });
            return;
        }
        p.busy = true;
        ++blast_in_flight_;
        model::Primitive prim = (++blast_counter_ % 4 == 0)
                                    ? model::Primitive(model::KeepAliveRequest{})
                                    : model::Primitive(model::PollingRequest{});
        auto sent = Clock::now();
        pool_.post(encode(p, prim, next_tid(p)), [this, index, sent](int status, std::string body) {
            --blast_in_flight_;
            phones_[index].busy = false;
            ++transactions_;
            ++blast_transactions_;
            tx_latency_.add(Clock::now() - sent);
            if (status != 200)
                error("poll HTTP " + std::to_string(status));
            else if (!body.empty())
                take_pushed(index, body);
            blast_one();
        });
    }

    // Answers NewMessages found in a response with MessageDelivered and counts them.
    void take_pushed(std::size_t index, const std::string& body) {
        auto m = decode(body);
        if (!m) {
            error("undecodable answer");
            return;
        }
        for (const auto& t : m->transactions) {
            if (auto code = code_of(t.content); code && *code != 200) {
                error("result " + std::to_string(*code));
            }
        }
        take_messages(index, *m);
    }

    // onesoup may put a pending NewMessage into any answer of the session (not only a poll's):
    // counts each and answers it with MessageDelivered.
    void take_messages(std::size_t index, const model::Message& m) {
        for (const auto& t : m.transactions) {
            if (const auto* nm = std::get_if<model::NewMessage>(&t.content)) {
                ++messages_received_;
                if (phones_[index].expected > 0) --phones_[index].expected;
                model::MessageDelivered delivered;
                delivered.message_id = nm->message_info.message_id.value_or("");
                model::Message reply;
                reply.version = options_.version;
                reply.session.session_id = phones_[index].session_id;
                model::Transaction rt;
                rt.descriptor.mode = model::TransactionMode::response;
                rt.descriptor.id = t.descriptor.id;
                rt.content = delivered;
                reply.transactions.push_back(std::move(rt));
                ++blast_in_flight_;
                ++message_transactions_;
                pool_.post(encode_message(reply), [this, index](int status, std::string body) {
                    --blast_in_flight_;
                    ++transactions_;
                    if (status != 200)
                        error("MessageDelivered HTTP " + std::to_string(status));
                    else if (!body.empty())
                        take_pushed(index, body);
                });
            }
        }
    }

    void send_message() {
        ++messages_started_;
        if (live_.size() < 2) return;
        std::uniform_int_distribution<std::size_t> pick(0, live_.size() - 1);
        std::size_t from = live_[pick(rng_)];
        std::size_t to = live_[pick(rng_)];
        if (from == to) to = live_[(pick(rng_) + 1) % live_.size()];
        model::SendMessageRequest send;
        send.delivery_report = false;
        model::User recipient;
        recipient.user_id = phones_[to].user_id;
        send.message_info.recipient = model::Recipient{};
        send.message_info.recipient->users.push_back(recipient);
        send.message_info.content_type = "text/plain";
        std::string text = "load message " + std::to_string(messages_started_);
        send.message_info.content_size = static_cast<model::Integer>(text.size());
        send.content_data = text;
        ++blast_in_flight_;
        Phone& p = phones_[from];
        ++message_transactions_;
        pool_.post(encode(p, send, next_tid(p)), [this, from, to](int status, std::string body) {
            --blast_in_flight_;
            ++transactions_;
            auto m = status == 200 ? decode(body) : std::nullopt;
            std::optional<std::int64_t> code;
            if (m && !m->transactions.empty()) code = code_of(m->transactions.front().content);
            if (code && *code == 200) {
                ++messages_sent_;
                ++messages_expected_;
                ++phones_[to].expected;
            }
            if (m)
                take_messages(from, *m);
            else {
                ++messages_refused_;
                error("send " + (code ? std::to_string(*code) : "HTTP " + std::to_string(status)));
            }
        });
    }

    // A Polling-Request of a phone that still waits for a message (after the blast).
    void drain_poll(std::size_t index) {
        Phone& p = phones_[index];
        p.busy = true;
        ++drain_in_flight_;
        ++message_transactions_;
        pool_.post(encode(p, model::PollingRequest{}, next_tid(p)),
                   [this, index](int status, std::string body) {
                       --drain_in_flight_;
                       phones_[index].busy = false;
                       ++transactions_;
                       if (status != 200)
                           error("poll HTTP " + std::to_string(status));
                       else if (!body.empty())
                           take_pushed(index, body);
                   });
    }

    void logout_all() {
        for (std::size_t index : live_) {
            Phone& p = phones_[index];
            ++logouts_in_flight_;
            pool_.post(encode(p, model::LogoutRequest{}, next_tid(p)),
                       [this](int status, std::string body) {
                           --logouts_in_flight_;
                           ++transactions_;
                           auto m = status == 200 ? decode(body) : std::nullopt;
                           std::optional<std::int64_t> code;
                           if (m && !m->transactions.empty())
                               code = code_of(m->transactions.front().content);
                           if (!code || *code != 200)
                               error("logout " + (code ? std::to_string(*code)
                                                       : "HTTP " + std::to_string(status)));
                       });
        }
    }

    asio::io_context& io_;
    Options options_;
    Pool pool_;
    asio::steady_timer timer_;
    std::mt19937_64 rng_;
    std::vector<Phone> phones_;
    std::vector<std::size_t> live_;
    Phase phase_ = Phase::ramp;
    Clock::time_point started_, last_report_, ramp_done_, settle_until_, pause_started_;
    Clock::time_point blast_start_, blast_deadline_, blast_end_, drain_deadline_, next_drain_poll_;
    std::size_t workers_ = 0, drain_in_flight_ = 0;
    std::uint64_t messages_expected_ = 0, message_transactions_ = 0;
    double paused_seconds_ = 0;
    std::size_t next_login_ = 0, logins_in_flight_ = 0, logged_in_ = 0, login_failed_ = 0;
    std::size_t milestone_index_ = 0, blast_in_flight_ = 0, logouts_in_flight_ = 0;
    std::uint64_t transactions_ = 0, blast_transactions_ = 0, blast_counter_ = 0;
    std::uint64_t messages_started_ = 0, messages_sent_ = 0, messages_refused_ = 0;
    std::uint64_t messages_received_ = 0, errors_ = 0;
    std::uint64_t baseline_rss_ = 0;
    std::map<std::size_t, double> memory_;
    std::map<std::string, std::uint64_t> error_kinds_;
    Samples login_latency_, tx_latency_;
    // CIR
    CirEvents cir_events_;
    Clock::time_point cir_started_, wake_start_, wake_deadline_, wake_end_;
    double cir_open_seconds_ = 0;
    std::uint64_t sessions_rss_ = 0, cir_rss_ = 0;
    std::size_t next_channel_ = 0, channels_up_ = 0, channels_failed_ = 0, channels_lost_ = 0;
    std::unique_ptr<xmpp::SaslContext> sasl_;
    std::unique_ptr<xmpp::TlsContext> tls_;
    std::unique_ptr<xmpp::ClientContext> xmpp_;
    std::shared_ptr<xmpp::ClientConnection> buddy_, echo_;
    bool buddy_bound_ = false, echo_bound_ = false;
    std::vector<Wake> wakes_;
    std::size_t wakes_pending_ = 0, wake_in_flight_ = 0;
    std::uint64_t wakes_started_ = 0, wakes_sent_ = 0, wakes_skipped_ = 0, wakes_woken_ = 0;
    std::uint64_t wakes_delivered_ = 0, wvci_received_ = 0, unexpected_wakes_ = 0;
    std::uint64_t wake_polls_ = 0, cir_bytes_ = 0, cir_lines_ = 0, poll_sent_ = 0;
    std::uint64_t poll_received_ = 0, delivered_sent_ = 0, delivered_received_ = 0;
    std::uint64_t delivered_exchanges_ = 0, woken_bytes_ = 0, woken_counted_ = 0;
    Samples wake_latency_, end_to_end_, echo_latency_;
};

}  // namespace

int main(int argc, char** argv) {
    Options options;
    try {
        options = parse(argc, argv);
    } catch (const std::exception&) {  // std::stoul and friends on a bad number
        usage(2);
    }
    asio::io_context io;
    try {
        Load load(io, options);
        load.start();
        io.run();
        return load.report();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "onesoup-load: %s\n", e.what());
        return 1;
    }
}
