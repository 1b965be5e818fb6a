#include "onesoup/wbxml/reader.hpp"

#include <array>

namespace onesoup::wbxml {

namespace {

std::string hex(std::uint32_t v) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string s = "0x";
    bool started = false;
    for (int shift = 28; shift >= 0; shift -= 4) {
        const auto nibble = (v >> static_cast<unsigned>(shift)) & 0xFu;
        // Always at least two hex digits, as tokens are bytes.
        if (nibble != 0 || started || shift <= 4) {
            s += digits[nibble];
            started = true;
        }
    }
    return s;
}

Error fail(std::string message, std::size_t offset) {
    return make_error(std::move(message), offset);
}

// Appends the UTF-8 form of a code point; false if it is not a Unicode scalar value.
bool append_utf8(std::string& out, std::uint32_t cp) {
    // NUL is no XML character either, and text must be able to round-trip as a string.
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return true;
}

class Reader {
  public:
    Reader(std::string_view bytes, Sink& sink, const Limits& limits)
        : bytes_(bytes), sink_(sink), limits_(limits) {}

    Result<void> run() {
        if (auto r = read_header(); !r) return r;
        // Only PIs and page switches may precede the root element (WBXML §5.3: body = *pi
        // element *pi); we refuse PIs, which CSP never uses.
        while (true) {
            if (pos_ >= bytes_.size()) return fail("no root element", pos_);
            const auto t = static_cast<std::uint8_t>(bytes_[pos_]);
            if (t == token::switch_page) {
                if (auto r = switch_page(tag_page_); !r) return r;
                continue;
            }
            break;
        }
        if (auto r = read_element(); !r) return r;
        if (auto r = read_content(); !r) return r;
        if (pos_ != bytes_.size()) return fail("data after the end of the root element", pos_);
        return {};
    }

  private:
    Result<std::uint32_t> mb() { return read_mb_u_int32(bytes_, pos_); }

    Result<void> read_header() {
        if (bytes_.empty()) return fail("empty document", 0);
        header_.version = static_cast<std::uint8_t>(bytes_[pos_++]);
        if (header_.version > 0x03)
            return fail(
                "unsupported WBXML version " + hex(header_.version) + " (expected 0x00..0x03)", 0);
        const std::size_t pid_at = pos_;
        auto pid = mb();
        if (!pid) return pid.error();
        header_.public_id = *pid;
        std::uint32_t pid_index = 0;
        const bool pid_literal = header_.public_id == 0;
        if (pid_literal) {
            auto idx = mb();
            if (!idx) return idx.error();
            pid_index = *idx;
        }
        if (header_.version >= 0x01) {
            auto cs = mb();
            if (!cs) return cs.error();
            header_.charset = *cs;
        }
        const std::size_t len_at = pos_;
        auto len = mb();
        if (!len) return len.error();
        if (*len > limits_.max_string_table_bytes)
            return fail("string table of " + std::to_string(*len) + " bytes exceeds the limit of " +
                            std::to_string(limits_.max_string_table_bytes),
                        len_at);
        if (*len > bytes_.size() - pos_)
            return fail("string table of " + std::to_string(*len) +
                            " bytes runs past the end of the document",
                        len_at);
        header_.string_table = bytes_.substr(pos_, *len);
        pos_ += *len;
        if (pid_literal) {
            auto s = table_string(pid_index, pid_at);
            if (!s) return s.error();
            header_.public_id_text = *s;
        }
        auto table = sink_.header(header_);
        if (!table) return table.error();
        table_ = *table;
        if (table_ == nullptr) return fail("no token table for this document", pid_at);
        return {};
    }

    // A NUL-terminated string of the string table.
    Result<std::string_view> table_string(std::uint32_t index, std::size_t at) {
        const auto& st = header_.string_table;
        if (index >= st.size())
            return fail("string table offset " + std::to_string(index) +
                            " is outside the string table (" + std::to_string(st.size()) +
                            " bytes)",
                        at);
        const auto nul = st.find('\0', index);
        if (nul == std::string_view::npos)
            return fail(
                "string table entry at offset " + std::to_string(index) + " is not NUL-terminated",
                at);
        return st.substr(index, nul - index);
    }

    Result<void> switch_page(std::uint8_t& page) {
        if (bytes_.size() - pos_ < 2) return fail("truncated SWITCH_PAGE", pos_);
        page = static_cast<std::uint8_t>(bytes_[pos_ + 1]);
        pos_ += 2;
        return {};
    }

    Result<std::string_view> inline_string() {
        const std::size_t at = pos_ - 1;
        const auto nul = bytes_.find('\0', pos_);
        if (nul == std::string_view::npos) return fail("unterminated inline string (STR_I)", at);
        auto s = bytes_.substr(pos_, nul - pos_);
        if (s.size() > limits_.max_text_bytes)
            return fail(
                "inline string of " + std::to_string(s.size()) + " bytes exceeds the text limit",
                at);
        pos_ = nul + 1;
        return s;
    }

    Result<std::string_view> table_ref() {
        const std::size_t at = pos_ - 1;
        auto idx = mb();
        if (!idx) return idx.error();
        return table_string(*idx, at);
    }

    Result<std::string_view> opaque_data() {
        const std::size_t at = pos_ - 1;
        auto len = mb();
        if (!len) return len.error();
        if (*len > limits_.max_text_bytes)
            return fail("OPAQUE of " + std::to_string(*len) + " bytes exceeds the text limit", at);
        if (*len > bytes_.size() - pos_)
            return fail(
                "OPAQUE of " + std::to_string(*len) + " bytes runs past the end of the document",
                at);
        auto s = bytes_.substr(pos_, *len);
        pos_ += *len;
        return s;
    }

    Result<std::string_view> ext_t_0(std::uint32_t& index) {
        const std::size_t at = pos_ - 1;
        auto idx = mb();
        if (!idx) return idx.error();
        index = *idx;
        const auto* e = table_->find_ext(index);
        if (e == nullptr) return fail("unknown EXT_T_0 value " + hex(index), at);
        return e->value;
    }

    static bool is_other_ext(std::uint8_t t) {
        return t == token::ext_i_0 || t == token::ext_i_1 || t == token::ext_i_2 ||
               t == token::ext_t_1 || t == token::ext_t_2 || t == token::ext_0 ||
               t == token::ext_1 || t == token::ext_2;
    }

    Error other_ext_error(std::uint8_t t, std::size_t at) const {
        return fail("extension token " + hex(t) + " is not allowed (only EXT_T_0 is legal)", at);
    }

    // Reads one element start (tag token or LITERAL*) and its attributes; pos_ is at the token.
    Result<void> read_element() {
        const std::size_t at = pos_;
        const auto t = static_cast<std::uint8_t>(bytes_[pos_++]);
        std::string_view name;
        std::uint8_t flags = 0;
        if (t == token::literal || t == token::literal_a || t == token::literal_c ||
            t == token::literal_ac) {
            flags = static_cast<std::uint8_t>(t & 0xC0);
            auto n = table_ref();
            if (!n) return n.error();
            name = *n;
            if (name.empty()) return fail("LITERAL with an empty name", at);
        } else {
            const auto id = static_cast<std::uint8_t>(t & 0x3F);
            if (id < 0x05)
                return fail("unexpected token " + hex(t) + " where an element starts", at);
            const auto* tag = table_->find_tag(tag_page_, id);
            if (tag == nullptr)
                return fail("unknown tag " + hex(id) + " on code page " + std::to_string(tag_page_),
                            at);
            name = tag->name;
            flags = static_cast<std::uint8_t>(t & 0xC0);
        }
        if (++elements_ > limits_.max_elements)
            return fail("more than " + std::to_string(limits_.max_elements) + " elements", at);
        if (depth_ + 1 > limits_.max_depth)
            return fail("elements nested deeper than " + std::to_string(limits_.max_depth), at);
        if (auto r = sink_.start_element(name, at); !r) return r;
        if ((flags & token::has_attributes) != 0) {
            if (auto r = read_attributes(); !r) return r;
        }
        if ((flags & token::has_content) != 0) {
            ++depth_;
        } else {
            if (auto r = sink_.end_element(at); !r) return r;
        }
        return {};
    }

    Result<void> flush_attribute(std::string_view name, std::size_t at, std::size_t& count) {
        if (++count > limits_.max_attributes)
            return fail("more than " + std::to_string(limits_.max_attributes) +
                            " attributes on one element",
                        at);
        return sink_.attribute(name, attr_value_, at);
    }

    Result<void> append_value(std::string_view piece, std::size_t at) {
        if (attr_value_.size() + piece.size() > limits_.max_text_bytes)
            return fail("attribute value exceeds the text limit", at);
        attr_value_ += piece;
        return {};
    }

    Result<void> read_attributes() {
        std::string_view name;
        std::size_t name_at = 0;
        bool open = false;
        std::size_t count = 0;
        while (true) {
            if (pos_ >= bytes_.size()) return fail("truncated attribute list", pos_);
            const std::size_t at = pos_;
            const auto t = static_cast<std::uint8_t>(bytes_[pos_]);
            if (t == token::switch_page) {
                if (auto r = switch_page(attr_page_); !r) return r;
                continue;
            }
            ++pos_;
            if (t == token::end || t == token::literal ||
                (t >= 0x05 && t < 0x80 && t != token::ext_i_0 && t != token::ext_i_1 &&
                 t != token::ext_i_2 && t != token::pi && t != token::literal_c)) {
                // The previous attribute, if any, is complete.
                if (open) {
                    if (auto r = flush_attribute(name, name_at, count); !r) return r;
                    open = false;
                }
                if (t == token::end) return {};
                attr_value_.clear();
                name_at = at;
                if (t == token::literal) {
                    auto n = table_ref();
                    if (!n) return n.error();
                    name = *n;
                    if (name.empty()) return fail("LITERAL attribute with an empty name", at);
                } else {
                    const auto* a = table_->find_attr_start(attr_page_, t);
                    if (a == nullptr)
                        return fail("unknown attribute start " + hex(t) + " on code page " +
                                        std::to_string(attr_page_),
                                    at);
                    name = a->name;
                    attr_value_ = a->value_prefix;
                }
                open = true;
                continue;
            }
            if (!open) return fail("attribute value " + hex(t) + " before any attribute name", at);
            switch (t) {
                case token::str_i: {
                    auto s = inline_string();
                    if (!s) return s.error();
                    if (auto r = append_value(*s, at); !r) return r;
                    break;
                }
                case token::str_t: {
                    auto s = table_ref();
                    if (!s) return s.error();
                    if (auto r = append_value(*s, at); !r) return r;
                    break;
                }
                case token::entity: {
                    auto cp = mb();
                    if (!cp) return cp.error();
                    std::string tmp;
                    if (!append_utf8(tmp, *cp))
                        return fail("ENTITY " + hex(*cp) + " is not a Unicode character", at);
                    if (auto r = append_value(tmp, at); !r) return r;
                    break;
                }
                case token::ext_t_0: {
                    std::uint32_t index = 0;
                    auto s = ext_t_0(index);
                    if (!s) return s.error();
                    if (auto r = append_value(*s, at); !r) return r;
                    break;
                }
                case token::opaque: {
                    auto s = opaque_data();
                    if (!s) return s.error();
                    if (auto r = append_value(*s, at); !r) return r;
                    break;
                }
                default: {
                    if (is_other_ext(t)) return other_ext_error(t, at);
                    if (t < 0x85)
                        return fail("unexpected token " + hex(t) + " in an attribute value", at);
                    const auto* v = table_->find_attr_value(attr_page_, t);
                    if (v == nullptr)
                        return fail("unknown attribute value " + hex(t) + " on code page " +
                                        std::to_string(attr_page_),
                                    at);
                    if (auto r = append_value(v->value, at); !r) return r;
                    break;
                }
            }
        }
    }

    // Reads content until the root element ends (depth_ back to 0).
    Result<void> read_content() {
        while (depth_ > 0) {
            if (pos_ >= bytes_.size())
                return fail(
                    "document ends inside an element (" + std::to_string(depth_) + " not closed)",
                    pos_);
            const std::size_t at = pos_;
            const auto t = static_cast<std::uint8_t>(bytes_[pos_]);
            switch (t) {
                case token::switch_page:
                    if (auto r = switch_page(tag_page_); !r) return r;
                    break;
                case token::end:
                    ++pos_;
                    --depth_;
                    if (auto r = sink_.end_element(at); !r) return r;
                    break;
                case token::str_i: {
                    ++pos_;
                    auto s = inline_string();
                    if (!s) return s.error();
                    if (auto r = sink_.text(*s, at); !r) return r;
                    break;
                }
                case token::str_t: {
                    ++pos_;
                    auto s = table_ref();
                    if (!s) return s.error();
                    if (auto r = sink_.text(*s, at); !r) return r;
                    break;
                }
                case token::entity: {
                    ++pos_;
                    auto cp = mb();
                    if (!cp) return cp.error();
                    std::string tmp;
                    if (!append_utf8(tmp, *cp))
                        return fail("ENTITY " + hex(*cp) + " is not a Unicode character", at);
                    if (auto r = sink_.text(tmp, at); !r) return r;
                    break;
                }
                case token::ext_t_0: {
                    ++pos_;
                    std::uint32_t index = 0;
                    auto s = ext_t_0(index);
                    if (!s) return s.error();
                    if (auto r = sink_.ext_value(index, *s, at); !r) return r;
                    break;
                }
                case token::opaque: {
                    ++pos_;
                    auto s = opaque_data();
                    if (!s) return s.error();
                    if (auto r = sink_.opaque(*s, at); !r) return r;
                    break;
                }
                case token::pi:
                    return fail("processing instructions (PI) are not supported", at);
                default:
                    if (is_other_ext(t)) return other_ext_error(t, at);
                    if (auto r = read_element(); !r) return r;
                    break;
            }
        }
        return {};
    }

    std::string_view bytes_;
    Sink& sink_;
    const Limits& limits_;
    std::size_t pos_ = 0;
    Header header_;
    const TokenTable* table_ = nullptr;
    std::uint8_t tag_page_ = 0;
    std::uint8_t attr_page_ = 0;
    std::size_t depth_ = 0;
    std::size_t elements_ = 0;
    std::string attr_value_;
};

}  // namespace

Result<std::uint32_t> read_mb_u_int32(std::string_view bytes, std::size_t& pos) {
    const std::size_t start = pos;
    std::uint64_t value = 0;
    // At most 5 bytes carry 32 bits (5 x 7 = 35); more continuation bytes or a larger value is
    // an overflow.
    for (int i = 0; i < 5; ++i) {
        if (pos >= bytes.size()) return fail("truncated multi-byte integer", start);
        const auto b = static_cast<std::uint8_t>(bytes[pos++]);
        value = (value << 7) | (b & 0x7Fu);
        if ((b & 0x80) == 0) {
            if (value > 0xFFFFFFFFu) return fail("multi-byte integer overflows 32 bits", start);
            return static_cast<std::uint32_t>(value);
        }
    }
    return fail("multi-byte integer longer than 5 bytes", start);
}

Result<void> read(std::string_view bytes, Sink& sink, const Limits& limits) {
    Reader reader(bytes, sink, limits);
    return reader.run();
}

}  // namespace onesoup::wbxml
