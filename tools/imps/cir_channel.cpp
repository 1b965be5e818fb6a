#include "cir_channel.hpp"

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "onesoup/transport/cir/wsp_push.hpp"
#include "url.hpp"

namespace onesoup::tools {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using udp = net::ip::udp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

namespace {

// The well-known WSP values a CIR push carries (reference notes section 6).
constexpr std::uint32_t cir_content_type = 0x46;   // application/vnd.wv.csp.cir
constexpr std::uint32_t wv_application_id = 0x0A;  // x-wap-application:wv.ua
// WAP push goes to the connectionless WSP port; a WAPUDP phone listens there unless told.
constexpr std::uint16_t wap_push_port = 2948;
// STCP reconnect delays (the brief's 1, 3, 9 s; Android's TcpCirChannel uses 3, 9, 27).
constexpr std::array<int, 3> reconnect_backoff{1, 3, 9};
// S60 waits 5 s for the answer to a PING (TcpCirWatcher.cpp).
constexpr std::chrono::seconds ping_answer_time{5};
// A held SHTTP GET may last as long as the server's hold time; give up on it after this.
constexpr std::chrono::seconds shttp_read_limit{600};
constexpr std::chrono::milliseconds sms_read_period{100};

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string strip_line_end(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// Non-printable bytes as \xNN, so that a garbled line prints on one line.
std::string printable(std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b >= 0x20 && b < 0x7f) {
            out += c;
        } else {
            out += "\\x";
            out += digits[b >> 4];
            out += digits[b & 0x0f];
        }
    }
    return out;
}

std::optional<std::string> url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const auto hex = [](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            const int hi = hex(s[i + 1]);
            const int lo = hex(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string_view next_word(std::string_view& rest) {
    const auto space = rest.find(' ');
    std::string_view word = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    return word;
}

}  // namespace

std::optional<CirKind> cir_kind_from_text(std::string_view text) {
    const std::string u = upper(text);
    if (u == "NONE") return CirKind::none;
    if (u == "STCP") return CirKind::stcp;
    if (u == "SUDP") return CirKind::sudp;
    if (u == "WAPUDP") return CirKind::wap_udp;
    if (u == "SHTTP") return CirKind::shttp;
    if (u == "SSMS") return CirKind::ssms;
    if (u == "WAPSMS") return CirKind::wap_sms;
    return std::nullopt;
}

std::string_view cir_kind_name(CirKind kind) {
    switch (kind) {
        case CirKind::none:
            return "";
        case CirKind::stcp:
            return "STCP";
        case CirKind::sudp:
            return "SUDP";
        case CirKind::wap_udp:
            return "WAPUDP";
        case CirKind::shttp:
            return "SHTTP";
        case CirKind::ssms:
            return "SSMS";
        case CirKind::wap_sms:
            return "WAPSMS";
    }
    return "";
}

bool same_msisdn(std::string_view a, std::string_view b) {
    const auto digits = [](std::string_view s) {
        std::string d;
        for (char c : s)
            if (std::isdigit(static_cast<unsigned char>(c))) d += c;
        // "+44..." and "0044..." are the same international number.
        if (d.rfind("00", 0) == 0) d.erase(0, 2);
        return d;
    };
    const std::string x = digits(a);
    return !x.empty() && x == digits(b);
}

std::optional<FakeSms> parse_fake_sms(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    // fakesmsc prints "... Got message N: <SENDER RECEIVER TYPE ...>" in its log.
    if (const auto got = line.find("Got message "); got != std::string_view::npos) {
        const auto open = line.find('<', got);
        if (open == std::string_view::npos || line.empty() || line.back() != '>')
            return std::nullopt;
        line = line.substr(open + 1, line.size() - open - 2);
    }
    std::string_view rest = line;
    FakeSms sms;
    sms.sender = std::string(next_word(rest));
    sms.receiver = std::string(next_word(rest));
    const std::string type(next_word(rest));
    if (sms.sender.empty() || sms.receiver.empty()) return std::nullopt;
    if (type == "text") {
        sms.data = std::string(rest);
        return sms;
    }
    if (type == "data" || type == "ucs-2") {
        auto data = url_decode(rest);
        if (!data) return std::nullopt;
        sms.data = std::move(*data);
        return sms;
    }
    if (type == "udh") {
        auto udh = url_decode(next_word(rest));
        // Kannel 1.4.5 writes "udh URLUDH data URLDATA"; older ones "udh URLUDH URLDATA".
        if (rest.rfind("data ", 0) == 0) rest.remove_prefix(5);
        auto data = url_decode(rest);
        if (!udh || !data) return std::nullopt;
        sms.udh = std::move(*udh);
        sms.data = std::move(*data);
        return sms;
    }
    return std::nullopt;
}

struct CirChannel::Impl : std::enable_shared_from_this<CirChannel::Impl> {
    explicit Impl(CirConfig c) : config(std::move(c)) {}

    CirConfig config;
    net::io_context io;
    net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
    std::thread thread;

    // Events for the phone's thread.
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<CirEvent> events;
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> wakes{0};

    // Everything below is touched on the channel's thread only.
    CirTarget target;
    bool started = false;
    bool dropped = false;
    bool stopping = false;
    std::string local_address;

    // STCP.
    std::optional<tcp::socket> stcp;
    std::uint64_t stcp_generation = 0;
    std::string stcp_buffer;
    bool helo_pending = false;
    std::size_t backoff = 0;
    net::steady_timer reconnect_timer{io};
    net::steady_timer ping_timer{io};
    net::steady_timer ping_deadline{io};
    std::function<void(Result<void>)> ping_done;  // an explicit `ping` step waits on this
    bool ping_pending = false;
    std::list<std::shared_ptr<tcp::socket>> extra_sockets;  // `helo` sockets that got OK

    // SUDP / WAPUDP.
    std::optional<udp::socket> udp_socket;
    std::uint16_t udp_port = 0;
    std::array<char, 2048> datagram{};
    udp::endpoint datagram_from;
    std::uint64_t udp_generation = 0;

    // SHTTP.
    std::optional<beast::tcp_stream> shttp;
    std::optional<Url> cir_url;
    beast::flat_buffer shttp_buffer;
    std::optional<http::request<http::empty_body>> shttp_request;
    std::optional<http::response_parser<http::string_body>> shttp_parser;
    std::uint64_t shttp_generation = 0;
    net::steady_timer shttp_retry{io};
    bool shttp_parked = false;  // woken: the next GET waits for the phone's request

    // SSMS / WAPSMS.
    std::uint64_t sms_offset = 0;
    std::string sms_partial;
    net::steady_timer sms_timer{io};

    // --- events -------------------------------------------------------------------------

    void emit(CirEvent::Kind kind, std::string text, std::size_t bytes = 0) {
        std::lock_guard lock(mutex);
        events.push_back(CirEvent{kind, std::move(text), bytes, Clock::now()});
        changed.notify_all();
    }

    std::string method() const { return std::string(cir_kind_name(config.kind)); }

    // A line that arrived on the channel: a wake-up if it starts with WVCI and holds our
    // cookie (what S60's CirMessageL checks). Returns whether it was one.
    bool line_arrived(const std::string& line, std::size_t bytes, std::string_view via) {
        const std::string shown = printable(line);
        if (line.rfind("WVCI", 0) == 0 && !target.cookie.empty() &&
            line.find(target.cookie) != std::string::npos) {
            wakes += 1;
            emit(CirEvent::Kind::wake,
                 "<< CIR " + std::string(via) + " " + shown + "  (" + std::to_string(bytes) +
                     " bytes)",
                 bytes);
            return true;
        }
        emit(CirEvent::Kind::ignored, "<< CIR " + std::string(via) + " not a wake-up for us: \"" +
                                          shown + "\"  (" + std::to_string(bytes) + " bytes)");
        return false;
    }

    template <class F>
    void run_here(F f) {
        net::post(io, [self = shared_from_this(), f = std::move(f)]() mutable { f(); });
    }

    // Runs `f` on the channel's thread and waits for its result.
    template <class T, class F>
    T call(F f) {
        std::promise<T> promise;
        auto future = promise.get_future();
        net::post(io, [&promise, &f] { promise.set_value(f()); });
        return future.get();
    }

    Result<tcp::endpoint> local_endpoint_tcp() const {
        error_code ec;
        auto address = net::ip::make_address(local_address, ec);
        if (ec) return make_error("bad local address " + local_address);
        return tcp::endpoint(address, 0);
    }

    // Opens `socket` for `destination` and binds it to the local address, if one is set.
    Result<void> prepare_socket(tcp::socket& socket, const tcp::endpoint& destination) const {
        error_code ec;
        socket.open(destination.protocol(), ec);
        if (ec) return make_error("cannot open a socket: " + ec.message());
        if (!local_address.empty()) {
            auto local = local_endpoint_tcp();
            if (!local) return local.error();
            socket.bind(*local, ec);
            if (ec) return make_error("cannot bind to " + local_address + ": " + ec.message());
        }
        return {};
    }

    Result<tcp::endpoint> resolve(const std::string& host, std::uint16_t port) {
        error_code ec;
        auto address = net::ip::make_address(host, ec);
        if (!ec) return tcp::endpoint(address, port);
        tcp::resolver resolver(io);
        auto results = resolver.resolve(host, std::to_string(port), ec);
        if (ec || results.empty()) return make_error("cannot resolve " + host);
        for (const auto& r : results) {
            if (local_address.empty() ||
                r.endpoint().address().is_v4() == net::ip::make_address(local_address, ec).is_v4())
                return r.endpoint();
        }
        return results.begin()->endpoint();
    }

    // --- STCP ---------------------------------------------------------------------------

    void stcp_close() {
        ++stcp_generation;
        error_code ignored;
        if (stcp) stcp->close(ignored);
        stcp.reset();
        stcp_buffer.clear();
        helo_pending = false;
        reconnect_timer.cancel();
        ping_timer.cancel();
        ping_deadline.cancel();
        // A PING sent on this socket fails with it; one that waits for a HELO's OK (ping())
        // goes on waiting for the next socket.
        if (ping_pending && ping_done)
            std::exchange(ping_done, nullptr)(make_error("the STCP socket closed"));
        ping_pending = false;
    }

    void stcp_connect() {
        stcp_close();
        if (dropped || stopping || !started) return;
        const std::uint64_t generation = stcp_generation;
        auto destination = resolve(target.tcp_address, target.tcp_port);
        if (!destination) {
            stcp_lost(generation, destination.error().message);
            return;
        }
        stcp.emplace(io);
        if (auto prepared = prepare_socket(*stcp, *destination); !prepared) {
            stcp_lost(generation, prepared.error().message);
            return;
        }
        stcp->async_connect(*destination, [this, self = shared_from_this(),
                                           generation](const error_code& ec) {
            if (generation != stcp_generation) return;
            if (ec) {
                stcp_lost(generation, "cannot connect to " + target.tcp_address + ":" +
                                          std::to_string(target.tcp_port) + ": " + ec.message());
                return;
            }
            emit(CirEvent::Kind::note, "STCP: connected to " + target.tcp_address + ":" +
                                           std::to_string(target.tcp_port) + ", HELO " +
                                           target.session_id);
            helo_pending = true;
            stcp_write("HELO " + target.session_id + "\r\n");
            stcp_read(generation);
        });
    }

    void stcp_write(std::string text) {
        if (!stcp) return;
        auto data = std::make_shared<std::string>(std::move(text));
        const std::uint64_t generation = stcp_generation;
        net::async_write(*stcp, net::buffer(*data),
                         [this, self = shared_from_this(), data, generation](const error_code& ec,
                                                                             std::size_t n) {
                             sent += n;
                             if (ec && generation == stcp_generation)
                                 stcp_lost(generation, "cannot write: " + ec.message());
                         });
    }

    void stcp_read(std::uint64_t generation) {
        net::async_read_until(
            *stcp, net::dynamic_buffer(stcp_buffer), '\n',
            [this, self = shared_from_this(), generation](const error_code& ec, std::size_t n) {
                if (generation != stcp_generation) return;
                if (ec) {
                    stcp_lost(generation, ec == net::error::eof ? "the server closed the socket"
                                                                : ec.message());
                    return;
                }
                received += n;
                std::string line = strip_line_end(stcp_buffer.substr(0, n));
                stcp_buffer.erase(0, n);
                stcp_line(line, n);
                if (generation == stcp_generation) stcp_read(generation);
            });
    }

    void stcp_line(const std::string& line, std::size_t bytes) {
        std::string keyword = upper(line);
        while (!keyword.empty() && keyword.back() == ' ') keyword.pop_back();
        if (keyword == "OK") {
            if (helo_pending) {
                helo_pending = false;
                backoff = 0;
                emit(CirEvent::Kind::note, "STCP: HELO answered OK");
                if (ping_done)
                    stcp_send_ping();  // ping() waited for this OK
                else
                    stcp_schedule_ping();
            } else if (ping_pending) {
                ping_pending = false;
                ping_deadline.cancel();
                if (ping_done) std::exchange(ping_done, nullptr)(Result<void>{});
                emit(CirEvent::Kind::note, "STCP: PING answered OK");
                stcp_schedule_ping();
            } else {
                emit(CirEvent::Kind::ignored, "STCP: an OK nobody asked for");
            }
            return;
        }
        if (helo_pending && line.rfind("WVCI", 0) != 0) {
            emit(CirEvent::Kind::problem, "STCP: HELO answered \"" + printable(line) + "\"");
            return;
        }
        line_arrived(line, bytes, "STCP");
    }

    void stcp_lost(std::uint64_t generation, const std::string& why) {
        if (generation != stcp_generation) return;
        stcp_close();
        if (dropped || stopping) return;
        const int delay = reconnect_backoff[std::min(backoff, reconnect_backoff.size() - 1)];
        backoff = std::min(backoff + 1, reconnect_backoff.size() - 1);
        emit(CirEvent::Kind::problem,
             "STCP: " + why + "; connecting again in " + std::to_string(delay) + " s");
        const std::uint64_t current = stcp_generation;
        reconnect_timer.expires_after(std::chrono::seconds(delay));
        reconnect_timer.async_wait([this, self = shared_from_this(), current](error_code ec) {
            if (ec || current != stcp_generation) return;
            stcp_connect();
        });
    }

    void stcp_send_ping() {
        if (!stcp || helo_pending) return;
        ping_pending = true;
        stcp_write("PING\r\n");
        const std::uint64_t generation = stcp_generation;
        ping_deadline.expires_after(ping_answer_time);
        ping_deadline.async_wait([this, self = shared_from_this(), generation](error_code ec) {
            if (ec || generation != stcp_generation || !ping_pending) return;
            ping_pending = false;
            emit(CirEvent::Kind::problem, "STCP: no OK to PING within 5 s");
            if (ping_done) std::exchange(ping_done, nullptr)(make_error("no OK to PING"));
        });
    }

    void stcp_schedule_ping() {
        ping_timer.expires_after(config.ping_interval);
        const std::uint64_t generation = stcp_generation;
        ping_timer.async_wait([this, self = shared_from_this(), generation](error_code ec) {
            if (ec || generation != stcp_generation) return;
            stcp_send_ping();
        });
    }

    // --- SUDP / WAPUDP --------------------------------------------------------------------

    Result<std::uint16_t> udp_open() {
        udp_close();
        error_code ec;
        const std::string address = local_address.empty() ? "0.0.0.0" : local_address;
        auto ip = net::ip::make_address(address, ec);
        if (ec) return make_error("bad local address " + address);
        udp_socket.emplace(io);
        const udp::endpoint local(ip, udp_port);
        udp_socket->open(local.protocol(), ec);
        if (!ec) udp_socket->bind(local, ec);
        if (ec) {
            udp_socket.reset();
            return make_error("cannot listen on UDP " + address + ":" + std::to_string(udp_port) +
                              ": " + ec.message());
        }
        udp_port = udp_socket->local_endpoint().port();
        udp_receive(udp_generation);
        return udp_port;
    }

    void udp_close() {
        ++udp_generation;
        error_code ignored;
        if (udp_socket) udp_socket->close(ignored);
        udp_socket.reset();
    }

    void udp_receive(std::uint64_t generation) {
        udp_socket->async_receive_from(
            net::buffer(datagram), datagram_from,
            [this, self = shared_from_this(), generation](const error_code& ec, std::size_t n) {
                if (generation != udp_generation || ec == net::error::operation_aborted) return;
                if (!ec) {
                    received += n;
                    datagram_arrived(std::string_view(datagram.data(), n));
                }
                if (generation == udp_generation && udp_socket) udp_receive(generation);
            });
    }

    void datagram_arrived(std::string_view payload) {
        if (!started) {
            emit(CirEvent::Kind::ignored, "<< CIR " + method() +
                                              " datagram before the session started (" +
                                              std::to_string(payload.size()) + " bytes)");
            return;
        }
        if (config.kind == CirKind::sudp) {
            line_arrived(strip_line_end(std::string(payload)), payload.size(), "SUDP");
            return;
        }
        push_arrived(payload, payload.size(), "WAPUDP");
    }

    // A WSP push PDU (WAPUDP, WAPSMS): content type 0x46 and application id 0x0A, WVCI body.
    void push_arrived(std::string_view pdu, std::size_t bytes, std::string_view via) {
        auto push = transport::cir::parse_wsp_push(pdu);
        if (!push) {
            emit(CirEvent::Kind::ignored, "<< CIR " + std::string(via) +
                                              " not a WSP push PDU: " + push.error().message +
                                              "  (" + std::to_string(bytes) + " bytes)");
            return;
        }
        if (push->content_type_code != cir_content_type ||
            push->application_id_code != wv_application_id) {
            emit(CirEvent::Kind::ignored,
                 "<< CIR " + std::string(via) + " push is not a CIR (content type " +
                     (push->content_type_code ? std::to_string(*push->content_type_code)
                                              : push->content_type_text) +
                     ", application " +
                     (push->application_id_code ? std::to_string(*push->application_id_code)
                                                : push->application_id_text) +
                     ")");
            return;
        }
        line_arrived(strip_line_end(push->body), bytes, via);
    }

    // --- SHTTP --------------------------------------------------------------------------

    void shttp_close() {
        ++shttp_generation;
        shttp_retry.cancel();
        if (shttp) {
            error_code ignored;
            shttp->socket().close(ignored);
        }
        shttp.reset();
        shttp_buffer.clear();
    }

    void shttp_get_later(std::chrono::milliseconds delay) {
        const std::uint64_t generation = shttp_generation;
        shttp_retry.expires_after(delay);
        shttp_retry.async_wait([this, self = shared_from_this(), generation](error_code ec) {
            if (ec || generation != shttp_generation) return;
            shttp_get();
        });
    }

    void shttp_failed(std::uint64_t generation, const std::string& why) {
        if (generation != shttp_generation) return;
        shttp_close();
        if (dropped || stopping) return;
        emit(CirEvent::Kind::problem, "SHTTP: " + why + "; GET again in 1 s");
        shttp_get_later(std::chrono::seconds(1));
    }

    void shttp_get() {
        if (dropped || stopping || !started || !cir_url) return;
        const std::uint64_t generation = shttp_generation;
        if (!shttp) {
            auto destination = resolve(cir_url->host, cir_url->port);
            if (!destination) {
                shttp_failed(generation, destination.error().message);
                return;
            }
            shttp.emplace(io);
            if (auto prepared = prepare_socket(shttp->socket(), *destination); !prepared) {
                shttp_failed(generation, prepared.error().message);
                return;
            }
            shttp->expires_after(std::chrono::seconds(30));
            shttp->async_connect(
                *destination, [this, self = shared_from_this(), generation](const error_code& ec) {
                    if (generation != shttp_generation) return;
                    if (ec) {
                        shttp_failed(generation, "cannot connect to " + cir_url->host_header() +
                                                     ": " + ec.message());
                        return;
                    }
                    shttp_send(generation);
                });
            return;
        }
        shttp_send(generation);
    }

    void shttp_send(std::uint64_t generation) {
        shttp_request.emplace(http::verb::get, cir_url->target, 11);
        shttp_request->set(http::field::host, cir_url->host_header());
        shttp_request->set(http::field::user_agent, config.user_agent);
        if (!config.msisdn.empty()) shttp_request->set("X-Network-MSISDN", config.msisdn);
        shttp_request->keep_alive(true);
        shttp->expires_after(std::chrono::seconds(30));
        http::async_write(
            *shttp, *shttp_request,
            [this, self = shared_from_this(), generation](const error_code& ec, std::size_t n) {
                if (generation != shttp_generation) return;
                sent += n;
                if (ec) {
                    shttp_failed(generation, "cannot send the GET: " + ec.message());
                    return;
                }
                shttp_parser.emplace();
                shttp_parser->body_limit(64 * 1024);
                shttp->expires_after(shttp_read_limit);
                http::async_read(*shttp, shttp_buffer, *shttp_parser,
                                 [this, self, generation](const error_code& rec, std::size_t m) {
                                     shttp_answered(generation, rec, m);
                                 });
            });
    }

    void shttp_answered(std::uint64_t generation, const error_code& ec, std::size_t bytes) {
        if (generation != shttp_generation) return;
        received += bytes;
        if (ec) {
            shttp_failed(generation, ec == http::error::end_of_stream
                                         ? "the server closed the connection"
                                         : ec.message());
            return;
        }
        auto response = shttp_parser->release();
        const bool keep = response.keep_alive();
        const unsigned status = response.result_int();
        if (!keep) {
            shttp_close();
        }
        const std::uint64_t now_generation = shttp_generation;
        if (status == 200) {
            if (line_arrived(strip_line_end(response.body()), bytes, "SHTTP")) {
                shttp_parked = true;
                return;
            }
        } else if (status != 204) {
            emit(CirEvent::Kind::problem,
                 "SHTTP: GET answered " + std::to_string(status) + "; GET again in 1 s");
            shttp_get_later(std::chrono::seconds(1));
            return;
        }
        if (now_generation == shttp_generation) shttp_get();
    }

    // --- SSMS / WAPSMS ------------------------------------------------------------------

    void sms_skip_existing() {
        std::ifstream in(config.sms_inbox, std::ios::binary | std::ios::ate);
        if (in) sms_offset = static_cast<std::uint64_t>(in.tellg());
    }

    void sms_schedule() {
        sms_timer.expires_after(sms_read_period);
        sms_timer.async_wait([this, self = shared_from_this()](error_code ec) {
            if (ec || stopping) return;
            if (!dropped) sms_read();
            sms_schedule();
        });
    }

    void sms_read() {
        std::ifstream in(config.sms_inbox, std::ios::binary);
        if (!in) return;
        in.seekg(0, std::ios::end);
        const auto size = static_cast<std::uint64_t>(in.tellg());
        if (size < sms_offset) sms_offset = 0;  // the file was truncated: start over
        if (size == sms_offset) return;
        in.seekg(static_cast<std::streamoff>(sms_offset));
        std::string chunk(static_cast<std::size_t>(size - sms_offset), '\0');
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        chunk.resize(static_cast<std::size_t>(in.gcount()));
        sms_offset += chunk.size();
        sms_partial += chunk;
        std::size_t end = 0;
        while ((end = sms_partial.find('\n')) != std::string::npos) {
            std::string line = sms_partial.substr(0, end);
            sms_partial.erase(0, end + 1);
            sms_line(line);
        }
    }

    void sms_line(const std::string& line) {
        auto sms = parse_fake_sms(line);
        if (!sms) return;  // log lines of the fake SMS centre
        if (!config.msisdn.empty() && !same_msisdn(sms->receiver, config.msisdn)) return;
        const std::size_t bytes = sms->udh.size() + sms->data.size();
        received += bytes;
        if (!started) return;
        if (config.kind == CirKind::wap_sms) {
            // COMPAT: WAP push by SMS is addressed by the UDH's port IE (06 05 04 0B 84 23 F0).
            if (sms->udh != transport::cir::kWapPushUdh) {
                emit(CirEvent::Kind::ignored, "<< CIR WAPSMS an SMS without the WAP push UDH (" +
                                                  std::to_string(bytes) + " bytes)");
                return;
            }
            push_arrived(sms->data, bytes, "WAPSMS");
            return;
        }
        if (!sms->udh.empty()) {
            emit(CirEvent::Kind::ignored,
                 "<< CIR SSMS a binary SMS (" + std::to_string(bytes) + " bytes)");
            return;
        }
        line_arrived(strip_line_end(sms->data), bytes, "SSMS");
    }

    // --- the channel as a whole -----------------------------------------------------------

    void begin() {
        switch (config.kind) {
            case CirKind::stcp:
                backoff = 0;
                stcp_connect();
                break;
            case CirKind::shttp:
                shttp_close();
                shttp_parked = false;
                shttp_get();
                break;
            default:
                break;
        }
    }

    void stop_all() {
        stopping = true;
        stcp_close();
        for (auto& s : extra_sockets) {
            error_code ignored;
            s->close(ignored);
        }
        extra_sockets.clear();
        udp_close();
        shttp_close();
        sms_timer.cancel();
        work.reset();
    }
};

CirChannel::CirChannel(CirConfig config) : impl_(std::make_shared<Impl>(std::move(config))) {
    impl_->local_address = impl_->config.local_address;
    impl_->udp_port = impl_->config.udp_port;
    if (impl_->udp_port == 0 && impl_->config.kind == CirKind::wap_udp)
        impl_->udp_port = wap_push_port;
    if (impl_->config.kind == CirKind::ssms || impl_->config.kind == CirKind::wap_sms) {
        impl_->sms_skip_existing();
        impl_->sms_schedule();
    }
    impl_->thread = std::thread([impl = impl_] { impl->io.run(); });
}

CirChannel::~CirChannel() {
    net::post(impl_->io, [impl = impl_] { impl->stop_all(); });
    impl_->thread.join();
}

Result<std::uint16_t> CirChannel::open() {
    auto& d = *impl_;
    if (d.config.kind != CirKind::sudp && d.config.kind != CirKind::wap_udp)
        return std::uint16_t{0};
    return d.call<Result<std::uint16_t>>([&d] { return d.udp_open(); });
}

void CirChannel::start(CirTarget target) {
    auto& d = *impl_;
    d.call<bool>([&d, &target] {
        d.target = std::move(target);
        d.started = true;
        d.cir_url.reset();
        if (d.config.kind == CirKind::shttp) {
            auto url = parse_url(d.target.cir_url);
            if (!url) {
                d.emit(CirEvent::Kind::problem, "SHTTP: the CIR URL \"" + d.target.cir_url +
                                                    "\" is unusable: " + url.error().message);
            } else if (url->https) {
                d.emit(CirEvent::Kind::problem,
                       "SHTTP: the CIR URL is https://, which this phone does not GET");
            } else {
                d.cir_url = std::move(*url);
            }
        }
        if (!d.dropped) d.begin();
        return true;
    });
}

void CirChannel::end_session() {
    auto& d = *impl_;
    d.call<bool>([&d] {
        d.started = false;
        d.stcp_close();
        d.shttp_close();
        d.shttp_parked = false;
        return true;
    });
}

void CirChannel::answered() {
    auto& d = *impl_;
    d.run_here([&d] {
        if (!d.shttp_parked) return;
        d.shttp_parked = false;
        d.shttp_get();
    });
}

void CirChannel::restart() {
    auto& d = *impl_;
    d.run_here([&d] {
        if (!d.started || d.dropped) return;
        d.begin();
    });
}

void CirChannel::drop() {
    auto& d = *impl_;
    d.call<bool>([&d] {
        d.dropped = true;
        d.stcp_close();
        d.shttp_close();
        d.udp_close();
        return true;
    });
}

Result<void> CirChannel::restore() {
    auto& d = *impl_;
    return d.call<Result<void>>([&d]() -> Result<void> {
        d.dropped = false;
        if (d.config.kind == CirKind::sudp || d.config.kind == CirKind::wap_udp) {
            auto opened = d.udp_open();
            if (!opened) return opened.error();
        }
        if (d.started) d.begin();
        return {};
    });
}

Result<void> CirChannel::ping(std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    if (d.config.kind != CirKind::stcp) return make_error("ping needs --cir stcp");
    std::promise<Result<void>> promise;
    auto future = promise.get_future();
    net::post(d.io, [&d, &promise] {
        if (d.ping_done) {
            promise.set_value(make_error("another PING is waiting for its OK"));
            return;
        }
        d.ping_done = [&promise](Result<void> r) { promise.set_value(std::move(r)); };
        // Just after login, or while the phone connects again, the socket has no OK to its
        // HELO yet: the PING then goes when that OK comes (stcp_line), within the timeout.
        if (d.stcp && !d.helo_pending) d.stcp_send_ping();
    });
    if (future.wait_for(timeout) != std::future_status::ready) {
        // The channel thread still holds the promise: take it back before returning.
        d.call<bool>([&d] {
            if (!d.ping_done) return true;
            std::string why = d.ping_pending ? "no OK to PING"
                              : d.stcp       ? "the STCP socket has no OK to its HELO yet"
                                             : "no STCP socket is open";
            std::exchange(d.ping_done, nullptr)(make_error(std::move(why)));
            return true;
        });
    }
    return future.get();
}

Result<std::string> CirChannel::helo(const std::string& session_id,
                                     std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    struct Attempt {
        std::shared_ptr<tcp::socket> socket;
        std::string buffer;
        std::promise<Result<std::string>> promise;
        bool done = false;
        net::steady_timer timer;
        explicit Attempt(net::io_context& io)
            : socket(std::make_shared<tcp::socket>(io)), timer(io) {}
        void finish(Result<std::string> r) {
            if (done) return;
            done = true;
            timer.cancel();
            promise.set_value(std::move(r));
        }
    };
    auto attempt = std::make_shared<Attempt>(d.io);
    auto future = attempt->promise.get_future();
    net::post(d.io, [&d, attempt, session_id, timeout, self = impl_] {
        if (!d.started || d.target.tcp_port == 0) {
            attempt->finish(make_error("no STCP address was agreed (needs --cir stcp)"));
            return;
        }
        auto destination = d.resolve(d.target.tcp_address, d.target.tcp_port);
        if (!destination) {
            attempt->finish(destination.error());
            return;
        }
        if (auto prepared = d.prepare_socket(*attempt->socket, *destination); !prepared) {
            attempt->finish(prepared.error());
            return;
        }
        attempt->timer.expires_after(timeout);
        attempt->timer.async_wait([attempt](error_code ec) {
            if (ec) return;
            error_code ignored;
            attempt->socket->close(ignored);
            attempt->finish(std::string("no answer"));
        });
        attempt->socket->async_connect(*destination, [&d, attempt, session_id,
                                                      self](const error_code& ec) {
            if (attempt->done) return;
            if (ec) {
                attempt->finish(make_error("cannot connect: " + ec.message()));
                return;
            }
            auto text = std::make_shared<std::string>("HELO " + session_id + "\r\n");
            net::async_write(*attempt->socket, net::buffer(*text),
                             [&d, text, self](const error_code&, std::size_t n) { d.sent += n; });
            net::async_read_until(*attempt->socket, net::dynamic_buffer(attempt->buffer), '\n',
                                  [&d, attempt, self](const error_code& rec, std::size_t n) {
                                      if (attempt->done) return;
                                      if (rec) {
                                          d.received += attempt->buffer.size();
                                          attempt->finish(std::string("closed"));
                                          return;
                                      }
                                      d.received += n;
                                      std::string line =
                                          strip_line_end(attempt->buffer.substr(0, n));
                                      std::string keyword = upper(line);
                                      while (!keyword.empty() && keyword.back() == ' ')
                                          keyword.pop_back();
                                      if (keyword == "OK") {
                                          d.extra_sockets.push_back(attempt->socket);
                                          attempt->finish(std::string("ok"));
                                      } else {
                                          error_code ignored;
                                          attempt->socket->close(ignored);
                                          attempt->finish("answered \"" + printable(line) + "\"");
                                      }
                                  });
        });
    });
    return future.get();
}

Result<void> CirChannel::set_local_address(const std::string& address) {
    auto& d = *impl_;
    return d.call<Result<void>>([&d, &address]() -> Result<void> {
        d.local_address = address;
        if (d.dropped) return {};
        if (d.config.kind == CirKind::sudp || d.config.kind == CirKind::wap_udp) {
            auto opened = d.udp_open();
            if (!opened) return opened.error();
        }
        if (d.started) d.begin();
        return {};
    });
}

std::optional<CirEvent> CirChannel::next_event(Clock::time_point deadline) {
    auto& d = *impl_;
    std::unique_lock lock(d.mutex);
    if (!d.changed.wait_until(lock, deadline, [&d] { return !d.events.empty(); }))
        return std::nullopt;
    CirEvent event = std::move(d.events.front());
    d.events.pop_front();
    return event;
}

CirCounters CirChannel::counters() const {
    return CirCounters{impl_->sent.load(), impl_->received.load(), impl_->wakes.load()};
}

CirKind CirChannel::kind() const {
    return impl_->config.kind;
}

}  // namespace onesoup::tools
