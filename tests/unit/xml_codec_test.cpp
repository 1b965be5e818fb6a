// decode (encoding detection) and set_namespaces, and the XML <-> WBXML paths through them.
#include <gtest/gtest.h>

#include <string>

#include "onesoup/imps/codec/codec.hpp"
#include "test_support.hpp"

using namespace onesoup::imps::codec;

namespace {

const std::string doc11 =
    "<WV-CSP-Message xmlns=\"http://www.wireless-village.org/CSP1.1\"><Session><Poll>T</Poll>"
    "</Session></WV-CSP-Message>";

std::string corpus(const char* name) {
    return onesoup::test::read_file(std::string(ONESOUP_CORPUS_DIR) + "/" + name);
}

}  // namespace

TEST(XmlCodecDecode, DetectsXml) {
    for (const std::string& body :
         {doc11, "\xEF\xBB\xBF" + doc11, "\r\n \t" + doc11, "<?xml version=\"1.0\"?>" + doc11}) {
        const auto doc = decode(body);
        ASSERT_TRUE(doc) << doc.error().describe();
        EXPECT_EQ(doc->encoding, Encoding::xml);
        EXPECT_EQ(doc->version, CspVersion::v1_1);
        EXPECT_EQ(doc->root.child("Session")->child("Poll")->text, "T");
    }
}

TEST(XmlCodecDecode, DetectsUtf16XmlByItsByteOrderMark) {
    std::string utf16 = "\xFF\xFE";
    for (char c : doc11) utf16 += c, utf16 += '\0';
    const auto doc = decode(utf16);
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->version, CspVersion::v1_1);
}

TEST(XmlCodecDecode, RefusesWhatIsNeitherXmlNorWbxml) {
    const auto empty = decode("");
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("empty"), std::string::npos);

    const auto blank = decode(" \n ");
    ASSERT_FALSE(blank);
    EXPECT_NE(blank.error().message.find("whitespace"), std::string::npos);

    const auto text = decode("  hello");
    ASSERT_FALSE(text);
    EXPECT_NE(text.error().message.find("0x68"), std::string::npos) << text.error().message;
    EXPECT_EQ(text.error().offset, 2u);

    // XML errors come through with their position.
    const auto bad = decode("<WV-CSP-Message");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("line 1, column ", 0), 0u) << bad.error().message;
}

TEST(XmlCodecDecode, FirstByteBelow0x10IsWbxml) {
    // A WBXML 1.3 header (version 0x03, public id 0x10, UTF-8) and nothing else: whatever the
    // WBXML decoder makes of it, it must not be taken for XML.
    const std::string truncated_wbxml("\x03\x10\x6A\x00", 4);
    const auto doc = decode(truncated_wbxml);
    ASSERT_FALSE(doc);
    EXPECT_EQ(doc.error().message.find("line "), std::string::npos) << doc.error().message;
}

TEST(XmlCodecSetNamespaces, MovesEveryCspNamespaceToTheVersion) {
    const auto doc = decode(corpus("wv-038.xml"));  // has a PresenceSubList
    ASSERT_TRUE(doc) << doc.error().describe();
    for (const auto v : {CspVersion::v1_3, CspVersion::v1_2, CspVersion::v1_1}) {
        Element root = doc->root;
        set_namespaces(root, v);
        EXPECT_EQ(*root.attribute("xmlns"), namespace_uri(v, NamespaceKind::csp));
        const Element& tc =
            *root.child("Session")->child("Transaction")->child("TransactionContent");
        EXPECT_EQ(*tc.attribute("xmlns"), namespace_uri(v, NamespaceKind::trc));
        const Element& pa = *tc.child("SubscribePresence-Request")->child("PresenceSubList");
        EXPECT_EQ(*pa.attribute("xmlns"), namespace_uri(v, NamespaceKind::pa));
        EXPECT_EQ(pa.attributes.size(), 1u);

        const auto again = decode(encode_xml(root));
        ASSERT_TRUE(again) << again.error().describe();
        EXPECT_EQ(again->version, v);
        EXPECT_EQ(again->root, root);
    }
}

TEST(XmlCodecSetNamespaces, AddsMissingDeclarationsFirst) {
    Element root("WV-CSP-Message");
    root.set_attribute("id", "1");
    Element& tc =
        root.add(Element("Session")).add(Element("Transaction")).add(Element("TransactionContent"));
    tc.add(Element("Other"));
    set_namespaces(root, CspVersion::v1_2);
    ASSERT_EQ(root.attributes.size(), 2u);
    EXPECT_EQ(root.attributes[0].name, "xmlns");
    EXPECT_EQ(root.attributes[0].value, "http://www.openmobilealliance.org/DTD/WV-CSP1.2");
    EXPECT_EQ(*tc.attribute("xmlns"), "http://www.openmobilealliance.org/DTD/WV-TRC1.2");
    EXPECT_TRUE(tc.children[0].attributes.empty());
}

TEST(XmlCodecWbxml, CorpusSurvivesXmlToWbxmlToXml) {
    for (const auto& path : onesoup::test::csp11_corpus()) {
        SCOPED_TRACE(path.filename().string());
        const auto xml = decode(onesoup::test::read_file(path));
        ASSERT_TRUE(xml) << xml.error().describe();
        const auto wbxml = encode_wbxml(xml->root, xml->version);
        ASSERT_TRUE(wbxml) << wbxml.error().describe();
        const auto back = decode(*wbxml);  // detected as WBXML by its first byte
        ASSERT_TRUE(back) << back.error().describe();
        EXPECT_EQ(back->encoding, Encoding::wbxml);
        EXPECT_EQ(back->version, CspVersion::v1_1);
        EXPECT_TRUE(same_tree(xml->root, back->root)) << first_difference(xml->root, back->root);
        const auto xml_again = decode(encode_xml(back->root));
        ASSERT_TRUE(xml_again) << xml_again.error().describe();
        EXPECT_TRUE(same_tree(xml->root, xml_again->root));
    }
}
