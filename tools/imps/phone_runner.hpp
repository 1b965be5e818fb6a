// PhoneRunner: carries out an `imps phone` script step by step against a CSP server, as a
// phone's built-in IMPS client would, printing what crossed the wire.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "cir_channel.hpp"
#include "onesoup/imps/codec/version.hpp"
#include "phone_script.hpp"

namespace onesoup::tools {

// The command line of `imps phone` (defaults as in docs/phone.md).
struct PhoneOptions {
    std::string url;
    std::string user;  // as given; "alice@a.test" is sent as "wv:alice@a.test"
    std::string password;
    std::string auth = "pwd";  // pwd (2-way login), md5 or sha (4-way)
    imps::codec::Encoding encoding = imps::codec::Encoding::wbxml;
    imps::codec::CspVersion version = imps::codec::CspVersion::v1_2;
    std::string client_id = "WV:IMPS-PHONE$onesoup";
    double poll_interval = 1.0;  // seconds between Polling-Requests while waiting
    double http_timeout = 30.0;  // seconds for each HTTP exchange
    bool quiet = false;          // one line per step instead of every exchange
    bool insecure = false;       // HTTPS: accept any certificate
    // CIR (reference notes section 6): the method offered in ClientCapability-Request.
    CirKind cir = CirKind::none;
    std::uint16_t udp_port = 0;    // SUDP/WAPUDP: the port listened on and offered (0 = free)
    double ping_interval = 300.0;  // STCP: seconds between PINGs
    std::string sms_inbox;         // SSMS/WAPSMS: the file the fake SMS centre writes
    std::string msisdn;            // sent as X-Network-MSISDN with every request
    std::string local_address;     // source address of every socket ("" = the system's choice)
};

// Runs `script`. Output goes to `out`; the line saying which step failed and why goes to
// `err`. Returns the exit status: 0 every step passed, 1 a step failed (the rest are skipped),
// 2 the options or a file the script names are unusable (nothing was sent).
[[nodiscard]] int run_phone(const PhoneOptions& options, const PhoneScript& script,
                            std::ostream& out, std::ostream& err);

}  // namespace onesoup::tools
