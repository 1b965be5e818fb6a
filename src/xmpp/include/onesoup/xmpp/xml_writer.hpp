// Serialization of stanzas and stream headers (RFC 6120 sections 4.7 and 11).
#pragma once

#include <string>
#include <string_view>

#include "onesoup/xmpp/element.hpp"

namespace onesoup::xmpp {

// Appends `text` escaped for character data or a single- or double-quoted attribute value
// (& < > ' " become entity references). Bytes that are not well-formed UTF-8 and characters XML
// 1.0 does not allow (controls other than tab, LF, CR; U+FFFE, U+FFFF) become U+FFFD, so the
// output is always well-formed XML whatever the input.
void append_escaped(std::string& out, std::string_view text);

// Appends `element` as XML. An xmlns attribute is written where the element's namespace differs
// from `parent_ns` (top-level stanzas inherit jabber:client from the stream header).
void append_xml(std::string& out, const Element& element, std::string_view parent_ns = ns::client);

// `element` as XML, with append_xml's rules.
[[nodiscard]] std::string to_xml(const Element& element, std::string_view parent_ns = ns::client);

// The client's stream header (RFC 6120 4.7): XML declaration and <stream:stream> opening tag
// for jabber:client, addressed to `to` (the server's domain), version 1.0. `from` (the user's
// bare JID, RFC 6120 4.7.1) is optional.
[[nodiscard]] std::string stream_header(std::string_view to, std::string_view from = {});

// The closing tag of the stream (RFC 6120 4.4).
[[nodiscard]] constexpr std::string_view stream_footer() {
    return "</stream:stream>";
}

}  // namespace onesoup::xmpp
