// decode (encoding detection) and set_namespaces.
#include <cstddef>
#include <string>
#include <string_view>

#include "onesoup/imps/codec/codec.hpp"

namespace onesoup::imps::codec {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool is_xml_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string hex_byte(unsigned char c) {
    constexpr std::string_view digits = "0123456789ABCDEF";
    std::string s = "0x";
    s += digits[c >> 4];
    s += digits[c & 0xF];
    return s;
}

void set_xmlns(Element& e, std::string_view uri) {
    for (auto& a : e.attributes) {
        if (a.name == "xmlns") {
            a.value = std::string(uri);
            return;
        }
    }
    // A namespace declaration reads best first.
    e.attributes.insert(e.attributes.begin(), Attribute{"xmlns", std::string(uri)});
}

void set_namespaces_below(Element& e, CspVersion version) {
    for (auto& c : e.children) {
        if (c.name == "TransactionContent") {
            set_xmlns(c, namespace_uri(version, NamespaceKind::trc));
        } else if (c.name == "PresenceSubList") {
            set_xmlns(c, namespace_uri(version, NamespaceKind::pa));
        } else if (const std::string* ns = c.attribute("xmlns")) {
            // Any other element that carries a CSP namespace moves with the version too.
            if (const auto kind = kind_of_namespace(*ns))
                set_xmlns(c, namespace_uri(version, *kind));
        }
        set_namespaces_below(c, version);
    }
}

}  // namespace

Result<Document> decode(std::string_view bytes, const Limits& limits) {
    if (bytes.empty()) return make_error("empty body: neither XML nor WBXML", 0);
    if (bytes.substr(0, utf8_bom.size()) == utf8_bom) return decode_xml(bytes, limits);
    const auto first = static_cast<unsigned char>(bytes.front());
    // WBXML starts with its version byte (0x00-0x03 in practice; WBXML 1.3 is 0x03). Tab, LF
    // and CR are below 0x10 too but are leading whitespace of an XML document.
    if (first < 0x10 && !is_xml_space(first)) return decode_wbxml(bytes, limits);
    // UTF-16 XML (with its byte order mark); expat reads it.
    if (first == 0xFE || first == 0xFF) return decode_xml(bytes, limits);
    std::size_t i = 0;
    while (i < bytes.size() && is_xml_space(static_cast<unsigned char>(bytes[i]))) ++i;
    if (i == bytes.size())
        return make_error("body holds only whitespace: neither XML nor WBXML", i);
    if (bytes[i] != '<')
        return make_error("body is neither XML nor WBXML: starts with byte " +
                              hex_byte(static_cast<unsigned char>(bytes[i])) +
                              " where '<' or a WBXML version byte was expected",
                          i);
    return decode_xml(bytes, limits);
}

void set_namespaces(Element& root, CspVersion version) {
    set_xmlns(root, namespace_uri(version, NamespaceKind::csp));
    set_namespaces_below(root, version);
}

}  // namespace onesoup::imps::codec
