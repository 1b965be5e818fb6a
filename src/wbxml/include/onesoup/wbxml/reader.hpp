// A WBXML 1.3 reader (WAP-192-WBXML-20010725-a): checks the structure, resolves tokens through a
// TokenTable and feeds events to a Sink. Pure: no I/O, no allocation beyond one reusable buffer
// for attribute values; text and opaque data are views into the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"
#include "onesoup/wbxml/token_table.hpp"

namespace onesoup::wbxml {

// Global tokens (WBXML §7.1).
namespace token {
inline constexpr std::uint8_t switch_page = 0x00;
inline constexpr std::uint8_t end = 0x01;
inline constexpr std::uint8_t entity = 0x02;
inline constexpr std::uint8_t str_i = 0x03;
inline constexpr std::uint8_t literal = 0x04;
inline constexpr std::uint8_t ext_i_0 = 0x40;
inline constexpr std::uint8_t ext_i_1 = 0x41;
inline constexpr std::uint8_t ext_i_2 = 0x42;
inline constexpr std::uint8_t pi = 0x43;
inline constexpr std::uint8_t literal_c = 0x44;
inline constexpr std::uint8_t ext_t_0 = 0x80;
inline constexpr std::uint8_t ext_t_1 = 0x81;
inline constexpr std::uint8_t ext_t_2 = 0x82;
inline constexpr std::uint8_t str_t = 0x83;
inline constexpr std::uint8_t literal_a = 0x84;
inline constexpr std::uint8_t ext_0 = 0xC0;
inline constexpr std::uint8_t ext_1 = 0xC1;
inline constexpr std::uint8_t ext_2 = 0xC2;
inline constexpr std::uint8_t opaque = 0xC3;
inline constexpr std::uint8_t literal_ac = 0xC4;
inline constexpr std::uint8_t has_attributes = 0x80;  // flag bit of a tag token
inline constexpr std::uint8_t has_content = 0x40;     // flag bit of a tag token
}  // namespace token

// The IANA MIBenum of UTF-8, the only charset CSP uses.
inline constexpr std::uint32_t charset_utf8 = 106;

// Limits on what one document may make the reader do. Past a limit the reader stops with an
// error naming the limit.
struct Limits {
    std::size_t max_depth = 32;              // element nesting
    std::size_t max_elements = 20000;        // elements in the document
    std::size_t max_text_bytes = 64 * 1024;  // one string, one OPAQUE, one attribute value
    std::size_t max_attributes = 16;         // attributes on one element
    std::size_t max_string_table_bytes = 64 * 1024;
};

// The document header (WBXML §5.4-5.7).
struct Header {
    std::uint8_t version = 0x03;           // 0x03 = WBXML 1.3 (major - 1 in the high nibble)
    std::uint32_t public_id = 0;           // 0 when given as a string (see public_id_text)
    std::string_view public_id_text;       // the string-table form of the public id, if used
    std::uint32_t charset = charset_utf8;  // IANA MIBenum (absent in WBXML 1.0: taken as UTF-8)
    std::string_view string_table;
};

// Receives the document as events. Any event may stop the reader by returning an error; the
// reader then returns that error. Views are valid only during the call.
class Sink {
  public:
    virtual ~Sink() = default;
    // The header was read; return the token table for its public id (or an error to refuse it).
    virtual Result<const TokenTable*> header(const Header& header) = 0;
    // An element starts; its attributes follow, then its content, then end_element (also for an
    // element without content). `offset` is the byte offset of its tag token.
    virtual Result<void> start_element(std::string_view name, std::size_t offset) = 0;
    // One attribute of the element just started, its value fully assembled.
    virtual Result<void> attribute(std::string_view name, std::string_view value,
                                   std::size_t offset) = 0;
    // Character data: an inline string, a string-table reference or an entity.
    virtual Result<void> text(std::string_view text, std::size_t offset) = 0;
    // OPAQUE content bytes.
    virtual Result<void> opaque(std::string_view bytes, std::size_t offset) = 0;
    // EXT_T_0 in content: the index and the table value it stands for.
    virtual Result<void> ext_value(std::uint32_t index, std::string_view value,
                                   std::size_t offset) = 0;
    // The current element ends.
    virtual Result<void> end_element(std::size_t offset) = 0;
};

// Reads a whole WBXML document. Errors name what is wrong and carry the byte offset.
Result<void> read(std::string_view bytes, Sink& sink, const Limits& limits = {});

// Reads an mb_u_int32 (WBXML §5.1) at `pos`, advancing it. Fails on truncation or on a value
// above 32 bits.
Result<std::uint32_t> read_mb_u_int32(std::string_view bytes, std::size_t& pos);

}  // namespace onesoup::wbxml
