// StcpListener on Boost.Asio: one acceptor and one small object per phone socket, all on the
// caller's io_context. An idle socket holds no read buffer (it waits for readability and reads
// into one buffer shared by all sockets) and no timer of its own: sockets waiting for HELO and
// bound sockets sit in two lists ordered by deadline, swept by one timer.
#include "onesoup/transport/cir/stcp_listener.hpp"

#include "onesoup/transport/cir/wake_target.hpp"

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <iterator>
#include <list>
#include <unordered_map>
#include <vector>

namespace onesoup::transport::cir {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
// Sockets and timers bound to the io_context's own executor, not the type-erased
// any_io_executor: some 40 bytes less in each socket and in each pending operation.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// `word` is `keyword` (upper case) in any case.
bool keyword_is(std::string_view word, std::string_view keyword) {
    return word.size() == keyword.size() &&
           std::equal(word.begin(), word.end(), keyword.begin(),
                      [](char w, char k) { return ascii_upper(w) == k; });
}

// A session id is printable ASCII without spaces (onesoup makes them so); anything else cannot
// name a session and would only make log lines unreadable.
bool session_id_char(char c) {
    return c > ' ' && c < '\x7f';
}

// A phone's bytes as they may appear in a log line: printable ASCII, at most 64 characters.
std::string printable(std::string_view text) {
    constexpr std::size_t kMax = 64;
    std::string out;
    out.reserve(std::min(text.size(), kMax) + 3);
    for (char c : text.substr(0, kMax)) out.push_back((c >= ' ' && c < '\x7f') ? c : '?');
    if (text.size() > kMax) out.append("...");
    return out;
}

constexpr std::string_view kOk = "OK\r\n";
// One read takes at most this much; a phone sends a line every few minutes.
constexpr std::size_t kReadChunk = 2048;
// A phone that sends PINGs but never reads the answers is not allowed to pile them up.
constexpr std::size_t kMaxQueued = 16;
// Pacing of accept retries after EMFILE and the like.
constexpr std::chrono::milliseconds kAcceptRetry{100};

}  // namespace

StcpLine parse_stcp_line(std::string_view line) {
    // Trailing spaces (Android's "PING \r\n") and a CR left by an LF-only split.
    while (!line.empty() && (is_blank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
    StcpLine parsed;
    if (keyword_is(line, "PING")) {
        parsed.kind = StcpLine::Kind::ping;
        return parsed;
    }
    if (line.size() > 4 && keyword_is(line.substr(0, 4), "HELO") && is_blank(line[4])) {
        std::string_view id = line.substr(5);
        while (!id.empty() && is_blank(id.front())) id.remove_prefix(1);
        if (!id.empty() && std::all_of(id.begin(), id.end(), session_id_char)) {
            parsed.kind = StcpLine::Kind::helo;
            parsed.session_id = std::string(id);
        }
    }
    return parsed;
}

namespace {

struct Outgoing {
    std::string bytes;
    bool wake = false;  // a WVCI line (held back for ok_gap after an OK)
};

}  // namespace

struct StcpCore;

// One phone socket. It touches its listener (core_) only while it is open: stop() closes every
// socket, so a completion that runs after the listener is gone sees `closed` and returns.
struct StcpConnection : std::enable_shared_from_this<StcpConnection> {
    enum class State : std::uint8_t { pending, bound, closed };

    StcpConnection(StcpCore& core, Socket socket) : core_(&core), socket_(std::move(socket)) {}

    StcpCore* core_;
    Socket socket_;
    std::string session_id_;  // while bound; its key in core_->sessions views it
    std::string partial_;     // the start of a line whose end has not arrived
    std::string in_flight_;   // what async_write is writing
    std::vector<Outgoing> queue_;
    std::unique_ptr<Timer> gap_timer_;  // only while a wake waits for ok_gap
    Clock::time_point deadline_{};      // HELO deadline, then idle deadline
    Clock::time_point last_ok_ = Clock::time_point::min();
    std::list<std::shared_ptr<StcpConnection>>::iterator position_;  // in pending or bound_list
    State state_ = State::pending;
    bool writing_ = false;
    bool in_flight_wake_ = false;
    bool gap_waiting_ = false;
    bool other_logged_ = false;
};

using Connection = StcpConnection;
using ConnectionList = std::list<std::shared_ptr<Connection>>;

// The listener's state, shared by its sockets' completions (StcpListener::Impl is private).
struct StcpCore : std::enable_shared_from_this<StcpCore> {
    using Validate = StcpListener::Validate;
    using Bound = StcpListener::Bound;
    using Lost = StcpListener::Lost;
    using Log = StcpListener::Log;

    StcpCore(asio::io_context& context, StcpOptions opts, Validate validate_fn, Bound bound_fn,
             Lost lost_fn, Log log_fn)
        : io(context),
          options(std::move(opts)),
          validate(std::move(validate_fn)),
          bound(std::move(bound_fn)),
          lost(std::move(lost_fn)),
          log(std::move(log_fn)),
          acceptor(context),
          sweep_timer(context),
          retry_timer(context),
          read_buffer(std::max(kReadChunk, options.max_line + 2)) {}

    Result<void> start();
    void stop();
    void accept();
    void on_accept(const error_code& ec, Socket socket);
    void wait_readable(const std::shared_ptr<Connection>& c);
    void on_readable(Connection& c, const error_code& ec);
    void handle_line(Connection& c, std::string_view line);
    void on_helo(Connection& c, const std::string& session_id);
    void reject(Connection& c, std::string_view why);
    // Queues bytes for the socket; false if the socket was closed for not reading.
    bool queue(Connection& c, std::string bytes, bool wake);
    void pump(Connection& c);
    void on_written(Connection& c, const error_code& ec);
    // Closes the socket; Lost is called if `notify` and the socket was bound.
    void close(Connection& c, bool notify);
    void refresh_idle(Connection& c);
    void schedule_sweep(Clock::time_point at);
    void sweep();
    void write_log(std::string line) const {
        if (log) log(std::move(line));
    }
    [[nodiscard]] std::string peer(const Connection& c) const;

    asio::io_context& io;
    StcpOptions options;
    Validate validate;
    Bound bound;
    Lost lost;
    Log log;
    Acceptor acceptor;
    Timer sweep_timer;
    Timer retry_timer;
    std::vector<char> read_buffer;  // shared: one read at a time on the one thread
    // Ordered by deadline: every pending socket has accept time + helo_timeout, every bound
    // socket last line + idle_timeout, and a socket moves to the back when its deadline moves.
    ConnectionList pending;
    ConnectionList bound_list;
    std::unordered_map<std::string_view, Connection*> sessions;
    StcpStats stats;
    Clock::time_point sweep_at{};
    std::uint64_t sweep_generation = 0;
    bool sweep_armed = false;
    bool running = false;
};

Result<void> StcpCore::start() {
    if (running) return make_error("the STCP listener is already started");
    error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) return make_error("bad STCP listen address '" + options.address + "': " + ec.message());
    const tcp::endpoint endpoint(address, options.port);
    const std::string where = options.address + ":" + std::to_string(options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error_code ignored;
        acceptor.close(ignored);
        return make_error("cannot listen for STCP on " + where + ": " + ec.message());
    }
    running = true;
    accept();
    return {};
}

void StcpCore::stop() {
    running = false;
    error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();
    ++sweep_generation;
    sweep_armed = false;
    sweep_timer.cancel();
    while (!pending.empty()) close(*pending.front(), false);
    while (!bound_list.empty()) close(*bound_list.front(), false);
}

void StcpCore::accept() {
    acceptor.async_accept([self = shared_from_this()](const error_code& ec, Socket socket) {
        self->on_accept(ec, std::move(socket));
    });
}

void StcpCore::on_accept(const error_code& ec, Socket socket) {
    if (!running) return;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        // Out of descriptors or memory: try again shortly instead of spinning.
        retry_timer.expires_after(kAcceptRetry);
        retry_timer.async_wait([self = shared_from_this()](const error_code& wait_ec) {
            if (!wait_ec && self->running) self->accept();
        });
        return;
    }
    ++stats.accepted;
    error_code option_ec;
    // A wake-up is one short line: it must leave at once, not wait for Nagle.
    socket.set_option(tcp::no_delay(true), option_ec);
    // Reads are done by hand after a readiness wait; they must not block the loop.
    if (!option_ec) socket.non_blocking(true, option_ec);
    if (option_ec || stats.open >= options.max_connections) {
        error_code ignored;
        socket.close(ignored);
        accept();
        return;
    }
    auto c = std::make_shared<Connection>(*this, std::move(socket));
    c->deadline_ = Clock::now() + options.helo_timeout;
    pending.push_back(c);
    c->position_ = std::prev(pending.end());
    ++stats.open;
    schedule_sweep(c->deadline_);
    wait_readable(c);
    accept();
}

void StcpCore::wait_readable(const std::shared_ptr<Connection>& c) {
    c->socket_.async_wait(Socket::wait_read, [c](const error_code& ec) {
        if (c->state_ == Connection::State::closed) return;
        c->core_->on_readable(*c, ec);
    });
}

void StcpCore::on_readable(Connection& c, const error_code& wait_ec) {
    // A callback below may destroy the StcpListener or close this socket.
    const auto hold = shared_from_this();
    const auto keep = c.shared_from_this();
    error_code ec = wait_ec;
    std::size_t n = 0;
    if (!ec) n = c.socket_.read_some(asio::buffer(read_buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        wait_readable(keep);
        return;
    }
    if (ec) {
        if (c.state_ == Connection::State::bound) {
            write_log("STCP: session " + c.session_id_ + ": the phone closed its CIR socket (" +
                      (ec == asio::error::eof ? std::string("end of stream") : ec.message()) + ")");
        }
        close(c, true);
        return;
    }
    std::string_view data(read_buffer.data(), n);
    while (!data.empty()) {
        const auto lf = data.find('\n');
        if (lf == std::string_view::npos) {
            // Room for max_line and its CR; without its end yet, a longer line is refused now.
            if (c.partial_.size() + data.size() > options.max_line + 1) {
                reject(c, "a line longer than " + std::to_string(options.max_line) + " bytes");
                return;
            }
            c.partial_.append(data);
            break;
        }
        std::string joined;
        std::string_view line = data.substr(0, lf);
        data.remove_prefix(lf + 1);
        if (!c.partial_.empty()) {
            joined = std::move(c.partial_);
            c.partial_.clear();
            joined.append(line);
            line = joined;
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > options.max_line) {
            reject(c, "a line longer than " + std::to_string(options.max_line) + " bytes");
            return;
        }
        handle_line(c, line);
        if (c.state_ == Connection::State::closed || !running) return;
    }
    if (c.partial_.empty() && c.partial_.capacity() > 0) std::string().swap(c.partial_);
    wait_readable(keep);
}

void StcpCore::handle_line(Connection& c, std::string_view line) {
    if (c.state_ == Connection::State::bound) refresh_idle(c);
    // An empty line says nothing; some stacks send a bare CRLF as a keep-alive.
    if (line.empty()) return;
    StcpLine parsed = parse_stcp_line(line);
    switch (parsed.kind) {
        case StcpLine::Kind::helo:
            on_helo(c, parsed.session_id);
            break;
        case StcpLine::Kind::ping:
            // A PING before HELO names no session: closed like any other garbage.
            if (c.state_ != Connection::State::bound) {
                reject(c, "PING before HELO");
                return;
            }
            ++stats.pings;
            queue(c, std::string(kOk), false);
            break;
        case StcpLine::Kind::other:
            if (c.state_ != Connection::State::bound) {
                reject(c, "not a HELO: '" + printable(line) + "'");
            } else if (!c.other_logged_) {
                // Said once per socket: a phone that chatters must not flood the log.
                c.other_logged_ = true;
                write_log("STCP: session " + c.session_id_ + ": ignored a line '" +
                          printable(line) + "' (further ones on this socket are not logged)");
            }
            break;
    }
}

void StcpCore::on_helo(Connection& c, const std::string& session_id) {
    const bool valid = validate && validate(session_id);
    if (c.state_ == Connection::State::closed || !running) return;
    if (!valid) {
        reject(c, "HELO for an unknown session '" + printable(session_id) + "'");
        return;
    }
    ++stats.helo_ok;
    if (c.state_ == Connection::State::bound && c.session_id_ != session_id) {
        // The same socket now speaks for another session: the old one just has no channel.
        sessions.erase(c.session_id_);
        c.session_id_.clear();
    }
    if (auto it = sessions.find(session_id); it != sessions.end() && it->second != &c) {
        // The phone reconnected (new address, dropped socket): the newest socket is the one
        // it listens on.
        ++stats.replaced;
        write_log("STCP: session " + session_id + ": a new HELO from " + peer(c) +
                  " replaces the older socket");
        close(*it->second, false);
    }
    if (c.state_ == Connection::State::pending) {
        bound_list.splice(bound_list.end(), pending, c.position_);
        c.state_ = Connection::State::bound;
        ++stats.bound;
    }
    if (c.session_id_.empty()) {
        c.session_id_ = session_id;
        sessions.emplace(c.session_id_, &c);
    }
    refresh_idle(c);
    if (!queue(c, std::string(kOk), false)) return;
    if (bound) {
        const std::string id = c.session_id_;
        bound(id);
    }
}

void StcpCore::reject(Connection& c, std::string_view why) {
    ++stats.helo_rejected;
    if (c.state_ == Connection::State::bound) {
        write_log("STCP: session " + c.session_id_ +
                  ": closed the CIR socket: " + std::string(why));
    } else {
        write_log("STCP: closed a socket from " + peer(c) + ": " + std::string(why));
    }
    close(c, true);
}

bool StcpCore::queue(Connection& c, std::string bytes, bool wake) {
    if (c.queue_.size() >= kMaxQueued) {
        const bool was_bound = c.state_ == Connection::State::bound;
        std::string id = c.session_id_;
        write_log("STCP: session " + id + ": the phone does not read its CIR socket; closed");
        close(c, false);
        // Said later: queue() runs inside send() and the Waker is not ready to hear it there.
        if (was_bound) {
            asio::post(io, [self = shared_from_this(), id = std::move(id)] {
                if (self->running && self->lost) self->lost(id);
            });
        }
        return false;
    }
    c.queue_.push_back(Outgoing{std::move(bytes), wake});
    pump(c);
    return true;
}

void StcpCore::pump(Connection& c) {
    if (c.state_ == Connection::State::closed || c.writing_ || c.gap_waiting_ || c.queue_.empty()) {
        return;
    }
    Outgoing& next = c.queue_.front();
    if (next.wake) {
        // COMPAT: S60 (TcpCirWatcher.cpp) reads the answer to HELO/PING with one RecvOneOrMore
        // and looks for "WVCI" only at offset 0: "OK\r\nWVCI ..." in one read loses the wake-up.
        const Clock::time_point ready_at = c.last_ok_ + options.ok_gap;
        if (Clock::now() < ready_at) {
            if (!c.gap_timer_) c.gap_timer_ = std::make_unique<Timer>(io);
            c.gap_waiting_ = true;
            c.gap_timer_->expires_at(ready_at);
            c.gap_timer_->async_wait([keep = c.shared_from_this()](const error_code&) {
                if (keep->state_ == Connection::State::closed) return;
                keep->gap_waiting_ = false;
                // The timer is only needed right after an OK: an idle socket keeps none.
                keep->gap_timer_.reset();
                keep->core_->pump(*keep);
            });
            return;
        }
    }
    c.in_flight_ = std::move(next.bytes);
    c.in_flight_wake_ = next.wake;
    c.queue_.erase(c.queue_.begin());
    if (c.queue_.empty()) std::vector<Outgoing>().swap(c.queue_);
    c.writing_ = true;
    asio::async_write(c.socket_, asio::buffer(c.in_flight_),
                      [keep = c.shared_from_this()](const error_code& ec, std::size_t) {
                          if (keep->state_ == Connection::State::closed) return;
                          keep->core_->on_written(*keep, ec);
                      });
}

void StcpCore::on_written(Connection& c, const error_code& ec) {
    const auto hold = shared_from_this();
    c.writing_ = false;
    if (ec) {
        if (c.state_ == Connection::State::bound) {
            write_log("STCP: session " + c.session_id_ + ": cannot write to the CIR socket (" +
                      ec.message() + ")");
        }
        close(c, true);
        return;
    }
    if (c.in_flight_wake_) {
        ++stats.wakes_sent;
    } else {
        c.last_ok_ = Clock::now();
    }
    std::string().swap(c.in_flight_);
    pump(c);
}

void StcpCore::close(Connection& c, bool notify) {
    if (c.state_ == Connection::State::closed) return;
    const auto keep = c.shared_from_this();
    const bool was_bound = c.state_ == Connection::State::bound;
    c.state_ = Connection::State::closed;
    error_code ignored;
    c.socket_.close(ignored);
    if (c.gap_timer_) c.gap_timer_->cancel();
    c.queue_.clear();
    --stats.open;
    std::string session_id;
    if (was_bound) {
        --stats.bound;
        if (auto it = sessions.find(c.session_id_); it != sessions.end() && it->second == &c) {
            sessions.erase(it);
        }
        session_id = std::move(c.session_id_);
        bound_list.erase(c.position_);
    } else {
        pending.erase(c.position_);
    }
    if (notify && was_bound && running && lost) lost(session_id);
}

void StcpCore::refresh_idle(Connection& c) {
    c.deadline_ = Clock::now() + options.idle_timeout;
    // To the back: bound_list stays ordered by deadline.
    bound_list.splice(bound_list.end(), bound_list, c.position_);
    schedule_sweep(c.deadline_);
}

void StcpCore::schedule_sweep(Clock::time_point at) {
    if (sweep_armed && sweep_at <= at) return;
    sweep_armed = true;
    sweep_at = at;
    const std::uint64_t generation = ++sweep_generation;
    sweep_timer.expires_at(at);
    sweep_timer.async_wait([self = shared_from_this(), generation](const error_code& ec) {
        // A completion already queued when the timer was re-armed carries an old generation.
        if (ec || generation != self->sweep_generation || !self->running) return;
        self->sweep_armed = false;
        self->sweep();
    });
}

void StcpCore::sweep() {
    const auto hold = shared_from_this();
    const Clock::time_point now = Clock::now();
    while (running && !pending.empty() && pending.front()->deadline_ <= now) {
        Connection& c = *pending.front();
        ++stats.helo_rejected;
        write_log("STCP: closed a socket from " + peer(c) + ": no HELO within " +
                  std::to_string(options.helo_timeout.count()) + " s");
        close(c, false);
    }
    while (running && !bound_list.empty() && bound_list.front()->deadline_ <= now) {
        Connection& c = *bound_list.front();
        ++stats.closed_idle;
        write_log("STCP: session " + c.session_id_ + ": closed the CIR socket, silent for " +
                  std::to_string(options.idle_timeout.count()) + " s");
        // The phone no longer hears wake-ups: the session must set its CIR up again.
        close(c, true);
    }
    if (!running) return;
    if (!pending.empty()) schedule_sweep(pending.front()->deadline_);
    if (!bound_list.empty()) schedule_sweep(bound_list.front()->deadline_);
}

std::string StcpCore::peer(const Connection& c) const {
    error_code ec;
    const tcp::endpoint remote = c.socket_.remote_endpoint(ec);
    if (ec) return "an unknown address";
    return remote.address().to_string() + ":" + std::to_string(remote.port());
}

struct StcpListener::Impl : StcpCore {
    using StcpCore::StcpCore;
};

StcpListener::StcpListener(asio::io_context& io, StcpOptions options, Validate validate,
                           Bound bound, Lost lost, Log log)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(validate), std::move(bound),
                                   std::move(lost), std::move(log))) {}

StcpListener::~StcpListener() {
    impl_->stop();
}

Result<void> StcpListener::start() {
    return impl_->start();
}

std::uint16_t StcpListener::port() const {
    error_code ec;
    const auto endpoint = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

void StcpListener::stop() {
    impl_->stop();
}

bool StcpListener::send(const std::string& session_id, std::string_view line) {
    Impl& impl = *impl_;
    if (!impl.running) return false;
    const auto it = impl.sessions.find(session_id);
    if (it == impl.sessions.end()) return false;
    // One line: a line end inside would let the rest pass for a line of its own.
    line = line.substr(0, line.find_first_of("\r\n"));
    std::string bytes;
    bytes.reserve(line.size() + 2);
    bytes.append(line).append("\r\n");
    return impl.queue(*it->second, std::move(bytes), true);
}

bool StcpListener::is_bound(const std::string& session_id) const {
    return impl_->sessions.find(session_id) != impl_->sessions.end();
}

void StcpListener::unbind(const std::string& session_id) {
    Impl& impl = *impl_;
    const auto it = impl.sessions.find(session_id);
    if (it != impl.sessions.end()) impl.close(*it->second, false);
}

const StcpStats& StcpListener::stats() const {
    return impl_->stats;
}

}  // namespace onesoup::transport::cir
