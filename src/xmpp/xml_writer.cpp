#include "onesoup/xmpp/xml_writer.hpp"

#include <cstddef>

#include "onesoup/core/utf8.hpp"

namespace onesoup::xmpp {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at s[i] that XML 1.0 (section 2.2, Char) allows,
// or 0 if there is none.
std::size_t xml_char_length(std::string_view s, std::size_t i) {
    const auto d = utf8::decode(s, i);
    return d.len != 0 && utf8::is_xml_char(d.cp) ? d.len : 0;
}

std::string_view xml_prefix_of(std::string_view clark, std::string_view& local) {
    // "{uri}local" -> uri, local
    auto close = clark.find('}');
    local = clark.substr(close + 1);
    return clark.substr(1, close - 1);
}

}  // namespace

void append_escaped(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        switch (c) {
            case '&':
                out += "&amp;";
                ++i;
                continue;
            case '<':
                out += "&lt;";
                ++i;
                continue;
            case '>':
                out += "&gt;";
                ++i;
                continue;
            case '\'':
                out += "&apos;";
                ++i;
                continue;
            case '"':
                out += "&quot;";
                ++i;
                continue;
            default:
                break;
        }
        std::size_t n = xml_char_length(text, i);
        if (n == 0) {
            out += replacement;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
}

void append_xml(std::string& out, const Element& element, std::string_view parent_ns) {
    out += '<';
    out += element.name;
    if (element.ns != parent_ns) {
        out += " xmlns='";
        append_escaped(out, element.ns);
        out += '\'';
    }
    int prefix_count = 0;
    for (const auto& [k, v] : element.attributes) {
        out += ' ';
        if (!k.empty() && k.front() == '{' && k.find('}') != std::string::npos) {
            // A namespaced attribute: declare a prefix for it on this element.
            std::string_view local;
            std::string_view uri = xml_prefix_of(k, local);
            // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on
            // "literal" + std::string.
            std::string prefix = std::to_string(prefix_count++);
            out += "xmlns:a";
            out += prefix;
            out += "='";
            append_escaped(out, uri);
            out += "' a";
            out += prefix;
            out += ':';
            out += local;
        } else {
            out += k;
        }
        out += "='";
        append_escaped(out, v);
        out += '\'';
    }
    if (element.children.empty() && element.text.empty()) {
        out += "/>";
        return;
    }
    out += '>';
    append_escaped(out, element.text);
    for (const auto& c : element.children) append_xml(out, c, element.ns);
    out += "</";
    out += element.name;
    out += '>';
}

std::string to_xml(const Element& element, std::string_view parent_ns) {
    std::string out;
    append_xml(out, element, parent_ns);
    return out;
}

std::string stream_header(std::string_view to, std::string_view from) {
    std::string out =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='";
    append_escaped(out, to);
    out += '\'';
    if (!from.empty()) {
        out += " from='";
        append_escaped(out, from);
        out += '\'';
    }
    out += '>';
    return out;
}

}  // namespace onesoup::xmpp
