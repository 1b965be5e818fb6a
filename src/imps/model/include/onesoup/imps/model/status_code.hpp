// CSP status codes (Result/Code; reference notes §8) with their names.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace onesoup::imps::model {

// One status code and its meaning, as CSP and the clients (S60 ImpsCSPAllErrors.h, Android
// ImpsErrorInfo.java) name it.
struct StatusCodeInfo {
    int code;
    std::string_view name;
};

// Named constants for the codes the engine sends or reacts to.
namespace status {
inline constexpr int ok = 200;
inline constexpr int partial_success = 201;
inline constexpr int accepted = 202;
inline constexpr int bad_request = 400;
inline constexpr int unauthorized = 401;
inline constexpr int bad_parameter = 402;
inline constexpr int forbidden = 403;
inline constexpr int not_found = 404;
inline constexpr int service_not_supported = 405;
inline constexpr int invalid_password = 409;
inline constexpr int unable_to_deliver = 410;
inline constexpr int unsupported_media_type = 415;
inline constexpr int invalid_transaction = 420;
inline constexpr int userid_clientid_mismatch = 422;
inline constexpr int invalid_message_id = 426;
inline constexpr int internal_error = 500;
inline constexpr int not_implemented = 501;
inline constexpr int service_unavailable = 503;
inline constexpr int version_not_supported = 505;
inline constexpr int service_not_agreed = 506;
inline constexpr int unknown_user = 531;
inline constexpr int recipient_blocked_sender = 532;
inline constexpr int recipient_not_logged_in = 533;
inline constexpr int no_matching_digest_schema = 543;
inline constexpr int session_expired = 600;
inline constexpr int forced_logout = 601;
inline constexpr int already_logged_in = 603;
inline constexpr int invalid_session = 604;
inline constexpr int new_value_not_accepted = 605;
inline constexpr int contact_list_does_not_exist = 700;
inline constexpr int contact_list_already_exists = 701;
inline constexpr int multiple_errors = 900;
}  // namespace status

// Every code the table knows, ascending.
[[nodiscard]] std::span<const StatusCodeInfo> status_codes();
// The name of a code, e.g. 531 -> "Unknown user"; for a code outside the table, the name of
// its class ("Successful", "Client error", ...), or "" outside 100-999.
[[nodiscard]] std::string_view status_name(int code);
// True if the code is in the table.
[[nodiscard]] bool is_known_status(int code);
// True for 2xx.
[[nodiscard]] constexpr bool is_success(int code) {
    return code >= 200 && code < 300;
}

}  // namespace onesoup::imps::model
