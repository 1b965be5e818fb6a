#include "onesoup/wbxml/writer.hpp"

#include "onesoup/wbxml/reader.hpp"

namespace onesoup::wbxml {

namespace {

std::size_t mb_size(std::uint64_t v) {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

}  // namespace

Writer::Writer(const TokenTable& table, std::size_t max_string_table_bytes)
    : table_(table), max_string_table_bytes_(max_string_table_bytes) {
    body_.reserve(512);
}

void Writer::append_mb_u_int32(std::string& out, std::uint32_t value) {
    char buf[5];
    int n = 0;
    do {
        buf[n++] = static_cast<char>(value & 0x7F);
        value >>= 7;
    } while (value != 0);
    while (n > 0) {
        --n;
        out += static_cast<char>(n > 0 ? (buf[n] | 0x80) : buf[n]);
    }
}

std::uint32_t Writer::intern(std::string_view s, bool must_table) {
    auto [it, inserted] = string_ids_.try_emplace(s, static_cast<std::uint32_t>(strings_.size()));
    if (inserted) strings_.push_back(StringInfo{s});
    auto& info = strings_[it->second];
    ++info.count;
    info.must_table = info.must_table || must_table;
    return it->second;
}

void Writer::switch_tag_page(std::uint8_t page) {
    if (page == tag_page_) return;
    body_ += static_cast<char>(token::switch_page);
    body_ += static_cast<char>(page);
    tag_page_ = page;
}

void Writer::switch_attr_page(std::uint8_t page) {
    if (page == attr_page_) return;
    body_ += static_cast<char>(token::switch_page);
    body_ += static_cast<char>(page);
    attr_page_ = page;
}

void Writer::inline_string(std::string_view s) {
    // A string shorter than 2 bytes can never be cheaper as a reference (STR_T + index + the
    // table copy), so it skips the bookkeeping.
    if (s.size() < 2) {
        body_ += static_cast<char>(token::str_i);
        body_ += s;
        body_ += '\0';
        return;
    }
    pieces_.push_back(Piece{body_.size(), intern(s, false), false});
}

Result<void> Writer::start_element(std::string_view name, std::span<const AttributeView> attributes,
                                   bool has_content) {
    if (name.empty()) return make_error("element with an empty name");
    if (name.find('\0') != std::string_view::npos)
        return make_error("element name contains NUL: " + std::string(name.substr(0, 40)));
    auto flags = static_cast<std::uint8_t>((attributes.empty() ? 0 : token::has_attributes) |
                                           (has_content ? token::has_content : 0));
    if (const auto* tag = table_.find_tag(name)) {
        switch_tag_page(tag->page);
        body_ += static_cast<char>(tag->token | flags);
    } else {
        body_ += static_cast<char>(token::literal | flags);
        pieces_.push_back(Piece{body_.size(), intern(name, true), true});
    }
    if (!attributes.empty()) {
        for (const auto& a : attributes) {
            if (auto r = write_attribute(a); !r) return r;
        }
        body_ += static_cast<char>(token::end);
    }
    return {};
}

Result<void> Writer::write_attribute(const AttributeView& a) {
    if (a.name.empty()) return make_error("attribute with an empty name");
    if (a.name.find('\0') != std::string_view::npos)
        return make_error("attribute name contains NUL: " + std::string(a.name.substr(0, 40)));
    std::string_view rest = a.value;
    if (const auto* start = table_.find_attr_start(a.name, a.value)) {
        switch_attr_page(start->page);
        body_ += static_cast<char>(start->token);
        rest.remove_prefix(start->value_prefix.size());
    } else {
        body_ += static_cast<char>(token::literal);
        pieces_.push_back(Piece{body_.size(), intern(a.name, true), true});
    }
    // A value with NUL bytes (read from an OPAQUE) can only go back as OPAQUE (WBXML §5.8.4.6).
    if (rest.find('\0') != std::string_view::npos) {
        opaque(rest);
    } else if (!rest.empty()) {
        // Attribute values stay inline: readers recognise a CSP root by its inline version string
        // (C9 08 03 "1.2" 00, notes §9), and values are few and short.
        body_ += static_cast<char>(token::str_i);
        body_ += rest;
        body_ += '\0';
    }
    return {};
}

Result<void> Writer::text(std::string_view s) {
    if (s.find('\0') != std::string_view::npos) return make_error("text contains NUL");
    if (!s.empty()) inline_string(s);
    return {};
}

void Writer::opaque(std::string_view bytes) {
    body_ += static_cast<char>(token::opaque);
    append_mb_u_int32(body_, static_cast<std::uint32_t>(bytes.size()));
    body_ += bytes;
}

void Writer::ext_t0(std::uint32_t index) {
    body_ += static_cast<char>(token::ext_t_0);
    append_mb_u_int32(body_, index);
}

void Writer::end_element() {
    body_ += static_cast<char>(token::end);
}

std::string Writer::finish(std::uint32_t public_id, std::uint32_t charset) {
    // Decide the string table in order of first use: a string goes in when one copy in the table
    // plus a reference per use is shorter than an inline copy per use. LITERAL names must go in.
    std::uint64_t table_size = 0;
    for (auto& s : strings_) {
        const std::uint64_t len = s.text.size();
        bool use_table = s.must_table;
        if (!use_table) {
            const std::uint64_t inline_cost = s.count * (len + 2);
            const std::uint64_t table_cost = (len + 1) + s.count * (1 + mb_size(table_size));
            use_table = table_cost < inline_cost && table_size + len + 1 <= max_string_table_bytes_;
        }
        if (use_table) {
            s.table_offset = static_cast<std::int64_t>(table_size);
            table_size += len + 1;
        }
    }
    std::string out;
    out.reserve(body_.size() + table_size + 16 + pieces_.size() * 2);
    out += static_cast<char>(0x03);  // WBXML 1.3
    append_mb_u_int32(out, public_id);
    append_mb_u_int32(out, charset);
    append_mb_u_int32(out, static_cast<std::uint32_t>(table_size));
    for (const auto& s : strings_) {
        if (s.table_offset < 0) continue;
        out += s.text;
        out += '\0';
    }
    std::size_t copied = 0;
    for (const auto& p : pieces_) {
        out.append(body_, copied, p.body_pos - copied);
        copied = p.body_pos;
        const auto& s = strings_[p.string_id];
        if (p.index_only) {
            append_mb_u_int32(out, static_cast<std::uint32_t>(s.table_offset));
        } else if (s.table_offset >= 0) {
            out += static_cast<char>(token::str_t);
            append_mb_u_int32(out, static_cast<std::uint32_t>(s.table_offset));
        } else {
            out += static_cast<char>(token::str_i);
            out += s.text;
            out += '\0';
        }
    }
    out.append(body_, copied, std::string::npos);
    return out;
}

}  // namespace onesoup::wbxml
