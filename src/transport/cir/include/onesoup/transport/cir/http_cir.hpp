// HttpCirHolder: the standalone HTTP CIR channel (SHTTP, CSP 1.2+). ClientCapability gives the
// phone a CIR URL (CIRURL in 1.2, CIRHTTPAddress in 1.3): <prefix><SessionID>. The phone GETs
// it; the GET is held open until there is something to fetch, then answered 200 with the WVCI
// line as the body (the phone then polls), or answered 204 when the hold time passes (the
// phone GETs again). Android re-issues the GET about every 10 s and polls on a 200 only.
//
// A held GET costs its HTTP connection (about 1 KiB) and one small entry here; no timer runs
// per request (one sweep a second closes the expired ones). A held GET whose phone closes the
// connection is forgotten at once (HttpRequest::on_gone): is_held() is then false.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "onesoup/transport/cir/wake_target.hpp"
#include "onesoup/transport/http_server.hpp"

namespace onesoup::transport::cir {

struct HttpCirOptions {
    std::string path = "/cir/";       // the route; the session id follows it
    std::chrono::seconds hold{50};    // answer 204 after this long with nothing to say
    std::size_t max_held = 100000;    // beyond it a GET is answered 503 at once
};

struct HttpCirStats {
    std::uint64_t gets = 0;
    std::uint64_t held = 0;            // held now
    std::uint64_t woken = 0;           // answered 200 with a WVCI line
    std::uint64_t expired = 0;         // answered 204
    std::uint64_t replaced = 0;        // answered 204 because the same session GET again
    std::uint64_t gone = 0;            // the phone closed the connection of its held GET
    std::uint64_t rejected = 0;        // 404 (no such session), 405, 503
};

class HttpCirHolder {
  public:
    // Is `session_id` a live session that agreed SHTTP? Asked for each GET.
    using Validate = std::function<bool(std::string_view session_id)>;
    // A GET from the session is now held (the Waker then wakes at once if something waits).
    using Held = std::function<void(const std::string& session_id)>;

    // Registers the route `options.path` on `server` (call before server.start()).
    HttpCirHolder(boost::asio::io_context& io, HttpServer& server, HttpCirOptions options,
                  Validate validate, Held held);
    ~HttpCirHolder();
    HttpCirHolder(const HttpCirHolder&) = delete;
    HttpCirHolder& operator=(const HttpCirHolder&) = delete;

    // Answers the session's held GET with 200 and `line` as a text/plain body. Returns false
    // if no GET is held for it (nothing is remembered: the Waker keeps its own state).
    bool send(const std::string& session_id, std::string_view line);
    [[nodiscard]] bool is_held(const std::string& session_id) const;
    // When the session's last GET arrived (held or not), or nullopt if it never sent one.
    [[nodiscard]] std::optional<Clock::time_point> last_get(const std::string& session_id) const;
    // The session is over: answer its held GET 404 and forget it.
    void forget(const std::string& session_id);
    // Answers every held GET 503 (shutting down); later GETs too.
    void stop();

    [[nodiscard]] const HttpCirStats& stats() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace onesoup::transport::cir
