// The WSP push PDU that carries a CIR over WAPUDP and WAPSMS (WAP-230 WSP 8.2.4.1 Push PDU;
// reference notes section 6): TID, PDU type 0x06 (Push), HeadersLen (uintvar), the content type
// as a well-known short integer 0x46|0x80 (application/vnd.wv.csp.cir), the header
// X-Wap-Application-Id (field 0x2F|0x80) with value 0x0A|0x80 (x-wap-application:wv.ua), then
// the body: the WVCI line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

namespace onesoup::transport::cir {

// The SMS user data header that addresses WAP push (WDP over SMS): 16-bit ports, destination
// 2948, source 9200: 06 05 04 0B 84 23 F0.
inline constexpr std::string_view kWapPushUdh{"\x06\x05\x04\x0B\x84\x23\xF0", 7};

// The push PDU with `body` (the WVCI line) and transaction id `tid`.
[[nodiscard]] std::string wsp_cir_push(std::string_view body, std::uint8_t tid);

// A decoded push PDU (for the `imps` phone and the tests).
struct WspPush {
    std::uint8_t tid = 0;
    // The content type: the well-known number (0x46 for application/vnd.wv.csp.cir) or the
    // text of a textual content type.
    std::optional<std::uint32_t> content_type_code;
    std::string content_type_text;
    // X-Wap-Application-Id: the well-known number (0x0A = x-wap-application:wv.ua) or text.
    std::optional<std::uint32_t> application_id_code;
    std::string application_id_text;
    std::string body;
};

// Decodes a connectionless WSP Push PDU (type 0x06); headers it does not know are skipped by
// their encoded length. Anything that is not a well-formed push PDU gives an error.
[[nodiscard]] Result<WspPush> parse_wsp_push(std::string_view pdu);

}  // namespace onesoup::transport::cir
