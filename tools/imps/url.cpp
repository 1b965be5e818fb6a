#include "url.hpp"

#include <cctype>

namespace onesoup::tools {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string Url::host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != (https ? 443 : 80)) h += ":" + std::to_string(port);
    return h;
}

std::string Url::text() const {
    return std::string(https ? "https://" : "http://") + host_header() + target;
}

Result<Url> parse_url(std::string_view text) {
    Url url;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos)
        return make_error("URL \"" + std::string(text) + "\" has no scheme (http:// or https://)");
    const std::string scheme = lower(text.substr(0, scheme_end));
    if (scheme == "https") {
        url.https = true;
        url.port = 443;
    } else if (scheme != "http") {
        return make_error("URL scheme \"" + scheme + "\" is not supported (http or https)");
    }
    std::string_view rest = text.substr(scheme_end + 3);
    const auto path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view path =
        path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
    if (const auto hash = path.find('#'); hash != std::string_view::npos)
        path = path.substr(0, hash);  // fragments never go to the server
    if (authority.find('@') != std::string_view::npos)
        return make_error("URL user information (user@host) is not supported");

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return make_error("URL has an unclosed '[' in its host");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return make_error("URL has text after its IPv6 address");
            port_text = after.substr(1);
            if (port_text.empty()) return make_error("URL has an empty port");
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return make_error("URL has an empty port");
        }
    }
    if (url.host.empty()) return make_error("URL \"" + std::string(text) + "\" has no host");
    if (!port_text.empty()) {
        unsigned long port = 0;
        for (char c : port_text) {
            if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535)
                return make_error("URL port \"" + std::string(port_text) + "\" is not a number");
            port = port * 10 + static_cast<unsigned long>(c - '0');
        }
        if (port == 0 || port > 65535)
            return make_error("URL port " + std::string(port_text) + " is out of range 1-65535");
        url.port = static_cast<std::uint16_t>(port);
    }
    url.target = path.empty() ? "/" : std::string(path);
    if (url.target.front() == '?') url.target.insert(0, "/");
    return url;
}

}  // namespace onesoup::tools
