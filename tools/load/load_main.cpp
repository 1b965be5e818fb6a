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

// GCC 12 needs <utility> before Asio's headers.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
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

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace model = onesoup::imps::model;
namespace codec = onesoup::imps::codec;

namespace {

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
        "Phases: logins are started at --ramp per second (at most --in-flight waiting); at each\n"
        "milestone the ramp pauses 3 s and onesoup's RSS is read (needs --pid). Then the blast:\n"
        "--concurrency workers send Polling-Requests (3 of 4) and KeepAlive-Requests back to\n"
        "back for --blast seconds, while phones send each other --messages chat messages per\n"
        "second; messages still on their way are then collected for up to 10 s.\n"
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
        else
            usage(2);
    }
    if (o.users == 0 || o.connections == 0 || o.concurrency == 0 || o.ramp <= 0 ||
        o.timeout_seconds <= 0 || o.logins_in_flight == 0 || o.blast_seconds < 0 ||
        o.messages_per_second < 0)
        usage(2);
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
};

// One exchange waiting for a connection.
struct Exchange {
    std::string body;
    std::function<void(int status, std::string body)> done;
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
        request_.set(http::field::host, options_.host);
        request_.set(http::field::content_type,
                     std::string(codec::content_type(options_.version, options_.encoding)));
        request_.body() = exchange_.body;
        request_.prepare_payload();
        auto self = shared_from_this();
        http::async_write(socket_, request_, [self](beast::error_code ec, std::size_t) {
            if (ec) return self->fail(ec);
            self->response_ = {};
            http::async_read(self->socket_, self->buffer_, self->response_,
                             [self](beast::error_code ec2, std::size_t) {
                                 if (ec2) return self->fail(ec2);
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
        finish(0, ec.message());
    }
    void finish(int status, std::string body) {
        timer_.cancel();
        auto done = std::move(exchange_.done);
        exchange_ = {};
        idle_(shared_from_this());
        if (done) done(status, std::move(body));
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

struct Phone {
    std::string user_id;
    std::string session_id;
    std::uint64_t next_transaction = 1;
    bool logged_in = false;
    bool busy = false;
    std::uint32_t expected = 0;  // messages accepted for this phone and not yet polled
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
        if (blast > 0 && workers_ > 0) {
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
        std::printf("errors: %llu", static_cast<unsigned long long>(errors_));
        for (const auto& [what, n] : error_kinds_)
            std::printf(" [%s: %llu]", what.c_str(), static_cast<unsigned long long>(n));
        std::printf("\n");
        bool lost = messages_received_ < messages_sent_;
        if (lost)
            std::printf("messages lost: %llu\n",
                        static_cast<unsigned long long>(messages_sent_ - messages_received_));
        return errors_ == 0 && login_failed_ == 0 && !lost ? 0 : 1;
    }

  private:
    enum class Phase { ramp, settle, blast, drain, logout, done };

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
                start_blast(now);
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
        if (phase_ == Phase::done) return;
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
            phones_[index].logged_in = true;
            live_.push_back(index);
            ++logged_in_;
        });
    }

    void start_blast(Clock::time_point now) {
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
