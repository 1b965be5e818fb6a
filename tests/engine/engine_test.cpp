// Tests of the CSP session engine through Engine::handle: requests built with the model (or
// read from XML), encoded in XML and WBXML for CSP 1.1/1.2/1.3, answers decoded back.
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <gtest/gtest.h>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/imps/model/message.hpp"
#include "onesoup/imps/model/status_code.hpp"

namespace onesoup::imps::engine {
namespace {

using codec::Encoding;
using model::Primitive;
using namespace std::chrono_literals;

// ---- a scripted Backend ----

class ScriptedBackend final : public Backend {
  public:
    std::map<std::string, std::string> passwords;  // user id -> password
    std::map<std::string, std::string> msisdns;    // user id -> the account's MSISDN
    std::vector<std::string> schemas{"MD5", "SHA"};
    bool defer_login = false;
    bool defer_requests = false;

    std::vector<std::pair<SessionInfo, Credentials>> logins;
    std::vector<std::function<void(LoginOutcome)>> login_callbacks;
    std::vector<std::pair<SessionInfo, Primitive>> requests;
    std::vector<std::function<void(std::optional<Primitive>)>> request_callbacks;
    std::vector<std::pair<SessionId, EndReason>> ended;

    std::vector<std::string> digest_schemas_for(const std::string&) override { return schemas; }

    void login(const SessionInfo& session, const Credentials& c,
               std::function<void(LoginOutcome)> done) override {
        logins.emplace_back(session, c);
        if (defer_login) {
            login_callbacks.push_back(std::move(done));
            return;
        }
        done(check(c));
    }

    void request(const SessionInfo& session, const Primitive& primitive,
                 std::function<void(std::optional<Primitive>)> reply) override {
        requests.emplace_back(session, primitive);
        if (defer_requests) {
            request_callbacks.push_back(std::move(reply));
            return;
        }
        reply(answer(primitive));
    }

    void session_ended(const SessionId& id, EndReason reason) override {
        ended.emplace_back(id, reason);
    }

    static std::string digest(const std::string& schema, const std::string& nonce,
                              const std::string& password) {
        const std::string input = nonce + password;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_Digest(input.data(), input.size(), md, &len, schema == "SHA" ? EVP_sha1() : EVP_md5(),
                   nullptr);
        unsigned char b64[4 * EVP_MAX_MD_SIZE];
        const int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
        return {reinterpret_cast<const char*>(b64), static_cast<std::size_t>(n)};
    }

    LoginOutcome check(const Credentials& c) const {
        const auto it = passwords.find(c.user_id);
        if (it == passwords.end()) return {531, "no such account", ""};
        const auto number = msisdns.find(c.user_id);
        const LoginOutcome ok{200, "", number == msisdns.end() ? "" : number->second};
        if (c.password) return *c.password == it->second ? ok : LoginOutcome{409, "", ""};
        return digest(c.digest_schema, c.nonce, it->second) == c.digest_bytes
                   ? ok
                   : LoginOutcome{409, "wrong password", ""};
    }

    // Answers as a gateway would, just enough for the engine's bookkeeping.
    static std::optional<Primitive> answer(const Primitive& p) {
        if (std::holds_alternative<model::MessageDelivered>(p)) return std::nullopt;
        if (std::holds_alternative<model::SendMessageRequest>(p)) {
            model::SendMessageResponse r;
            r.message_id = "m1";
            return r;
        }
        if (std::holds_alternative<model::GetListRequest>(p)) {
            model::GetListResponse r;
            r.contact_lists = {"wv:alice/friends@example.org"};
            return r;
        }
        model::Status s;
        return s;
    }
};

// ---- helpers ----

std::string encode(const model::Message& m, Encoding e) {
    const auto tree = model::to_tree(m, m.version);
    if (e == Encoding::xml) return codec::encode_xml(tree);
    auto r = codec::encode_wbxml(tree, m.version);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : std::string();
}

model::Message decode(const Outgoing& out) {
    auto doc = codec::decode(out.body);
    EXPECT_TRUE(doc.ok()) << doc.error().describe();
    if (!doc) return {};
    auto m = model::from_tree(doc->root, doc->version);
    EXPECT_TRUE(m.ok()) << m.error().describe();
    return m.ok() ? *m : model::Message{};
}

model::Message request(CspVersion v, std::optional<std::string> session,
                       std::vector<std::pair<std::string, Primitive>> transactions) {
    model::Message m;
    m.version = v;
    m.session.type = session ? model::SessionType::inband : model::SessionType::outband;
    m.session.session_id = std::move(session);
    for (auto& [id, p] : transactions) {
        model::Transaction t;
        t.descriptor.mode = model::TransactionMode::request;
        t.descriptor.id = id;
        t.content = std::move(p);
        m.transactions.push_back(std::move(t));
    }
    return m;
}

template <class T>
const T& content(const model::Message& m, std::size_t i = 0) {
    static const T empty{};
    if (i >= m.transactions.size()) {
        ADD_FAILURE() << "no transaction " << i;
        return empty;
    }
    const T* p = std::get_if<T>(&m.transactions[i].content);
    if (p == nullptr) {
        ADD_FAILURE() << "transaction " << i << " holds "
                      << model::primitive_name(m.transactions[i].content);
        return empty;
    }
    return *p;
}

std::int64_t status_code(const model::Message& m, std::size_t i = 0) {
    return content<model::Status>(m, i).result.code;
}

model::LoginRequest pwd_login(std::string user, std::string password) {
    model::LoginRequest r;
    r.user_id = std::move(user);
    r.client_id = model::ClientId{};
    r.client_id->url = "http://example.org/phone";
    r.password = std::move(password);
    r.time_to_live = 600;
    r.session_cookie = "wv:cookie1";
    return r;
}

class EngineTest : public ::testing::Test {
  protected:
    EngineTest() { backend.passwords["wv:alice@example.org"] = "secret"; }

    static EngineConfig make_config() {
        EngineConfig c;
        c.default_domain = "example.org";
        return c;
    }

    Engine& engine() {
        if (!engine_) {
            engine_ =
                std::make_unique<Engine>(config, backend, [this](std::uint8_t* out, std::size_t n) {
                    for (std::size_t i = 0; i < n; ++i)
                        out[i] = static_cast<std::uint8_t>(counter_++);
                });
        }
        return *engine_;
    }

    // Sends bytes and expects an answer at once.
    Outgoing send_bytes(const std::string& body, std::string content_type,
                        std::string address = "10.0.0.1") {
        Incoming in;
        in.body = body;
        in.content_type = std::move(content_type);
        in.remote_address = std::move(address);
        in.base_url = base_url;
        in.msisdn = msisdn_header;
        in.now = now;
        std::optional<Outgoing> out;
        engine().handle(std::move(in), [&](Outgoing o) {
            EXPECT_FALSE(out.has_value()) << "answered twice";
            out = std::move(o);
        });
        EXPECT_TRUE(out.has_value()) << "no answer";
        return out.value_or(Outgoing{});
    }

    Outgoing send(const model::Message& m, Encoding e = Encoding::xml,
                  std::string address = "10.0.0.1") {
        return send_bytes(encode(m, e), std::string(codec::content_type(m.version, e)),
                          std::move(address));
    }

    model::Message roundtrip_from(const model::Message& m, std::string address) {
        return decode(send(m, Encoding::xml, std::move(address)));
    }

    model::Message roundtrip(const model::Message& m, Encoding e = Encoding::xml) {
        const Outgoing out = send(m, e);
        EXPECT_EQ(out.http_status, 200);
        EXPECT_EQ(out.content_type, codec::content_type(m.version, e));
        return decode(out);
    }

    // Logs alice in with a password; returns the SessionID.
    SessionId login(CspVersion v = CspVersion::v1_2, Encoding e = Encoding::xml) {
        const auto answer =
            roundtrip(request(v, std::nullopt, {{"t1", pwd_login("wv:alice", "secret")}}), e);
        const auto& r = content<model::LoginResponse>(answer);
        EXPECT_EQ(r.result.code, 200);
        return r.session_id.value_or("");
    }

    void agree_multi_trans(CspVersion v, const SessionId& id, std::int64_t multi_trans) {
        model::ClientCapabilityRequest cap;
        cap.capabilities.emplace();
        cap.capabilities->multi_trans = multi_trans;
        roundtrip(request(v, id, {{"cap", cap}}));
    }

    static model::NewMessage new_message(std::string text) {
        model::NewMessage m;
        m.message_info.message_id = "id-" + text;
        m.message_info.content_size = static_cast<model::Integer>(text.size());
        m.content_data = std::move(text);
        return m;
    }

    EngineConfig config = make_config();
    std::string base_url = "http://imps.example.org:8080";
    std::string msisdn_header;
    ScriptedBackend backend;
    TimePoint now = TimePoint{} + 1000h;
    std::unique_ptr<Engine> engine_;
    unsigned counter_ = 0;
};

// ---- user ids ----

TEST(NormaliseUserId, DefaultDomainCaseAndBadIds) {
    EXPECT_EQ(normalise_user_id("wv:Alice", "Example.org"), "wv:alice@example.org");
    EXPECT_EQ(normalise_user_id("alice@X.org", "d"), "wv:alice@x.org");
    EXPECT_EQ(normalise_user_id("WV:bob@b.test", "d"), "wv:bob@b.test");
    EXPECT_EQ(normalise_user_id("wv:", "d"), "");
    EXPECT_EQ(normalise_user_id("wv:@d", "d"), "");
    EXPECT_EQ(normalise_user_id("wv:a b@d", "d"), "");
    EXPECT_EQ(normalise_user_id("wv:a@b@c", "d"), "");
    EXPECT_EQ(normalise_user_id("wv:a@", "d"), "");
}

// ---- 2-way login in every version and encoding ----

class LoginMatrix : public EngineTest,
                    public ::testing::WithParamInterface<std::tuple<CspVersion, Encoding>> {};

TEST_P(LoginMatrix, PasswordLoginAnswersInThePhonesVersionAndEncoding) {
    const auto [v, e] = GetParam();
    const auto out = send(request(v, std::nullopt, {{"nok1", pwd_login("wv:Alice", "secret")}}), e);
    EXPECT_EQ(out.http_status, 200);
    EXPECT_EQ(out.content_type, codec::content_type(v, e));
    auto doc = codec::decode(out.body);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->version, v);
    EXPECT_EQ(doc->encoding, e);
    const auto answer = decode(out);
    ASSERT_EQ(answer.transactions.size(), 1u);
    EXPECT_EQ(answer.transactions[0].descriptor.id, "nok1");
    EXPECT_EQ(answer.transactions[0].descriptor.mode, model::TransactionMode::response);
    const auto& r = content<model::LoginResponse>(answer);
    EXPECT_EQ(r.result.code, 200);
    ASSERT_TRUE(r.session_id);
    EXPECT_EQ(r.session_id->size(), 32u);
    EXPECT_EQ(r.session_id->find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(r.keep_alive_time, 600);
    EXPECT_EQ(r.capability_request, true);
    ASSERT_EQ(backend.logins.size(), 1u);
    EXPECT_EQ(backend.logins[0].second.user_id, "wv:alice@example.org");
    EXPECT_EQ(backend.logins[0].second.password, "secret");
    EXPECT_EQ(backend.logins[0].first.session_cookie, "wv:cookie1");
    EXPECT_EQ(backend.logins[0].first.version, v);
    const SessionInfo* s = engine().session(*r.session_id);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->client_id, "http://example.org/phone");
    EXPECT_EQ(engine().stats().logins_ok, 1u);
}

INSTANTIATE_TEST_SUITE_P(AllVersions, LoginMatrix,
                         ::testing::Combine(::testing::Values(CspVersion::v1_1, CspVersion::v1_2,
                                                              CspVersion::v1_3),
                                            ::testing::Values(Encoding::xml, Encoding::wbxml)));

TEST_F(EngineTest, WrongPasswordAndUnknownUserGetTheBackendsCode) {
    auto a =
        roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t1", pwd_login("wv:alice", "x")}}));
    EXPECT_EQ(content<model::LoginResponse>(a).result.code, 409);
    EXPECT_FALSE(content<model::LoginResponse>(a).session_id);
    auto b = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t2", pwd_login("wv:zed", "x")}}));
    EXPECT_EQ(content<model::LoginResponse>(b).result.code, 531);
    EXPECT_EQ(engine().session_count(), 0u);
    EXPECT_EQ(engine().stats().logins_failed, 2u);
    EXPECT_TRUE(backend.ended.empty());  // not called for a failed login
}

TEST_F(EngineTest, InvalidUserIdIsRefusedWithoutAskingTheBackend) {
    auto a = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t1", pwd_login("wv:a b", "x")}}));
    EXPECT_EQ(content<model::LoginResponse>(a).result.code, 531);
    EXPECT_TRUE(backend.logins.empty());
}

TEST_F(EngineTest, ClientIdMayBeAbsent) {  // COMPAT: Android 1.3
    auto login = pwd_login("wv:alice", "secret");
    login.client_id.reset();
    auto a = roundtrip(request(CspVersion::v1_3, std::nullopt, {{"a1", login}}));
    EXPECT_EQ(content<model::LoginResponse>(a).result.code, 200);
}

TEST_F(EngineTest, KeepAliveTimeIsClampedAndDefaulted) {
    auto login = pwd_login("wv:alice", "secret");
    login.time_to_live = 86400;  // S60's default
    auto a = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t1", login}}));
    EXPECT_EQ(content<model::LoginResponse>(a).keep_alive_time, 1800);
    login.time_to_live = 5;
    auto b = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t2", login}}));
    EXPECT_EQ(content<model::LoginResponse>(b).keep_alive_time, 30);
    login.time_to_live.reset();
    auto c = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t3", login}}));
    EXPECT_EQ(content<model::LoginResponse>(c).keep_alive_time, 300);
}

TEST_F(EngineTest, SecondLoginOfTheSameUserMakesANewSession) {
    const SessionId a = login();
    const SessionId b = login();
    EXPECT_NE(a, b);
    EXPECT_EQ(engine().session_count(), 2u);
}

// ---- 4-way login ----

model::LoginRequest digest_login(std::vector<std::string> schemas) {
    model::LoginRequest r = pwd_login("wv:alice", "");
    r.password.reset();
    r.digest_schemas = std::move(schemas);
    return r;
}

TEST_F(EngineTest, FourWayMd5Login) {
    auto a = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"and1", digest_login({"MD5"})}}));
    const auto& challenge = content<model::LoginResponse>(a);
    EXPECT_EQ(challenge.result.code, 401);
    EXPECT_FALSE(challenge.session_id);
    ASSERT_TRUE(challenge.nonce);
    EXPECT_EQ(challenge.nonce->size(), 32u);
    EXPECT_EQ(challenge.digest_schema, model::DigestSchema::md5);
    EXPECT_TRUE(backend.logins.empty());

    auto second = digest_login({});
    second.digest_bytes = ScriptedBackend::digest("MD5", *challenge.nonce, "secret");
    auto b = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"and1", second}}));
    const auto& ok = content<model::LoginResponse>(b);
    EXPECT_EQ(ok.result.code, 200);
    EXPECT_TRUE(ok.session_id);
    ASSERT_EQ(backend.logins.size(), 1u);
    EXPECT_EQ(backend.logins[0].second.digest_schema, "MD5");
    EXPECT_EQ(backend.logins[0].second.nonce, *challenge.nonce);
    EXPECT_FALSE(backend.logins[0].second.password);
}

TEST_F(EngineTest, WrongDigestGetsTheBackends409AndTheNonceIsSpent) {
    auto a = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"x1", digest_login({"MD5"})}}));
    const std::string nonce = content<model::LoginResponse>(a).nonce.value_or("");
    auto second = digest_login({});
    second.digest_bytes = ScriptedBackend::digest("MD5", nonce, "wrong");
    auto b = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"x1", second}}));
    EXPECT_EQ(content<model::LoginResponse>(b).result.code, 409);
    // Reusing the nonce with another digest is refused without asking the Backend.
    second.digest_bytes = ScriptedBackend::digest("MD5", nonce, "secret");
    auto c = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"x1", second}}));
    EXPECT_EQ(content<model::LoginResponse>(c).result.code, 420);
    EXPECT_EQ(backend.logins.size(), 1u);
}

TEST_F(EngineTest, NonceIsSingleUseButARepeatedRequestGetsTheSameAnswer) {
    auto a = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"x1", digest_login({"MD5"})}}));
    const std::string nonce = content<model::LoginResponse>(a).nonce.value_or("");
    auto second = digest_login({});
    second.digest_bytes = ScriptedBackend::digest("MD5", nonce, "secret");
    const auto first = send(request(CspVersion::v1_2, std::nullopt, {{"x1", second}}));
    const auto again = send(request(CspVersion::v1_2, std::nullopt, {{"x1", second}}));
    EXPECT_EQ(first.body, again.body);
    EXPECT_EQ(backend.logins.size(), 1u);
    EXPECT_EQ(engine().session_count(), 1u);
}

TEST_F(EngineTest, DigestWithoutChallengeOrAfterExpiryIsRefused) {
    auto second = digest_login({});
    second.digest_bytes = "AAAA";
    auto a = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"y1", second}}));
    EXPECT_EQ(content<model::LoginResponse>(a).result.code, 420);

    auto c = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"y2", digest_login({"MD5"})}}));
    const std::string nonce = content<model::LoginResponse>(c).nonce.value_or("");
    now += config.nonce_lifetime + 1s;
    engine().tick(now);
    second.digest_bytes = ScriptedBackend::digest("MD5", nonce, "secret");
    auto d = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"y2", second}}));
    EXPECT_EQ(content<model::LoginResponse>(d).result.code, 420);
    EXPECT_TRUE(backend.logins.empty());
}

TEST_F(EngineTest, NoncesDifferPerAttempt) {
    auto a = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"n1", digest_login({"MD5"})}}));
    auto b = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"n2", digest_login({"MD5"})}}));
    EXPECT_NE(content<model::LoginResponse>(a).nonce, content<model::LoginResponse>(b).nonce);
}

TEST_F(EngineTest, SchemaChoice) {
    // The first offered schema the Backend can check (PWD skipped while a digest fits).
    auto a = roundtrip(
        request(CspVersion::v1_1, std::nullopt, {{"s1", digest_login({"PWD,SHA,MD4,MD5,MD6"})}}));
    EXPECT_EQ(content<model::LoginResponse>(a).digest_schema, model::DigestSchema::sha);
    // Pass-through domain: no digest can be checked; the phone offered PWD, so PWD it is.
    backend.schemas.clear();
    auto b =
        roundtrip(request(CspVersion::v1_1, std::nullopt, {{"s2", digest_login({"MD5", "PWD"})}}));
    EXPECT_EQ(content<model::LoginResponse>(b).digest_schema, model::DigestSchema::pwd);
    // ... and then the password in clear logs in.
    auto c = roundtrip(
        request(CspVersion::v1_1, std::nullopt, {{"s2", pwd_login("wv:alice", "secret")}}));
    EXPECT_EQ(content<model::LoginResponse>(c).result.code, 200);
    // Only MD5 offered (S60 in digest mode) and nothing fits: 543 with a hint.
    auto d = roundtrip(request(CspVersion::v1_1, std::nullopt, {{"s3", digest_login({"MD5"})}}));
    const auto& r = content<model::LoginResponse>(d);
    EXPECT_EQ(r.result.code, 543);
    EXPECT_NE(r.result.description.value_or("").find("password"), std::string::npos);
}

TEST_F(EngineTest, SpecExampleDigestLoginInWbxml11) {
    // The CSP 1.1 spec's 4-way login request (wv-005), sent as WBXML.
    std::ifstream in(std::filesystem::path(ONESOUP_CORPUS_DIR) / "wv-005.xml", std::ios::binary);
    const std::string xml{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto doc = codec::decode_xml(xml);
    ASSERT_TRUE(doc.ok()) << doc.error().describe();
    auto wbxml = codec::encode_wbxml(doc->root, doc->version);
    ASSERT_TRUE(wbxml.ok());
    backend.passwords["wv:user@im.com"] = "1my2pass3word";
    const auto out = send_bytes(*wbxml, "application/vnd.wv.csp.wbxml");
    const auto answer = decode(out);
    EXPECT_EQ(answer.transactions.at(0).descriptor.id, "IMApp01#12345@NOK5110");
    const auto& r = content<model::LoginResponse>(answer);
    EXPECT_EQ(r.result.code, 401);
    EXPECT_EQ(r.digest_schema, model::DigestSchema::sha);
}

// A Nokia S60 session as the reference notes describe it: CSP 1.1 WBXML, ClientID
// WV:IMPEC01$00001@NOK.S60, TransactionIDs nok1.., MD5 digest, TimeToLive 86400, then
// ClientCapability with MultiTrans 3, Service-Request, polling.
TEST_F(EngineTest, S60StyleSessionInWbxml11) {
    const auto v = CspVersion::v1_1;
    const auto e = Encoding::wbxml;
    model::LoginRequest first;
    first.user_id = "wv:alice";
    first.client_id = model::ClientId{};
    first.client_id->url = "WV:IMPEC01$00001@NOK.S60";
    first.digest_schemas = {"MD5"};
    first.time_to_live = 86400;
    first.session_cookie = "wv:nokia.1234567";
    auto a = roundtrip(request(v, std::nullopt, {{"nok1", first}}), e);
    const auto& challenge = content<model::LoginResponse>(a);
    ASSERT_EQ(challenge.result.code, 401);
    auto second = first;
    second.digest_schemas.clear();
    second.digest_bytes = ScriptedBackend::digest("MD5", challenge.nonce.value_or(""), "secret");
    auto b = roundtrip(request(v, std::nullopt, {{"nok1", second}}), e);
    const auto& ok = content<model::LoginResponse>(b);
    ASSERT_EQ(ok.result.code, 200);
    EXPECT_EQ(ok.keep_alive_time, 1800);
    EXPECT_EQ(ok.client_id, first.client_id);
    const SessionId id = ok.session_id.value_or("");

    model::ClientCapabilityRequest cap;
    cap.client_id = *first.client_id;
    cap.capabilities.emplace();
    cap.capabilities->client_type = "MOBILE_PHONE";
    cap.capabilities->initial_delivery_method = model::DeliveryMethod::push;
    cap.capabilities->accepted_content_types = {"text/plain", "text/x-vCard"};
    cap.capabilities->accepted_charsets = {106};
    cap.capabilities->accepted_content_length = 100000;
    cap.capabilities->supported_bearers = {"HTTP"};
    cap.capabilities->multi_trans = 3;
    cap.capabilities->parser_size = 32767;
    cap.capabilities->supported_cir_methods = {model::CirMethod::wap_sms, model::CirMethod::wap_udp,
                                               model::CirMethod::stcp, model::CirMethod::sudp};
    cap.capabilities->udp_port = 3717;
    auto c = roundtrip(request(v, id, {{"nok2", cap}}), e);
    const auto& agreed = content<model::ClientCapabilityResponse>(c);
    ASSERT_TRUE(agreed.capabilities);
    EXPECT_EQ(agreed.capabilities->multi_trans, 3);
    EXPECT_EQ(agreed.capabilities->accepted_content_length, 65536);
    EXPECT_EQ(agreed.capabilities->server_poll_min, 30);
    EXPECT_TRUE(agreed.capabilities->supported_cir_methods.empty());
    EXPECT_EQ(agreed.capabilities->accepted_content_types, std::vector<std::string>{"text/plain"});
    EXPECT_EQ(agreed.client_id, first.client_id);  // 1.1 carries ClientID
    EXPECT_EQ(engine().session(id)->capabilities.multi_trans, 3);

    model::ServiceRequest service;
    service.client_id = *first.client_id;
    service.functions.emplace();
    auto& f = service.functions->features;
    f.presence = model::FunctionList{{{"ContListFunc", {}}, {"PresenceDeliverFunc", {}}}};
    f.im = model::FunctionList{{{"IMSendFunc", {}}, {"IMReceiveFunc", {}}}};
    service.all_functions_request = false;
    auto d = roundtrip(request(v, id, {{"nok3", service}}), e);
    const auto& granted = content<model::ServiceResponse>(d);
    // IMSendFunc's FWMSG and IMReceiveFunc's notify/get flags are refused; nothing else.
    ASSERT_TRUE(granted.functions);
    EXPECT_FALSE(granted.functions->features.presence);
    ASSERT_TRUE(granted.functions->features.im);
    EXPECT_TRUE(granted.functions->features.im->has("IMSendFunc", "FWMSG"));
    EXPECT_FALSE(granted.functions->features.im->has("IMReceiveFunc", "NEWM"));

    auto poll = send(request(v, id, {{"nok4", model::PollingRequest{}}}), e);
    EXPECT_EQ(poll.http_status, 200);
    EXPECT_TRUE(poll.body.empty());
}

// ---- sessions ----

TEST_F(EngineTest, BadSessionIdGets604) {
    login();
    auto a = roundtrip(request(CspVersion::v1_2, "0123456789abcdef0123456789abcdef",
                               {{"t9", model::PollingRequest{}}}));
    EXPECT_EQ(status_code(a), 604);
    EXPECT_EQ(a.transactions[0].descriptor.id, "t9");
    auto b = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t10", model::GetListRequest{}}}));
    EXPECT_EQ(status_code(b), 604);
    EXPECT_TRUE(backend.requests.empty());
}

TEST_F(EngineTest, SessionExpiresWithoutRequestsAndKeepAliveKeepsItAlive) {
    const SessionId id = login();  // KeepAliveTime 600, grace 60
    now += 500s;
    engine().tick(now);
    model::KeepAliveRequest ka;
    auto a = roundtrip(request(CspVersion::v1_2, id, {{"k1", ka}}));
    EXPECT_EQ(content<model::KeepAliveResponse>(a).result.code, 200);
    EXPECT_EQ(content<model::KeepAliveResponse>(a).keep_alive_time, 600);
    now += 600s;
    EXPECT_GT(engine().tick(now), now);
    EXPECT_NE(engine().session(id), nullptr);
    now += 61s;
    engine().tick(now);
    EXPECT_EQ(engine().session(id), nullptr);
    ASSERT_EQ(backend.ended.size(), 1u);
    EXPECT_EQ(backend.ended[0], std::make_pair(id, EndReason::expired));
    EXPECT_EQ(engine().stats().sessions_expired, 1u);
    auto b = roundtrip(request(CspVersion::v1_2, id, {{"k2", model::PollingRequest{}}}));
    EXPECT_EQ(status_code(b), 600);
}

TEST_F(EngineTest, KeepAliveProposalIsClamped) {
    const SessionId id = login();
    model::KeepAliveRequest ka;
    ka.time_to_live = 100000;
    auto a = roundtrip(request(CspVersion::v1_2, id, {{"k1", ka}}));
    EXPECT_EQ(content<model::KeepAliveResponse>(a).keep_alive_time, 1800);
}

TEST_F(EngineTest, SessionSurvivesAnAddressChange) {
    const SessionId id = login();
    const auto out = send(request(CspVersion::v1_2, id, {{"g1", model::GetListRequest{}}}),
                          Encoding::xml, "192.0.2.77");
    EXPECT_EQ(content<model::GetListResponse>(decode(out)).contact_lists.size(), 1u);
    EXPECT_EQ(engine().session(id)->remote_address, "192.0.2.77");
    EXPECT_EQ(backend.requests.at(0).first.remote_address, "192.0.2.77");
}

TEST_F(EngineTest, LogoutAnswersStatus200AndEndsTheSession) {
    const SessionId id = login();
    ASSERT_TRUE(engine().push(id, new_message("lost")));
    auto a = roundtrip(request(CspVersion::v1_2, id, {{"bye", model::LogoutRequest{}}}));
    ASSERT_EQ(a.transactions.size(), 1u);
    EXPECT_EQ(status_code(a), 200);
    EXPECT_EQ(engine().session(id), nullptr);
    ASSERT_EQ(backend.ended.size(), 1u);
    EXPECT_EQ(backend.ended[0].second, EndReason::logout);
    auto b = roundtrip(request(CspVersion::v1_2, id, {{"p", model::PollingRequest{}}}));
    EXPECT_EQ(status_code(b), 604);
}

TEST_F(EngineTest, ServerDisconnectIsDeliveredThenTheSessionEnds) {
    const SessionId id = login();
    engine().disconnect(id, 601, "XMPP server gone");
    EXPECT_FALSE(engine().push(id, new_message("late")));
    auto a = roundtrip(request(CspVersion::v1_2, id, {{"p1", model::PollingRequest{}}}));
    ASSERT_EQ(a.transactions.size(), 1u);
    EXPECT_EQ(a.transactions[0].descriptor.mode, model::TransactionMode::request);
    EXPECT_EQ(content<model::Disconnect>(a).result.code, 601);
    EXPECT_EQ(engine().session(id), nullptr);
    ASSERT_EQ(backend.ended.size(), 1u);
    EXPECT_EQ(backend.ended[0].second, EndReason::disconnected_by_server);
    auto b = roundtrip(request(CspVersion::v1_2, id, {{"p2", model::PollingRequest{}}}));
    EXPECT_EQ(status_code(b), 604);  // it had its Disconnect already
}

TEST_F(EngineTest, DisconnectedPhoneThatNeverReturnsEndsAtItsDeadline) {
    const SessionId id = login();
    engine().disconnect(id, 601, "");
    now += 661s;
    engine().tick(now);
    ASSERT_EQ(backend.ended.size(), 1u);
    EXPECT_EQ(backend.ended[0].second, EndReason::disconnected_by_server);
    EXPECT_EQ(engine().stats().sessions_expired, 0u);
    auto b = roundtrip(request(CspVersion::v1_2, id, {{"p", model::PollingRequest{}}}));
    EXPECT_EQ(status_code(b), 601);
}

// ---- queue, polling, Poll=T ----

TEST_F(EngineTest, QueuedTransactionsTravelWithPollWhileMoreWaits12) {
    const SessionId id = login();
    agree_multi_trans(CspVersion::v1_2, id, 3);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(engine().push(id, new_message(std::to_string(i))));
    EXPECT_EQ(engine().queued(id), 5u);
    const auto out = send(request(CspVersion::v1_2, id, {{"p1", model::PollingRequest{}}}));
    auto doc = codec::decode(out.body);
    ASSERT_TRUE(doc.ok());
    // 1.2: Poll sits in Session.
    const auto* session = doc->root.child("Session");
    ASSERT_NE(session, nullptr);
    ASSERT_NE(session->child("Poll"), nullptr);
    EXPECT_EQ(session->child("Poll")->text, "T");
    const auto a = decode(out);
    ASSERT_EQ(a.transactions.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(a.transactions[i].descriptor.mode, model::TransactionMode::request);
        EXPECT_EQ(content<model::NewMessage>(a, i).content_data, std::to_string(i));
    }
    EXPECT_NE(a.transactions[0].descriptor.id, a.transactions[1].descriptor.id);
    const auto b = roundtrip(request(CspVersion::v1_2, id, {{"p2", model::PollingRequest{}}}));
    EXPECT_EQ(b.transactions.size(), 2u);
    EXPECT_FALSE(b.poll.value_or(false));
    EXPECT_EQ(engine().queued(id), 0u);
}

TEST_F(EngineTest, PollIsInTheTransactionDescriptorIn11) {
    const SessionId id = login(CspVersion::v1_1);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(engine().push(id, new_message(std::to_string(i))));
    const auto out = send(request(CspVersion::v1_1, id, {{"p1", model::PollingRequest{}}}));
    auto doc = codec::decode(out.body);
    ASSERT_TRUE(doc.ok());
    const auto* session = doc->root.child("Session");
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(session->child("Poll"), nullptr);
    const auto* td = session->child("Transaction")->child("TransactionDescriptor");
    ASSERT_NE(td->child("Poll"), nullptr);
    EXPECT_EQ(td->child("Poll")->text, "T");
}

TEST_F(EngineTest, AnswersComeFirstThenQueuedRequestsUpToMultiTrans) {
    const SessionId id = login();
    agree_multi_trans(CspVersion::v1_2, id, 2);
    ASSERT_TRUE(engine().push(id, new_message("a")));
    ASSERT_TRUE(engine().push(id, new_message("b")));
    const auto a = roundtrip(request(CspVersion::v1_2, id, {{"g", model::GetListRequest{}}}));
    ASSERT_EQ(a.transactions.size(), 2u);
    EXPECT_EQ(a.transactions[0].descriptor.id, "g");
    content<model::GetListResponse>(a, 0);
    content<model::NewMessage>(a, 1);
    EXPECT_EQ(a.poll, true);
}

TEST_F(EngineTest, EmptyBodyOnlyForPollingWithNothingQueued) {
    const SessionId id = login();
    const auto out = send(request(CspVersion::v1_2, id, {{"p", model::PollingRequest{}}}));
    EXPECT_EQ(out.http_status, 200);
    EXPECT_TRUE(out.body.empty());
    EXPECT_EQ(out.content_type, "application/vnd.wv.csp.xml");
    const auto ka = send(request(CspVersion::v1_2, id, {{"k", model::KeepAliveRequest{}}}));
    EXPECT_FALSE(ka.body.empty());
}

TEST_F(EngineTest, QueueLimitAndHook) {
    config.max_queued = 2;
    const SessionId id = login();
    int hooks = 0;
    engine().on_queued = [&](const SessionInfo& s) {
        EXPECT_EQ(s.id, id);
        ++hooks;
    };
    EXPECT_TRUE(engine().push(id, new_message("1")));
    EXPECT_TRUE(engine().push(id, new_message("2")));
    EXPECT_FALSE(engine().push(id, new_message("3")));
    EXPECT_FALSE(engine().push("nope", new_message("4")));
    // Once per accepted push: the CIR layer coalesces bursts itself.
    EXPECT_EQ(hooks, 2);
}

TEST_F(EngineTest, MessageDeliveredAnswerGoesToTheBackendWithNoReply) {
    const SessionId id = login();
    ASSERT_TRUE(engine().push(id, new_message("hi")));
    const auto a = roundtrip(request(CspVersion::v1_2, id, {{"p", model::PollingRequest{}}}));
    const std::string server_tid = a.transactions.at(0).descriptor.id.value_or("");
    model::Message answer = request(CspVersion::v1_2, id, {});
    model::Transaction t;
    t.descriptor.mode = model::TransactionMode::response;
    t.descriptor.id = server_tid;
    model::MessageDelivered md;
    md.message_id = "id-hi";
    t.content = md;
    answer.transactions.push_back(t);
    const auto out = send(answer);
    EXPECT_EQ(out.http_status, 200);
    EXPECT_TRUE(out.body.empty());
    ASSERT_EQ(backend.requests.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<model::MessageDelivered>(backend.requests[0].second));
}

TEST_F(EngineTest, MessageDeliveredAsARequestGetsStatus200) {
    const SessionId id = login();
    model::MessageDelivered md;
    md.message_id = "x";
    const auto a = roundtrip(request(CspVersion::v1_2, id, {{"md", md}}));
    EXPECT_EQ(status_code(a), 200);
}

// ---- replay ----

TEST_F(EngineTest, RepeatedRequestGetsIdenticalBytesAndIsActedOnOnce) {
    const SessionId id = login(CspVersion::v1_2, Encoding::wbxml);
    model::SendMessageRequest sm;
    sm.message_info.content_size = 2;
    sm.content_data = "hi";
    const auto m = request(CspVersion::v1_2, id, {{"s1", sm}});
    const auto first = send(m, Encoding::wbxml);
    const auto again = send(m, Encoding::wbxml);
    EXPECT_EQ(first.body, again.body);
    EXPECT_EQ(first.content_type, again.content_type);
    EXPECT_EQ(backend.requests.size(), 1u);
    EXPECT_EQ(engine().stats().replays, 1u);
}

TEST_F(EngineTest, RepeatedPollGetsTheSameQueuedTransactionsAgain) {
    const SessionId id = login();
    ASSERT_TRUE(engine().push(id, new_message("hi")));
    const auto m = request(CspVersion::v1_2, id, {{"p1", model::PollingRequest{}}});
    const auto first = send(m);
    const auto again = send(m);
    EXPECT_FALSE(first.body.empty());
    EXPECT_EQ(first.body, again.body);
    const auto next = send(request(CspVersion::v1_2, id, {{"p2", model::PollingRequest{}}}));
    EXPECT_TRUE(next.body.empty());
}

TEST_F(EngineTest, RepeatWhileInProgressIsAnsweredOnceTheBackendReplies) {
    const SessionId id = login();
    backend.defer_requests = true;
    const auto m = request(CspVersion::v1_2, id, {{"g1", model::GetListRequest{}}});
    std::vector<Outgoing> answers;
    for (int i = 0; i < 2; ++i) {
        Incoming in;
        in.body = encode(m, Encoding::xml);
        in.content_type = "application/vnd.wv.csp.xml";
        in.now = now;
        engine().handle(std::move(in), [&](Outgoing o) { answers.push_back(std::move(o)); });
    }
    EXPECT_TRUE(answers.empty());
    ASSERT_EQ(backend.request_callbacks.size(), 1u);
    model::GetListResponse r;
    backend.request_callbacks[0](Primitive(r));
    backend.request_callbacks[0](Primitive(r));  // a second reply is ignored
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[0].body, answers[1].body);
}

TEST_F(EngineTest, SlowLoginAnswersWhenTheBackendIsDone) {
    backend.defer_login = true;
    std::optional<Outgoing> out;
    Incoming in;
    in.body =
        encode(request(CspVersion::v1_2, std::nullopt, {{"t1", pwd_login("wv:alice", "secret")}}),
               Encoding::xml);
    in.now = now;
    engine().handle(std::move(in), [&](Outgoing o) { out = std::move(o); });
    EXPECT_FALSE(out);
    EXPECT_EQ(engine().session_count(), 0u);
    ASSERT_EQ(backend.login_callbacks.size(), 1u);
    backend.login_callbacks[0](LoginOutcome{});
    ASSERT_TRUE(out);
    EXPECT_EQ(content<model::LoginResponse>(decode(*out)).result.code, 200);
    EXPECT_EQ(engine().session_count(), 1u);
}

TEST_F(EngineTest, CallbackAfterTheEngineIsGoneIsHarmless) {
    backend.defer_login = true;
    Incoming in;
    in.body =
        encode(request(CspVersion::v1_2, std::nullopt, {{"t1", pwd_login("wv:alice", "secret")}}),
               Encoding::xml);
    engine().handle(std::move(in), [](Outgoing) {});
    engine_.reset();
    backend.login_callbacks.at(0)(LoginOutcome{});
}

// ---- several transactions, echo, errors ----

TEST_F(EngineTest, SeveralTransactionsAreAnsweredInOrderWithTheirIdsEchoed) {
    const SessionId id = login();
    backend.defer_requests = true;
    const auto m = request(CspVersion::v1_2, id,
                           {{" a&<b> ", model::GetListRequest{}},
                            {"k-2", model::KeepAliveRequest{}},
                            {"zz 3", model::GetPresenceRequest{}}});
    std::optional<Outgoing> out;
    Incoming in;
    in.body = encode(m, Encoding::xml);
    in.now = now;
    engine().handle(std::move(in), [&](Outgoing o) { out = std::move(o); });
    ASSERT_EQ(backend.request_callbacks.size(), 2u);
    backend.request_callbacks[1](Primitive(model::GetPresenceResponse{}));
    EXPECT_FALSE(out);  // the HTTP answer waits for every transaction
    backend.request_callbacks[0](Primitive(model::GetListResponse{}));
    ASSERT_TRUE(out);
    const auto a = decode(*out);
    ASSERT_EQ(a.transactions.size(), 3u);
    EXPECT_EQ(a.transactions[0].descriptor.id, " a&<b> ");
    EXPECT_EQ(a.transactions[1].descriptor.id, "k-2");
    EXPECT_EQ(a.transactions[2].descriptor.id, "zz 3");
    content<model::GetListResponse>(a, 0);
    content<model::KeepAliveResponse>(a, 1);
    content<model::GetPresenceResponse>(a, 2);
}

TEST_F(EngineTest, UnknownPrimitiveGets405) {
    const SessionId id = login();
    const std::string xml =
        "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\"><Session>"
        "<SessionDescriptor><SessionType>Inband</SessionType><SessionID>" +
        id +
        "</SessionID></SessionDescriptor><Transaction><TransactionDescriptor>"
        "<TransactionMode>Request</TransactionMode><TransactionID>u1</TransactionID>"
        "</TransactionDescriptor><TransactionContent "
        "xmlns=\"http://www.openmobilealliance.org/DTD/WV-TRC1.2\"><Teleport-Request/>"
        "</TransactionContent></Transaction></Session></WV-CSP-Message>";
    const auto a = decode(send_bytes(xml, "application/vnd.wv.csp.xml"));
    EXPECT_EQ(status_code(a), 405);
    EXPECT_EQ(a.transactions[0].descriptor.id, "u1");
}

TEST_F(EngineTest, ServerOnlyPrimitiveFromThePhoneGets405) {
    const SessionId id = login();
    const auto a = roundtrip(request(CspVersion::v1_2, id, {{"x", new_message("hi")}}));
    EXPECT_EQ(status_code(a), 405);
}

TEST_F(EngineTest, PrimitiveNewerThanTheMessagesVersionGets405) {
    const SessionId id = login();
    model::GetJoinedUsersRequest g;
    g.group_id = "wv:g@example.org";
    const auto a = roundtrip(request(CspVersion::v1_2, id, {{"j", g}}));
    EXPECT_EQ(status_code(a), 405);
    EXPECT_TRUE(backend.requests.empty());
}

TEST_F(EngineTest, NotCspIsHttp400) {
    const auto out = send_bytes("GET / HTTP/1.0", "text/html");
    EXPECT_EQ(out.http_status, 400);
    EXPECT_EQ(out.content_type.rfind("text/plain", 0), 0u);
    EXPECT_FALSE(out.body.empty());
    const auto empty = send_bytes("", "application/vnd.wv.csp.xml");
    EXPECT_EQ(empty.http_status, 400);
    EXPECT_EQ(engine().stats().bad_requests, 2u);
}

TEST_F(EngineTest, WrongContentTypeThatSniffsAsCspIsAccepted) {
    const auto m =
        request(CspVersion::v1_2, std::nullopt, {{"t1", pwd_login("wv:alice", "secret")}});
    const auto out = send_bytes(encode(m, Encoding::wbxml), "application/vnd.wv.csp.xml");
    EXPECT_EQ(out.http_status, 200);
    EXPECT_EQ(out.content_type, "application/vnd.wv.csp.wbxml");
    EXPECT_EQ(content<model::LoginResponse>(decode(out)).result.code, 200);
    const auto none = send_bytes(encode(m, Encoding::xml), "");
    EXPECT_EQ(none.content_type, "application/vnd.wv.csp.xml");
}

TEST_F(EngineTest, ModelErrorGetsStatus400NamingTheProblem) {
    const std::string xml =
        "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\"><Session>"
        "<SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>"
        "<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>"
        "<TransactionID>bad1</TransactionID></TransactionDescriptor><TransactionContent "
        "xmlns=\"http://www.openmobilealliance.org/DTD/WV-TRC1.2\"><Login-Request>"
        "<UserID>wv:alice</UserID><Password>x</Password><TimeToLive>abc</TimeToLive>"
        "</Login-Request></TransactionContent></Transaction></Session></WV-CSP-Message>";
    const auto out = send_bytes(xml, "application/vnd.wv.csp.xml");
    EXPECT_EQ(out.http_status, 200);
    const auto a = decode(out);
    EXPECT_EQ(status_code(a), 400);
    EXPECT_EQ(a.transactions[0].descriptor.id, "bad1");
    EXPECT_NE(content<model::Status>(a).result.description.value_or("").find("TimeToLive"),
              std::string::npos);
    EXPECT_TRUE(backend.logins.empty());
}

TEST_F(EngineTest, UnsupportedVersionGets505) {
    const std::string xml =
        "<WV-CSP-Message xmlns=\"http://www.wireless-village.org/CSP1.0\"><Session>"
        "<SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>"
        "</Session></WV-CSP-Message>";
    const auto out = send_bytes(xml, "application/vnd.wv.csp.xml");
    EXPECT_EQ(out.http_status, 200);
    EXPECT_EQ(status_code(decode(out)), 505);
}

TEST_F(EngineTest, UnknownWbxmlPublicIdGets505InWbxml) {
    const auto m = request(CspVersion::v1_2, std::nullopt, {{"t", pwd_login("wv:alice", "x")}});
    std::string body = encode(m, Encoding::wbxml);
    ASSERT_EQ(body.at(1), '\x11');
    body[1] = '\x0e';  // a public id that is not CSP 1.1-1.3
    const auto out = send_bytes(body, "application/vnd.wv.csp.wbxml");
    EXPECT_EQ(out.http_status, 200);
    EXPECT_EQ(out.content_type, "application/vnd.wv.csp.wbxml");
    EXPECT_EQ(status_code(decode(out)), 505);
    EXPECT_TRUE(backend.logins.empty());
}

TEST_F(EngineTest, TooManyTransactionsIsRefused) {
    const SessionId id = login();
    std::vector<std::pair<std::string, Primitive>> many;
    for (int i = 0; i < 17; ++i)
        many.emplace_back("p" + std::to_string(i), model::PollingRequest{});
    const auto a = roundtrip(request(CspVersion::v1_2, id, std::move(many)));
    EXPECT_EQ(status_code(a), 400);
}

TEST_F(EngineTest, ContentTypesOf13) {
    const auto out =
        send(request(CspVersion::v1_3, std::nullopt, {{"t", pwd_login("wv:alice", "secret")}}),
             Encoding::wbxml);
    EXPECT_EQ(out.content_type, "application/vnd.wv.csp+wbxml");
}

// ---- negotiation ----

TEST_F(EngineTest, CapabilityListIn11AgreedCapabilityListIn12) {
    for (const auto v : {CspVersion::v1_1, CspVersion::v1_2}) {
        const SessionId id = login(v);
        model::ClientCapabilityRequest cap;
        cap.client_id.url = "phone";
        cap.capabilities.emplace();
        cap.capabilities->multi_trans = 99;
        cap.capabilities->accepted_content_length = 512;  // a Motorola Razr
        const auto out = send(request(v, id, {{"c", cap}}));
        auto doc = codec::decode(out.body);
        ASSERT_TRUE(doc.ok());
        const auto* resp = doc->root.child("Session")
                               ->child("Transaction")
                               ->child("TransactionContent")
                               ->child("ClientCapability-Response");
        ASSERT_NE(resp, nullptr);
        const char* expected = v == CspVersion::v1_1 ? "CapabilityList" : "AgreedCapabilityList";
        const char* other = v == CspVersion::v1_1 ? "AgreedCapabilityList" : "CapabilityList";
        EXPECT_NE(resp->child(expected), nullptr);
        EXPECT_EQ(resp->child(other), nullptr);
        const auto& agreed = engine().session(id)->capabilities;
        EXPECT_EQ(agreed.multi_trans, 16);
        EXPECT_EQ(agreed.accepted_content_length, 512);
        EXPECT_TRUE(agreed.initial_delivery_push);
    }
}

TEST_F(EngineTest, ServiceRefusesGroupsAndSearchAndListsAllFunctionsOnRequest) {
    const SessionId id = login();
    model::ServiceRequest s;
    s.functions.emplace();
    s.functions->features.group = model::FunctionList{{{"GroupMgmtFunc", {"CREAG"}}}};
    s.functions->features.fundamental =
        model::FunctionList{{{"ServiceFunc", {"GETSPI"}}, {"SearchFunc", {}}}};
    s.all_functions_request = true;
    const auto out = send(request(CspVersion::v1_2, id, {{"s", s}}));
    const auto a = decode(out);
    const auto& r = content<model::ServiceResponse>(a);
    ASSERT_TRUE(r.functions);
    EXPECT_TRUE(r.functions->features.group->has("GroupMgmtFunc", "CREAG"));
    EXPECT_TRUE(r.functions->features.fundamental->has("SearchFunc", "SRCH"));
    EXPECT_FALSE(r.functions->features.fundamental->has("ServiceFunc"));
    ASSERT_TRUE(r.all_functions);
    const auto& all = r.all_functions->features;
    EXPECT_TRUE(all.im->has("IMSendFunc", "MDELIV"));
    EXPECT_TRUE(all.im->has("IMReceiveFunc", "NEWM"));
    EXPECT_TRUE(all.presence->has("ContListFunc", "GCLI"));
    EXPECT_TRUE(all.presence->has("PresenceDeliverFunc", "UPDPR"));
    EXPECT_FALSE(all.group);

    // Asking only for what we support: no Functions at all (never an empty WVCSPFeat).
    model::ServiceRequest ok;
    ok.functions.emplace();
    ok.functions->features.presence = model::FunctionList{{{"ContListFunc", {"GCLI", "MCLS"}}}};
    const auto b = decode(send(request(CspVersion::v1_2, id, {{"s2", ok}})));
    EXPECT_FALSE(content<model::ServiceResponse>(b).functions);
    EXPECT_EQ(b.transactions.size(), 1u);
    EXPECT_EQ(out.body.find("<WVCSPFeat/>"), std::string::npos);
}

TEST_F(EngineTest, GetSpInfoNeedsNoSession) {
    const auto a =
        roundtrip(request(CspVersion::v1_2, std::nullopt, {{"i", model::GetSpInfoRequest{}}}));
    EXPECT_EQ(content<model::GetSpInfoResponse>(a).name, "onesoup");
}

TEST_F(EngineTest, ALongQueueDrainsInOrderWhileMoreArrives) {
    const SessionId id = login();
    int pushed = 0;
    for (; pushed < 40; ++pushed) {
        ASSERT_TRUE(engine().push(id, new_message(std::to_string(pushed))));
    }
    int next = 0;
    for (int round = 0; next < 60; ++round) {
        ASSERT_LT(round, 100);
        if (round == 20) {
            for (; pushed < 60; ++pushed) {
                ASSERT_TRUE(engine().push(id, new_message(std::to_string(pushed))));
            }
        }
        const auto a = roundtrip(request(CspVersion::v1_2, id,
                                         {{"p" + std::to_string(round), model::PollingRequest{}}}));
        ASSERT_EQ(a.transactions.size(), 1u);
        EXPECT_EQ(content<model::NewMessage>(a).content_data, std::to_string(next));
        ++next;
        EXPECT_EQ(engine().queued(id), static_cast<std::size_t>(pushed - next));
    }
    EXPECT_EQ(engine().queued(id), 0u);
}

// ---- CIR negotiation and state (issue 4) ----

class EngineCirTest : public EngineTest {
  protected:
    EngineCirTest() {
        config.cir.methods = {model::CirMethod::stcp, model::CirMethod::shttp,
                              model::CirMethod::sudp, model::CirMethod::wap_udp,
                              model::CirMethod::wap_sms, model::CirMethod::ssms};
        config.cir.tcp_port = 3717;
        config.cir.poll_min_with_cir = 600s;
        config.server_poll_min = 20s;
    }

    model::CapabilityList agree(CspVersion v, const SessionId& id,
                                std::vector<model::CirMethod> offered,
                                std::optional<std::int64_t> udp_port = std::nullopt,
                                std::optional<std::int64_t> poll_min = std::nullopt) {
        model::ClientCapabilityRequest cap;
        if (v == CspVersion::v1_1) cap.client_id = model::ClientId{{"http://example.org/phone"}, {}, {}};
        cap.capabilities.emplace();
        cap.capabilities->supported_cir_methods = std::move(offered);
        cap.capabilities->udp_port = udp_port;
        cap.capabilities->server_poll_min = poll_min;
        // A new TransactionID each time (a repeated one would be answered from the replay cache).
        const std::string tid = "cap" + std::to_string(++caps_);
        const auto answer = roundtrip(request(v, id, {{tid, cap}}), Encoding::wbxml);
        return content<model::ClientCapabilityResponse>(answer).capabilities.value_or(
            model::CapabilityList{});
    }

    int caps_ = 0;
};

TEST_F(EngineCirTest, AgreesInThePhonesOrderWithTheAddressesToUse) {
    using model::CirMethod;
    const SessionId id = login(CspVersion::v1_2, Encoding::wbxml);
    // Android's offer: STCP, SSMS, SHTTP. SSMS needs a number, which this session lacks.
    const auto agreed = agree(CspVersion::v1_2, id,
                              {CirMethod::shttp, CirMethod::ssms, CirMethod::stcp, CirMethod::shttp});
    EXPECT_EQ(agreed.supported_cir_methods,
              (std::vector<CirMethod>{CirMethod::shttp, CirMethod::stcp}));
    EXPECT_EQ(agreed.tcp_address, "imps.example.org");
    EXPECT_EQ(agreed.tcp_port, 3717);
    ASSERT_TRUE(agreed.cir_url);
    EXPECT_EQ(agreed.cir_url->url, "http://imps.example.org:8080/cir/" + id);
    EXPECT_EQ(agreed.server_poll_min, 600);
    const SessionInfo* info = engine().session(id);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->capabilities.cir_methods, (std::vector<std::string>{"SHTTP", "STCP"}));
    EXPECT_EQ(info->capabilities.server_poll_min, 600);
}

TEST_F(EngineCirTest, ConfiguredAddressesWinOverTheHostThePhoneUsed) {
    config.cir.tcp_address = "cir.example.net";
    config.cir.http_url = "https://cir.example.net/wake/";
    base_url = "http://[2001:db8::1]:8080";
    const SessionId id = login(CspVersion::v1_3, Encoding::xml);
    const auto agreed =
        agree(CspVersion::v1_3, id, {model::CirMethod::stcp, model::CirMethod::shttp});
    EXPECT_EQ(agreed.tcp_address, "cir.example.net");
    ASSERT_TRUE(agreed.cir_url);
    EXPECT_EQ(agreed.cir_url->url, "https://cir.example.net/wake/" + id);
}

TEST_F(EngineCirTest, Ipv6HostLosesItsBrackets) {
    base_url = "http://[2001:db8::1]:8080";
    const SessionId id = login();
    EXPECT_EQ(agree(CspVersion::v1_2, id, {model::CirMethod::stcp}).tcp_address, "2001:db8::1");
}

TEST_F(EngineCirTest, CirUrlIsCirHttpAddressIn13AndCirUrlIn12) {
    for (CspVersion v : {CspVersion::v1_2, CspVersion::v1_3}) {
        const SessionId id = login(v, Encoding::xml);
        model::ClientCapabilityRequest cap;
        cap.capabilities.emplace();
        cap.capabilities->supported_cir_methods = {model::CirMethod::shttp};
        const Outgoing out = send(request(v, id, {{"cap", cap}}));
        const auto doc = codec::decode(out.body);
        ASSERT_TRUE(doc.ok());
        const codec::Element* agreed = doc->root.child("Session")
                                           ->child("Transaction")
                                           ->child("TransactionContent")
                                           ->child("ClientCapability-Response")
                                           ->child("AgreedCapabilityList");
        ASSERT_NE(agreed, nullptr);
        const char* name = v == CspVersion::v1_2 ? "CIRURL" : "CIRHTTPAddress";
        const char* other = v == CspVersion::v1_2 ? "CIRHTTPAddress" : "CIRURL";
        ASSERT_NE(agreed->child(name), nullptr) << name;
        EXPECT_EQ(agreed->child(other), nullptr);
        EXPECT_EQ(agreed->child(name)->child("URL")->text, base_url + "/cir/" + id);
    }
}

TEST_F(EngineCirTest, MethodsOfLaterVersionsAndDisabledOnesAreNotAgreed) {
    using model::CirMethod;
    config.cir.methods = {CirMethod::sudp, CirMethod::shttp, CirMethod::ssms};
    msisdn_header = "+358401234567";
    const SessionId id = login(CspVersion::v1_1, Encoding::wbxml);
    // S60's offer in 1.1; SHTTP and SSMS do not exist in 1.1, STCP is not enabled here.
    const auto agreed = agree(CspVersion::v1_1, id,
                              {CirMethod::wap_sms, CirMethod::wap_udp, CirMethod::stcp,
                               CirMethod::sudp, CirMethod::shttp, CirMethod::ssms},
                              3717);
    EXPECT_EQ(agreed.supported_cir_methods, (std::vector<CirMethod>{CirMethod::sudp}));
    EXPECT_EQ(agreed.udp_port, 3717);
    EXPECT_FALSE(agreed.tcp_address);
    EXPECT_EQ(engine().session(id)->capabilities.udp_port, 3717);
}

TEST_F(EngineCirTest, SmsMethodsNeedANumberFromTheHeaderTheClientIdOrTheAccount) {
    using model::CirMethod;
    const std::vector<CirMethod> offer{CirMethod::wap_sms, CirMethod::ssms};
    {  // no number anywhere
        const SessionId id = login();
        EXPECT_TRUE(agree(CspVersion::v1_2, id, offer).supported_cir_methods.empty());
    }
    {  // the network's header
        msisdn_header = "+358401111111";
        const SessionId id = login();
        EXPECT_EQ(agree(CspVersion::v1_2, id, offer).supported_cir_methods, offer);
        EXPECT_EQ(engine().session(id)->msisdn, "+358401111111");
        msisdn_header.clear();
    }
    {  // the login's ClientID given as an MSISDN
        model::LoginRequest r = pwd_login("wv:alice", "secret");
        r.client_id = model::ClientId{std::nullopt, "+358402222222", {}};
        const auto answer = roundtrip(request(CspVersion::v1_2, std::nullopt, {{"t1", r}}));
        const SessionId id = content<model::LoginResponse>(answer).session_id.value_or("");
        ASSERT_FALSE(id.empty());
        EXPECT_EQ(engine().session(id)->msisdn, "+358402222222");
        EXPECT_EQ(agree(CspVersion::v1_2, id, offer).supported_cir_methods, offer);
    }
    {  // the account's number
        backend.msisdns["wv:alice@example.org"] = "+358403333333";
        const SessionId id = login();
        EXPECT_EQ(engine().session(id)->msisdn, "+358403333333");
        EXPECT_EQ(agree(CspVersion::v1_2, id, offer).supported_cir_methods, offer);
    }
}

TEST_F(EngineCirTest, NoCirMeansTheShortPollIntervalUnlessThePhoneAsksLonger) {
    config.cir.methods.clear();
    const SessionId id = login();
    auto agreed = agree(CspVersion::v1_2, id, {model::CirMethod::stcp});
    EXPECT_TRUE(agreed.supported_cir_methods.empty());
    EXPECT_EQ(agreed.server_poll_min, 20);
    // A Motorola Razr asks for ServerPollMin 20; a phone asking 45 gets 45.
    agreed = agree(CspVersion::v1_2, id, {}, std::nullopt, 45);
    EXPECT_EQ(agreed.server_poll_min, 45);
    agreed = agree(CspVersion::v1_2, id, {}, std::nullopt, 5);
    EXPECT_EQ(agreed.server_poll_min, 20);
}

TEST_F(EngineCirTest, WithoutAHostToGiveStcpAndShttpAreNotAgreed) {
    base_url.clear();
    const SessionId id = login();
    EXPECT_TRUE(agree(CspVersion::v1_2, id, {model::CirMethod::stcp, model::CirMethod::shttp})
                    .supported_cir_methods.empty());
}

TEST_F(EngineCirTest, CirFailedTravelsOnceInTheNextAnswerWithATransaction) {
    const SessionId id = login(CspVersion::v1_2, Encoding::wbxml);
    engine().cir_failed(id);
    engine().cir_failed("no-such-session");  // harmless
    // An empty poll answer has no body to carry it: it waits for the next one.
    const Outgoing empty = send(request(CspVersion::v1_2, id, {{"p", model::PollingRequest{}}}));
    EXPECT_TRUE(empty.body.empty());
    const auto ka =
        roundtrip(request(CspVersion::v1_2, id, {{"k", model::KeepAliveRequest{}}}), Encoding::wbxml);
    EXPECT_EQ(ka.cir, std::optional<bool>(false));
    const auto again =
        roundtrip(request(CspVersion::v1_2, id, {{"k2", model::KeepAliveRequest{}}}), Encoding::wbxml);
    EXPECT_FALSE(again.cir.has_value());
}

TEST_F(EngineCirTest, CirFailedIsNotWrittenIn11) {
    const SessionId id = login(CspVersion::v1_1, Encoding::xml);
    engine().cir_failed(id);
    const Outgoing out = send(request(CspVersion::v1_1, id, {{"k", model::KeepAliveRequest{}}}));
    EXPECT_EQ(out.body.find("CIR"), std::string::npos);
}

TEST_F(EngineCirTest, HooksSeeEveryPushAndEveryRequestWithTheLatestAddress) {
    const SessionId id = login();
    std::vector<std::string> queued;
    std::vector<std::string> requests;
    engine().on_queued = [&](const SessionInfo& s) { queued.push_back(s.id); };
    engine().on_request = [&](const SessionInfo& s) { requests.push_back(s.remote_address); };
    ASSERT_TRUE(engine().push(id, new_message("1")));
    ASSERT_TRUE(engine().push(id, new_message("2")));
    EXPECT_EQ(queued.size(), 2u);
    // The phone comes back from a new address after the wake-up.
    const auto a = roundtrip_from(request(CspVersion::v1_2, id, {{"p", model::PollingRequest{}}}),
                                  "10.9.9.9");
    EXPECT_EQ(a.transactions.size(), 1u);  // MultiTrans 1: one now, Poll=T
    EXPECT_EQ(requests, std::vector<std::string>{"10.9.9.9"});
    EXPECT_EQ(engine().session(id)->remote_address, "10.9.9.9");
    // A request for a session that does not exist calls nothing.
    send(request(CspVersion::v1_2, std::string("nope"), {{"p", model::PollingRequest{}}}));
    EXPECT_EQ(requests.size(), 1u);
    // A disconnect queues the Disconnect and wakes the phone too.
    engine().disconnect(id, 0, "bye");
    EXPECT_EQ(queued.size(), 3u);
}

}  // namespace
}  // namespace onesoup::imps::engine
