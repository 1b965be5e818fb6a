// CirChannel: the phone's side of a CIR channel (CSP Transport Binding 1.2 section 8; reference
// notes section 6), as a phone's IMPS client sets it up after ClientCapability:
// - STCP: a TCP socket to TCPAddress:TCPPort, "HELO <SessionID>\r\n" answered "OK", "PING\r\n"
//   every ping interval, reconnect and HELO again with backoff 1, 3, 9 s when it closes;
// - SUDP / WAPUDP: a UDP socket on the phone's UDPPort (WAPUDP datagrams are WSP push PDUs);
// - SHTTP: GET on the CIR URL in a loop (200 = woken, 204 = GET again);
// - SSMS / WAPSMS: the SMS a fake SMS centre writes to a file, read as `tail -f` does.
// A wake-up counts only if its line starts with "WVCI" and contains the session cookie (S60's
// CirMessageL checks both). The channel runs on a thread of its own; the phone's steps read
// what happened with next_event(), so that everything is printed in order by one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

namespace onesoup::tools {

// The CIR method the phone offers (`imps phone --cir`).
enum class CirKind : std::uint8_t { none, stcp, sudp, wap_udp, shttp, ssms, wap_sms };

// "stcp", "sudp", "wapudp", "shttp", "ssms", "wapsms", "none" (case-insensitive), or nullopt.
[[nodiscard]] std::optional<CirKind> cir_kind_from_text(std::string_view text);
// The SupportedCIRMethod name: "STCP", "SUDP", "WAPUDP", "SHTTP", "SSMS", "WAPSMS" ("" for none).
[[nodiscard]] std::string_view cir_kind_name(CirKind kind);

// Fixed for the whole run (the command line).
struct CirConfig {
    CirKind kind = CirKind::none;
    std::string local_address;   // source address of the sockets ("" = the system's choice)
    std::uint16_t udp_port = 0;  // SUDP/WAPUDP: the port listened on (0 = a free one)
    std::chrono::milliseconds ping_interval{300000};  // STCP PING period
    std::string sms_inbox;  // SSMS/WAPSMS: the file the fake SMS centre writes
    std::string msisdn;     // the phone's number: SMS to other numbers are not for it
    std::string user_agent = "onesoup-imps-phone/0.1";
};

// What ClientCapability agreed, for one session.
struct CirTarget {
    std::string session_id;
    std::string cookie;  // the SessionCookie sent in Login-Request
    std::string tcp_address;
    std::uint16_t tcp_port = 0;
    std::string cir_url;  // SHTTP: CIRURL (1.2) / CIRHTTPAddress (1.3)
};

// Something the channel saw.
struct CirEvent {
    enum class Kind : std::uint8_t {
        wake,     // a valid wake-up: text is "<< CIR <METHOD> WVCI ..."
        ignored,  // a CIR line that is not a wake-up for this phone
        note,     // set-up progress ("STCP: HELO answered OK")
        problem,  // something went wrong (socket closed, GET refused); the channel recovers
    };
    Kind kind = Kind::note;
    std::string text;
    std::size_t bytes = 0;  // bytes of the wake-up as received
    std::chrono::steady_clock::time_point at;
};

// Bytes the CIR channel moved (TCP payload both ways, HTTP requests and answers with their
// headers, UDP datagrams, SMS user data with its header), and the wake-ups.
struct CirCounters {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t wakes = 0;
};

class CirChannel {
  public:
    explicit CirChannel(CirConfig config);
    ~CirChannel();
    CirChannel(const CirChannel&) = delete;
    CirChannel& operator=(const CirChannel&) = delete;

    // SUDP/WAPUDP: binds the UDP socket before login (its port goes in ClientCapability);
    // returns the port. Other methods: returns 0.
    [[nodiscard]] Result<std::uint16_t> open();

    // Sets the channel up for a new session (after ClientCapability agreed it).
    void start(CirTarget target);
    // The session is over (logout): close the STCP socket, stop GETting. UDP keeps listening.
    void end_session();
    // The phone made a request after a wake-up: SHTTP GETs again (it does not GET while a
    // wake-up is unanswered, or the server would wake it again on each new GET).
    void answered();
    // CIR=F: set up again (STCP: reconnect and HELO; SHTTP: a new GET). Nothing while dropped.
    void restart();
    // The `cir-drop` step: close the STCP socket (no reconnect), stop GETting, stop listening
    // on UDP, stop reading SMS; `cir-restore` undoes it.
    void drop();
    Result<void> restore();

    // STCP: sends "PING\r\n" on the channel's socket; an "OK" must come back within `timeout`
    // (and within 5 s of the PING). A socket that waits for the OK to its HELO (just after
    // login or a reconnect) sends the PING when that OK comes.
    [[nodiscard]] Result<void> ping(std::chrono::milliseconds timeout);
    // STCP: opens an extra socket and sends "HELO <session_id>\r\n". Returns "ok" (OK came
    // back; the socket stays open until the server closes it or the run ends), "closed" (the
    // server closed without OK), or the line it answered instead.
    [[nodiscard]] Result<std::string> helo(const std::string& session_id,
                                           std::chrono::milliseconds timeout);
    // Later sockets leave from `address`; the current ones move to it now (STCP reconnects,
    // SHTTP GETs again, UDP listens on it).
    [[nodiscard]] Result<void> set_local_address(const std::string& address);

    // The next event, waiting until `deadline` at most.
    [[nodiscard]] std::optional<CirEvent> next_event(
        std::chrono::steady_clock::time_point deadline);

    [[nodiscard]] CirCounters counters() const;
    [[nodiscard]] CirKind kind() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// One message as the fake SMS centre wrote it (Kannel's smsc_fake line; the format is described
// in tests/integration/harness/kannel.sh): "SENDER RECEIVER text TEXT", "SENDER RECEIVER data
// URLDATA", "SENDER RECEIVER udh URLUDH data URLDATA" (Kannel 1.4.5; older: without "data"),
// or "SENDER RECEIVER ucs-2 URLDATA", alone or inside fakesmsc's log line "... Got message N:
// <...>".
struct FakeSms {
    std::string sender;
    std::string receiver;
    std::string udh;   // decoded; empty for text
    std::string data;  // decoded
};
// Parses one line of the SMS inbox file; nullopt for lines that are no message.
[[nodiscard]] std::optional<FakeSms> parse_fake_sms(std::string_view line);

// Whether two phone numbers are the same ("+4412", "004412" and "4412" are).
[[nodiscard]] bool same_msisdn(std::string_view a, std::string_view b);

}  // namespace onesoup::tools
