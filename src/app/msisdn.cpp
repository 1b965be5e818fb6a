#include "msisdn.hpp"

namespace onesoup::app {

std::string listen_url(const HttpSection& http, std::uint16_t port) {
    std::string host = http.address;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return (http.tls_certificate.empty() ? "http://" : "https://") + host + ":" +
           std::to_string(port) + http.path;
}

std::string msisdn_from_headers(std::string_view network_msisdn, std::string_view msisdn,
                                std::string_view calling_line_id) {
    for (std::string_view v : {network_msisdn, msisdn, calling_line_id}) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        std::string_view digits = v;
        if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
        // A header from outside the operator's network could carry anything: only a plausible
        // E.164 number is believed.
        const bool plausible = digits.size() >= 3 && digits.size() <= 15 &&
                               digits.find_first_not_of("0123456789") == std::string_view::npos;
        if (plausible) return std::string(v);
    }
    return {};
}

}  // namespace onesoup::app
