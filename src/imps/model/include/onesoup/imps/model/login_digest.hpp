// The DigestBytes of a 4-way CSP login (CSP 1.2 section 7.1; reference notes section 3): what
// a phone sends and what onesoup checks.
#pragma once

#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

namespace onesoup::imps::model {

// Base64(H(nonce + password)), nonce first, both as their bytes; H is MD5 for "MD5" and SHA-1
// for "SHA" (the schema names are case-insensitive). Standard Base64 with padding and no line
// breaks, as S60, Android and Baraza compute it. Other schemas are an error.
[[nodiscard]] Result<std::string> login_digest(std::string_view schema, std::string_view nonce,
                                               std::string_view password);

// Standard Base64 (RFC 4648 section 4) with padding and no line breaks.
[[nodiscard]] std::string base64(std::string_view bytes);

}  // namespace onesoup::imps::model
