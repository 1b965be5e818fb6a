// The IMPS <-> XMPP mapping, row by row of docs/mapping.md (pure functions).
#include <gtest/gtest.h>

#include "onesoup/gateway/mapping.hpp"
#include "onesoup/imps/model/status_code.hpp"
#include "onesoup/xmpp/xml_writer.hpp"

namespace {

using namespace onesoup;
using namespace onesoup::gateway;
namespace model = onesoup::imps::model;

xmpp::Jid jid(std::string_view s) {
    auto j = xmpp::Jid::parse(s);
    EXPECT_TRUE(j.ok()) << s;
    return j.ok() ? *j : xmpp::Jid{};
}

// Row: user ids.
TEST(MappingUserId, WvPrefixAndDomain) {
    auto j = user_id_to_jid("wv:alice@example.org", "default.test");
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j->str(), "alice@example.org");
    EXPECT_EQ(jid_to_user_id(*j), "wv:alice@example.org");
}

TEST(MappingUserId, DefaultDomainAndCase) {
    auto j = user_id_to_jid("WV:Alice", "Default.Test");
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j->str(), "alice@default.test");
    auto k = user_id_to_jid("bob@b.test", "a.test");
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->str(), "bob@b.test");
}

TEST(MappingUserId, Xep0106Escaping) {
    EXPECT_EQ(escape_node("d'artagnan"), "d\\27artagnan");
    EXPECT_EQ(escape_node("joe smith"), "joe\\20smith");
    EXPECT_EQ(escape_node("a/b:c<d>e&f\"g@h"), "a\\2fb\\3ac\\3cd\\3ee\\26f\\22g\\40h");
    EXPECT_EQ(escape_node("c:\\net"), "c\\3a\\net");            // '\' not before a code: kept
    EXPECT_EQ(escape_node("c:\\5commas"), "c\\3a\\5c5commas");  // '\' before a code: escaped
    EXPECT_EQ(unescape_node("d\\27artagnan"), "d'artagnan");
    EXPECT_EQ(unescape_node("c\\3a\\5c5commas"), "c:\\5commas");
    EXPECT_EQ(unescape_node("c\\3a\\net"), "c:\\net");

    auto j = user_id_to_jid("wv:joe smith@example.org", "x");
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j->local(), "joe\\20smith");
    EXPECT_EQ(jid_to_user_id(*j), "wv:joe smith@example.org");
    // An '@' in the user part: the last one separates the domain.
    auto k = user_id_to_jid("wv:a@b@example.org", "x");
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->str(), "a\\40b@example.org");
    EXPECT_EQ(jid_to_user_id(*k), "wv:a@b@example.org");
}

TEST(MappingUserId, BadIdsAreErrors) {
    EXPECT_FALSE(user_id_to_jid("wv:@example.org", "x").ok());
    EXPECT_FALSE(user_id_to_jid("", "x").ok());
    EXPECT_FALSE(user_id_to_jid("wv:alice@bad domain", "x").ok());
    EXPECT_EQ(jid_to_user_id(jid("example.org")), "wv:example.org");
}

// Row: contact lists <-> roster groups.
TEST(MappingContactList, IdsRoundTrip) {
    EXPECT_EQ(contact_list_id("wv:alice@a.test", "Work"), "wv:alice/Work@a.test");
    EXPECT_EQ(contact_list_id("wv:alice@a.test", "My Mates"), "wv:alice/My Mates@a.test");
    EXPECT_EQ(contact_list_id("wv:alice@a.test", "a/b@c%"), "wv:alice/a%2Fb%40c%25@a.test");
    EXPECT_EQ(contact_list_id("wv:alice@a.test", "Kollegen\xC3\xA4"),
              "wv:alice/Kollegen%C3%A4@a.test");
    for (std::string g : {"Work", "My Mates", "a/b@c%", "Kollegen\xC3\xA4"}) {
        auto back = group_of_contact_list("wv:alice@a.test", contact_list_id("wv:alice@a.test", g));
        ASSERT_TRUE(back.has_value()) << g;
        EXPECT_EQ(*back, g);
    }
}

TEST(MappingContactList, ForeignAndShortIds) {
    EXPECT_EQ(group_of_contact_list("wv:alice@a.test", "WV:Alice/Work@A.test"), "Work");
    EXPECT_EQ(group_of_contact_list("wv:alice@a.test", "alice/Work@a.test"), "Work");
    EXPECT_EQ(group_of_contact_list("wv:alice@a.test", "Work"), "Work");
    EXPECT_FALSE(group_of_contact_list("wv:alice@a.test", "wv:bob/Work@a.test"));
    EXPECT_FALSE(group_of_contact_list("wv:alice@a.test", "wv:alice/Work@b.test"));
    EXPECT_FALSE(group_of_contact_list("wv:alice@a.test", "wv:alice/@a.test"));
    EXPECT_FALSE(group_of_contact_list("wv:alice@a.test", "wv:bob@a.test"));
}

TEST(MappingContactList, DefaultListHoldsUngroupedItems) {
    RosterItem none{jid("bob@b.test"), "", {}, "both", false};
    RosterItem work{jid("carol@b.test"), "", {"Work"}, "to", false};
    RosterItem friends{jid("dave@b.test"), "", {"Friends", "Work"}, "none", true};
    EXPECT_TRUE(in_list(none, default_list_name));
    EXPECT_FALSE(in_list(none, "Work"));
    EXPECT_TRUE(in_list(work, "Work"));
    EXPECT_FALSE(in_list(work, default_list_name));
    EXPECT_TRUE(in_list(friends, default_list_name));
    EXPECT_TRUE(in_list(friends, "Work"));
}

// Row: roster items <-> NickName, roster set/remove.
TEST(MappingRoster, ItemParsingAndNick) {
    xmpp::Element item("item", xmpp::ns::roster);
    item.set_attr("jid", "Bob@B.test").set_attr("name", "Bobby").set_attr("subscription", "to");
    item.set_attr("ask", "subscribe");
    item.add_text_child("group", xmpp::ns::roster, "Work");
    auto r = roster_item_of(item);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->jid.str(), "bob@b.test");
    EXPECT_EQ(r->name, "Bobby");
    EXPECT_EQ(r->groups, std::vector<std::string>{"Work"});
    EXPECT_EQ(r->subscription, "to");
    EXPECT_TRUE(r->ask);
    EXPECT_TRUE(subscribed_to(*r));
    const auto nick = nick_name_of(*r);
    EXPECT_EQ(nick.name, "Bobby");
    EXPECT_EQ(nick.user_id, "wv:bob@b.test");
    r->name.clear();
    EXPECT_FALSE(nick_name_of(*r).name.has_value());

    xmpp::Element bad("item", xmpp::ns::roster);
    bad.set_attr("jid", "");
    EXPECT_FALSE(roster_item_of(bad));
}

TEST(MappingRoster, SetAndRemoveQueries) {
    RosterItem r{jid("bob@b.test"), "Bobby", {"Work", "Friends"}, "both", false};
    EXPECT_EQ(xmpp::to_xml(roster_query_set(r)),
              "<query xmlns='jabber:iq:roster'><item jid='bob@b.test' name='Bobby'>"
              "<group>Work</group><group>Friends</group></item></query>");
    EXPECT_EQ(xmpp::to_xml(roster_query_remove(jid("bob@b.test"))),
              "<query xmlns='jabber:iq:roster'><item jid='bob@b.test' subscription='remove'/>"
              "</query>");
    RosterItem none{jid("x@b.test"), "", {}, "from", false};
    EXPECT_FALSE(subscribed_to(none));
}

// Row: UpdatePresence -> <presence/>.
TEST(MappingPresence, UpdateToStanza) {
    model::PresenceSubList u;
    u.user_availability = model::UserAvailabilityAttribute{};
    u.user_availability->value = model::UserAvailability::discreet;
    u.status_text = model::StatusText{};
    u.status_text->value = "in a meeting";
    PresenceState s = merge_presence({}, u);
    EXPECT_TRUE(s.online);
    EXPECT_EQ(xmpp::to_xml(presence_stanza(s)),
              "<presence><show>dnd</show><status>in a meeting</status></presence>");

    model::PresenceSubList away;
    away.user_availability = model::UserAvailabilityAttribute{};
    away.user_availability->value = model::UserAvailability::not_available;
    s = merge_presence(s, away);  // StatusText kept: absent attributes do not change
    EXPECT_EQ(xmpp::to_xml(presence_stanza(s)),
              "<presence><show>away</show><status>in a meeting</status></presence>");

    model::PresenceSubList avail;
    avail.user_availability = model::UserAvailabilityAttribute{};
    avail.user_availability->value = model::UserAvailability::available;
    avail.status_text = model::StatusText{};
    avail.status_text->value = "";
    s = merge_presence(s, avail);
    EXPECT_EQ(xmpp::to_xml(presence_stanza(s)), "<presence/>");

    model::PresenceSubList off;
    off.online_status = model::OnlineStatus{};
    off.online_status->value = false;
    s = merge_presence(s, off);
    EXPECT_EQ(xmpp::to_xml(presence_stanza(s)), "<presence type='unavailable'/>");
}

// Row: incoming presence -> PresenceSubList.
TEST(MappingPresence, StanzaToSubList) {
    auto state = [](std::string_view type, std::string_view show, std::string_view status) {
        xmpp::Element p("presence", xmpp::ns::client);
        if (!type.empty()) p.set_attr("type", type);
        if (!show.empty()) p.add_text_child("show", xmpp::ns::client, show);
        if (!status.empty()) p.add_text_child("status", xmpp::ns::client, status);
        return presence_state_of(p);
    };
    using UA = model::UserAvailability;
    EXPECT_EQ(state("", "", ""), (PresenceState{true, UA::available, ""}));
    EXPECT_EQ(state("", "chat", "hi"), (PresenceState{true, UA::available, "hi"}));
    EXPECT_EQ(state("", "away", ""), (PresenceState{true, UA::not_available, ""}));
    EXPECT_EQ(state("", "xa", ""), (PresenceState{true, UA::not_available, ""}));
    EXPECT_EQ(state("", "dnd", "busy"), (PresenceState{true, UA::discreet, "busy"}));
    EXPECT_EQ(state("unavailable", "", "bye"), (PresenceState{false, UA::not_available, "bye"}));

    const auto l = presence_sub_list({true, UA::discreet, "busy"});
    ASSERT_TRUE(l.online_status && l.user_availability && l.status_text && l.comm_cap);
    EXPECT_EQ(l.online_status->value, true);
    EXPECT_EQ(l.online_status->qualifier, true);
    EXPECT_EQ(l.user_availability->value, UA::discreet);
    EXPECT_EQ(l.status_text->value, "busy");
    ASSERT_EQ(l.comm_cap->caps.size(), 1U);
    EXPECT_EQ(l.comm_cap->caps[0].cap, "IM");
    EXPECT_EQ(l.comm_cap->caps[0].status, "OPEN");
    const auto off = presence_sub_list({false, UA::not_available, ""});
    EXPECT_EQ(off.online_status->value, false);
    EXPECT_FALSE(off.status_text.has_value());
    EXPECT_EQ(off.comm_cap->caps[0].status, "CLOSED");
}

// Row: SendMessage -> <message type="chat">, DeliveryReport -> XEP-0184 request.
TEST(MappingMessage, ChatAndReceiptStanzas) {
    EXPECT_EQ(xmpp::to_xml(chat_message(jid("bob@b.test"), "m1", "hi <3", false)),
              "<message type='chat' to='bob@b.test' id='m1'><body>hi &lt;3</body></message>");
    EXPECT_EQ(xmpp::to_xml(chat_message(jid("bob@b.test"), "m2", "x", true)),
              "<message type='chat' to='bob@b.test' id='m2'><body>x</body>"
              "<request xmlns='urn:xmpp:receipts'/></message>");
    EXPECT_EQ(xmpp::to_xml(receipt_message(jid("bob@b.test/phone"), "abc")),
              "<message to='bob@b.test/phone'><received xmlns='urn:xmpp:receipts' id='abc'/>"
              "</message>");
}

TEST(MappingMessage, WhichIncomingMessagesReachThePhone) {
    auto msg = [](std::string_view type, bool body) {
        xmpp::Element m("message", xmpp::ns::client);
        if (!type.empty()) m.set_attr("type", type);
        if (body) m.add_text_child("body", xmpp::ns::client, "x");
        return m;
    };
    EXPECT_TRUE(is_chat_with_body(msg("chat", true)));
    EXPECT_TRUE(is_chat_with_body(msg("normal", true)));
    EXPECT_TRUE(is_chat_with_body(msg("", true)));
    EXPECT_FALSE(is_chat_with_body(msg("chat", false)));
    EXPECT_FALSE(is_chat_with_body(msg("groupchat", true)));
    EXPECT_FALSE(is_chat_with_body(msg("headline", true)));
    EXPECT_FALSE(is_chat_with_body(msg("error", true)));
}

// Row: AcceptedContentLength -> split at UTF-8 boundaries.
TEST(MappingMessage, SplitAtUtf8Boundaries) {
    EXPECT_EQ(split_utf8("hello", 0), std::vector<std::string>{"hello"});
    EXPECT_EQ(split_utf8("hello", 5), std::vector<std::string>{"hello"});
    EXPECT_EQ(split_utf8("hello world", 5), (std::vector<std::string>{"hello", " worl", "d"}));
    // "é" is 2 bytes, "€" 3: never cut inside.
    const std::string s =
        "a\xC3\xA9\xE2\x82\xAC"
        "b";  // a é € b: 1+2+3+1 bytes
    EXPECT_EQ(split_utf8(s, 2), (std::vector<std::string>{"a", "\xC3\xA9", "\xE2\x82\xAC", "b"}));
    EXPECT_EQ(split_utf8(s, 3), (std::vector<std::string>{"a\xC3\xA9", "\xE2\x82\xAC", "b"}));
    EXPECT_EQ(split_utf8(s, 4), (std::vector<std::string>{"a\xC3\xA9",
                                                          "\xE2\x82\xAC"
                                                          "b"}));
    // A limit below one character: the character goes alone, nothing is lost.
    EXPECT_EQ(split_utf8("\xE2\x82\xAC\xE2\x82\xAC", 1),
              (std::vector<std::string>{"\xE2\x82\xAC", "\xE2\x82\xAC"}));
    std::string joined;
    for (const auto& p : split_utf8(std::string(1000, 'x') + s, 7)) {
        EXPECT_LE(p.size(), 7U);
        joined += p;
    }
    EXPECT_EQ(joined, std::string(1000, 'x') + s);
}

// Row: DateTime of NewMessage (now, or XEP-0203 delay).
TEST(MappingMessage, DateTimes) {
    EXPECT_EQ(csp_date_time(0), "19700101T000000Z");
    EXPECT_EQ(csp_date_time(1795708800), "20261126T160000Z");
    EXPECT_EQ(csp_date_time_from_xmpp("2026-11-26T15:55:00Z"), "20261126T155500Z");
    EXPECT_EQ(csp_date_time_from_xmpp("2026-11-26T15:55:00.123Z"), "20261126T155500Z");
    EXPECT_EQ(csp_date_time_from_xmpp("2026-11-26T17:55:00+02:00"), "20261126T155500Z");
    EXPECT_EQ(csp_date_time_from_xmpp("2026-11-26T23:30:00-01:00"), "20261127T003000Z");
    EXPECT_FALSE(csp_date_time_from_xmpp("yesterday"));
    EXPECT_FALSE(csp_date_time_from_xmpp("2026-13-26T15:55:00Z"));
    EXPECT_FALSE(csp_date_time_from_xmpp("2026-11-26T15:55:00"));
}

// Row: XMPP errors -> IMPS status codes.
TEST(MappingErrors, StanzaConditions) {
    EXPECT_EQ(status_for_stanza_error("item-not-found"), model::status::unknown_user);
    EXPECT_EQ(status_for_stanza_error("remote-server-not-found"), model::status::unable_to_deliver);
    EXPECT_EQ(status_for_stanza_error("service-unavailable"),
              model::status::recipient_not_logged_in);
    EXPECT_EQ(status_for_stanza_error("forbidden"), model::status::recipient_blocked_sender);
    EXPECT_EQ(status_for_stanza_error("feature-not-implemented"), model::status::not_implemented);
    EXPECT_EQ(status_for_stanza_error("resource-constraint"), 507);
    EXPECT_EQ(status_for_stanza_error("something-new"), model::status::internal_error);

    xmpp::Element m("message", xmpp::ns::client);
    m.set_attr("type", "error");
    auto& e = m.add_child("error", xmpp::ns::client);
    e.set_attr("type", "cancel");
    e.add_text_child("text", xmpp::ns::stanzas, "gone fishing");
    e.add_child("service-unavailable", xmpp::ns::stanzas);
    EXPECT_EQ(stanza_error_condition(m), "service-unavailable");
    EXPECT_EQ(stanza_error_condition(xmpp::Element("message", xmpp::ns::client)),
              "undefined-condition");
}

TEST(MappingErrors, LoginFailures) {
    EXPECT_EQ(status_for_login_failure("authentication failed: not-authorized"),
              model::status::invalid_password);
    EXPECT_EQ(status_for_login_failure("cannot connect to 127.0.0.1: Connection refused"),
              model::status::service_unavailable);
    EXPECT_EQ(status_for_login_failure("TLS handshake failed: certificate verify failed"),
              model::status::service_unavailable);
}

// Row: 4-way login digests (reference notes 3).
TEST(MappingDigest, Md5AndSha1) {
    // MD5("nonce1" + "secret") and SHA-1 of the same, in Base64 (computed with openssl dgst).
    EXPECT_TRUE(digest_matches("MD5", "nonce1", "secret", "5xC6sZ6Q8AR7mGKGN4TnQw=="));
    EXPECT_TRUE(digest_matches("SHA", "nonce1", "secret", "oV2rtqkYcD9ow5j4qqYKOCvJNS0="));
    EXPECT_FALSE(digest_matches("MD4", "nonce1", "secret", ""));
    EXPECT_FALSE(digest_matches("SHA", "nonce1", "secret", "5xC6sZ6Q8AR7mGKGN4TnQw=="));
    EXPECT_FALSE(digest_matches("MD5", "nonce2", "secret", "5xC6sZ6Q8AR7mGKGN4TnQw=="));
    EXPECT_FALSE(digest_matches("MD5", "nonce1", "secreT", "5xC6sZ6Q8AR7mGKGN4TnQw=="));
    EXPECT_FALSE(digest_matches("PWD", "nonce1", "secret", ""));
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
