// Url: the parts of an http:// or https:// URL that the phone's HTTP client needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

namespace onesoup::tools {

// A parsed absolute HTTP URL (RFC 3986 section 3, restricted to what a CSP server URL holds:
// no user info, no fragment).
struct Url {
    bool https = false;
    std::string host;          // name or address; an IPv6 address without its brackets
    std::uint16_t port = 80;   // the explicit port, else 80 (http) or 443 (https)
    std::string target = "/";  // path and query as they go in the request line

    // "host" or "host:port" as the Host header carries it (RFC 9110 7.2): the port only when it
    // is not the scheme's default, IPv6 addresses in brackets.
    [[nodiscard]] std::string host_header() const;
    // The URL written back ("http://host:port/path").
    [[nodiscard]] std::string text() const;
};

// Parses "http://host[:port][/path][?query]" or "https://...". The scheme is case-insensitive;
// a missing path is "/". Errors say what is wrong (unsupported scheme, empty host, bad port).
[[nodiscard]] Result<Url> parse_url(std::string_view text);

}  // namespace onesoup::tools
