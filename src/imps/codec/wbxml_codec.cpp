// decode_wbxml and encode_wbxml: CSP documents in WBXML (CSP WBXML specs 1.1-1.3; reference notes
// §9) on top of the generic onesoup::wbxml reader and writer.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/wbxml/reader.hpp"
#include "onesoup/wbxml/writer.hpp"
#include "tree_assembler.hpp"
#include "wbxml_csp_tables.hpp"

namespace onesoup::imps::codec {
namespace {

constexpr std::string_view root_name = "WV-CSP-Message";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool all_space(std::string_view s) {
    for (char c : s)
        if (!is_space(c)) return false;
    return true;
}

// The CSP version a public id names: the well-known ids 0x10-0x12, or the string form
// ("-//OMA//DTD WV-CSP 1.2//EN" and the like).
std::optional<CspVersion> version_of_header(const wbxml::Header& h) {
    if (h.public_id != 0) return version_of_public_id(h.public_id);
    const auto& t = h.public_id_text;
    if (t.find("CSP") == std::string_view::npos) return std::nullopt;
    if (t.find("1.1") != std::string_view::npos) return CspVersion::v1_1;
    if (t.find("1.2") != std::string_view::npos) return CspVersion::v1_2;
    if (t.find("1.3") != std::string_view::npos) return CspVersion::v1_3;
    return std::nullopt;
}

void append_two(std::string& out, unsigned v) {
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
}

// Builds the element tree from reader events.
class TreeBuilder final : public wbxml::Sink {
  public:
    explicit TreeBuilder(const Limits& limits) : limits_(limits) {}

    Result<const wbxml::TokenTable*> header(const wbxml::Header& h) override {
        if (h.charset != wbxml::charset_utf8)
            return make_error(
                "WBXML charset MIBenum " + std::to_string(h.charset) + " is not UTF-8 (106)", 1);
        const auto v = version_of_header(h);
        if (!v) {
            if (h.public_id == 0)
                return make_error("WBXML public id \"" + std::string(h.public_id_text) +
                                      "\" is not a CSP 1.1, 1.2 or 1.3 document type",
                                  1);
            return make_error("WBXML public id " + std::to_string(h.public_id) +
                                  " is not CSP 1.1 (0x10), 1.2 (0x11) or 1.3 (0x12)",
                              1);
        }
        version_ = *v;
        return &detail::csp_token_table(*v);
    }

    Result<void> start_element(std::string_view name, std::size_t offset) override {
        if (tree_.depth() == 0 && name != root_name)
            return make_error("root element is <" + std::string(name) + ">, expected <" +
                                  std::string(root_name) + ">",
                              offset);
        tree_.open(name);
        return {};
    }

    Result<void> attribute(std::string_view name, std::string_view value,
                           std::size_t offset) override {
        (void)offset;
        tree_.current().attributes.push_back(Attribute{std::string(name), std::string(value)});
        return {};
    }

    Result<void> text(std::string_view text, std::size_t offset) override {
        return append(text, offset);
    }

    Result<void> opaque(std::string_view bytes, std::size_t offset) override {
        const std::string& name = tree_.current().name;
        if (detail::reads_integer(name)) return append_integer(bytes, name, offset);
        if (detail::is_date_time(name)) return append_date_time(bytes, name, offset);
        return append(bytes, offset);
    }

    Result<void> ext_value(std::uint32_t index, std::string_view value,
                           std::size_t offset) override {
        (void)index;
        return append(value, offset);
    }

    Result<void> end_element(std::size_t offset) override {
        (void)offset;
        tree_.close();
        return {};
    }

    Element take_root() { return tree_.take_root(); }
    [[nodiscard]] CspVersion version() const { return version_; }

  private:
    Result<void> append(std::string_view piece, std::size_t offset) {
        auto& text = tree_.current().text;
        if (text.size() + piece.size() > limits_.max_text_bytes)
            return make_error("text of <" + tree_.current().name + "> exceeds " +
                                  std::to_string(limits_.max_text_bytes) + " bytes",
                              offset);
        text += piece;
        return {};
    }

    // CSP integers: big-endian unsigned, as many bytes as needed (we accept up to 8).
    Result<void> append_integer(std::string_view bytes, const std::string& name,
                                std::size_t offset) {
        if (bytes.empty() || bytes.size() > 8)
            return make_error("integer OPAQUE of " + std::to_string(bytes.size()) + " bytes in <" +
                                  name + "> (expected 1 to 8)",
                              offset);
        std::uint64_t v = 0;
        for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
        return append(std::to_string(v), offset);
    }

    // DateTime: 00YYYYYY YYYYYYMM MMDDDDDh hhhhmmmm mmssssss ZZZZZZZZ (CSP Data Types), written
    // back as "YYYYMMDDTHHMMSS" plus the zone letter if the zone byte is not 0.
    Result<void> append_date_time(std::string_view bytes, const std::string& name,
                                  std::size_t offset) {
        if (bytes.size() != 6)
            return make_error("DateTime OPAQUE of " + std::to_string(bytes.size()) + " bytes in <" +
                                  name + "> (expected 6)",
                              offset);
        std::array<unsigned, 6> b{};
        for (std::size_t i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(bytes[i]);
        if ((b[0] & 0xC0) != 0)
            return make_error("DateTime OPAQUE in <" + name + "> has its reserved bits set",
                              offset);
        const unsigned year = ((b[0] & 0x3F) << 6) | (b[1] >> 2);
        const unsigned month = ((b[1] & 0x03) << 2) | (b[2] >> 6);
        const unsigned day = (b[2] >> 1) & 0x1F;
        const unsigned hour = ((b[2] & 0x01) << 4) | (b[3] >> 4);
        const unsigned minute = ((b[3] & 0x0F) << 2) | (b[4] >> 6);
        const unsigned second = b[4] & 0x3F;
        const unsigned zone = b[5];
        if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
            second > 59)
            return make_error("DateTime OPAQUE in <" + name + "> is not a valid date and time",
                              offset);
        if (zone != 0 && (zone < 'A' || zone > 'Z'))
            return make_error("DateTime OPAQUE in <" + name + "> has an invalid zone byte", offset);
        std::string s;
        s.reserve(16);
        append_two(s, year / 100);
        append_two(s, year % 100);
        append_two(s, month);
        append_two(s, day);
        s += 'T';
        append_two(s, hour);
        append_two(s, minute);
        append_two(s, second);
        if (zone != 0) s += static_cast<char>(zone);
        return append(s, offset);
    }

    const Limits& limits_;
    detail::TreeAssembler tree_;
    CspVersion version_ = CspVersion::v1_2;
};

// The OPAQUE form of a canonical decimal that fits 32 bits ("0" or no leading zero), minimal
// big-endian length; empty if the text is not one.
std::string integer_opaque(std::string_view text) {
    if (text.empty() || text.size() > 10) return {};
    if (text.size() > 1 && text[0] == '0') return {};
    std::uint64_t v = 0;
    for (char c : text) {
        if (!is_digit(c)) return {};
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 0xFFFFFFFFu) return {};
    std::string out;
    int bytes = 1;
    while (bytes < 4 && (v >> (8 * bytes)) != 0) ++bytes;
    for (int i = bytes - 1; i >= 0; --i)
        out += static_cast<char>((v >> (8 * static_cast<unsigned>(i))) & 0xFF);
    return out;
}

// The 6-byte OPAQUE of a DateTime text, only for "YYYYMMDDTHHMMSS" plus a zone letter: exactly
// the form the decoder writes back, so XML -> WBXML -> XML keeps the text. Anything else (no
// seconds, no zone, separators) stays a string. Empty if not representable.
std::string date_time_opaque(std::string_view t) {
    if (t.size() != 16 || t[8] != 'T') return {};
    for (std::size_t i = 0; i < 15; ++i)
        if (i != 8 && !is_digit(t[i])) return {};
    const char zone = t[15];
    // J is not a time zone letter (ISO 8601 military zones skip it).
    if (zone < 'A' || zone > 'Z' || zone == 'J') return {};
    auto num = [&](std::size_t at, std::size_t len) {
        unsigned v = 0;
        for (std::size_t i = 0; i < len; ++i) v = v * 10 + static_cast<unsigned>(t[at + i] - '0');
        return v;
    };
    const unsigned year = num(0, 4), month = num(4, 2), day = num(6, 2);
    const unsigned hour = num(9, 2), minute = num(11, 2), second = num(13, 2);
    if (year > 4095 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 59)
        return {};
    std::string out(6, '\0');
    out[0] = static_cast<char>(year >> 6);
    out[1] = static_cast<char>(((year & 0x3F) << 2) | (month >> 2));
    out[2] = static_cast<char>(((month & 0x03) << 6) | (day << 1) | (hour >> 4));
    out[3] = static_cast<char>(((hour & 0x0F) << 4) | (minute >> 2));
    out[4] = static_cast<char>(((minute & 0x03) << 6) | second);
    out[5] = zone;
    return out;
}

class TreeWriter {
  public:
    explicit TreeWriter(CspVersion version)
        : version_(version), table_(detail::csp_token_table(version)), writer_(table_) {}

    Result<void> write(const Element& e) {
        const bool has_children = !e.children.empty();
        // Whitespace between child elements is layout, not content.
        const bool has_text = !e.text.empty() && !(has_children && all_space(e.text));
        attrs_.clear();
        for (const auto& a : e.attributes) attrs_.push_back({a.name, a.value});
        if (auto r = writer_.start_element(e.name, attrs_, has_children || has_text); !r) return r;
        if (has_text) {
            if (auto r = write_value(e.name, e.text); !r) return r;
        }
        for (const auto& c : e.children) {
            if (auto r = write(c); !r) return r;
        }
        if (has_children || has_text) writer_.end_element();
        return {};
    }

    std::string finish() { return writer_.finish(wbxml_public_id(version_)); }

  private:
    Result<void> write_value(std::string_view name, std::string_view text) {
        const auto traits = detail::value_traits(version_, name);
        if (traits.writes_integer) {
            if (auto o = integer_opaque(text); !o.empty()) {
                writer_.opaque(o);
                return {};
            }
        } else if (traits.date_time) {
            if (auto o = date_time_opaque(text); !o.empty()) {
                writer_.opaque(o);
                return {};
            }
        } else if (!traits.free_text) {
            if (const auto* ext = table_.find_ext(text)) {
                writer_.ext_t0(ext->index);
                return {};
            }
        }
        // Bytes that no string can carry (from a binary OPAQUE) go back as OPAQUE.
        if (text.find('\0') != std::string_view::npos) {
            writer_.opaque(text);
            return {};
        }
        return writer_.text(text);
    }

    CspVersion version_;
    const wbxml::TokenTable& table_;
    wbxml::Writer writer_;
    std::vector<wbxml::AttributeView> attrs_;
};

}  // namespace

Result<Document> decode_wbxml(std::string_view bytes, const Limits& limits) {
    if (bytes.size() > limits.max_body_bytes)
        return make_error("body of " + std::to_string(bytes.size()) +
                              " bytes exceeds the limit of " +
                              std::to_string(limits.max_body_bytes),
                          0);
    const wbxml::Limits wl{limits.max_depth, limits.max_elements, limits.max_text_bytes,
                           limits.max_attributes, limits.max_string_table_bytes};
    TreeBuilder builder(limits);
    if (auto r = wbxml::read(bytes, builder, wl); !r) return r.error();
    Document doc;
    doc.root = builder.take_root();
    doc.encoding = Encoding::wbxml;
    // The public id chose the token tables; the root xmlns decides the version we report and
    // answer in, since real clients follow the xmlns (notes §1: an S60 sent a 1.2 DOCTYPE with
    // a 1.1 xmlns), and the two disagree only when a client is confused.
    doc.version = builder.version();
    if (const std::string* ns = doc.root.attribute("xmlns")) {
        if (const auto v = version_of_namespace(*ns)) doc.version = *v;
    }
    return doc;
}

Result<std::string> encode_wbxml(const Element& root, CspVersion version) {
    TreeWriter writer(version);
    if (auto r = writer.write(root); !r) return r.error();
    return writer.finish();
}

}  // namespace onesoup::imps::codec
