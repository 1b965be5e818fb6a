// What the daemon reads from an HTTP request beside the CSP body, and how it names its URL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config.hpp"

namespace onesoup::app {

// The phone's number from the headers an operator's proxy adds (X-Network-MSISDN, X-MSISDN,
// X-Up-Calling-Line-Id, in that order), or "" if none looks like a phone number (E.164: an
// optional '+' and 3 to 15 digits).
[[nodiscard]] std::string msisdn_from_headers(std::string_view network_msisdn,
                                              std::string_view msisdn,
                                              std::string_view calling_line_id);

// "http://127.0.0.1:8080/wv" ("https://" with TLS, IPv6 addresses in brackets).
[[nodiscard]] std::string listen_url(const HttpSection& http, std::uint16_t port);

}  // namespace onesoup::app
