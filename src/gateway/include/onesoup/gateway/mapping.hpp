// Pure conversions between IMPS (CSP 1.2) and XMPP (RFC 6120/6121, XEP-0106, XEP-0184): user
// ids, contact list ids, presence, messages, error conditions, digest checks. No I/O and no
// state: UserSession applies them. Each function is one row (or a few rows) of docs/mapping.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/core/result.hpp"
#include "onesoup/imps/model/common.hpp"
#include "onesoup/imps/model/presence.hpp"
#include "onesoup/xmpp/element.hpp"
#include "onesoup/xmpp/jid.hpp"

namespace onesoup::gateway {

// ---- User ids <-> JIDs ----

// XEP-0106 4.2: escapes the characters a JID localpart forbids (space " & ' / : < > @ and '\'
// where it would start an escape sequence) as \20 \22 \26 \27 \2f \3a \3c \3e \40 \5c.
[[nodiscard]] std::string escape_node(std::string_view local);

// XEP-0106 4.3: the reverse of escape_node; a backslash not followed by one of the ten escape
// codes is kept as it is.
[[nodiscard]] std::string unescape_node(std::string_view local);

// "wv:alice@example.org" (or "alice@example.org", or "wv:alice" with the default domain) ->
// the bare JID alice@example.org; the user part is XEP-0106-escaped and lower-cased (IMPS ids
// are case-insensitive, CSP 1.2 Data Types 3.1). The "wv:" prefix is matched ignoring case.
// An error for an id with no user part or a domain that is not a JID domain.
[[nodiscard]] Result<xmpp::Jid> user_id_to_jid(std::string_view user_id,
                                               std::string_view default_domain);

// The bare JID -> "wv:" + unescaped localpart + "@" + domain. A JID without a localpart (a
// server or a gateway) becomes "wv:@domain"'s honest form "wv:domain".
[[nodiscard]] std::string jid_to_user_id(const xmpp::Jid& jid);

// ---- Contact lists <-> roster groups ----

// The name of the list every roster item without a group belongs to (and the roster group an
// item added to that list gets).
inline constexpr std::string_view default_list_name = "Friends";

// The CSP ContactList id of roster group `group` for the user `owner` ("wv:alice@example.org"):
// "wv:alice/<group>@example.org" (CSP 1.2 Data Types: ContactListID = user id with a path).
// Characters of the group name outside [A-Za-z0-9-._~ ] are percent-encoded (UTF-8 bytes).
[[nodiscard]] std::string contact_list_id(std::string_view owner, std::string_view group);

// The roster group a ContactList id names for `owner`, or std::nullopt if it is not a list of
// that user. Accepts ids with or without "wv:", in any case for the user and domain, and the
// short form "<group>" some clients send (no '/' nor '@').
[[nodiscard]] std::optional<std::string> group_of_contact_list(std::string_view owner,
                                                               std::string_view list_id);

// ---- Presence ----

// What a user shows, in IMPS terms (PA 1.2 OnlineStatus, UserAvailability, StatusText).
struct PresenceState {
    bool online = true;
    imps::model::UserAvailability availability = imps::model::UserAvailability::available;
    std::string status_text;
    bool operator==(const PresenceState&) const = default;
};

// UpdatePresence-Request: the attributes the phone sent replace those in `current`; absent
// attributes stay as they were.
[[nodiscard]] PresenceState merge_presence(PresenceState current,
                                           const imps::model::PresenceSubList& update);

// The user's own broadcast presence (RFC 6121 4.2): online -> <presence/> with <show> away
// (NOT_AVAILABLE) or dnd (DISCREET) and <status>; OnlineStatus F -> type="unavailable".
[[nodiscard]] xmpp::Element presence_stanza(const PresenceState& state);

// A contact's presence stanza (available or unavailable) -> PresenceState: no type -> online,
// show chat/none -> AVAILABLE, away/xa -> NOT_AVAILABLE, dnd -> DISCREET; type unavailable ->
// offline and NOT_AVAILABLE.
[[nodiscard]] PresenceState presence_state_of(const xmpp::Element& presence);

// PresenceState -> PresenceSubList with OnlineStatus, UserAvailability, StatusText (when not
// empty) and CommCap IM OPEN/CLOSED, each with Qualifier T (PA 1.2: notifications qualify).
[[nodiscard]] imps::model::PresenceSubList presence_sub_list(const PresenceState& state);

// ---- Messages ----

// Splits `text` into pieces of at most `max_bytes` bytes, cut only between UTF-8 characters
// (a multi-byte sequence is never split). max_bytes <= 0 means no limit (one piece). A
// max_bytes smaller than one character still makes progress: that character goes alone.
[[nodiscard]] std::vector<std::string> split_utf8(std::string_view text, std::int64_t max_bytes);

// The DateTime of a NewMessage (CSP 1.2 Data Types: ISO 8601 basic UTC, "20261126T155500Z")
// for `unix_seconds`.
[[nodiscard]] std::string csp_date_time(std::int64_t unix_seconds);

// A XEP-0203 delay stamp ("2026-11-26T15:55:00Z" or with fraction or offset) -> CSP DateTime;
// std::nullopt if it cannot be read.
[[nodiscard]] std::optional<std::string> csp_date_time_from_xmpp(std::string_view stamp);

// ---- Roster items (RFC 6121 2) ----

// XEP-0184 message receipts namespace.
inline constexpr std::string_view receipts_ns = "urn:xmpp:receipts";
// XEP-0203 delayed delivery namespace.
inline constexpr std::string_view delay_ns = "urn:xmpp:delay";

// One roster item as the session keeps it.
struct RosterItem {
    xmpp::Jid jid;                      // bare
    std::string name;                   // "" if none
    std::vector<std::string> groups;    // in the order the server gave them
    std::string subscription = "none";  // none, to, from, both (RFC 6121 2.1.2.5)
    bool ask = false;                   // ask="subscribe": a subscription request is pending
    bool operator==(const RosterItem&) const = default;
};

// An <item/> of jabber:iq:roster -> RosterItem; std::nullopt if its jid is not a JID.
// subscription="remove" is kept in `subscription` so the caller can drop the item.
[[nodiscard]] std::optional<RosterItem> roster_item_of(const xmpp::Element& item);

// The <query xmlns="jabber:iq:roster"><item .../></query> that sets `item` (RFC 6121 2.3):
// jid, name, groups; subscription and ask are the server's and are not sent.
[[nodiscard]] xmpp::Element roster_query_set(const RosterItem& item);

// The query that removes the item for `jid` (RFC 6121 2.5: subscription="remove").
[[nodiscard]] xmpp::Element roster_query_remove(const xmpp::Jid& jid);

// True if `item` is in the IMPS list of roster group `group`: it carries the group, or `group`
// is the default list and the item has no group at all.
[[nodiscard]] bool in_list(const RosterItem& item, std::string_view group);

// The NickName of a roster item (name, wv: user id); Name absent when the item has no name.
[[nodiscard]] imps::model::NickName nick_name_of(const RosterItem& item);

// True if the user already gets (or has asked for) the contact's presence (RFC 6121 3).
[[nodiscard]] bool subscribed_to(const RosterItem& item);

// ---- Message stanzas ----

// <message type="chat" to=... id=...><body>...</body></message>, with a XEP-0184 <request/>
// when `receipt` is set.
[[nodiscard]] xmpp::Element chat_message(const xmpp::Jid& to, std::string_view id,
                                         std::string_view body, bool receipt);

// A XEP-0184 receipt for message `id` from `to`: <message to=...><received id=.../></message>.
[[nodiscard]] xmpp::Element receipt_message(const xmpp::Jid& to, std::string_view id);

// True if an incoming message carries text for the phone: type chat, normal or absent, with
// a <body> (chat states and receipts alone carry none; groupchat and headline are not chats).
[[nodiscard]] bool is_chat_with_body(const xmpp::Element& message);

// ---- Errors ----

// The IMPS status for an XMPP stanza error condition (RFC 6120 8.3.3) in answer to something
// the phone sent (a message, a subscription, a roster change). Unknown conditions -> 500.
[[nodiscard]] int status_for_stanza_error(std::string_view condition);

// The defined condition of an error stanza (the first child of <error> in the stanzas
// namespace), or "undefined-condition" if it has none.
[[nodiscard]] std::string stanza_error_condition(const xmpp::Element& stanza);

// The IMPS status for a failed XMPP login, from ClientConnection's reason text: SASL
// not-authorized -> 409, anything about reaching the server or TLS -> 503.
[[nodiscard]] int status_for_login_failure(std::string_view reason);

// ---- Login digests (CSP 1.2 7.1, reference notes 3) ----

// True if `digest_bytes` is model::login_digest(schema, nonce, password) (false for a schema
// other than MD5 and SHA); compared in constant time.
[[nodiscard]] bool digest_matches(std::string_view schema, std::string_view nonce,
                                  std::string_view password, std::string_view digest_bytes);

// Equality in time that depends only on the lengths.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace onesoup::gateway
