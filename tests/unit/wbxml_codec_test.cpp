// decode_wbxml / encode_wbxml: CSP specifics (xmlns attribute tokens, integers, DateTime,
// EXT_T_0 values, LITERALs, versions, limits) and the CSP 1.1 corpus through XML -> WBXML -> XML
// in CSP 1.1, 1.2 and 1.3.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "test_support.hpp"

using namespace onesoup;
using namespace onesoup::imps::codec;

namespace {

std::string wb_bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

// <WV-CSP-Message xmlns=ns><Session>children...</Session></WV-CSP-Message>
Element message(CspVersion v, std::vector<Element> session_children) {
    Element root("WV-CSP-Message");
    root.set_attribute("xmlns", std::string(namespace_uri(v, NamespaceKind::csp)));
    Element session("Session");
    session.children = std::move(session_children);
    root.add(std::move(session));
    return root;
}

Element leaf(std::string name, std::string text) {
    return Element(std::move(name), std::move(text));
}

Element with(std::string name, std::vector<Element> children) {
    Element e(std::move(name));
    e.children = std::move(children);
    return e;
}

std::string encode(const Element& root, CspVersion v) {
    auto r = encode_wbxml(root, v);
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : std::string();
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

// Header with public id 0x11 and no string table, then `body`.
std::string doc12(const std::string& body) {
    return wb_bytes({0x03, 0x11, 0x6A, 0x00}) + body;
}

// A 1.2 root around `inner`: <WV-CSP-Message xmlns=...WV-CSP1.2> inner </...>
std::string root12(const std::string& inner) {
    return doc12(wb_bytes({0xC9, 0x08, 0x03, '1', '.', '2', 0x00, 0x01}) + inner +
                 wb_bytes({0x01}));
}

// The text of the first element called `name` (depth first), or "(missing)".
std::string text_of(const Element& e, const std::string& name) {
    if (e.name == name) return e.text;
    for (const auto& c : e.children) {
        auto t = text_of(c, name);
        if (t != "(missing)") return t;
    }
    return "(missing)";
}

Element round_trip(const Element& root, CspVersion v) {
    const auto bytes = encode(root, v);
    auto doc = decode_wbxml(bytes);
    EXPECT_TRUE(doc) << doc.error().describe();
    return doc ? doc->root : Element();
}

}  // namespace

TEST(WbxmlCodec, CodeIsOpaqueInteger) {
    const auto root = message(CspVersion::v1_2, {with("Result", {leaf("Code", "200")})});
    const auto out = encode(root, CspVersion::v1_2);
    EXPECT_TRUE(contains(out, wb_bytes({0x4B, 0xC3, 0x01, 0xC8, 0x01})))
        << testing::PrintToString(out);
    EXPECT_EQ(text_of(round_trip(root, CspVersion::v1_2), "Code"), "200");
}

TEST(WbxmlCodec, RootNamespaceIsAnAttributeToken) {
    const auto m12 = encode(message(CspVersion::v1_2, {}), CspVersion::v1_2);
    EXPECT_EQ(m12.substr(0, 4), wb_bytes({0x03, 0x11, 0x6A, 0x00}));
    EXPECT_EQ(m12.substr(4, 8), wb_bytes({0xC9, 0x08, 0x03, '1', '.', '2', 0x00, 0x01}));
    const auto m11 = encode(message(CspVersion::v1_1, {}), CspVersion::v1_1);
    EXPECT_EQ(m11.substr(0, 12),
              wb_bytes({0x03, 0x10, 0x6A, 0x00, 0xC9, 0x05, 0x03, '1', '.', '1', 0x00, 0x01}));
    const auto m13 = encode(message(CspVersion::v1_3, {}), CspVersion::v1_3);
    EXPECT_EQ(m13.substr(0, 12),
              wb_bytes({0x03, 0x12, 0x6A, 0x00, 0xC9, 0x0B, 0x03, '1', '.', '3', 0x00, 0x01}));
    for (auto v : {CspVersion::v1_1, CspVersion::v1_2, CspVersion::v1_3}) {
        auto doc = decode_wbxml(encode(message(v, {}), v));
        ASSERT_TRUE(doc) << doc.error().describe();
        EXPECT_EQ(*doc->root.attribute("xmlns"), namespace_uri(v, NamespaceKind::csp));
        EXPECT_EQ(doc->version, v);
        EXPECT_EQ(doc->encoding, Encoding::wbxml);
    }
}

TEST(WbxmlCodec, TransactionContentAndPresenceSubListNamespaces) {
    Element tc("TransactionContent");
    tc.set_attribute("xmlns", std::string(namespace_uri(CspVersion::v1_2, NamespaceKind::trc)));
    Element psl("PresenceSubList");
    psl.set_attribute("xmlns", std::string(namespace_uri(CspVersion::v1_2, NamespaceKind::pa)));
    psl.add(with("OnlineStatus", {leaf("Qualifier", "T")}));
    Element upd("UpdatePresence-Request");
    upd.add(std::move(psl));
    tc.add(std::move(upd));
    const auto root = message(CspVersion::v1_2, {with("Transaction", {tc})});
    const auto out = encode(root, CspVersion::v1_2);
    EXPECT_TRUE(contains(out, wb_bytes({0xF3, 0x0A, 0x03, '1', '.', '2', 0x00, 0x01})));
    EXPECT_TRUE(contains(out, wb_bytes({0xE3, 0x09, 0x03, '1', '.', '2', 0x00, 0x01})));
    EXPECT_TRUE(same_tree(round_trip(root, CspVersion::v1_2), root));
}

TEST(WbxmlCodec, IntegersAsInlineStringsAreAccepted) {
    // <Session><Result><Code>"200"</Code></Result></Session>
    auto doc = decode_wbxml(
        root12(wb_bytes({0x6D, 0x6A, 0x4B, 0x03, '2', '0', '0', 0x00, 0x01, 0x01, 0x01})));
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(text_of(doc->root, "Code"), "200");
}

TEST(WbxmlCodec, IntegerOpaqueLengths) {
    struct Case {
        std::string opaque;
        std::string text;
    };
    for (const auto& c : std::vector<Case>{
             {wb_bytes({0x00}), "0"},
             {wb_bytes({0x00, 0xC8}), "200"},
             {wb_bytes({0x01, 0x51, 0x80}), "86400"},
             {wb_bytes({0xFF, 0xFF, 0xFF, 0xFF}), "4294967295"},
             {wb_bytes({0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}), "72057594037927936"}}) {
        std::string body = wb_bytes({0x6D, 0x6A, 0x4B, 0xC3});
        body += static_cast<char>(c.opaque.size());
        body += c.opaque + wb_bytes({0x01, 0x01, 0x01});
        auto doc = decode_wbxml(root12(body));
        ASSERT_TRUE(doc) << doc.error().describe();
        EXPECT_EQ(text_of(doc->root, "Code"), c.text);
    }
    for (int len : {0, 9}) {
        std::string body = wb_bytes({0x6D, 0x6A, 0x4B, 0xC3});
        body += static_cast<char>(len);
        body += std::string(static_cast<std::size_t>(len), '\x01') + wb_bytes({0x01, 0x01, 0x01});
        auto doc = decode_wbxml(root12(body));
        ASSERT_FALSE(doc);
        EXPECT_TRUE(contains(doc.error().message, "integer OPAQUE of " + std::to_string(len)))
            << doc.error().message;
        EXPECT_EQ(doc.error().offset, 15u);
    }
}

TEST(WbxmlCodec, NonCanonicalIntegersStayStrings) {
    for (const std::string text : {"0200", "-1", "4294967296", " 200", "2e3", ""}) {
        const auto root = message(CspVersion::v1_2, {with("Result", {leaf("Code", text)})});
        const auto out = encode(root, CspVersion::v1_2);
        if (!text.empty()) {
            EXPECT_TRUE(contains(out, wb_bytes({0x4B, 0x03}) + text + wb_bytes({0x00})))
                << testing::PrintToString(out);
        }
        EXPECT_TRUE(same_tree(round_trip(root, CspVersion::v1_2), root)) << text;
    }
    // 4294967295 is the largest that goes as OPAQUE.
    const auto max =
        encode(message(CspVersion::v1_2, {leaf("Code", "4294967295")}), CspVersion::v1_2);
    EXPECT_TRUE(contains(max, wb_bytes({0x4B, 0xC3, 0x04, 0xFF, 0xFF, 0xFF, 0xFF})));
}

TEST(WbxmlCodec, SearchIntegersOnlyIn13) {
    const auto root = [](CspVersion v) {
        return message(v, {with("Search-Request", {leaf("SearchLimit", "10")})});
    };
    EXPECT_TRUE(contains(encode(root(CspVersion::v1_3), CspVersion::v1_3),
                         wb_bytes({0x68, 0xC3, 0x01, 0x0A})));
    EXPECT_TRUE(contains(encode(root(CspVersion::v1_2), CspVersion::v1_2),
                         wb_bytes({0x68, 0x03, '1', '0', 0x00})));
    // Read as integers in any version.
    auto doc = decode_wbxml(root12(wb_bytes({0x00, 0x01, 0x68, 0xC3, 0x01, 0x0A, 0x01})));
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(text_of(doc->root, "SearchLimit"), "10");
}

TEST(WbxmlCodec, DateTimeOpaqueBothWays) {
    const auto root =
        message(CspVersion::v1_2, {with("MessageInfo", {leaf("DateTime", "20010925T134013Z")})});
    const auto out = encode(root, CspVersion::v1_2);
    const auto expected = wb_bytes({0x51, 0xC3, 0x06, 0x1F, 0x46, 0x72, 0xDA, 0x0D, 'Z', 0x01});
    EXPECT_TRUE(contains(out, expected)) << testing::PrintToString(out);
    EXPECT_EQ(text_of(round_trip(root, CspVersion::v1_2), "DateTime"), "20010925T134013Z");
    // Every field at its largest bits (the minute straddles two bytes; Android's encoder masked
    // it with 0x2 instead of 0x3).
    const auto late = message(CspVersion::v1_2, {leaf("DateTime", "20261126T235958Z")});
    EXPECT_TRUE(contains(encode(late, CspVersion::v1_2),
                         wb_bytes({0x51, 0xC3, 0x06, 0x1F, 0xAA, 0xF5, 0x7E, 0xFA, 'Z', 0x01})));
    EXPECT_TRUE(same_tree(round_trip(late, CspVersion::v1_2), late));
    // DeliveryTime (messaging page) too.
    const auto dt = message(CspVersion::v1_2, {leaf("DeliveryTime", "19991231T235959A")});
    EXPECT_TRUE(contains(encode(dt, CspVersion::v1_2), wb_bytes({0x00, 0x06, 0x5A, 0xC3, 0x06})));
    EXPECT_TRUE(same_tree(round_trip(dt, CspVersion::v1_2), dt));
    // A zone byte of 0 reads as no zone letter.
    auto doc = decode_wbxml(
        root12(wb_bytes({0x51, 0xC3, 0x06, 0x1F, 0x46, 0x72, 0xDA, 0x0D, 0x00, 0x01})));
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(text_of(doc->root, "DateTime"), "20010925T134013");
}

TEST(WbxmlCodec, TextualDateTimeVariantsStayStrings) {
    for (const std::string text : {"20010925T1340", "20010925T134013", "2001-09-25T13:40:13Z",
                                   "20010925T1340Z", "20011325T134013Z", "20010925T246013Z",
                                   "20010925T134013J", "20010925 134013Z", "50010925T134013Z"}) {
        const auto root = message(CspVersion::v1_1, {leaf("DateTime", text)});
        const auto out = encode(root, CspVersion::v1_1);
        EXPECT_TRUE(contains(out, wb_bytes({0x51, 0x03}) + text + wb_bytes({0x00}))) << text;
        EXPECT_EQ(text_of(round_trip(root, CspVersion::v1_1), "DateTime"), text);
    }
}

TEST(WbxmlCodec, BadDateTimeOpaqueIsAnError) {
    for (const auto& opaque : {wb_bytes({0x1F, 0x46, 0x72, 0xDA, 0x0D}),          // 5 bytes
                               wb_bytes({0x1F, 0x47, 0xF2, 0xDA, 0x0D, 'Z'}),     // month 15
                               wb_bytes({0x5F, 0x46, 0x72, 0xDA, 0x0D, 'Z'}),     // reserved bits
                               wb_bytes({0x1F, 0x46, 0x72, 0xDA, 0x0D, '!'})}) {  // zone byte
        std::string body = wb_bytes({0x51, 0xC3});
        body += static_cast<char>(opaque.size());
        body += opaque + wb_bytes({0x01});
        auto doc = decode_wbxml(root12(body));
        ASSERT_FALSE(doc);
        EXPECT_TRUE(contains(doc.error().message, "DateTime")) << doc.error().message;
        EXPECT_EQ(doc.error().offset, 13u);
    }
}

TEST(WbxmlCodec, EnumeratedValuesAsExtT0) {
    const auto root = message(
        CspVersion::v1_2,
        {with("SessionDescriptor", {leaf("SessionType", "Inband")}),
         with("Transaction", {with("TransactionDescriptor",
                                   {leaf("TransactionMode", "Request"), leaf("Poll", "F")})}),
         leaf("UserID", "T"), leaf("DigestSchema", "MD5"), leaf("SupportedCIRMethod", "SHTTP")});
    const auto out = encode(root, CspVersion::v1_2);
    EXPECT_TRUE(contains(out, wb_bytes({0x70, 0x80, 0x11, 0x01})));       // Inband
    EXPECT_TRUE(contains(out, wb_bytes({0x76, 0x80, 0x20, 0x01})));       // Request
    EXPECT_TRUE(contains(out, wb_bytes({0x61, 0x80, 0x0B, 0x01})));       // F
    EXPECT_TRUE(contains(out, wb_bytes({0x7A, 0x03, 'T', 0x00, 0x01})));  // UserID is free text
    EXPECT_TRUE(contains(out, wb_bytes({0x4F, 0x03, 'M', 'D', '5', 0x00, 0x01})));
    // SHTTP is EXT_T_0 0xA5 in 1.3; 1.2 writes it as a string (libwbxml's 1.2 table lacks it)
    // but reads the token.
    EXPECT_TRUE(contains(out, wb_bytes({0x50, 0x03, 'S', 'H', 'T', 'T', 'P', 0x00, 0x01})));
    Element tree13 = root;
    set_namespaces(tree13, CspVersion::v1_3);
    EXPECT_TRUE(
        contains(encode(tree13, CspVersion::v1_3), wb_bytes({0x50, 0x80, 0x81, 0x25, 0x01})));
    auto shttp = decode_wbxml(root12(wb_bytes({0x00, 0x03, 0x50, 0x80, 0x81, 0x25, 0x01})));
    ASSERT_TRUE(shttp) << shttp.error().describe();
    EXPECT_EQ(text_of(shttp->root, "SupportedCIRMethod"), "SHTTP");
    EXPECT_TRUE(same_tree(round_trip(root, CspVersion::v1_2), root));
}

TEST(WbxmlCodec, UnknownNamesAreLiterals) {
    Element odd("X-Vendor");
    odd.set_attribute("lang", "en");
    odd.add(leaf("InUse", "T"));  // removed in 1.3: a LITERAL there
    const auto root = message(CspVersion::v1_3, {odd});
    const auto out = encode(root, CspVersion::v1_3);
    EXPECT_TRUE(contains(out, std::string("X-Vendor\0", 9)));
    EXPECT_TRUE(contains(out, std::string("InUse\0", 6)));
    EXPECT_TRUE(contains(out, std::string("lang\0", 5)));
    EXPECT_TRUE(same_tree(round_trip(root, CspVersion::v1_3), root));
    // InUse is still read from its 1.2 token in a 1.3 document.
    auto doc = decode_wbxml(wb_bytes({0x03, 0x12, 0x6A, 0x00, 0x49, 0x58, 0x01, 0x01}));
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(text_of(doc->root, "InUse"), "");
    ASSERT_EQ(doc->root.children.size(), 1u);
    EXPECT_EQ(doc->root.children[0].name, "InUse");
}

TEST(WbxmlCodec, BinaryContentDataIsOpaque) {
    const std::string binary("\x00\x01\xFFGIF\x00", 7);
    const auto root = message(CspVersion::v1_2, {leaf("ContentData", binary)});
    const auto out = encode(root, CspVersion::v1_2);
    EXPECT_TRUE(contains(out, wb_bytes({0x4D, 0xC3, 0x07}) + binary));
    EXPECT_EQ(text_of(round_trip(root, CspVersion::v1_2), "ContentData"), binary);
}

TEST(WbxmlCodec, VersionFromXmlnsWinsOverPublicId) {
    auto doc = decode_wbxml(
        wb_bytes({0x03, 0x11, 0x6A, 0x00, 0xC9, 0x05, 0x03, '1', '.', '1', 0x00, 0x01, 0x01}));
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->version, CspVersion::v1_1);
    auto no_ns = decode_wbxml(wb_bytes({0x03, 0x12, 0x6A, 0x00, 0x09}));
    ASSERT_TRUE(no_ns) << no_ns.error().describe();
    EXPECT_EQ(no_ns->version, CspVersion::v1_3);
}

TEST(WbxmlCodec, PublicIdAsString) {
    const std::string id = "-//OMA//DTD WV-CSP 1.2//EN";
    std::string doc = wb_bytes({0x03, 0x00, 0x00, 0x6A});
    doc += static_cast<char>(id.size() + 1);
    doc += id + std::string(1, '\0') + wb_bytes({0x09});
    auto r = decode_wbxml(doc);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->version, CspVersion::v1_2);
}

TEST(WbxmlCodec, HeaderRefusals) {
    auto unknown = decode_wbxml(wb_bytes({0x03, 0x01, 0x6A, 0x00, 0x09}));
    ASSERT_FALSE(unknown);
    EXPECT_TRUE(contains(unknown.error().message, "public id 1")) << unknown.error().message;
    auto latin1 = decode_wbxml(wb_bytes({0x03, 0x11, 0x04, 0x00, 0x09}));
    ASSERT_FALSE(latin1);
    EXPECT_TRUE(contains(latin1.error().message, "not UTF-8")) << latin1.error().message;
    auto root = decode_wbxml(wb_bytes({0x03, 0x11, 0x6A, 0x00, 0x2D}));
    ASSERT_FALSE(root);
    EXPECT_TRUE(contains(root.error().message, "root element is <Session>"));
    EXPECT_EQ(root.error().offset, 4u);
}

TEST(WbxmlCodec, Limits) {
    const auto root = message(CspVersion::v1_2, {leaf("UserID", std::string(100, 'u'))});
    const auto out = encode(root, CspVersion::v1_2);
    Limits small;
    small.max_body_bytes = out.size() - 1;
    auto big = decode_wbxml(out, small);
    ASSERT_FALSE(big);
    EXPECT_TRUE(contains(big.error().message, "exceeds the limit"));
    small = {};
    small.max_text_bytes = 99;
    auto text = decode_wbxml(out, small);
    ASSERT_FALSE(text);
    EXPECT_TRUE(contains(text.error().message, "text limit")) << text.error().message;
    // Several pieces that add up past the limit.
    small.max_text_bytes = 50;
    const std::string piece = wb_bytes({0x03}) + std::string(30, 'p') + wb_bytes({0x00});
    auto pieces = decode_wbxml(root12(wb_bytes({0x7A}) + piece + piece + wb_bytes({0x01})), small);
    ASSERT_FALSE(pieces);
    EXPECT_TRUE(contains(pieces.error().message, "text of <UserID> exceeds 50 bytes"))
        << pieces.error().message;
    EXPECT_EQ(pieces.error().offset, 45u);
    small = {};
    small.max_depth = 2;
    auto deep = decode_wbxml(out, small);
    ASSERT_FALSE(deep);
    EXPECT_TRUE(contains(deep.error().message, "nested deeper"));
}

TEST(WbxmlCodec, StringTableForRepeatedStrings) {
    std::vector<Element> users;
    for (int i = 0; i < 4; ++i)
        users.push_back(with("User", {leaf("UserID", "wv:someone.with.a.long.name@example.com")}));
    const auto root = message(CspVersion::v1_2, users);
    const auto out = encode(root, CspVersion::v1_2);
    EXPECT_EQ(out.substr(4, 39), "wv:someone.with.a.long.name@example.com");
    EXPECT_TRUE(contains(out, wb_bytes({0x7A, 0x83, 0x00, 0x01})));
    EXPECT_TRUE(same_tree(round_trip(root, CspVersion::v1_2), root));
}

TEST(WbxmlCodec, CorpusRoundTripsInEveryVersion) {
    const auto files = onesoup::test::csp11_corpus();
    ASSERT_EQ(files.size(), 116u);
    std::size_t xml_bytes = 0, wbxml_bytes = 0;
    for (const auto& path : files) {
        SCOPED_TRACE(path.filename().string());
        const auto xml = onesoup::test::read_file(path);
        auto parsed = decode_xml(xml);
        ASSERT_TRUE(parsed) << parsed.error().describe();
        for (auto v : {CspVersion::v1_1, CspVersion::v1_2, CspVersion::v1_3}) {
            SCOPED_TRACE(std::string(version_text(v)));
            Element tree = parsed->root;
            set_namespaces(tree, v);
            auto bytes = encode_wbxml(tree, v);
            ASSERT_TRUE(bytes) << bytes.error().describe();
            auto back = decode_wbxml(*bytes);
            ASSERT_TRUE(back) << back.error().describe();
            EXPECT_EQ(back->version, v);
            EXPECT_TRUE(same_tree(tree, back->root)) << first_difference(tree, back->root);
            // And back to XML: the XML reader sees the same tree again.
            auto again = decode_xml(encode_xml(back->root));
            ASSERT_TRUE(again) << again.error().describe();
            EXPECT_TRUE(same_tree(tree, again->root)) << first_difference(tree, again->root);
            if (v == CspVersion::v1_1) {
                xml_bytes += xml.size();
                wbxml_bytes += bytes->size();
            }
        }
    }
    EXPECT_LT(wbxml_bytes * 3, xml_bytes);  // WBXML is the compact one
}
