// The envelope and the version rules: the same Message written as 1.1, 1.2 and 1.3; unknown
// elements and primitives; invalid values and missing elements reported with their path.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/model/message.hpp"
#include "onesoup/imps/model/status_code.hpp"

namespace {

using namespace onesoup::imps;
using codec::CspVersion;
using codec::Element;
using model::Message;

// A document of `version` whose only transaction holds `primitive` (XML text), with `descriptor`
// as the TransactionDescriptor body.
std::string document(CspVersion version, const std::string& primitive,
                     const std::string& descriptor =
                         "<TransactionMode>Request</TransactionMode>"
                         "<TransactionID>t1</TransactionID>",
                     const std::string& session_tail = "") {
    return std::string("<WV-CSP-Message xmlns=\"") +
           std::string(codec::namespace_uri(version, codec::NamespaceKind::csp)) +
           "\"><Session><SessionDescriptor><SessionType>Inband</SessionType>"
           "<SessionID>s1</SessionID></SessionDescriptor><Transaction><TransactionDescriptor>" +
           descriptor + "</TransactionDescriptor><TransactionContent xmlns=\"" +
           std::string(codec::namespace_uri(version, codec::NamespaceKind::trc)) + "\">" +
           primitive + "</TransactionContent></Transaction>" + session_tail +
           "</Session></WV-CSP-Message>";
}

onesoup::Result<Message> parse(const std::string& xml) {
    auto doc = codec::decode_xml(xml);
    if (!doc) return doc.error();
    return model::from_tree(doc->root, doc->version);
}

// The first element named `name` anywhere below `e` (depth first), or nullptr.
const Element* find(const Element& e, std::string_view name) {
    if (e.name == name) return &e;
    for (const auto& c : e.children)
        if (const Element* f = find(c, name)) return f;
    return nullptr;
}

std::vector<std::string> child_names(const Element& e) {
    std::vector<std::string> names;
    for (const auto& c : e.children) names.push_back(c.name);
    return names;
}

// A server's answer to ClientCapability-Request with everything that differs by version.
Message capability_answer() {
    Message m;
    m.session.type = model::SessionType::inband;
    m.session.session_id = "sess-1";
    m.poll = true;
    m.cir = false;
    model::Transaction t;
    t.descriptor.mode = model::TransactionMode::response;
    t.descriptor.id = "nok3";
    model::ClientCapabilityResponse r;
    model::CapabilityList caps;
    caps.client_type = "MOBILE_PHONE";
    caps.supported_cir_methods = {model::CirMethod::stcp, model::CirMethod::shttp};
    caps.tcp_address = "192.0.2.1";
    caps.tcp_port = 3717;
    caps.cir_url = model::UrlHolder{"http://cir.example/c", {}};
    caps.multi_trans = 1;
    r.capabilities = caps;
    r.client_id = model::ClientId{"http://phone/", std::nullopt, {}};
    t.content = r;
    m.transactions.push_back(t);
    return m;
}

TEST(ModelVersions, CapabilityAnswerAs11) {
    const Element tree = model::to_tree(capability_answer(), CspVersion::v1_1);
    EXPECT_EQ(*tree.attribute("xmlns"), "http://www.wireless-village.org/CSP1.1");
    const Element* session = tree.child("Session");
    ASSERT_NE(session, nullptr);
    // 1.1: Poll in the TransactionDescriptor, no CIR in Session.
    EXPECT_EQ(session->child("Poll"), nullptr);
    EXPECT_EQ(session->child("CIR"), nullptr);
    const Element* descriptor = find(tree, "TransactionDescriptor");
    ASSERT_NE(descriptor, nullptr);
    ASSERT_NE(descriptor->child("Poll"), nullptr);
    EXPECT_EQ(descriptor->child("Poll")->text, "T");
    const Element* content = find(tree, "TransactionContent");
    EXPECT_EQ(*content->attribute("xmlns"), "http://www.wireless-village.org/TRC1.1");
    const Element* response = find(tree, "ClientCapability-Response");
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(child_names(*response), (std::vector<std::string>{"ClientID", "CapabilityList"}));
    const Element* caps = response->child("CapabilityList");
    // SHTTP does not exist in 1.1; CIRURL neither.
    std::vector<std::string> methods;
    for (const auto& c : caps->children)
        if (c.name == "SupportedCIRMethod") methods.push_back(c.text);
    EXPECT_EQ(methods, std::vector<std::string>{"STCP"});
    EXPECT_EQ(caps->child("CIRURL"), nullptr);
    EXPECT_EQ(caps->child("CIRHTTPAddress"), nullptr);
    EXPECT_EQ(caps->child("TCPPort")->text, "3717");
}

TEST(ModelVersions, CapabilityAnswerAs12) {
    const Element tree = model::to_tree(capability_answer(), CspVersion::v1_2);
    EXPECT_EQ(*tree.attribute("xmlns"), "http://www.openmobilealliance.org/DTD/WV-CSP1.2");
    const Element* session = tree.child("Session");
    EXPECT_EQ(child_names(*session),
              (std::vector<std::string>{"SessionDescriptor", "Transaction", "Poll", "CIR"}));
    EXPECT_EQ(session->child("Poll")->text, "T");
    EXPECT_EQ(session->child("CIR")->text, "F");
    EXPECT_EQ(find(tree, "TransactionDescriptor")->child("Poll"), nullptr);
    const Element* response = find(tree, "ClientCapability-Response");
    EXPECT_EQ(child_names(*response), std::vector<std::string>{"AgreedCapabilityList"});
    const Element* caps = response->child("AgreedCapabilityList");
    ASSERT_NE(caps->child("CIRURL"), nullptr);
    EXPECT_EQ(caps->child("CIRURL")->child("URL")->text, "http://cir.example/c");
    EXPECT_EQ(caps->child("CIRHTTPAddress"), nullptr);
    std::vector<std::string> methods;
    for (const auto& c : caps->children)
        if (c.name == "SupportedCIRMethod") methods.push_back(c.text);
    EXPECT_EQ(methods, (std::vector<std::string>{"STCP", "SHTTP"}));
}

TEST(ModelVersions, CapabilityAnswerAs13) {
    const Element tree = model::to_tree(capability_answer(), CspVersion::v1_3);
    EXPECT_EQ(*tree.attribute("xmlns"), "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3");
    EXPECT_EQ(*find(tree, "TransactionContent")->attribute("xmlns"),
              "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3");
    const Element* caps = find(tree, "AgreedCapabilityList");
    ASSERT_NE(caps, nullptr);
    EXPECT_EQ(caps->child("CIRURL"), nullptr);
    ASSERT_NE(caps->child("CIRHTTPAddress"), nullptr);
    EXPECT_EQ(caps->child("CIRHTTPAddress")->child("URL")->text, "http://cir.example/c");
}

TEST(ModelVersions, EveryVersionReadsBackToTheSameModel) {
    for (auto v : {CspVersion::v1_1, CspVersion::v1_2, CspVersion::v1_3}) {
        SCOPED_TRACE(std::string(codec::version_text(v)));
        const Element tree = model::to_tree(capability_answer(), v);
        auto back = model::from_tree(tree, v);
        ASSERT_TRUE(back) << back.error().describe();
        auto tree2 = model::to_tree(*back, v);
        EXPECT_TRUE(codec::same_tree(tree, tree2)) << codec::first_difference(tree, tree2);
        const auto& r = std::get<model::ClientCapabilityResponse>(back->transactions[0].content);
        ASSERT_TRUE(r.capabilities);
        EXPECT_EQ(r.capabilities->tcp_port, 3717);
        EXPECT_EQ(r.capabilities->cir_url.has_value(), v != CspVersion::v1_1);
        EXPECT_EQ(r.client_id.has_value(), v == CspVersion::v1_1);
    }
}

TEST(ModelVersions, ClientCapabilityRequestClientIdOnlyIn11) {
    const std::string request_11 =
        "<ClientCapability-Request><ClientID><URL>u</URL></ClientID><CapabilityList>"
        "<ClientType>MOBILE_PHONE</ClientType><SupportedCIRMethod>STCP</SupportedCIRMethod>"
        "</CapabilityList></ClientCapability-Request>";
    auto m = parse(document(CspVersion::v1_1, request_11));
    ASSERT_TRUE(m) << m.error().describe();
    const auto& r = std::get<model::ClientCapabilityRequest>(m->transactions[0].content);
    EXPECT_EQ(r.client_id.value(), "u");
    // 1.1 requires ClientID in ClientCapability-Request.
    auto missing =
        parse(document(CspVersion::v1_1,
                       "<ClientCapability-Request><CapabilityList/></ClientCapability-Request>"));
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("ClientCapability-Request: missing required element "
                                           "<ClientID>"),
              std::string::npos)
        << missing.error().message;
    // Written as 1.2 the ClientID is gone.
    const Element tree = model::to_tree(*m, CspVersion::v1_2);
    EXPECT_EQ(child_names(*find(tree, "ClientCapability-Request")),
              std::vector<std::string>{"CapabilityList"});
}

TEST(ModelVersions, PollFromA11MessageGoesToSessionIn12) {
    auto m = parse(document(CspVersion::v1_1, "<Polling-Request/>",
                            "<TransactionMode>Response</TransactionMode>"
                            "<TransactionID>x</TransactionID><Poll>T</Poll>"));
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_EQ(m->transactions[0].descriptor.poll, true);
    EXPECT_FALSE(m->poll);
    const Element tree = model::to_tree(*m, CspVersion::v1_2);
    ASSERT_NE(tree.child("Session")->child("Poll"), nullptr);
    EXPECT_EQ(tree.child("Session")->child("Poll")->text, "T");
}

TEST(ModelVersions, TransactionIdOptionalIn11RequiredFrom12) {
    const std::string descriptor = "<TransactionMode>Request</TransactionMode>";
    auto m11 = parse(document(CspVersion::v1_1, "<Polling-Request/>", descriptor));
    ASSERT_TRUE(m11) << m11.error().describe();
    EXPECT_FALSE(m11->transactions[0].descriptor.id);
    auto m12 = parse(document(CspVersion::v1_2, "<Polling-Request/>", descriptor));
    ASSERT_FALSE(m12);
    EXPECT_EQ(m12.error().message,
              "WV-CSP-Message/Session/Transaction[1]/TransactionDescriptor: missing required "
              "element <TransactionID>");
}

TEST(ModelVersions, SessionPollAndCirAreNotReadFrom11) {
    // In 1.1 Session/Poll and Session/CIR do not exist: kept as unknown, not as the values.
    auto m = parse(document(CspVersion::v1_1, "<Polling-Request/>",
                            "<TransactionMode>Request</TransactionMode>", "<CIR>T</CIR>"));
    ASSERT_TRUE(m) << m.error().describe();
    EXPECT_FALSE(m->cir);
    ASSERT_EQ(m->extras.unknown.size(), 1u);
    EXPECT_EQ(m->extras.unknown[0].name, "CIR");
    auto m12 = parse(document(CspVersion::v1_2, "<Polling-Request/>",
                              "<TransactionMode>Request</TransactionMode>"
                              "<TransactionID>1</TransactionID>",
                              "<Poll>F</Poll><CIR>T</CIR>"));
    ASSERT_TRUE(m12) << m12.error().describe();
    EXPECT_EQ(m12->poll, false);
    EXPECT_EQ(m12->cir, true);
    EXPECT_TRUE(model::fully_known(*m12));
}

TEST(ModelUnknown, UnknownChildIsKeptAndWrittenAfterKnownChildren) {
    const std::string login =
        "<Login-Request><UserID>wv:a@b</UserID><X-Vendor><Deep>1</Deep></X-Vendor>"
        "<ClientID><URL>u</URL></ClientID><SessionCookie>c</SessionCookie></Login-Request>";
    auto m = parse(document(CspVersion::v1_2, login));
    ASSERT_TRUE(m) << m.error().describe();
    const auto& req = std::get<model::LoginRequest>(m->transactions[0].content);
    EXPECT_EQ(req.user_id, "wv:a@b");
    ASSERT_EQ(req.extras.unknown.size(), 1u);
    EXPECT_EQ(req.extras.unknown[0].name, "X-Vendor");
    EXPECT_FALSE(model::fully_known(*m));
    EXPECT_EQ(model::first_unknown(*m),
              "WV-CSP-Message/Session/Transaction[1]/TransactionContent/Login-Request/X-Vendor");

    const Element same = model::to_tree(*m, CspVersion::v1_2);
    EXPECT_EQ(child_names(*find(same, "Login-Request")),
              (std::vector<std::string>{"UserID", "ClientID", "SessionCookie", "X-Vendor"}));
    EXPECT_EQ(find(same, "X-Vendor")->child("Deep")->text, "1");

    const Element other = model::to_tree(*m, CspVersion::v1_3);
    EXPECT_EQ(find(other, "X-Vendor"), nullptr);
}

TEST(ModelUnknown, ElementOfAnotherVersionIsUnknown) {
    // CIRHTTPAddress is 1.3; in a 1.2 document it is kept as unknown, not read as the CIR URL.
    const std::string caps =
        "<ClientCapability-Response><AgreedCapabilityList><CIRHTTPAddress><URL>h</URL>"
        "</CIRHTTPAddress></AgreedCapabilityList></ClientCapability-Response>";
    auto m = parse(document(CspVersion::v1_2, caps));
    ASSERT_TRUE(m) << m.error().describe();
    const auto& r = std::get<model::ClientCapabilityResponse>(m->transactions[0].content);
    ASSERT_TRUE(r.capabilities);
    EXPECT_FALSE(r.capabilities->cir_url);
    ASSERT_EQ(r.capabilities->extras.unknown.size(), 1u);
    auto m13 = parse(document(CspVersion::v1_3, caps));
    ASSERT_TRUE(m13) << m13.error().describe();
    const auto& r13 = std::get<model::ClientCapabilityResponse>(m13->transactions[0].content);
    EXPECT_EQ(r13.capabilities->cir_url->url, "h");
}

TEST(ModelUnknown, EnumValueOfALaterVersionIsKeptAsUnknown) {
    // SSMS came with 1.2: in a 1.1 document it is an element the version does not define.
    const std::string caps =
        "<ClientCapability-Request><ClientID><URL>u</URL></ClientID><CapabilityList>"
        "<SupportedCIRMethod>STCP</SupportedCIRMethod><SupportedCIRMethod>SSMS"
        "</SupportedCIRMethod></CapabilityList></ClientCapability-Request>";
    auto m = parse(document(CspVersion::v1_1, caps));
    ASSERT_TRUE(m) << m.error().describe();
    const auto& r = std::get<model::ClientCapabilityRequest>(m->transactions[0].content);
    EXPECT_EQ(r.capabilities->supported_cir_methods,
              std::vector<model::CirMethod>{model::CirMethod::stcp});
    ASSERT_EQ(r.capabilities->extras.unknown.size(), 1u);
    EXPECT_EQ(r.capabilities->extras.unknown[0].text, "SSMS");
    auto m12 = parse(document(CspVersion::v1_2,
                              "<ClientCapability-Request><CapabilityList><SupportedCIRMethod>SSMS"
                              "</SupportedCIRMethod></CapabilityList></ClientCapability-Request>"));
    ASSERT_TRUE(m12) << m12.error().describe();
    EXPECT_EQ(std::get<model::ClientCapabilityRequest>(m12->transactions[0].content)
                  .capabilities->supported_cir_methods,
              std::vector<model::CirMethod>{model::CirMethod::ssms});
}

TEST(ModelUnknown, UnknownPrimitiveKeepsItsElement) {
    auto m = parse(document(CspVersion::v1_2, "<Frobnicate-Request><A>1</A></Frobnicate-Request>"));
    ASSERT_TRUE(m) << m.error().describe();
    const auto* u = std::get_if<model::UnknownPrimitive>(&m->transactions[0].content);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->element.name, "Frobnicate-Request");
    EXPECT_EQ(model::primitive_name(m->transactions[0].content), "Frobnicate-Request");
    EXPECT_FALSE(model::fully_known(*m));
    const Element tree = model::to_tree(*m, CspVersion::v1_2);
    ASSERT_NE(find(tree, "Frobnicate-Request"), nullptr);
    EXPECT_EQ(find(tree, "A")->text, "1");
}

TEST(ModelUnknown, ClientIdAsPlainTextIsKept) {
    // COMPAT: the Esmertec server sent ClientID as text instead of <URL>.
    auto m = parse(document(CspVersion::v1_2,
                            "<Login-Response><ClientID>IMApp01</ClientID><Result><Code>401</Code>"
                            "</Result><Nonce>abc</Nonce><DigestSchema>MD5</DigestSchema>"
                            "</Login-Response>",
                            "<TransactionMode>Response</TransactionMode>"
                            "<TransactionID>t</TransactionID>"));
    ASSERT_TRUE(m) << m.error().describe();
    const auto& r = std::get<model::LoginResponse>(m->transactions[0].content);
    EXPECT_EQ(r.client_id->value(), "IMApp01");
    EXPECT_EQ(r.result.code, 401);
    EXPECT_EQ(r.digest_schema, model::DigestSchema::md5);
    const Element tree = model::to_tree(*m, CspVersion::v1_2);
    EXPECT_EQ(find(tree, "ClientID")->text, "IMApp01");
}

struct BadCase {
    const char* primitive;
    const char* expected;
};

TEST(ModelErrors, InvalidValuesAndMissingElementsNameThePath) {
    const std::string prefix = "WV-CSP-Message/Session/Transaction[1]/TransactionContent/";
    const BadCase cases[] = {
        {"<KeepAlive-Request><TimeToLive>abc</TimeToLive></KeepAlive-Request>",
         "KeepAlive-Request/TimeToLive: expected an integer, got \"abc\""},
        {"<KeepAlive-Request><TimeToLive>99999999999999999999999</TimeToLive>"
         "</KeepAlive-Request>",
         "KeepAlive-Request/TimeToLive: expected an integer, got \"99999999999999999999999\""},
        {"<KeepAlive-Request><TimeToLive></TimeToLive></KeepAlive-Request>",
         "KeepAlive-Request/TimeToLive: expected an integer, got \"\""},
        {"<SendMessage-Request><DeliveryReport>Yes</DeliveryReport><MessageInfo>"
         "<ContentSize>1</ContentSize></MessageInfo></SendMessage-Request>",
         "SendMessage-Request/DeliveryReport: expected T or F, got \"Yes\""},
        {"<SendMessage-Request><MessageInfo><ContentSize>x</ContentSize></MessageInfo>"
         "</SendMessage-Request>",
         "SendMessage-Request/MessageInfo/ContentSize: expected an integer, got \"x\""},
        {"<Login-Request><ClientID><URL>u</URL></ClientID></Login-Request>",
         "Login-Request: missing required element <UserID>"},
        {"<Status><Result><Description>d</Description></Result></Status>",
         "Status/Result: missing required element <Code>"},
        {"<Status></Status>", "Status: missing required element <Result>"},
        {"<UpdatePresence-Request><PresenceSubList><UserAvailability><PresenceValue>BUSY"
         "</PresenceValue></UserAvailability></PresenceSubList></UpdatePresence-Request>",
         "UpdatePresence-Request/PresenceSubList/UserAvailability/PresenceValue: unknown value "
         "\"BUSY\""},
        {"<GetPresence-Response><Presence><UserID>a</UserID></Presence><Presence><UserID><X/>"
         "</UserID></Presence></GetPresence-Response>",
         "GetPresence-Response/Presence[2]/UserID: expected text, found element <X>"},
        {"<SetDeliveryMethod-Request><DeliveryMethod>Q</DeliveryMethod>"
         "</SetDeliveryMethod-Request>",
         "SetDeliveryMethod-Request/DeliveryMethod: unknown value \"Q\""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.primitive);
        auto m = parse(document(CspVersion::v1_2, c.primitive));
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().message, prefix + c.expected);
    }
}

TEST(ModelErrors, EnvelopeErrors) {
    auto wrong_root = model::from_tree(Element{"Foo"}, CspVersion::v1_2);
    ASSERT_FALSE(wrong_root);
    EXPECT_EQ(wrong_root.error().message, "root element is <Foo>, expected <WV-CSP-Message>");

    auto bad_type = parse(
        "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\"><Session>"
        "<SessionDescriptor><SessionType>Sideband</SessionType></SessionDescriptor>"
        "</Session></WV-CSP-Message>");
    ASSERT_FALSE(bad_type);
    EXPECT_EQ(bad_type.error().message,
              "WV-CSP-Message/Session/SessionDescriptor/SessionType: unknown value \"Sideband\"");

    auto no_transaction = parse(
        "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\"><Session>"
        "<SessionDescriptor><SessionType>Inband</SessionType></SessionDescriptor>"
        "</Session></WV-CSP-Message>");
    ASSERT_FALSE(no_transaction);
    EXPECT_EQ(no_transaction.error().message,
              "WV-CSP-Message/Session: missing required element <Transaction>");

    auto empty_content = parse(document(CspVersion::v1_2, ""));
    ASSERT_FALSE(empty_content);
    EXPECT_EQ(empty_content.error().message,
              "WV-CSP-Message/Session/Transaction[1]/TransactionContent: no primitive");

    auto two = parse(document(CspVersion::v1_2, "<Polling-Request/><Logout-Request/>"));
    ASSERT_FALSE(two);
    EXPECT_NE(two.error().message.find("more than one primitive"), std::string::npos);

    auto bad_poll = parse(document(CspVersion::v1_2, "<Polling-Request/>",
                                   "<TransactionMode>Request</TransactionMode>"
                                   "<TransactionID>1</TransactionID>",
                                   "<Poll>maybe</Poll>"));
    ASSERT_FALSE(bad_poll);
    EXPECT_EQ(bad_poll.error().message,
              "WV-CSP-Message/Session/Poll: expected T or F, got \"maybe\"");
}

TEST(ModelValues, DigestSchemasInOneOrSeveralElements) {
    EXPECT_EQ(model::parse_digest_schemas({"PWD,SHA,MD4,MD5,MD6"}),
              (std::vector<model::DigestSchema>{model::DigestSchema::pwd, model::DigestSchema::sha,
                                                model::DigestSchema::md4, model::DigestSchema::md5,
                                                model::DigestSchema::md6}));
    EXPECT_EQ(
        model::parse_digest_schemas({"MD5", "SHA", "XYZ"}),
        (std::vector<model::DigestSchema>{model::DigestSchema::md5, model::DigestSchema::sha}));
    EXPECT_EQ(
        model::parse_digest_schemas({"MD5 PWD"}),
        (std::vector<model::DigestSchema>{model::DigestSchema::md5, model::DigestSchema::pwd}));
}

TEST(ModelValues, IntegersAndBooleansAreReadWithSurroundingWhitespace) {
    auto m = parse(document(CspVersion::v1_2,
                            "<KeepAlive-Response><Result><Code> 200\n</Code></Result>"
                            "<KeepAliveTime>+60</KeepAliveTime></KeepAlive-Response>"));
    ASSERT_TRUE(m) << m.error().describe();
    const auto& r = std::get<model::KeepAliveResponse>(m->transactions[0].content);
    EXPECT_EQ(r.result.code, 200);
    EXPECT_EQ(r.keep_alive_time, 60);
}

TEST(ModelValues, PresenceSubListGetsThePaNamespaceOfTheVersion) {
    model::UpdatePresenceRequest u;
    u.presence_sub_list.online_status = model::OnlineStatus{true, true, {}};
    u.presence_sub_list.user_availability =
        model::UserAvailabilityAttribute{true, model::UserAvailability::discreet, {}};
    u.presence_sub_list.status_text = model::StatusText{true, std::string("lunch"), {}};
    Message m;
    model::Transaction t;
    t.descriptor.id = "1";
    t.content = u;
    m.transactions.push_back(t);
    for (auto v : {CspVersion::v1_1, CspVersion::v1_2, CspVersion::v1_3}) {
        const Element tree = model::to_tree(m, v);
        const Element* psl = find(tree, "PresenceSubList");
        ASSERT_NE(psl, nullptr);
        EXPECT_EQ(*psl->attribute("xmlns"), codec::namespace_uri(v, codec::NamespaceKind::pa));
        EXPECT_EQ(child_names(*psl),
                  (std::vector<std::string>{"OnlineStatus", "UserAvailability", "StatusText"}));
        EXPECT_EQ(find(*psl, "UserAvailability")->child("PresenceValue")->text, "DISCREET");
    }
}

TEST(ModelStatus, TableHasTheCodesOfTheNotes) {
    for (int code : {100, 101, 102, 200, 201, 202, 400, 401, 402, 403, 404, 405, 409, 410, 415,
                     420, 422, 424, 425, 426, 431, 432, 500, 501, 503, 504, 505, 506, 507, 516,
                     531, 532, 533, 534, 535, 536, 537, 538, 540, 542, 543, 600, 601, 603, 604,
                     605, 700, 701, 750, 751, 753, 754, 760, 800, 801, 807, 808, 810, 811, 900})
        EXPECT_TRUE(model::is_known_status(code)) << code;
    EXPECT_EQ(model::status_name(531), "Unknown user");
    EXPECT_EQ(model::status_name(409), "Invalid password");
    EXPECT_EQ(model::status_name(599), "Server error");
    EXPECT_EQ(model::status_name(42), "");
    EXPECT_FALSE(model::is_known_status(599));
    int previous = 0;
    for (const auto& s : model::status_codes()) {
        EXPECT_LT(previous, s.code);
        EXPECT_FALSE(s.name.empty());
        previous = s.code;
    }
}

TEST(ModelEnums, NamesRoundTrip) {
    for (const auto& [value, name] : model::EnumNames<model::CirMethod>::values)
        EXPECT_EQ(model::parse_enum<model::CirMethod>(name), value);
    EXPECT_EQ(model::enum_name(model::CirMethod::wap_sms), "WAPSMS");
    EXPECT_EQ(model::first_version_of(model::CirMethod::shttp), CspVersion::v1_2);
    EXPECT_EQ(model::first_version_of(model::CirMethod::sudp), CspVersion::v1_1);
    EXPECT_EQ(model::parse_enum<model::UserAvailability>("NOT_AVAILABLE"),
              model::UserAvailability::not_available);
    EXPECT_FALSE(model::parse_enum<model::SessionType>("inband"));
}

TEST(ModelEnvelope, SeveralTransactionsAndMessagePollIn11) {
    Message m;
    m.session.session_id = "s";
    m.poll = true;
    for (const char* id : {"a", "b"}) {
        model::Transaction t;
        t.descriptor.mode = model::TransactionMode::response;
        t.descriptor.id = id;
        t.content = model::Status{};
        m.transactions.push_back(t);
    }
    const Element tree = model::to_tree(m, CspVersion::v1_1);
    const Element* session = tree.child("Session");
    ASSERT_EQ(session->children.size(), 3u);
    for (std::size_t i = 1; i < 3; ++i) {
        const Element* d = session->children[i].child("TransactionDescriptor");
        ASSERT_NE(d->child("Poll"), nullptr);
        EXPECT_EQ(d->child("Poll")->text, "T");
    }
    auto back = model::from_tree(tree, CspVersion::v1_1);
    ASSERT_TRUE(back) << back.error().describe();
    ASSERT_EQ(back->transactions.size(), 2u);
    EXPECT_EQ(back->transactions[1].descriptor.id, "b");
    EXPECT_EQ(std::get<model::Status>(back->transactions[1].content).result.code, 200);
}

TEST(ModelEnvelope, SecondOccurrenceOfASingleElementIsKeptAsUnknown) {
    auto m = parse(document(CspVersion::v1_2,
                            "<MessageDelivered><MessageID>1</MessageID><MessageID>2</MessageID>"
                            "</MessageDelivered>"));
    ASSERT_TRUE(m) << m.error().describe();
    const auto& d = std::get<model::MessageDelivered>(m->transactions[0].content);
    EXPECT_EQ(d.message_id, "1");
    ASSERT_EQ(d.extras.unknown.size(), 1u);
    EXPECT_EQ(d.extras.unknown[0].text, "2");
    const Element tree = model::to_tree(*m, CspVersion::v1_2);
    EXPECT_EQ(find(tree, "MessageDelivered")->children.size(), 2u);
}

TEST(ModelEnvelope, PrimitiveAloneConvertsBothWays) {
    model::PresenceAuthUser answer;
    answer.user_id = "wv:dave@example.net";
    answer.acceptance = true;
    const Element e = model::primitive_to_tree(answer, CspVersion::v1_2);
    EXPECT_EQ(e.name, "PresenceAuth-User");
    EXPECT_EQ(child_names(e), (std::vector<std::string>{"UserID", "Acceptance"}));
    EXPECT_EQ(e.child("Acceptance")->text, "T");
    auto back = model::primitive_from_tree(e, CspVersion::v1_2);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_TRUE(std::get<model::PresenceAuthUser>(*back) == answer);

    Element bad = e;
    bad.child("Acceptance")->text = "yes";
    auto err = model::primitive_from_tree(bad, CspVersion::v1_2, "X");
    ASSERT_FALSE(err);
    EXPECT_EQ(err.error().message, "X/PresenceAuth-User/Acceptance: expected T or F, got \"yes\"");
}

TEST(ModelEnvelope, ServiceTreeFlagsMustBeEmpty) {
    auto m = parse(document(CspVersion::v1_2,
                            "<Service-Response><AllFunctions><WVCSPFeat><PresenceFeat>"
                            "<ContListFunc><GCLI>x</GCLI></ContListFunc></PresenceFeat></WVCSPFeat>"
                            "</AllFunctions></Service-Response>"));
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().message,
              "WV-CSP-Message/Session/Transaction[1]/TransactionContent/Service-Response/"
              "AllFunctions/WVCSPFeat/PresenceFeat/ContListFunc/GCLI: expected an empty feature "
              "flag");
}

template <std::size_t... I>
void check_every_primitive(std::index_sequence<I...>) {
    std::vector<std::string_view> names;
    (
        [&] {
            using T = std::variant_alternative_t<I + 1, model::Primitive>;
            names.push_back(T::element_name);
            for (auto v : {CspVersion::v1_1, CspVersion::v1_2, CspVersion::v1_3}) {
                const Element e = model::primitive_to_tree(T{}, v);
                EXPECT_EQ(e.name, T::element_name);
                auto back = model::primitive_from_tree(e, v);
                ASSERT_TRUE(back) << back.error().describe();
                EXPECT_EQ(back->index(), I + 1) << T::element_name;
                EXPECT_TRUE(std::get<I + 1>(*back) == T{}) << T::element_name;
            }
        }(),
        ...);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "duplicate name";
}

TEST(ModelEnvelope, EveryPrimitiveIsDispatchedByItsName) {
    constexpr std::size_t n = std::variant_size_v<model::Primitive> - 1;
    EXPECT_EQ(n, 83u);
    check_every_primitive(std::make_index_sequence<n>{});
}

}  // namespace
