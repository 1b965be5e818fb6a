// decode_xml: the CSP 1.1 corpus, namespaces, text handling, limits, entity attacks, malformed
// input and error positions.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "onesoup/imps/codec/codec.hpp"
#include "test_support.hpp"

using namespace onesoup::imps::codec;

namespace {

const std::string csp11 = "http://www.wireless-village.org/CSP1.1";
const std::string trc11 = "http://www.wireless-village.org/TRC1.1";
const std::string pa11 = "http://www.wireless-village.org/PA1.1";

// A minimal CSP 1.1 document around `inner` (placed inside <Session>).
std::string wrap(const std::string& inner, const std::string& ns = csp11) {
    return "<WV-CSP-Message xmlns=\"" + ns + "\"><Session>" + inner + "</Session></WV-CSP-Message>";
}

std::string error_of(const onesoup::Result<Document>& r) {
    return r ? std::string("(decoded fine)") : r.error().message;
}

}  // namespace

TEST(XmlReader, EveryCorpusDocumentDecodesAsCsp11) {
    const auto files = onesoup::test::csp11_corpus();
    ASSERT_EQ(files.size(), 116u);
    for (const auto& path : files) {
        SCOPED_TRACE(path.filename().string());
        const auto doc = decode_xml(onesoup::test::read_file(path));
        ASSERT_TRUE(doc) << doc.error().describe();
        EXPECT_EQ(doc->version, CspVersion::v1_1);
        EXPECT_EQ(doc->encoding, Encoding::xml);
        EXPECT_EQ(doc->root.name, "WV-CSP-Message");
        ASSERT_NE(doc->root.attribute("xmlns"), nullptr);
        EXPECT_EQ(*doc->root.attribute("xmlns"), csp11);
        const Element* session = doc->root.child("Session");
        ASSERT_NE(session, nullptr);
        const Element* content = session->child("Transaction")->child("TransactionContent");
        ASSERT_NE(content, nullptr);
        ASSERT_NE(content->attribute("xmlns"), nullptr);
        EXPECT_EQ(*content->attribute("xmlns"), trc11);
        EXPECT_EQ(content->children.size(), 1u);  // one primitive per transaction
    }
}

TEST(XmlReader, CorpusDocumentContent) {
    const auto doc =
        decode_xml(onesoup::test::read_file(std::string(ONESOUP_CORPUS_DIR) + "/wv-001.xml"));
    ASSERT_TRUE(doc) << doc.error().describe();
    const Element& session = *doc->root.child("Session");
    // Whitespace between children is gone; leaf text is exact.
    EXPECT_EQ(session.text, "");
    EXPECT_EQ(session.child("SessionDescriptor")->child("SessionID")->text,
              "im.user.com#48815@server.com");
    const Element& result = *session.child("Transaction")
                                 ->child("TransactionContent")
                                 ->child("Status")
                                 ->child("Result");
    EXPECT_EQ(result.child("Code")->text, "201");
    ASSERT_EQ(result.children.size(), 4u);
    EXPECT_EQ(result.children[2].name, "DetailedResult");
    EXPECT_EQ(result.children[2].children[3].text, "wv:bad_user2@im.com");
    EXPECT_EQ(result.children[3].child("Code")->text, "532");

    // PresenceSubList keeps its own namespace declaration.
    const auto sub =
        decode_xml(onesoup::test::read_file(std::string(ONESOUP_CORPUS_DIR) + "/wv-038.xml"));
    ASSERT_TRUE(sub);
    const Element* list = sub->root.child("Session")
                              ->child("Transaction")
                              ->child("TransactionContent")
                              ->child("SubscribePresence-Request")
                              ->child("PresenceSubList");
    ASSERT_NE(list, nullptr);
    ASSERT_NE(list->attribute("xmlns"), nullptr);
    EXPECT_EQ(*list->attribute("xmlns"), pa11);
    EXPECT_EQ(list->children.front().name, "OnlineStatus");
    EXPECT_EQ(list->children.front().attribute("xmlns"), nullptr);
}

TEST(XmlReader, CorpusRoundTripsToTheSameTree) {
    for (const auto& path : onesoup::test::csp11_corpus()) {
        SCOPED_TRACE(path.filename().string());
        const auto first = decode_xml(onesoup::test::read_file(path));
        ASSERT_TRUE(first) << first.error().describe();
        for (const bool indent : {false, true}) {
            const std::string xml = encode_xml(first->root, {.indent = indent});
            const auto second = decode_xml(xml);
            ASSERT_TRUE(second) << second.error().describe() << "\n" << xml;
            EXPECT_TRUE(same_tree(first->root, second->root))
                << first_difference(first->root, second->root);
            // Stronger than same_tree: leaf text survives byte for byte.
            EXPECT_EQ(first->root, second->root);
            EXPECT_EQ(second->version, CspVersion::v1_1);
        }
    }
}

TEST(XmlReader, VersionComesFromTheRootNamespaceNotTheDoctype) {
    // COMPAT: S60 sends a CSP 1.2 DOCTYPE on a CSP 1.1 document.
    const std::string s60 =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE WV-CSP-Message PUBLIC \"-//OMA//DTD WV-CSP 1.2//EN\" "
        "\"http://www.openmobilealliance.org/DTD/WV-CSP.DTD\">\n" +
        wrap("<Poll>F</Poll>");
    const auto doc = decode_xml(s60);
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->version, CspVersion::v1_1);

    const auto v12 = decode_xml(wrap("", "http://www.openmobilealliance.org/DTD/WV-CSP1.2"));
    ASSERT_TRUE(v12);
    EXPECT_EQ(v12->version, CspVersion::v1_2);
    const auto v13 = decode_xml(wrap("", "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"));
    ASSERT_TRUE(v13);
    EXPECT_EQ(v13->version, CspVersion::v1_3);
}

TEST(XmlReader, TextIsKeptExactly) {
    const auto doc = decode_xml(wrap(
        "<A>  two  spaces  </A><B><![CDATA[x < y && ]] z]]></B><C>&amp;&lt;&gt;&quot;&apos;&#x41;"
        "&#233;</C><D>   </D><E/><F>line1\r\nline2&#13;</F><G>caf\xC3\xA9 \xE2\x82\xAC</G>"));
    ASSERT_TRUE(doc) << doc.error().describe();
    const Element& s = *doc->root.child("Session");
    EXPECT_EQ(s.child("A")->text, "  two  spaces  ");
    EXPECT_EQ(s.child("B")->text, "x < y && ]] z");
    EXPECT_EQ(s.child("C")->text, "&<>\"'A\xC3\xA9");
    EXPECT_EQ(s.child("D")->text, "   ");  // a leaf's whitespace is its content
    EXPECT_EQ(s.child("E")->text, "");
    EXPECT_EQ(s.child("F")->text, "line1\nline2\r");  // XML end-of-line handling, then &#13;
    EXPECT_EQ(s.child("G")->text, "caf\xC3\xA9 \xE2\x82\xAC");
}

TEST(XmlReader, StrayTextBesideChildrenIsTrimmed) {
    // As in the spec example wv-002: text after the children of TransactionDescriptor.
    const auto doc = decode_xml(wrap("<D>\n  <A>1</A>\n  <B/>\n  stray  text \n</D>"));
    ASSERT_TRUE(doc) << doc.error().describe();
    const Element& d = *doc->root.child("Session")->child("D");
    EXPECT_EQ(d.text, "stray  text");
    EXPECT_EQ(d.children.size(), 2u);
    EXPECT_EQ(doc->root.child("Session")->text, "");
}

TEST(XmlReader, OtherEncodingsComeOutAsUtf8) {
    const std::string latin1 =
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + wrap("<Text>caf\xE9</Text>");
    const auto doc = decode_xml(latin1);
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->root.child("Session")->child("Text")->text, "caf\xC3\xA9");

    const auto bom = decode_xml("\xEF\xBB\xBF" + wrap("<Poll>T</Poll>"));
    ASSERT_TRUE(bom) << bom.error().describe();
    EXPECT_EQ(bom->root.child("Session")->child("Poll")->text, "T");
}

TEST(XmlReader, PrefixedDocumentDecodesWithLocalNamesAndPlainXmlns) {
    const std::string prefixed =
        "<c:WV-CSP-Message xmlns:c=\"" + csp11 + "\" xmlns:t=\"" + trc11 +
        "\"><c:Session><c:Transaction><t:TransactionContent><t:Polling-Request/>"
        "</t:TransactionContent></c:Transaction></c:Session></c:WV-CSP-Message>";
    const auto doc = decode_xml(prefixed);
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->version, CspVersion::v1_1);
    EXPECT_EQ(doc->root.name, "WV-CSP-Message");
    ASSERT_EQ(doc->root.attributes.size(), 1u);
    EXPECT_EQ(doc->root.attributes[0], (Attribute{"xmlns", csp11}));
    const Element& tc =
        *doc->root.child("Session")->child("Transaction")->child("TransactionContent");
    ASSERT_NE(tc.attribute("xmlns"), nullptr);
    EXPECT_EQ(*tc.attribute("xmlns"), trc11);
    EXPECT_EQ(tc.children.at(0).name, "Polling-Request");
    EXPECT_TRUE(tc.children.at(0).attributes.empty());
    EXPECT_TRUE(doc->root.child("Session")->attributes.empty());

    // The same document without prefixes gives the same tree.
    const auto plain =
        decode_xml("<WV-CSP-Message xmlns=\"" + csp11 +
                   "\"><Session><Transaction><TransactionContent "
                   "xmlns=\"" +
                   trc11 +
                   "\"><Polling-Request/></TransactionContent></Transaction></Session>"
                   "</WV-CSP-Message>");
    ASSERT_TRUE(plain);
    EXPECT_EQ(doc->root, plain->root) << first_difference(doc->root, plain->root);

    // Its re-encoding (without prefixes) decodes to the same tree again.
    const auto again = decode_xml(encode_xml(doc->root));
    ASSERT_TRUE(again);
    EXPECT_EQ(doc->root, again->root);
}

TEST(XmlReader, OtherAttributesKeepTheirLocalNames) {
    const auto doc = decode_xml(
        wrap("<X a=\"1\" p:b=\"2\" q:b=\"3\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" p:xmlns=\"4\"/>"));
    ASSERT_TRUE(doc) << doc.error().describe();
    const Element& x = *doc->root.child("Session")->child("X");
    ASSERT_EQ(x.attributes.size(), 2u);
    EXPECT_EQ(x.attributes[0], (Attribute{"a", "1"}));
    EXPECT_EQ(x.attributes[1], (Attribute{"b", "2"}));  // the repeated local name is dropped
}

TEST(XmlReader, RootMustBeACspMessageWithAKnownNamespace) {
    auto wrong_root = decode_xml("<Foo xmlns=\"" + csp11 + "\"/>");
    ASSERT_FALSE(wrong_root);
    EXPECT_NE(error_of(wrong_root).find("root element is <Foo>"), std::string::npos);
    EXPECT_EQ(wrong_root.error().offset, 0u);

    auto no_ns = decode_xml("<?xml version=\"1.0\"?>\n<WV-CSP-Message><Session/></WV-CSP-Message>");
    ASSERT_FALSE(no_ns);
    EXPECT_NE(error_of(no_ns).find("no xmlns"), std::string::npos);
    EXPECT_EQ(no_ns.error().offset, 22u);
    EXPECT_EQ(error_of(no_ns).rfind("line 2, column 1 (byte 22): ", 0), 0u) << error_of(no_ns);

    auto unknown = decode_xml(wrap("", "http://www.wireless-village.org/CSP1.0"));
    ASSERT_FALSE(unknown);
    EXPECT_NE(
        error_of(unknown).find("unknown namespace \"http://www.wireless-village.org/CSP1.0\""),
        std::string::npos)
        << error_of(unknown);

    auto trc_root = decode_xml(wrap("", trc11));
    ASSERT_FALSE(trc_root);
    EXPECT_NE(error_of(trc_root).find("not a CSP message namespace"), std::string::npos)
        << error_of(trc_root);
}

TEST(XmlReader, MalformedDocumentsAreErrorsWithPositions) {
    const std::string mismatched =
        "<WV-CSP-Message xmlns=\"http://www.wireless-village.org/CSP1.1\">\n<a>\n<b></a>";
    const auto r = decode_xml(mismatched);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "line 3, column 6 (byte 73): mismatched tag");
    EXPECT_EQ(r.error().offset, 73u);
    EXPECT_EQ(mismatched.substr(73 - 2, 4), "</a>");  // expat points at the name in the tag

    for (const std::string& bad :
         {std::string(), std::string("   "), std::string("hello"), wrap("<a>"),
          wrap("") + "<WV-CSP-Message/>", wrap("<a b='1' b='2'/>"), wrap("<a>&undefined;</a>"),
          wrap("<a>\x01</a>"), wrap("<a>\xFF\xFE</a>"), wrap("<p:a/>"),
          std::string("<?xml version=\"1.0\" encoding=\"x-unknown\"?>") + wrap("")}) {
        const auto result = decode_xml(bad);
        EXPECT_FALSE(result) << bad;
        if (!result) {
            EXPECT_EQ(result.error().message.rfind("line ", 0), 0u) << bad;
        }
    }
}

TEST(XmlReader, EveryTruncationOfACorpusDocumentIsAnError) {
    const std::string doc =
        onesoup::test::read_file(std::string(ONESOUP_CORPUS_DIR) + "/wv-038.xml");
    const auto end = doc.rfind('>');
    for (std::size_t n = 0; n < end; ++n) {
        const auto r = decode_xml(std::string_view(doc).substr(0, n));
        ASSERT_FALSE(r) << "prefix of " << n << " bytes decoded";
        EXPECT_LE(r.error().offset == onesoup::Error::npos ? 0 : r.error().offset, n);
    }
    EXPECT_TRUE(decode_xml(std::string_view(doc).substr(0, end + 1)));
}

TEST(XmlReader, BillionLaughsIsRefusedQuickly) {
    std::string doc =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE WV-CSP-Message [\n"
        "<!ENTITY lol \"lol\">\n";
    for (int i = 1; i <= 9; ++i)
        doc += "<!ENTITY lol" + std::to_string(i) + " \"" + [&] {
            std::string s;
            const std::string prev = i == 1 ? "lol" : "lol" + std::to_string(i - 1);
            for (int k = 0; k < 10; ++k) s += "&" + prev + ";";
            return s;
        }() + "\">\n";
    doc += "]>\n" + wrap("<Text>&lol9;</Text>");
    const auto start = std::chrono::steady_clock::now();
    const auto r = decode_xml(doc);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("entity declaration <!ENTITY lol> refused"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(r.error().message.rfind("line 3, column 14 (byte 62): ", 0), 0u) << r.error().message;
    EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(XmlReader, ExternalEntitiesAndDtdsAreNeverLoaded) {
    const std::string xxe =
        "<!DOCTYPE WV-CSP-Message [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" +
        wrap("<Text>&xxe;</Text>");
    const auto r = decode_xml(xxe);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("<!ENTITY xxe> refused"), std::string::npos)
        << r.error().message;

    const std::string parameter =
        "<!DOCTYPE WV-CSP-Message [<!ENTITY % pe SYSTEM \"file:///etc/passwd\"> %pe;]>" + wrap("");
    const auto p = decode_xml(parameter);
    ASSERT_FALSE(p);
    EXPECT_NE(p.error().message.find("<!ENTITY % pe> refused"), std::string::npos)
        << p.error().message;

    // An external DTD might declare the entity; it is not fetched, and the reference is refused
    // instead of being silently dropped.
    const std::string external = "<!DOCTYPE WV-CSP-Message SYSTEM \"http://127.0.0.1:9/x.dtd\">" +
                                 wrap("<Text>a&ext;b</Text>");
    const auto e = decode_xml(external);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("undeclared entity &ext;"), std::string::npos)
        << e.error().message;

    // A DTD default attribute would change the tree: refused.
    const std::string attlist =
        "<!DOCTYPE WV-CSP-Message [<!ATTLIST Session x CDATA \"injected\">]>" + wrap("");
    const auto a = decode_xml(attlist);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("<!ATTLIST Session x> refused"), std::string::npos)
        << a.error().message;

    // An internal subset with nothing dangerous in it is fine.
    const auto harmless = decode_xml(
        "<!DOCTYPE WV-CSP-Message [<!-- note --><!ELEMENT Session "
        "ANY>]>" +
        wrap("<Poll>F</Poll>"));
    EXPECT_TRUE(harmless) << error_of(harmless);
}

TEST(XmlReader, BodyLimit) {
    const std::string doc = wrap("<Poll>F</Poll>");
    Limits limits;
    limits.max_body_bytes = doc.size();
    EXPECT_TRUE(decode_xml(doc, limits));
    limits.max_body_bytes = doc.size() - 1;
    const auto r = decode_xml(doc, limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("max_body_bytes"), std::string::npos);
    EXPECT_EQ(r.error().offset, doc.size() - 1);
}

TEST(XmlReader, DepthLimit) {
    // Root, Session, then n nested <a>.
    auto nested = [](std::size_t n) {
        std::string open, close;
        for (std::size_t i = 0; i < n; ++i) open += "<a>", close += "</a>";
        return wrap(open + "x" + close);
    };
    Limits limits;
    limits.max_depth = 10;
    EXPECT_TRUE(decode_xml(nested(8), limits));
    const std::string deep = nested(9);
    const auto r = decode_xml(deep, limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("max_depth"), std::string::npos) << r.error().message;
    // The 11th element starts after the root start tag, <Session> and 8 <a>.
    EXPECT_EQ(r.error().offset, deep.find("<Session>") + 9 + 8 * 3);

    // The default limit stops a deep document long before the stack is at risk.
    const auto very_deep = decode_xml(nested(100000));
    ASSERT_FALSE(very_deep);
    EXPECT_NE(very_deep.error().message.find("max_depth"), std::string::npos);
}

TEST(XmlReader, ElementLimit) {
    auto many = [](std::size_t n) {
        std::string inner;
        for (std::size_t i = 0; i < n; ++i) inner += "<a/>";
        return wrap(inner);
    };
    Limits limits;
    limits.max_elements = 12;
    EXPECT_TRUE(decode_xml(many(10), limits));  // root + Session + 10
    const std::string doc = many(11);
    const auto r = decode_xml(doc, limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("max_elements"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().offset, doc.rfind("<a/>"));
}

TEST(XmlReader, TextLimit) {
    Limits limits;
    limits.max_text_bytes = 100;
    EXPECT_TRUE(decode_xml(wrap("<T>" + std::string(100, 'x') + "</T>"), limits));
    // Text delivered in several pieces (entities, CDATA, line ends) still counts as a whole.
    EXPECT_TRUE(decode_xml(wrap("<T>" + std::string(98, 'x') + "&amp;\n</T>"), limits));
    const std::string doc =
        wrap("<T>" + std::string(60, 'x') + "<![CDATA[" + std::string(41, 'y') + "]]></T>");
    const auto r = decode_xml(doc, limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("text of <T>"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("max_text_bytes"), std::string::npos);
    EXPECT_EQ(r.error().offset, doc.find("<![CDATA[") + 9);  // where the CDATA text starts

    // Indentation between many children is not text, whatever it adds up to.
    std::string list;
    for (int i = 0; i < 50; ++i) list += "\n      <C>" + std::to_string(i) + "</C>";
    const auto indented = decode_xml(wrap("<L>" + list + "\n    </L>"), limits);
    ASSERT_TRUE(indented) << indented.error().describe();
    EXPECT_EQ(indented->root.child("Session")->child("L")->children.size(), 50u);

    const auto attr = decode_xml(wrap("<T v=\"" + std::string(101, 'v') + "\"/>"), limits);
    ASSERT_FALSE(attr);
    EXPECT_NE(attr.error().message.find("max_text_bytes"), std::string::npos);
}

TEST(XmlReader, AttributeLimit) {
    auto with_attributes = [](std::size_t n) {
        std::string attrs;
        for (std::size_t i = 0; i < n; ++i) attrs += " a" + std::to_string(i) + "=\"v\"";
        return wrap("<X" + attrs + "/>");
    };
    Limits limits;
    limits.max_attributes = 4;
    EXPECT_TRUE(decode_xml(with_attributes(4), limits));
    const std::string doc = with_attributes(5);
    const auto r = decode_xml(doc, limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("max_attributes"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().offset, doc.find("<X"));

    // Namespace declarations count too.
    const auto ns = decode_xml(wrap("<X xmlns=\"urn:a\" xmlns:b=\"urn:b\" xmlns:c=\"urn:c\" "
                                    "xmlns:d=\"urn:d\" e=\"1\"/>"),
                               limits);
    ASSERT_FALSE(ns);
    EXPECT_NE(ns.error().message.find("max_attributes"), std::string::npos);
}
