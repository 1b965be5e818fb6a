// The hand-written golden documents (tests/data/golden/*-1N.xml) decode, convert to the model
// with nothing unknown and back to the same element tree; spot checks of the typed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/model/message.hpp"
#include "test_support.hpp"

namespace {

using namespace onesoup::imps;
using codec::CspVersion;

const std::filesystem::path kGolden = std::filesystem::path(ONESOUP_TEST_DATA_DIR) / "golden";

// The version a golden file's name ends with: name-11.xml, name-12.xml, name-13.xml.
std::optional<CspVersion> version_of_name(const std::filesystem::path& p) {
    const std::string stem = p.stem().string();
    if (stem.ends_with("-11")) return CspVersion::v1_1;
    if (stem.ends_with("-12")) return CspVersion::v1_2;
    if (stem.ends_with("-13")) return CspVersion::v1_3;
    return std::nullopt;
}

model::Message load(const std::string& name) {
    auto doc = codec::decode(onesoup::test::read_file(kGolden / name));
    EXPECT_TRUE(doc) << name << ": " << doc.error().describe();
    if (!doc) return {};
    auto m = model::from_tree(doc->root, doc->version);
    EXPECT_TRUE(m) << name << ": " << m.error().describe();
    if (!m) return {};
    return std::move(m).value();
}

template <class T>
const T& only_primitive(const model::Message& m) {
    static const T empty{};
    if (m.transactions.size() != 1) {
        ADD_FAILURE() << "expected one transaction";
        return empty;
    }
    const T* p = std::get_if<T>(&m.transactions[0].content);
    if (!p) {
        ADD_FAILURE() << "holds " << model::primitive_name(m.transactions[0].content);
        return empty;
    }
    return *p;
}

TEST(ModelGolden, EveryDocumentRoundTripsInItsVersion) {
    const auto files = onesoup::test::golden_xml_files();
    EXPECT_GE(files.size(), 70u);
    std::map<CspVersion, int> per_version;
    for (const auto& path : files) {
        SCOPED_TRACE(path.filename().string());
        const auto expected_version = version_of_name(path);
        ASSERT_TRUE(expected_version) << "golden names end in -11, -12 or -13";
        auto doc = codec::decode(onesoup::test::read_file(path));
        if (!doc) {
            ADD_FAILURE() << doc.error().describe();
            continue;
        }
        EXPECT_EQ(doc->version, *expected_version);
        auto m = model::from_tree(doc->root, doc->version);
        if (!m) {
            ADD_FAILURE() << m.error().describe();
            continue;
        }
        EXPECT_EQ(model::first_unknown(*m), "");
        const auto tree = model::to_tree(*m, doc->version);
        EXPECT_TRUE(codec::same_tree(doc->root, tree)) << codec::first_difference(doc->root, tree);
        ++per_version[doc->version];
    }
    EXPECT_GE(per_version[CspVersion::v1_2], 35);
    EXPECT_GE(per_version[CspVersion::v1_3], 35);
    EXPECT_GE(per_version[CspVersion::v1_1], 1);
}

TEST(ModelGolden, WbxmlRoundTripGivesTheSameModel) {
    for (const auto& path : onesoup::test::golden_xml_files()) {
        SCOPED_TRACE(path.filename().string());
        auto doc = codec::decode(onesoup::test::read_file(path));
        ASSERT_TRUE(doc) << doc.error().describe();
        auto m = model::from_tree(doc->root, doc->version);
        ASSERT_TRUE(m) << m.error().describe();
        auto wbxml = codec::encode_wbxml(model::to_tree(*m, doc->version), doc->version);
        ASSERT_TRUE(wbxml) << wbxml.error().describe();
        auto back = codec::decode_wbxml(*wbxml);
        ASSERT_TRUE(back) << back.error().describe();
        EXPECT_EQ(back->version, doc->version);
        auto m2 = model::from_tree(back->root, back->version);
        ASSERT_TRUE(m2) << m2.error().describe();
        EXPECT_EQ(model::first_unknown(*m2), "");
        const auto t1 = model::to_tree(*m, doc->version);
        const auto t2 = model::to_tree(*m2, doc->version);
        EXPECT_TRUE(codec::same_tree(t1, t2)) << codec::first_difference(t1, t2);
    }
}

TEST(ModelGolden, LoginShapes) {
    for (const char* v : {"12", "13"}) {
        SCOPED_TRACE(v);
        const std::string suffix = std::string("-") + v + ".xml";
        auto pwd = load("login-request-pwd" + suffix);
        EXPECT_EQ(pwd.session.type, model::SessionType::outband);
        EXPECT_FALSE(pwd.session.session_id);
        const auto& req = only_primitive<model::LoginRequest>(pwd);
        EXPECT_EQ(req.user_id, "wv:alice@im.example.org");
        EXPECT_EQ(req.password, "secret");
        EXPECT_EQ(req.time_to_live, 86400);
        EXPECT_EQ(req.client_id->value(), "WV:IMPEC01$00001@NOK.S60");

        auto digest = load("login-request-digest" + suffix);
        EXPECT_EQ(
            model::parse_digest_schemas(only_primitive<model::LoginRequest>(digest).digest_schemas),
            (std::vector<model::DigestSchema>{model::DigestSchema::md5, model::DigestSchema::sha}));
        auto nonce = load("login-response-nonce" + suffix);
        const auto& challenge = only_primitive<model::LoginResponse>(nonce);
        EXPECT_EQ(challenge.result.code, 401);
        EXPECT_EQ(challenge.nonce, "8b1a9953c4611296a827abf8c47804d7");
        EXPECT_EQ(challenge.digest_schema, model::DigestSchema::md5);
        EXPECT_FALSE(challenge.session_id);

        auto ok = load("login-response-pwd" + suffix);
        const auto& granted = only_primitive<model::LoginResponse>(ok);
        EXPECT_EQ(granted.session_id, "wv:sess#4711@im.example.org");
        EXPECT_EQ(granted.keep_alive_time, 600);
        EXPECT_EQ(granted.capability_request, true);
    }
    auto esmertec = load("esmertec-login-response-clientid-text-12.xml");
    EXPECT_EQ(only_primitive<model::LoginResponse>(esmertec).client_id->value(),
              "http://www.android.com/im");
    auto s60 = load("s60-login-request-12doctype-11.xml");
    EXPECT_EQ(s60.version, CspVersion::v1_1);
    EXPECT_EQ(only_primitive<model::LoginRequest>(s60).session_cookie, "wv:nokia.1828734");
}

TEST(ModelGolden, CapabilityAndService) {
    auto request = load("client-capability-request-12.xml");
    const auto& caps = *only_primitive<model::ClientCapabilityRequest>(request).capabilities;
    EXPECT_EQ(caps.accepted_content_length, 512);
    EXPECT_EQ(caps.multi_trans, 3);
    EXPECT_EQ(caps.supported_cir_methods.size(), 5u);
    EXPECT_EQ(caps.udp_port, 3717);
    EXPECT_EQ(caps.initial_delivery_method, model::DeliveryMethod::push);

    auto r12 = load("client-capability-response-12.xml");
    auto r13 = load("client-capability-response-13.xml");
    const auto& a12 = *only_primitive<model::ClientCapabilityResponse>(r12).capabilities;
    const auto& a13 = *only_primitive<model::ClientCapabilityResponse>(r13).capabilities;
    EXPECT_EQ(a12.cir_url->url, "http://im.example.org:8080/cir/4711");
    EXPECT_EQ(a13.cir_url->url, "http://im.example.org:8080/cir/4711");
    EXPECT_EQ(a12.supported_cir_methods,
              (std::vector<model::CirMethod>{model::CirMethod::stcp, model::CirMethod::shttp}));
    EXPECT_EQ(a12.tcp_port, 3716);

    auto service = load("service-response-12.xml");
    const auto& all = only_primitive<model::ServiceResponse>(service).all_functions;
    ASSERT_TRUE(all);
    ASSERT_TRUE(all->features.presence);
    EXPECT_TRUE(all->features.presence->has("ContListFunc", "GCLI"));
    EXPECT_FALSE(all->features.presence->has("ContListFunc", "GETWL"));
    EXPECT_TRUE(all->features.im->has("IMReceiveFunc", "NEWM"));
    EXPECT_FALSE(all->features.group);
    auto service_request = load("service-request-12.xml");
    EXPECT_EQ(only_primitive<model::ServiceRequest>(service_request).all_functions_request, true);
}

TEST(ModelGolden, MessagingAndPresence) {
    auto send = load("android-sendmessage-request-12.xml");
    const auto& s = only_primitive<model::SendMessageRequest>(send);
    EXPECT_EQ(s.message_info.content_type, "text/plain");
    EXPECT_EQ(s.message_info.recipient->users.at(0).user_id, "wv:bob@im.example.org");
    EXPECT_FALSE(s.message_info.sender);
    EXPECT_EQ(s.content_data, "ok");

    auto incoming = load("newmessage-13.xml");
    EXPECT_EQ(incoming.poll, true);
    const auto& n = only_primitive<model::NewMessage>(incoming);
    EXPECT_EQ(n.content_data, "hi there & <you>");
    EXPECT_EQ(n.message_info.date_time, "20261126T131500Z");
    EXPECT_EQ(n.message_info.validity, 86400);

    auto presence = load("getpresence-response-12.xml");
    const auto& p = only_primitive<model::GetPresenceResponse>(presence);
    ASSERT_EQ(p.presences.size(), 1u);
    const auto& psl = p.presences[0].sub_lists.at(0);
    EXPECT_EQ(psl.online_status->value, true);
    EXPECT_EQ(psl.user_availability->value, model::UserAvailability::discreet);
    EXPECT_EQ(psl.status_text->value, "At lunch");
    EXPECT_EQ(psl.alias->value, "Bobby");
    EXPECT_EQ(psl.client_info->model, "N95");
    EXPECT_EQ(psl.comm_cap->caps.at(0).cap, "IM");

    auto status = load("status-detailed-12.xml");
    const auto& st = only_primitive<model::Status>(status);
    EXPECT_EQ(st.result.code, 201);
    ASSERT_EQ(st.result.detailed.size(), 2u);
    EXPECT_EQ(st.result.detailed[1].code, 532);
    EXPECT_EQ(st.result.detailed[1].user_ids.at(0), "wv:blocker@im.example.org");
}

}  // namespace
