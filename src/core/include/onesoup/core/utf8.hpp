// UTF-8 and XML character checks shared by the CSP codec and the XMPP client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace onesoup::utf8 {

// One decoded code point and the length of its UTF-8 sequence; len == 0 means "not a
// well-formed sequence" (truncated, overlong, a surrogate, or past U+10FFFF; RFC 3629 §3).
struct Decoded {
    char32_t cp = 0;
    std::size_t len = 0;
};

// Decodes the sequence that starts at s[i] (i < s.size()).
[[nodiscard]] Decoded decode(std::string_view s, std::size_t i);

// True if every byte of s belongs to a well-formed UTF-8 sequence.
[[nodiscard]] bool valid(std::string_view s);

// XML 1.0 §2.2 Char: the characters an XML document may contain.
[[nodiscard]] constexpr bool is_xml_char(char32_t cp) {
    if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
    return cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

}  // namespace onesoup::utf8
