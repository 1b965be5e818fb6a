// Token tables for a WBXML document type (WBXML 1.3, WAP-192-WBXML-20010725-a §5.8): tag tokens
// per code page, attribute-start tokens with their value prefix, attribute-value tokens, and the
// table that EXT_T_0 indexes. The reader and writer know a document type only through this.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace onesoup::wbxml {

// A tag token: code page, token (0x05..0x3F, without the attribute/content flags), name.
// A read-only token is accepted on read but never written (e.g. an element that a later version
// of the document type removed: the writer uses a LITERAL instead).
struct TagToken {
    std::uint8_t page = 0;
    std::uint8_t token = 0;
    std::string_view name;
    bool read_only = false;
};

// An attribute-start token (0x05..0x7F): the attribute name and the prefix of its value
// (WBXML §5.8.2), e.g. xmlns="http://www.wireless-village.org/CSP".
struct AttrStartToken {
    std::uint8_t page = 0;
    std::uint8_t token = 0;
    std::string_view name;
    std::string_view value_prefix;
    bool read_only = false;
};

// An attribute-value token (0x85..0xFF): a piece of attribute value text (WBXML §5.8.3).
struct AttrValueToken {
    std::uint8_t page = 0;
    std::uint8_t token = 0;
    std::string_view value;
};

// One entry of the EXT_T_0 value table: the index carried by EXT_T_0 and the text it stands for.
// (WV-CSP uses EXT_T_0 as an index into a fixed table, not into the string table.)
// A read-only entry is understood on read but its text is written as a string.
struct ExtValue {
    std::uint32_t index = 0;
    std::string_view value;
    bool read_only = false;
};

// All tables of one document type. Every span is sorted as its comment says; make the sorted
// copies at compile time with sorted_by_code()/sorted_by_name()/sorted_by_value() below.
struct TokenTable {
    std::span<const TagToken> tags;               // sorted by (page, token), unique
    std::span<const TagToken> tags_by_name;       // the same, by (name_less, read_only, page)
    std::span<const AttrStartToken> attr_starts;  // sorted by (page, token), unique; few entries
    std::span<const AttrValueToken> attr_values;  // sorted by (page, token), unique; few entries
    std::span<const ExtValue> ext_values;         // sorted by index, unique
    std::span<const ExtValue> ext_by_value;  // the same, by (name_less value, read_only, index)
    // Optional hash indexes (make them with name_index() below) that turn the name lookups into
    // one hash and usually one comparison; empty: binary search over the sorted tables.
    std::span<const std::uint16_t> tags_name_index;  // over tags_by_name
    std::span<const std::uint16_t> ext_value_index;  // over ext_by_value
    // Optional direct index of tags by code (make it with code_index()): 64 slots per code page
    // from page 0, each 1 + the position in `tags`, or 0. Pages past it are binary-searched.
    std::span<const std::uint16_t> tags_code_index;

    // The tag with this code, or nullptr.
    [[nodiscard]] const TagToken* find_tag(std::uint8_t page, std::uint8_t token) const;
    // The writable tag with this name (the lowest code page if several), or nullptr.
    [[nodiscard]] const TagToken* find_tag(std::string_view name) const;
    // The attribute-start token with this code, or nullptr.
    [[nodiscard]] const AttrStartToken* find_attr_start(std::uint8_t page,
                                                        std::uint8_t token) const;
    // The writable attribute-start token for this attribute whose value prefix is the longest
    // prefix of `value`, or nullptr.
    [[nodiscard]] const AttrStartToken* find_attr_start(std::string_view name,
                                                        std::string_view value) const;
    // The attribute-value token with this code, or nullptr.
    [[nodiscard]] const AttrValueToken* find_attr_value(std::uint8_t page,
                                                        std::uint8_t token) const;
    // The EXT_T_0 value with this index, or nullptr.
    [[nodiscard]] const ExtValue* find_ext(std::uint32_t index) const;
    // The writable EXT_T_0 entry whose value is exactly `value` (lowest index if several), or
    // nullptr.
    [[nodiscard]] const ExtValue* find_ext(std::string_view value) const;
};

// The order of names in the name-sorted tables: by length, then bytewise. Comparing lengths
// first spares most byte comparisons in lookups.
constexpr bool name_less(std::string_view a, std::string_view b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// FNV-1a (32 bits), the hash of the name indexes.
constexpr std::uint32_t name_hash(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

// The number of slots of a name index over n entries: a power of two of at least 4n, so that
// linear probing stays short and an empty slot always ends a search.
constexpr std::size_t name_index_slots(std::size_t n) {
    std::size_t slots = 1;
    while (slots < 4 * n) slots *= 2;
    return slots;
}

// An open-addressing hash index over a name-sorted table (tags_by_name or ext_by_value): a slot
// holds 1 + the position of the first entry of a name, or 0 if empty. A name whose first entry
// is read-only is left out, which is what find_tag(name) and find_ext(value) answer for it.
template <std::size_t Slots, class T, std::size_t N, class Key>
constexpr std::array<std::uint16_t, Slots> name_index(const std::array<T, N>& by_name, Key key) {
    static_assert(Slots >= 2 * N && (Slots & (Slots - 1)) == 0 && N < 0xFFFF);
    std::array<std::uint16_t, Slots> slots{};
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0 && key(by_name[i]) == key(by_name[i - 1])) continue;
        if (by_name[i].read_only) continue;
        std::size_t s = name_hash(key(by_name[i])) & (Slots - 1);
        while (slots[s] != 0) s = (s + 1) & (Slots - 1);
        slots[s] = static_cast<std::uint16_t>(i + 1);
    }
    return slots;
}

// The direct index of a code-sorted tag table over code pages 0..Pages-1 (see tags_code_index).
template <std::size_t Pages, std::size_t N>
constexpr std::array<std::uint16_t, Pages * 64> code_index(const std::array<TagToken, N>& by_code) {
    static_assert(N < 0xFFFF);
    std::array<std::uint16_t, Pages * 64> slots{};
    for (std::size_t i = 0; i < N; ++i) {
        if (by_code[i].page < Pages && by_code[i].token < 64)
            slots[by_code[i].page * 64u + by_code[i].token] = static_cast<std::uint16_t>(i + 1);
    }
    return slots;
}

// Compile-time sorted copies of constant tables (for the spans of TokenTable).
template <std::size_t N>
constexpr std::array<TagToken, N> sorted_by_code(const TagToken (&in)[N]) {
    std::array<TagToken, N> out{};
    std::copy(std::begin(in), std::end(in), out.begin());
    std::sort(out.begin(), out.end(), [](const TagToken& a, const TagToken& b) {
        return a.page != b.page ? a.page < b.page : a.token < b.token;
    });
    return out;
}

template <std::size_t N>
constexpr std::array<TagToken, N> sorted_by_name(const TagToken (&in)[N]) {
    std::array<TagToken, N> out{};
    std::copy(std::begin(in), std::end(in), out.begin());
    std::sort(out.begin(), out.end(), [](const TagToken& a, const TagToken& b) {
        if (a.name != b.name) return name_less(a.name, b.name);
        if (a.read_only != b.read_only) return !a.read_only;
        return a.page != b.page ? a.page < b.page : a.token < b.token;
    });
    return out;
}

template <std::size_t N>
constexpr std::array<ExtValue, N> sorted_by_index(const ExtValue (&in)[N]) {
    std::array<ExtValue, N> out{};
    std::copy(std::begin(in), std::end(in), out.begin());
    std::sort(out.begin(), out.end(),
              [](const ExtValue& a, const ExtValue& b) { return a.index < b.index; });
    return out;
}

template <std::size_t N>
constexpr std::array<ExtValue, N> sorted_by_value(const ExtValue (&in)[N]) {
    std::array<ExtValue, N> out{};
    std::copy(std::begin(in), std::end(in), out.begin());
    std::sort(out.begin(), out.end(), [](const ExtValue& a, const ExtValue& b) {
        if (a.value != b.value) return name_less(a.value, b.value);
        if (a.read_only != b.read_only) return !a.read_only;
        return a.index < b.index;
    });
    return out;
}

}  // namespace onesoup::wbxml
