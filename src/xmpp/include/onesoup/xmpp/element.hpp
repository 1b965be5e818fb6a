// Element: the small XML tree the XMPP parser produces for each stanza and the writer consumes.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onesoup::xmpp {

// Namespaces used by the client (RFC 6120 and the XEPs named).
namespace ns {
inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view streams = "http://etherx.jabber.org/streams";
inline constexpr std::string_view stream_errors = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view bind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view session = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view roster = "jabber:iq:roster";
inline constexpr std::string_view ping = "urn:xmpp:ping";  // XEP-0199
// XEP-0077 in-band registration: the stream feature and the iq payload.
inline constexpr std::string_view register_feature = "http://jabber.org/features/iq-register";
inline constexpr std::string_view register_ = "jabber:iq:register";
inline constexpr std::string_view receipts = "urn:xmpp:receipts";       // XEP-0184
inline constexpr std::string_view delay = "urn:xmpp:delay";             // XEP-0203
inline constexpr std::string_view stream_management = "urn:xmpp:sm:3";  // XEP-0198
inline constexpr std::string_view csi = "urn:xmpp:csi:0";               // XEP-0352
inline constexpr std::string_view blocking = "urn:xmpp:blocking";       // XEP-0191
inline constexpr std::string_view carbons = "urn:xmpp:carbons:2";       // XEP-0280
inline constexpr std::string_view forward = "urn:xmpp:forward:0";       // XEP-0297
inline constexpr std::string_view vcard_temp = "vcard-temp";            // XEP-0054
// XEP-0085 chat states, XEP-0030 service discovery, XEP-0172 nicknames, XEP-0045 group chat,
// XEP-0115 entity capabilities.
inline constexpr std::string_view chat_states = "http://jabber.org/protocol/chatstates";
inline constexpr std::string_view disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view nick = "http://jabber.org/protocol/nick";
inline constexpr std::string_view muc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view muc_user = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view caps = "http://jabber.org/protocol/caps";
inline constexpr std::string_view xml = "http://www.w3.org/XML/1998/namespace";
}  // namespace ns

// One XML element with its namespace resolved. Character data directly inside the element is
// kept as one string (XMPP stanzas do not rely on the order of text and child elements, so the
// interleaving of mixed content is not kept). Attributes in a namespace other than none are
// named "{uri}local", except xml:lang and other xml: attributes, which keep the "xml:" prefix.
struct Element {
    std::string name;  // local name
    std::string ns;    // namespace URI ("" = none)
    std::vector<std::pair<std::string, std::string>> attributes;
    std::vector<Element> children;
    std::string text;

    Element() = default;
    Element(std::string name_, std::string_view ns_) : name(std::move(name_)), ns(ns_) {}

    // The value of attribute `attr_name`, or "" if it is absent.
    [[nodiscard]] std::string_view attr(std::string_view attr_name) const;
    // True if attribute `attr_name` is present.
    [[nodiscard]] bool has_attr(std::string_view attr_name) const;
    // Sets (or replaces) an attribute; returns *this for chaining.
    Element& set_attr(std::string_view attr_name, std::string_view value);

    // The first child with this local name (and namespace, if given), or nullptr.
    [[nodiscard]] const Element* child(std::string_view child_name,
                                       std::string_view child_ns = {}) const;
    // Appends a child element and returns it.
    Element& add_child(std::string child_name, std::string_view child_ns);
    // Appends a child element holding only text, e.g. <body>hi</body>; returns *this.
    Element& add_text_child(std::string child_name, std::string_view child_ns,
                            std::string_view child_text);

    // True if this element has this local name and namespace.
    [[nodiscard]] bool is(std::string_view n, std::string_view s) const {
        return name == n && ns == s;
    }
};

}  // namespace onesoup::xmpp
