// CSP WBXML token tables (CSP 1.1, 1.2, 1.3) and what CSP knows about element values in WBXML:
// which elements carry integers or DateTime as OPAQUE, and which hold free text that must not be
// turned into EXT_T_0 values. Private to the codec module.
#pragma once

#include <string_view>

#include "onesoup/imps/codec/version.hpp"
#include "onesoup/wbxml/token_table.hpp"

namespace onesoup::imps::codec::detail {

// The token tables of a CSP version (public ids 0x10, 0x11, 0x12).
[[nodiscard]] const wbxml::TokenTable& csp_token_table(CspVersion version);

// True if the encoder writes this element's text as an OPAQUE big-endian integer in `version`
// (when the text is a canonical decimal that fits 32 bits).
[[nodiscard]] bool writes_integer(CspVersion version, std::string_view element);
// True if an OPAQUE in this element is read as an integer (any version: what any known encoder
// has sent as an integer).
[[nodiscard]] bool reads_integer(std::string_view element);
// True if the element holds a DateTime (6-byte OPAQUE, CSP Data Types §4.2).
[[nodiscard]] bool is_date_time(std::string_view element);
// True if the element holds free text (ids, names, message bodies): never written as EXT_T_0 even
// if its text equals a table value.
[[nodiscard]] bool is_free_text(std::string_view element);

// writes_integer, is_date_time and is_free_text of one element in one lookup (the encoder asks
// all three for every element with text).
struct ValueTraits {
    bool writes_integer = false;
    bool date_time = false;
    bool free_text = false;
};
[[nodiscard]] ValueTraits value_traits(CspVersion version, std::string_view element);

}  // namespace onesoup::imps::codec::detail
