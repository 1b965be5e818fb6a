// libFuzzer target for the STCP CIR line parser (the bytes come from any host that connects to
// the CIR port): the input is split into lines as the listener splits it (LF, the CR before it
// dropped), and every line must parse to HELO, PING or other, never crash or hang. A HELO's
// session id must be a non-empty run of printable non-space ASCII found in the line, and the
// parse must not depend on trailing spaces or a stray CR.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "onesoup/transport/cir/stcp_listener.hpp"

namespace {

using onesoup::transport::cir::parse_stcp_line;
using onesoup::transport::cir::StcpLine;

void check(std::string_view line) {
    const StcpLine parsed = parse_stcp_line(line);
    if (parsed.kind == StcpLine::Kind::helo) {
        if (parsed.session_id.empty()) std::abort();
        for (char c : parsed.session_id) {
            if (c <= ' ' || c >= '\x7f') std::abort();
        }
        if (line.find(parsed.session_id) == std::string_view::npos) std::abort();
    } else if (!parsed.session_id.empty()) {
        std::abort();
    }
    // Trailing blanks and a CR are ignored: the same line with more of them parses the same.
    std::string padded(line);
    padded.append(" \r");
    const StcpLine again = parse_stcp_line(padded);
    if (again.kind != parsed.kind || again.session_id != parsed.session_id) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check(input);
    std::string_view rest = input;
    while (!rest.empty()) {
        const auto lf = rest.find('\n');
        std::string_view line = rest.substr(0, lf);
        rest = lf == std::string_view::npos ? std::string_view() : rest.substr(lf + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        check(line);
    }
    return 0;
}
