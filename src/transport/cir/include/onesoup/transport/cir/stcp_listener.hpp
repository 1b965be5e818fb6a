// StcpListener: the standalone TCP CIR channel (CSP Transport Binding 1.2 section 8.1.3;
// reference notes section 6). A phone connects to the TCPAddress/TCPPort agreed in
// ClientCapability and sends "HELO <SessionID>\r\n"; the server answers "OK\r\n". The phone
// keeps the socket alive with "PING\r\n" (any case; Android sends "PING \r\n"), answered
// "OK\r\n". A wake-up is "WVCI <version> <cookie>\r\n" on that socket.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

namespace onesoup::transport::cir {

struct StcpOptions {
    std::string address = "0.0.0.0";
    std::uint16_t port = 0;  // 0 = any free port (see port())
    // A socket that has not sent a valid HELO within this time is closed.
    std::chrono::seconds helo_timeout{30};
    // A bound socket with no line from the phone for this long is closed (phones PING: S60
    // every few minutes, Android every 20 minutes).
    std::chrono::seconds idle_timeout{3600};
    // COMPAT: S60 reads the answer to HELO or PING with one RecvOneOrMore and looks for "WVCI"
    // only at the start of what it read, so "OK\r\nWVCI ..." in one read loses the wake-up.
    // A wake-up is never written sooner than this after an OK on the same socket.
    std::chrono::milliseconds ok_gap{300};
    std::size_t max_line = 512;              // longer lines close the socket
    std::size_t max_connections = 100000;    // beyond it new sockets are closed at once
};

struct StcpStats {
    std::uint64_t accepted = 0;
    std::uint64_t open = 0;           // sockets open now
    std::uint64_t bound = 0;          // sockets bound to a session now
    std::uint64_t helo_ok = 0;
    std::uint64_t helo_rejected = 0;  // unknown session, or no HELO in time, or garbage
    std::uint64_t pings = 0;
    std::uint64_t wakes_sent = 0;     // counted when the write has finished
    std::uint64_t replaced = 0;       // an older socket closed by a new HELO of its session
    std::uint64_t closed_idle = 0;
};

class StcpListener {
  public:
    // Is `session_id` a live session that agreed STCP? Asked for each HELO.
    using Validate = std::function<bool(std::string_view session_id)>;
    // A socket is now bound to the session (after its "OK" was queued). The Waker then wakes at
    // once if something waits (it calls send(), which honours ok_gap).
    using Bound = std::function<void(const std::string& session_id)>;
    // The session's bound socket was closed by the phone or the network, by a write error, by
    // idle_timeout or by a bad line (not by unbind(), not by a newer HELO replacing it).
    using Lost = std::function<void(const std::string& session_id)>;
    // One line for the log (a rejected HELO, a closed socket), in plain words.
    using Log = std::function<void(std::string line)>;

    StcpListener(boost::asio::io_context& io, StcpOptions options, Validate validate,
                 Bound bound, Lost lost, Log log = {});
    ~StcpListener();
    StcpListener(const StcpListener&) = delete;
    StcpListener& operator=(const StcpListener&) = delete;

    // Binds and starts accepting; the error says why not.
    [[nodiscard]] Result<void> start();
    [[nodiscard]] std::uint16_t port() const;
    // Stops accepting and closes every socket.
    void stop();

    // Writes `line` + "\r\n" to the session's socket (after ok_gap if an OK was just written);
    // the line is cut at its first CR or LF. Returns false if no socket is bound to the session
    // (nothing is written).
    bool send(const std::string& session_id, std::string_view line);
    [[nodiscard]] bool is_bound(const std::string& session_id) const;
    // The session is over: close its socket, if any (Lost is not called).
    void unbind(const std::string& session_id);

    [[nodiscard]] const StcpStats& stats() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// The parsed form of one line from the phone (without its CRLF), for the listener and the fuzz
// target: HELO with its session id, PING, or anything else. Case-insensitive keywords,
// trailing spaces ignored.
struct StcpLine {
    enum class Kind : std::uint8_t { helo, ping, other };
    Kind kind = Kind::other;
    std::string session_id;  // for helo
};
[[nodiscard]] StcpLine parse_stcp_line(std::string_view line);

}  // namespace onesoup::transport::cir
