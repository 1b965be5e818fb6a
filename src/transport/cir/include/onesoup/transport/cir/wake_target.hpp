// What the CIR layer knows about one phone session. The CIR layer sits in the transport layer:
// it never sees the IMPS engine; the daemon fills these from the engine's SessionInfo.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onesoup::transport::cir {

using Clock = std::chrono::steady_clock;

// The CIR methods of CSP 1.2 (Transport Binding 1.2 section 8; reference notes section 6).
enum class Method : std::uint8_t { stcp, shttp, sudp, wap_udp, wap_sms, ssms };

// "STCP", "SHTTP", "SUDP", "WAPUDP", "WAPSMS", "SSMS".
[[nodiscard]] std::string_view method_name(Method method);
// The method for one of those names (case-insensitive), or nullopt.
[[nodiscard]] std::optional<Method> method_from_name(std::string_view name);

// One phone session, as a wake-up needs it.
struct WakeTarget {
    std::string session_id;
    std::string cookie;                // SessionCookie from Login-Request
    std::string version = "1.2";       // the session's CSP version: "1.1", "1.2" or "1.3"
    std::vector<Method> methods;       // agreed in ClientCapability, the phone's order first
    std::string address;               // the phone's latest IP address (IPv4 or IPv6 text)
    std::uint16_t udp_port = 3717;     // UDPPort the phone gave (SUDP), CSP default 3717
    std::string msisdn;                // for WAPSMS/SSMS; "" if unknown
    bool has_queued = false;           // something waits for the phone right now
};

// The CIR line every method carries: "WVCI <version> <cookie>" (no line end; STCP adds CRLF).
// S60 checks that it starts with WVCI and contains the cookie; Android splits it on spaces.
[[nodiscard]] std::string wake_line(std::string_view version, std::string_view cookie);

}  // namespace onesoup::transport::cir
