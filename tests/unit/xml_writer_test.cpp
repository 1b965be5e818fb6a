// encode_xml: layout options, escaping, and the rule for content XML cannot carry (replaced,
// so the output is always well-formed and decodes again).
#include <gtest/gtest.h>

#include <string>

#include "onesoup/imps/codec/codec.hpp"

using namespace onesoup::imps::codec;

namespace {

const std::string csp12 = "http://www.openmobilealliance.org/DTD/WV-CSP1.2";

Element message() {
    Element root("WV-CSP-Message");
    root.set_attribute("xmlns", csp12);
    return root;
}

// The text of Session/<name> after encoding and decoding again.
Element reencoded(const Element& root) {
    const std::string xml = encode_xml(root);
    const auto doc = decode_xml(xml);
    EXPECT_TRUE(doc) << doc.error().describe() << "\n" << xml;
    return doc ? doc->root : Element();
}

}  // namespace

TEST(XmlWriter, CompactAndIndentedLayout) {
    Element root = message();
    Element& session = root.add(Element("Session"));
    Element& descriptor = session.add(Element("SessionDescriptor"));
    descriptor.add("SessionType", "Outband");
    session.add(Element("Poll"));

    EXPECT_EQ(encode_xml(root),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?><WV-CSP-Message xmlns=\"" + csp12 +
                  "\"><Session><SessionDescriptor><SessionType>Outband</SessionType>"
                  "</SessionDescriptor><Poll/></Session></WV-CSP-Message>");
    EXPECT_EQ(encode_xml(root, {.indent = true, .declaration = false}),
              "<WV-CSP-Message xmlns=\"" + csp12 +
                  "\">\n"
                  "  <Session>\n"
                  "    <SessionDescriptor>\n"
                  "      <SessionType>Outband</SessionType>\n"
                  "    </SessionDescriptor>\n"
                  "    <Poll/>\n"
                  "  </Session>\n"
                  "</WV-CSP-Message>\n");
    EXPECT_EQ(encode_xml(root, {.indent = true})
                  .rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<WV-CSP-Message ", 0),
              0u);
}

TEST(XmlWriter, EscapesMarkupCharacters) {
    Element root = message();
    Element& s = root.add(Element("Session"));
    s.add("T", "a & b < c > d \"q\" 'a' ]]> end");
    Element& attr = s.add(Element("A"));
    attr.set_attribute("v", "x\"y'z<&>\t\n\r");

    const std::string xml = encode_xml(root, {.declaration = false});
    EXPECT_NE(xml.find("<T>a &amp; b &lt; c &gt; d \"q\" 'a' ]]&gt; end</T>"), std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<A v=\"x&quot;y&apos;z&lt;&amp;&gt;&#9;&#10;&#13;\"/>"), std::string::npos)
        << xml;

    const Element back = reencoded(root);
    EXPECT_EQ(back, root) << first_difference(back, root);
}

TEST(XmlWriter, CarriageReturnsAndWhitespaceSurvive) {
    Element root = message();
    root.add(Element("Session")).add("T", "\r\n  line\rtwo\t\n  ");
    const std::string xml = encode_xml(root);
    EXPECT_NE(xml.find("<T>&#13;\n  line&#13;two\t\n  </T>"), std::string::npos) << xml;
    EXPECT_EQ(reencoded(root), root);
}

TEST(XmlWriter, NonAsciiTextPassesThrough) {
    Element root = message();
    root.add(Element("Session")).add("T", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD");
    EXPECT_NE(
        encode_xml(root).find("<T>caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD</T>"),
        std::string::npos);
    EXPECT_EQ(reencoded(root), root);
}

TEST(XmlWriter, InvalidUtf8AndForbiddenCharactersAreReplaced) {
    const std::string fffd = "\xEF\xBF\xBD";
    struct Case {
        std::string text;
        std::string written;
    };
    const Case cases[] = {
        {std::string("a\x01"
                     "b",
                     3),
         "a" + fffd + "b"},                          // C0 control
        {std::string("a\0b", 3), "a" + fffd + "b"},  // NUL
        {"a\x1F\x7F"
         "b",
         "a" + fffd +
             "\x7F"
             "b"},                                        // DEL is allowed
        {"\xFF", fffd},                                   // never valid
        {"\xC3", fffd},                                   // truncated
        {"\xC3(", fffd + "("},                            // bad continuation
        {"\xC0\xAF", fffd + fffd},                        // overlong '/'
        {"\xED\xA0\x80", fffd + fffd + fffd},             // surrogate
        {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // > U+10FFFF
        {"\xEF\xBF\xBE\xEF\xBF\xBF", fffd + fffd},        // U+FFFE, U+FFFF
        {"\x80<", fffd + "&lt;"},                         // stray continuation
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.written);
        Element root = message();
        root.add(Element("Session")).add("T", c.text);
        root.child("Session")->child("T")->set_attribute("v", c.text);
        const std::string xml = encode_xml(root, {.declaration = false});
        EXPECT_NE(xml.find("<T v=\"" + c.written + "\">" + c.written + "</T>"), std::string::npos)
            << xml;
        const auto doc = decode_xml(xml);
        ASSERT_TRUE(doc) << doc.error().describe();
        // The replacement text round-trips from there on.
        EXPECT_EQ(doc->root.child("Session")->child("T")->text,
                  c.written.find("&lt;") == std::string::npos ? c.written : fffd + "<");
    }
}

TEST(XmlWriter, NamesThatXmlCannotCarryAreMadeLegal) {
    Element root = message();
    Element& s = root.add(Element("Session"));
    s.add(Element("a b<c"));
    s.add(Element(""));
    s.add(Element("1st"));
    s.add(Element("-x"));
    s.add(Element("p:q"));
    s.add(Element("\xC3\xA9l\xC3\xA9ment"));  // "élément" is a legal name
    s.add(Element("bad\xFF"));
    Element& attrs = s.add(Element("X"));
    attrs.attributes = {{"a", "1"}, {"a", "2"}, {"b c", "3"}, {"b_c", "4"}};

    const std::string xml = encode_xml(root, {.declaration = false});
    EXPECT_NE(xml.find("<Session><a_b_c/><_/><_1st/><_-x/><p_q/><\xC3\xA9l\xC3\xA9ment/><bad_/>"
                       "<X a=\"1\" b_c=\"3\"/></Session>"),
              std::string::npos)
        << xml;
    const auto doc = decode_xml(xml);
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->root.child("Session")->children.size(), 8u);
}

TEST(XmlWriter, MixedContentWritesTextFirst) {
    Element root = message();
    Element& s = root.add(Element("Session"));
    s.text = "note";
    s.add("Poll", "F");
    EXPECT_NE(encode_xml(root).find("<Session>note<Poll>F</Poll></Session>"), std::string::npos);
    const Element back = reencoded(root);
    EXPECT_TRUE(same_tree(back, root)) << first_difference(back, root);
    const auto indented = decode_xml(encode_xml(root, {.indent = true}));
    ASSERT_TRUE(indented);
    EXPECT_TRUE(same_tree(indented->root, root)) << first_difference(indented->root, root);
}
