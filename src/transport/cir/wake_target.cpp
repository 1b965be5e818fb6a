// The CIR method names of CSP 1.2 and the WVCI line every CIR method carries.
#include "onesoup/transport/cir/wake_target.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace onesoup::transport::cir {

namespace {

// The names as SupportedCIRMethod spells them (CSP 1.2 DTD, Transport Binding 1.2 section 8).
constexpr std::array<std::pair<Method, std::string_view>, 6> kMethodNames{{
    {Method::stcp, "STCP"},
    {Method::shttp, "SHTTP"},
    {Method::sudp, "SUDP"},
    {Method::wap_udp, "WAPUDP"},
    {Method::wap_sms, "WAPSMS"},
    {Method::ssms, "SSMS"},
}};

char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

std::string_view method_name(Method method) {
    for (const auto& [m, name] : kMethodNames) {
        if (m == method) return name;
    }
    return "";
}

std::optional<Method> method_from_name(std::string_view name) {
    for (const auto& [m, known] : kMethodNames) {
        if (known.size() == name.size() &&
            std::equal(known.begin(), known.end(), name.begin(),
                       [](char k, char c) { return k == ascii_upper(c); })) {
            return m;
        }
    }
    return std::nullopt;
}

std::string wake_line(std::string_view version, std::string_view cookie) {
    std::string line;
    line.reserve(5 + version.size() + 1 + cookie.size());
    line.append("WVCI ").append(version).append(" ").append(cookie);
    return line;
}

}  // namespace onesoup::transport::cir
