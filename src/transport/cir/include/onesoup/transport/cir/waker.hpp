// Waker: wakes phones through the CIR methods they agreed, in their order of preference, once
// per burst of news (reference notes section 6; issue 4).
//
// - wake(target) is called whenever something is queued for a phone that has no request in
//   flight. The first wake of a burst goes out; later ones coalesce until the phone makes a
//   request (on_request) or `rewake_after` passes.
// - Choice, in the target's method order: STCP if a socket is bound; SHTTP if a GET is held (if
//   the phone sent a GET within `shttp_grace` but none is held now, the wake waits for its next
//   GET); SUDP (WVCI line to address:udp_port) and WAPUDP (WSP push to address:2948), resent
//   after each `udp_resend` delay while the phone does not poll; WAPSMS and SSMS through Kannel
//   when the target has an MSISDN, at most one SMS per session per `sms_min_interval`.
// - channel_ready(id) (a new STCP HELO, a held SHTTP GET) wakes at once if the session has
//   something queued. The GET that follows a 200 of the same burst is answered only if the
//   phone made no request within `shttp_recheck` (a phone that read the 200 polls at once).
// - A target with no agreed method is left alone: that phone polls by itself.
// - Failures are reported through Failed, so the engine marks CIR=F in its next answer: the STCP
//   socket of the session was lost, Kannel refused or did not answer, the UDP resends ran out
//   without a poll, or a wake found no method it could use.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "onesoup/transport/cir/wake_target.hpp"

namespace onesoup::transport::cir {

class StcpListener;
class HttpCirHolder;
class UdpSender;
class SmsSender;

struct WakerOptions {
    // Delays before each resend of a datagram CIR (SUDP, WAPUDP) while the phone has not polled.
    std::vector<std::chrono::milliseconds> udp_resend{std::chrono::seconds(2),
                                                      std::chrono::seconds(4),
                                                      std::chrono::seconds(8),
                                                      std::chrono::seconds(16)};
    // A wake that got no request from the phone for this long no longer holds back new ones.
    std::chrono::seconds rewake_after{60};
    // A GET on the CIR URL within this time means the phone's SHTTP channel is alive.
    std::chrono::seconds shttp_grace{70};
    // A GET that follows a 200 of the same burst is woken after this long without a request.
    std::chrono::milliseconds shttp_recheck{2000};
    // SMS cost the user money: at most one per session per this time.
    std::chrono::seconds sms_min_interval{60};
};

struct WakerStats {
    std::uint64_t wakes = 0;                // wake() calls
    std::uint64_t coalesced = 0;            // wake() calls held back by one already out
    std::array<std::uint64_t, 6> sent{};    // by Method
    std::uint64_t resent = 0;               // datagram resends
    std::uint64_t failed = 0;               // Failed reports
    std::uint64_t pending = 0;              // sessions with a wake out and no request since
};

class Waker {
  public:
    // The channels; a null one is disabled (its methods are skipped).
    struct Channels {
        StcpListener* stcp = nullptr;
        HttpCirHolder* shttp = nullptr;
        UdpSender* udp = nullptr;
        SmsSender* sms = nullptr;
    };
    // The session as it is now (its latest address, whether something waits), or nullopt if the
    // session is gone.
    using Lookup = std::function<std::optional<WakeTarget>(const std::string& session_id)>;
    // CIR failed for the session; `why` is plain words for the log. May be called from inside
    // wake() or channel_lost().
    using Failed = std::function<void(const std::string& session_id, std::string why)>;

    Waker(boost::asio::io_context& io, WakerOptions options, Channels channels, Lookup lookup,
          Failed failed);
    ~Waker();
    Waker(const Waker&) = delete;
    Waker& operator=(const Waker&) = delete;

    // Something waits for the phone: wake it, unless a wake of this burst is already out.
    void wake(const WakeTarget& target);
    // The phone made a request (it was woken, or polled by itself): the burst is over.
    void on_request(const std::string& session_id);
    // A channel of the session became ready (STCP HELO accepted, SHTTP GET held).
    void channel_ready(const std::string& session_id);
    // The session's STCP socket was lost (StcpListener's Lost).
    void channel_lost(const std::string& session_id);
    // The session is over: forget it, close its STCP socket, answer its held GET.
    void forget(const std::string& session_id);
    // Cancels every timer (shutting down).
    void stop();

    [[nodiscard]] const WakerStats& stats() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace onesoup::transport::cir
