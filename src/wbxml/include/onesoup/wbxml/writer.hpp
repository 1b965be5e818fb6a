// A WBXML 1.3 writer (WAP-192-WBXML-20010725-a): builds the token stream through a TokenTable and,
// at the end, puts a string into the string table only where that saves bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "onesoup/core/result.hpp"
#include "onesoup/wbxml/token_table.hpp"

namespace onesoup::wbxml {

// An attribute to write: name and full value text.
struct AttributeView {
    std::string_view name;
    std::string_view value;
};

// Writes one document. Names, text and attribute strings given to the writer are referenced,
// not copied, until finish(): they must outlive the writer's use.
class Writer {
  public:
    // `max_string_table_bytes` caps the string table (readers limit it; 64 KiB is onesoup's
    // default), so the writer never produces what its own reader refuses.
    explicit Writer(const TokenTable& table, std::size_t max_string_table_bytes = 64 * 1024);

    // Starts an element: a tag token, or LITERAL with the name in the string table when the table
    // lacks it. Each attribute becomes the attribute-start token with the longest matching value
    // prefix plus the rest as a string, or a LITERAL name plus the value.
    // Fails on an empty name or one containing NUL.
    Result<void> start_element(std::string_view name, std::span<const AttributeView> attributes,
                               bool has_content);
    // Character data (STR_I, or STR_T if it pays). Fails if it contains NUL (use opaque()).
    Result<void> text(std::string_view text);
    // OPAQUE content.
    void opaque(std::string_view bytes);
    // EXT_T_0 with a table index.
    void ext_t0(std::uint32_t index);
    // Ends the element started last with content.
    void end_element();
    // The whole document: header (WBXML 1.3, public id, charset), string table, body.
    [[nodiscard]] std::string finish(std::uint32_t public_id, std::uint32_t charset = 106);

    // Appends an mb_u_int32 (WBXML §5.1).
    static void append_mb_u_int32(std::string& out, std::uint32_t value);

  private:
    struct Piece {
        std::size_t body_pos;  // where in body_ the string goes
        std::uint32_t string_id;
        bool index_only;  // LITERAL name: only the string-table index is written
    };
    struct StringInfo {
        std::string_view text;
        std::uint32_t count = 0;
        bool must_table = false;
        std::int64_t table_offset = -1;
    };

    std::uint32_t intern(std::string_view s, bool must_table);
    Result<void> write_attribute(const AttributeView& a);
    void switch_tag_page(std::uint8_t page);
    void switch_attr_page(std::uint8_t page);
    void inline_string(std::string_view s);

    const TokenTable& table_;
    std::size_t max_string_table_bytes_;
    std::string body_;
    std::vector<Piece> pieces_;
    std::vector<StringInfo> strings_;
    std::unordered_map<std::string_view, std::uint32_t> string_ids_;
    std::uint8_t tag_page_ = 0;
    std::uint8_t attr_page_ = 0;
};

}  // namespace onesoup::wbxml
