// encode_xml: element tree -> CSP XML.
//
// The output is always well-formed XML 1.0, whatever the tree holds; encode_xml cannot fail.
// Rule for content XML cannot carry (the model layer should refuse such text before it gets
// here; the codec only guarantees that it never emits a malformed document):
// - text and attribute values: every byte that is not part of a valid UTF-8 sequence, and every
//   character XML 1.0 forbids (C0 controls other than tab, LF and CR; U+FFFE; U+FFFF), is
//   written as U+FFFD REPLACEMENT CHARACTER. XML 1.0 forbids those characters even as
//   character references, so escaping is not an option.
// - element and attribute names: a character that may not appear in an XML name is written
//   as '_' (':' too, since the reader is namespace-aware), an empty name as "_", and a name
//   that cannot start a name gets a leading '_'. A later attribute whose name repeats an
//   earlier one is dropped. Names from the CSP tables and from decode_xml never change.
// Escaping: & and < always; > always (so "]]>" cannot appear); in text, CR as &#13; (a parser
// would turn a raw CR into LF); in attribute values also " and ' and tab, LF and CR as
// character references (a parser normalises raw ones to spaces).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "onesoup/core/utf8.hpp"
#include "onesoup/imps/codec/codec.hpp"

namespace onesoup::imps::codec {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

using utf8::Decoded;
using utf8::is_xml_char;

Decoded decode_utf8(std::string_view s, std::size_t i) { return utf8::decode(s, i); }

// XML 1.0 (fifth edition) §2.3 NameStartChar, without ':'.
bool is_name_start(std::uint32_t cp) {
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp == '_';
    return (cp >= 0xC0 && cp <= 0xD6) || (cp >= 0xD8 && cp <= 0xF6) ||
           (cp >= 0xF8 && cp <= 0x2FF) || (cp >= 0x370 && cp <= 0x37D) ||
           (cp >= 0x37F && cp <= 0x1FFF) || (cp >= 0x200C && cp <= 0x200D) ||
           (cp >= 0x2070 && cp <= 0x218F) || (cp >= 0x2C00 && cp <= 0x2FEF) ||
           (cp >= 0x3001 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFDCF) ||
           (cp >= 0xFDF0 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0xEFFFF);
}

// XML 1.0 (fifth edition) §2.3 NameChar, without ':'.
bool is_name_char(std::uint32_t cp) {
    return is_name_start(cp) || cp == '-' || cp == '.' || (cp >= '0' && cp <= '9') || cp == 0xB7 ||
           (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x203F && cp <= 0x2040);
}

void append_name(std::string& out, std::string_view name) {
    if (name.empty()) {
        out += '_';
        return;
    }
    bool first = true;
    for (std::size_t i = 0; i < name.size();) {
        const Decoded d = decode_utf8(name, i);
        const std::size_t len = d.len == 0 ? 1 : d.len;
        if (d.len != 0 && (first ? is_name_start(d.cp) : is_name_char(d.cp))) {
            out.append(name.substr(i, len));
        } else if (first && d.len != 0 && is_name_char(d.cp)) {
            out += '_';  // e.g. "1x" -> "_1x": keep the character, make the start legal
            out.append(name.substr(i, len));
        } else {
            out += '_';
        }
        first = false;
        i += len;
    }
}

std::string name_of(std::string_view name) {
    std::string s;
    append_name(s, name);
    return s;
}

void append_escaped(std::string& out, std::string_view s, bool in_attribute) {
    for (std::size_t i = 0; i < s.size();) {
        const Decoded d = decode_utf8(s, i);
        if (d.len == 0 || !is_xml_char(d.cp)) {
            out += replacement;
            i += d.len == 0 ? 1 : d.len;
            continue;
        }
        switch (d.cp) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\r':
                out += "&#13;";
                break;
            case '"':
                out += in_attribute ? "&quot;" : "\"";
                break;
            case '\'':
                out += in_attribute ? "&apos;" : "'";
                break;
            case '\t':
                out += in_attribute ? "&#9;" : "\t";
                break;
            case '\n':
                out += in_attribute ? "&#10;" : "\n";
                break;
            default:
                out.append(s.substr(i, d.len));
                break;
        }
        i += d.len;
    }
}

void write_element(std::string& out, const Element& e, const XmlWriteOptions& options,
                   std::size_t depth) {
    if (options.indent) out.append(2 * depth, ' ');
    const std::string name = name_of(e.name);
    out += '<';
    out += name;
    std::string seen;  // "\0name\0name..." of attributes written, to drop repeats
    seen += '\0';
    for (const auto& a : e.attributes) {
        const std::string attr_name = name_of(a.name);
        const std::string key = attr_name + '\0';
        if (seen.find('\0' + key) != std::string::npos) continue;
        seen += key;
        out += ' ';
        out += attr_name;
        out += "=\"";
        append_escaped(out, a.value, true);
        out += '"';
    }
    if (e.text.empty() && e.children.empty()) {
        out += "/>";
        if (options.indent) out += '\n';
        return;
    }
    out += '>';
    // CSP has no mixed content; if a tree has both, the text goes first.
    append_escaped(out, e.text, false);
    if (!e.children.empty()) {
        if (options.indent) out += '\n';
        for (const auto& c : e.children) write_element(out, c, options, depth + 1);
        if (options.indent) out.append(2 * depth, ' ');
    }
    out += "</";
    out += name;
    out += '>';
    if (options.indent) out += '\n';
}

}  // namespace

std::string encode_xml(const Element& root, const XmlWriteOptions& options) {
    std::string out;
    if (options.declaration) {
        out += R"(<?xml version="1.0" encoding="UTF-8"?>)";
        if (options.indent) out += '\n';
    }
    write_element(out, root, options, 0);
    return out;
}

}  // namespace onesoup::imps::codec
