#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "onesoup/xmpp/stream_parser.hpp"
#include "onesoup/xmpp/xml_writer.hpp"

using namespace onesoup::xmpp;

namespace {

const std::string header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.com' version='1.0' "
    "xml:lang='en'>";

// Feeds `text` in pieces of `chunk` bytes; returns the events, fails the test on error.
std::vector<StreamEvent> feed_all(StreamParser& p, const std::string& text, std::size_t chunk) {
    std::vector<StreamEvent> events;
    for (std::size_t i = 0; i < text.size(); i += chunk) {
        auto r = p.feed(std::string_view(text).substr(i, chunk), events);
        EXPECT_TRUE(r) << r.error().describe();
        if (!r) break;
    }
    return events;
}

}  // namespace

TEST(XmppStreamParser, ParsesHeaderStanzasAndCloseInAnyChunking) {
    const std::string text =
        header +
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
        "</starttls></stream:features> \n"
        "<message to='a@b' type='chat' id='m1'><body>1 &lt; 2 &amp; caf\xC3\xA9</body>"
        "<x xmlns='urn:x' y='&apos;'/></message></stream:stream>";
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, text.size()}) {
        StreamParser p;
        auto ev = feed_all(p, text, chunk);
        ASSERT_EQ(ev.size(), 4u) << "chunk " << chunk;
        EXPECT_EQ(ev[0].kind, StreamEvent::Kind::open);
        EXPECT_EQ(ev[0].element.attr("id"), "s1");
        EXPECT_EQ(ev[0].element.attr("xml:lang"), "en");
        EXPECT_EQ(ev[0].element.attr("version"), "1.0");
        EXPECT_TRUE(ev[1].element.is("features", ns::streams));
        const Element* tls = ev[1].element.child("starttls", ns::tls);
        ASSERT_NE(tls, nullptr);
        EXPECT_NE(tls->child("required"), nullptr);
        EXPECT_TRUE(ev[2].element.is("message", ns::client));
        EXPECT_EQ(ev[2].element.attr("to"), "a@b");
        ASSERT_NE(ev[2].element.child("body"), nullptr);
        EXPECT_EQ(ev[2].element.child("body")->text, "1 < 2 & caf\xC3\xA9");
        ASSERT_NE(ev[2].element.child("x", "urn:x"), nullptr);
        EXPECT_EQ(ev[2].element.child("x", "urn:x")->attr("y"), "'");
        EXPECT_EQ(ev[3].kind, StreamEvent::Kind::close);
        EXPECT_TRUE(p.closed());
    }
}

TEST(XmppStreamParser, PausesAfterSuccessAndRestarts) {
    StreamParser p;
    std::vector<StreamEvent> ev;
    std::string first = header + "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1h</success>";
    std::string second = header + "<stream:features/>";
    std::string both = first + second;
    auto r = p.feed(both, ev);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(*r, first.size());
    EXPECT_TRUE(p.paused());
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_TRUE(ev[1].element.is("success", ns::sasl));
    EXPECT_EQ(ev[1].element.text, "dj1h");
    EXPECT_FALSE(p.feed("x", ev));  // must restart first
    p.restart();
    ev.clear();
    auto r2 = p.feed(std::string_view(both).substr(*r), ev);
    ASSERT_TRUE(r2) << r2.error().describe();
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].kind, StreamEvent::Kind::open);
    EXPECT_TRUE(ev[1].element.is("features", ns::streams));
}

TEST(XmppStreamParser, PausesAfterProceed) {
    StreamParser p;
    std::vector<StreamEvent> ev;
    std::string text = header + "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
    auto r = p.feed(text + "\x16\x03\x01", ev);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, text.size());
    EXPECT_TRUE(p.paused());
}

TEST(XmppStreamParser, RefusesForbiddenConstructs) {
    const std::string doctype =
        "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY a 'aaaa'>]><stream:stream "
        "xmlns:stream='http://etherx.jabber.org/streams'>";
    for (const std::string& bad :
         {doctype, header + "<!-- hi --><message/>", header + "<?pi x?>",
          header + "<message>&foo;</message>", std::string("<stream xmlns='x'>"),
          header + "<a></b>", std::string("<?xml version='1.0' encoding='latin1'?>\xff"),
          header + "<message>\xC3(</message>"}) {
        StreamParser p;
        std::vector<StreamEvent> ev;
        auto r = p.feed(bad, ev);
        EXPECT_FALSE(r) << "accepted: " << bad;
        if (!r) {
            EXPECT_NE(r.error().offset, onesoup::Error::npos);
        }
        EXPECT_FALSE(p.feed("<a/>", ev));  // stays failed
    }
}

TEST(XmppStreamParser, EnforcesLimits) {
    ParserLimits limits;
    limits.max_stanza_bytes = 100;
    limits.max_depth = 3;
    limits.max_elements = 5;
    {
        StreamParser p(limits);
        std::vector<StreamEvent> ev;
        EXPECT_TRUE(p.feed(header + "<m><a><b/></a></m>", ev));
        EXPECT_FALSE(p.limit_exceeded());
        auto r = p.feed("<m><a><b><c/></b></a></m>", ev);
        ASSERT_FALSE(r);
        EXPECT_TRUE(p.limit_exceeded());
        EXPECT_NE(r.error().message.find("depth limit of 3"), std::string::npos);
        p.restart();
        EXPECT_FALSE(p.limit_exceeded());
    }
    {
        StreamParser p(limits);
        std::vector<StreamEvent> ev;
        EXPECT_FALSE(p.feed(header + "<m><a/><a/><a/><a/><a/></m>", ev));
        EXPECT_TRUE(p.limit_exceeded());
    }
    {
        // Malformed XML is not a limit.
        StreamParser p(limits);
        std::vector<StreamEvent> ev;
        EXPECT_FALSE(p.feed(header + "<m></n>", ev));
        EXPECT_FALSE(p.limit_exceeded());
    }
    {
        StreamParser p(limits);
        std::vector<StreamEvent> ev;
        ASSERT_TRUE(p.feed(header, ev));
        std::string big = "<message><body>" + std::string(200, 'x');
        auto r = p.feed(big, ev);
        ASSERT_FALSE(r);
        EXPECT_TRUE(p.limit_exceeded());
        EXPECT_NE(r.error().message.find("size limit of 100 bytes"), std::string::npos);
        // One byte at a time must be caught too: the limit holds however the bytes arrive.
        StreamParser q(limits);
        ASSERT_TRUE(q.feed(header, ev));
        bool failed = false;
        for (char c : std::string("<message a='") + std::string(300, 'y')) {
            if (!q.feed(std::string_view(&c, 1), ev)) {
                failed = true;
                break;
            }
        }
        EXPECT_TRUE(failed);
    }
    {
        limits.max_header_bytes = 50;
        StreamParser p(limits);
        std::vector<StreamEvent> ev;
        EXPECT_FALSE(p.feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' a='" +
                                std::string(100, 'z'),
                            ev));
    }
}

TEST(XmppStreamParser, WriterOutputParsesBack) {
    Element m("message", ns::client);
    m.set_attr("to", "juliet@example.com/balcony").set_attr("type", "chat");
    m.add_text_child("body", ns::client, "<b>\"Tom & 'Jerry'\"</b> \x01 bad \xff ok \xE2\x82\xAC");
    m.add_child("ping", ns::ping).set_attr("{urn:other}flag", "1");
    std::string xml = to_xml(m);
    EXPECT_EQ(xml.find("xmlns='jabber:client'"), std::string::npos);
    StreamParser p;
    std::vector<StreamEvent> ev;
    auto r = p.feed(header + xml, ev);
    ASSERT_TRUE(r) << r.error().describe() << "\n" << xml;
    ASSERT_EQ(ev.size(), 2u);
    const Element& back = ev[1].element;
    EXPECT_TRUE(back.is("message", ns::client));
    EXPECT_EQ(back.attr("to"), "juliet@example.com/balcony");
    EXPECT_EQ(back.child("body")->text,
              "<b>\"Tom & 'Jerry'\"</b> \xEF\xBF\xBD bad \xEF\xBF\xBD ok \xE2\x82\xAC");
    ASSERT_NE(back.child("ping", ns::ping), nullptr);
    EXPECT_EQ(back.child("ping", ns::ping)->attr("{urn:other}flag"), "1");
}

TEST(XmppStreamParser, StreamHeaderIsWellFormed) {
    StreamParser p;
    std::vector<StreamEvent> ev;
    auto r = p.feed(stream_header("example.com", "a@example.com"), ev);
    ASSERT_TRUE(r);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].element.attr("to"), "example.com");
    EXPECT_EQ(ev[0].element.attr("from"), "a@example.com");
}

TEST(XmppStreamParser, ReleasesBetweenStanzasAndRebuildsFromTheHeader) {
    // The header binds the prefixes the stanzas use ("s:" for the streams namespace, and a
    // default namespace): a rebuilt parser must still resolve them.
    const std::string own_header =
        "<?xml version='1.0'?><s:stream xmlns='jabber:client' "
        "xmlns:s='http://etherx.jabber.org/streams' xmlns:x='urn:x' id='s9' version='1.0'>";
    const std::vector<std::string> stanzas = {
        "<message to='a@b'><body>one</body><x:y/></message>",
        " \n ",  // whitespace keepalive
        "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<s:features><x:z a='1'/></s:features>",
    };
    StreamParser kept;
    StreamParser released;
    std::vector<StreamEvent> a;
    std::vector<StreamEvent> b;
    ASSERT_TRUE(kept.feed(own_header, a));
    ASSERT_TRUE(released.feed(own_header, b));
    EXPECT_TRUE(released.release_idle());
    EXPECT_TRUE(released.released());
    for (const auto& s : stanzas) {
        // In small pieces: the parser is released only where no stanza is half read.
        for (std::size_t i = 0; i < s.size(); i += 5) {
            auto piece = std::string_view(s).substr(i, 5);
            ASSERT_TRUE(kept.feed(piece, a));
            auto r = released.feed(piece, b);
            ASSERT_TRUE(r) << r.error().describe();
            bool in_stanza = i + 5 < s.size() && s.find('<') != std::string::npos;
            EXPECT_EQ(released.release_idle(), !in_stanza) << s << " at " << i;
        }
    }
    ASSERT_EQ(a.size(), 4u);
    ASSERT_EQ(b.size(), a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(to_xml(b[i].element), to_xml(a[i].element)) << i;
    }
    EXPECT_TRUE(b[2].element.is("iq", ns::client));
    EXPECT_TRUE(b[3].element.is("features", ns::streams));
    ASSERT_NE(b[3].element.child("z", "urn:x"), nullptr);

    // Error offsets stay offsets into the stream after a rebuild.
    std::size_t at = own_header.size();
    for (const auto& s : stanzas) at += s.size();
    auto r = released.feed("<bad></worse>", b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().offset, at + 7);  // expat points at the mismatched name
    auto r2 = kept.feed("<bad></worse>", a);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().offset, r.error().offset);
    EXPECT_FALSE(released.release_idle());  // a failed parser stays as it is

    // The end of the stream after a release.
    StreamParser p;
    std::vector<StreamEvent> ev;
    ASSERT_TRUE(p.feed(header, ev));
    EXPECT_TRUE(p.release_idle());
    auto closing = p.feed("</stream:stream>", ev);
    ASSERT_TRUE(closing);
    EXPECT_TRUE(p.closed());
    EXPECT_EQ(ev.back().kind, StreamEvent::Kind::close);
    // And a restart after a release begins a new stream.
    StreamParser q;
    ASSERT_TRUE(q.feed(header, ev));
    EXPECT_TRUE(q.release_idle());
    q.restart();
    ev.clear();
    ASSERT_TRUE(q.feed(header + "<a/>", ev));
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].kind, StreamEvent::Kind::open);
}

TEST(XmppStreamParser, ReleaseKeepsTheSizeLimit) {
    ParserLimits limits;
    limits.max_stanza_bytes = 100;
    StreamParser p(limits);
    std::vector<StreamEvent> ev;
    ASSERT_TRUE(p.feed(header, ev));
    ASSERT_TRUE(p.feed("<a>" + std::string(60, 'x'), ev));
    EXPECT_FALSE(p.release_idle());
    auto r = p.feed(std::string(60, 'y'), ev);
    ASSERT_FALSE(r);
    EXPECT_TRUE(p.limit_exceeded());
    // Before a stream is open there is nothing to release.
    StreamParser q;
    EXPECT_FALSE(q.release_idle());
    ASSERT_TRUE(q.feed("<?xml version='1.0'?><stream:str", ev));
    EXPECT_FALSE(q.release_idle());
}
