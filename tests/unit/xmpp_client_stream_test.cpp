#include <gtest/gtest.h>

#include <gsasl.h>

#include <string>
#include <vector>

#include "onesoup/xmpp/client_stream.hpp"
#include "onesoup/xmpp/xml_writer.hpp"

using namespace onesoup::xmpp;
using Kind = ClientAction::Kind;

namespace {

const std::string server_header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='example.com' version='1.0'>";
const std::string tls_features =
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
    "</stream:features>";
std::string mech_features(std::initializer_list<const char*> mechs) {
    std::string s = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
    for (const char* m : mechs) s += std::string("<mechanism>") + m + "</mechanism>";
    return s + "</mechanisms></stream:features>";
}
const std::string bind_features =
    "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
    "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>";

class Harness {
  public:
    explicit Harness(ClientConfig config) : stream_(std::move(config), sasl()) {}

    static SaslContext& sasl() {
        static auto ctx = SaslContext::create();
        return **ctx;
    }

    std::vector<ClientAction> connect() {
        std::vector<ClientAction> out;
        stream_.connected(out);
        return out;
    }
    std::vector<ClientAction> recv(const std::string& bytes) {
        std::vector<ClientAction> out;
        stream_.received(bytes, out);
        return out;
    }
    ClientStream& stream() { return stream_; }

  private:
    ClientStream stream_;
};

ClientConfig plain_loopback_config() {
    ClientConfig c;
    c.jid = *Jid::parse("alice@example.com/phone");
    c.password = "secret";
    c.tls = ClientConfig::Tls::off;
    c.allow_plain_without_tls = true;
    return c;
}

std::string sent(const std::vector<ClientAction>& actions) {
    std::string s;
    for (const auto& a : actions) {
        if (a.kind == Kind::send) s += a.data;
    }
    return s;
}

const ClientAction* find(const std::vector<ClientAction>& actions, Kind kind) {
    for (const auto& a : actions) {
        if (a.kind == kind) return &a;
    }
    return nullptr;
}

std::string failure_of(const std::vector<ClientAction>& actions) {
    const ClientAction* f = find(actions, Kind::failed);
    EXPECT_NE(f, nullptr);
    EXPECT_NE(find(actions, Kind::close), nullptr);
    return f != nullptr ? f->data : std::string();
}

}  // namespace

TEST(XmppClientStream, PlainLoginBindSessionAndStanzas) {
    Harness h(plain_loopback_config());
    auto a = h.connect();
    ASSERT_NE(find(a, Kind::set_timer), nullptr);
    EXPECT_EQ(sent(a), stream_header("example.com"));  // no 'from' before TLS

    a = h.recv(server_header + mech_features({"SCRAM-SHA-1-PLUS", "PLAIN"}));
    // base64("\0alice\0secret")
    EXPECT_EQ(sent(a),
              "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
              "AGFsaWNlAHNlY3JldA==</auth>");
    EXPECT_EQ(h.stream().mechanism(), "PLAIN");

    // The success and the new stream's header arrive in one read.
    a = h.recv("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + server_header);
    EXPECT_EQ(sent(a), stream_header("example.com"));
    a = h.recv(bind_features);
    EXPECT_EQ(sent(a),
              "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
              "<resource>phone</resource></bind></iq>");
    a = h.recv(
        "<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<jid>alice@example.com/phone-123</jid></bind></iq>");
    // <session/> without <optional/>: the legacy session request goes out first.
    EXPECT_NE(sent(a).find("<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"),
              std::string::npos);
    EXPECT_EQ(find(a, Kind::bound), nullptr);
    a = h.recv("<iq type='result' id='sess_1'/>");
    const ClientAction* bound = find(a, Kind::bound);
    ASSERT_NE(bound, nullptr);
    EXPECT_EQ(bound->jid.str(), "alice@example.com/phone-123");
    EXPECT_EQ(h.stream().state(), ClientStream::State::ready);

    a = h.recv(
        "<message from='bob@example.com/x' type='chat'><body>hi</body></message>"
        "<iq type='get' id='p1' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
    const ClientAction* msg = find(a, Kind::stanza);
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(msg->stanza.child("body")->text, "hi");
    EXPECT_EQ(sent(a), "<iq type='result' to='example.com' id='p1'/>");

    Element out("message", ns::client);
    out.set_attr("to", "bob@example.com").add_text_child("body", ns::client, "a<b");
    std::vector<ClientAction> sa;
    EXPECT_TRUE(h.stream().send(out, sa));
    EXPECT_EQ(sent(sa), "<message to='bob@example.com'><body>a&lt;b</body></message>");

    a = h.recv("</stream:stream>");
    EXPECT_EQ(sent(a), "</stream:stream>");
    EXPECT_NE(find(a, Kind::close), nullptr);
    EXPECT_EQ(find(a, Kind::failed), nullptr);
    EXPECT_EQ(h.stream().state(), ClientStream::State::closed);
}

TEST(XmppClientStream, StartTlsThenRestart) {
    ClientConfig c = plain_loopback_config();
    c.tls = ClientConfig::Tls::required;
    c.allow_plain_without_tls = false;
    Harness h(c);
    h.connect();
    auto a = h.recv(server_header + tls_features);
    EXPECT_EQ(sent(a), "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    a = h.recv("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    ASSERT_NE(find(a, Kind::start_tls), nullptr);
    EXPECT_EQ(h.stream().state(), ClientStream::State::tls_handshake);
    std::vector<ClientAction> t;
    h.stream().tls_established(t);
    EXPECT_TRUE(h.stream().tls_active());
    EXPECT_EQ(sent(t), stream_header("example.com", "alice@example.com"));
    a = h.recv(server_header + mech_features({"PLAIN"}));
    EXPECT_NE(sent(a).find("mechanism='PLAIN'"), std::string::npos);  // PLAIN is fine over TLS
}

TEST(XmppClientStream, RefusesWhatPolicyForbids) {
    {
        ClientConfig c = plain_loopback_config();
        c.tls = ClientConfig::Tls::required;
        Harness h(c);
        h.connect();
        auto a = h.recv(server_header + mech_features({"PLAIN"}));
        EXPECT_NE(failure_of(a).find("STARTTLS"), std::string::npos);
        EXPECT_EQ(h.stream().state(), ClientStream::State::failed);
    }
    {
        ClientConfig c = plain_loopback_config();
        c.allow_plain_without_tls = false;
        Harness h(c);
        h.connect();
        auto a = h.recv(server_header + mech_features({"PLAIN", "X-OAUTH2"}));
        EXPECT_NE(failure_of(a).find("no usable SASL mechanism"), std::string::npos);
    }
    {
        ClientConfig c = plain_loopback_config();
        c.tls = ClientConfig::Tls::required;
        Harness h(c);
        h.connect();
        h.recv(server_header + tls_features);
        auto a = h.recv("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message/>");
        EXPECT_NE(failure_of(a).find("before the TLS handshake"), std::string::npos);
    }
}

TEST(XmppClientStream, ReportsServerErrors) {
    struct Case {
        std::string input;
        std::string expect;
    };
    std::vector<Case> cases = {
        {server_header + mech_features({"PLAIN"}) +
             "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>"
             "<text>bad password</text></failure>",
         "authentication failed: not-authorized: bad password"},
        {server_header + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                         "</stream:error>",
         "stream error: host-unknown"},
        {server_header + "<message/>", "expected <stream:features>"},
        {server_header + "<stream:features><bogus></stream:features>", "bad XML"},
        {"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
         "XMPP 1.0"},
        {server_header + "</stream:stream>", "closed the stream during negotiation"},
    };
    for (const auto& c : cases) {
        Harness h(plain_loopback_config());
        h.connect();
        auto a = h.recv(c.input);
        EXPECT_NE(failure_of(a).find(c.expect), std::string::npos) << c.expect;
        EXPECT_EQ(h.stream().state(), ClientStream::State::failed);
        EXPECT_TRUE(h.recv("<more/>").empty());  // a failed stream ignores further input
    }
    // Binding refused.
    Harness h(plain_loopback_config());
    h.connect();
    h.recv(server_header + mech_features({"PLAIN"}));
    h.recv("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + server_header + bind_features);
    auto a = h.recv(
        "<iq type='error' id='bind_1'><error type='cancel'><conflict "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
    EXPECT_NE(failure_of(a).find("resource binding refused: conflict"), std::string::npos);
    // A bound JID for another account is refused.
    Harness h2(plain_loopback_config());
    h2.connect();
    h2.recv(server_header + mech_features({"PLAIN"}));
    h2.recv("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + server_header + bind_features);
    a = h2.recv(
        "<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<jid>mallory@example.com/x</jid></bind></iq>");
    EXPECT_NE(failure_of(a).find("unusable JID"), std::string::npos);
}

TEST(XmppClientStream, TimeoutAndConnectionLoss) {
    Harness h(plain_loopback_config());
    h.connect();
    std::vector<ClientAction> a;
    h.stream().timer_fired(a);
    EXPECT_NE(failure_of(a).find("timed out"), std::string::npos);

    Harness h2(plain_loopback_config());
    h2.connect();
    a.clear();
    h2.stream().transport_closed("reset by peer", a);
    EXPECT_NE(failure_of(a).find("reset by peer"), std::string::npos);
}

namespace {

// A real SCRAM server from libgsasl plays the server side, so the client's proofs and its
// check of the server's signature are exercised for real.
int server_callback(Gsasl*, Gsasl_session* sctx, Gsasl_property prop) {
    if (prop == GSASL_PASSWORD) {
        gsasl_property_set(sctx, GSASL_PASSWORD, "secret");
        return GSASL_OK;
    }
    return GSASL_NO_CALLBACK;
}

std::string between(const std::string& s, const std::string& open, const std::string& close) {
    auto b = s.find(open);
    if (b == std::string::npos) return {};
    b = s.find('>', b) + 1;
    return s.substr(b, s.find(close, b) - b);
}

// Runs a SCRAM login against libgsasl's server; `tamper` corrupts the server's final message.
std::vector<ClientAction> scram_login(const char* mech, bool tamper, ClientStream::State& state) {
    Gsasl* server_ctx = nullptr;
    EXPECT_EQ(gsasl_init(&server_ctx), GSASL_OK);
    gsasl_callback_set(server_ctx, server_callback);
    Gsasl_session* server = nullptr;
    EXPECT_EQ(gsasl_server_start(server_ctx, mech, &server), GSASL_OK);

    ClientConfig c = plain_loopback_config();
    c.allow_plain_without_tls = false;
    Harness h(c);
    h.connect();
    auto a = h.recv(server_header + mech_features({"PLAIN", mech}));
    std::string client_first = between(sent(a), "<auth", "</auth>");
    EXPECT_NE(sent(a).find(std::string("mechanism='") + mech + "'"), std::string::npos);
    char* out = nullptr;
    EXPECT_EQ(gsasl_step64(server, client_first.c_str(), &out), GSASL_NEEDS_MORE);
    a = h.recv(std::string("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>") + out +
               "</challenge>");
    gsasl_free(out);
    std::string client_final = between(sent(a), "<response", "</response>");
    out = nullptr;
    int rc = gsasl_step64(server, client_final.c_str(), &out);
    EXPECT_EQ(rc, GSASL_OK);  // the server accepted the client's proof
    std::string server_final = out != nullptr ? out : "";
    gsasl_free(out);
    if (tamper) server_final[server_final.size() / 2] ^= 1;
    a = h.recv("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + server_final + "</success>");
    gsasl_finish(server);
    gsasl_done(server_ctx);
    state = h.stream().state();
    return a;
}

}  // namespace

TEST(XmppClientStream, ScramAgainstLibgsaslServer) {
    for (const char* mech : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
        ClientStream::State state{};
        // Our own SaltedPassword (OpenSSL PBKDF2, cached) must be what the server expects:
        // the cache grows by one (each server session picks a fresh salt).
        const std::size_t cached_before = Harness::sasl().cached_count();
        auto a = scram_login(mech, false, state);
        EXPECT_EQ(Harness::sasl().cached_count(), cached_before + 1) << mech;
        EXPECT_EQ(find(a, Kind::failed), nullptr) << mech;
        EXPECT_EQ(sent(a), stream_header("example.com")) << mech;  // restarted
        EXPECT_EQ(state, ClientStream::State::opening);

        auto bad = scram_login(mech, true, state);
        EXPECT_NE(find(bad, Kind::failed), nullptr) << mech;
        EXPECT_EQ(state, ClientStream::State::failed);
    }
}

namespace {

ClientConfig registering_config() {
    ClientConfig c = plain_loopback_config();
    c.password = "p&ss";
    c.register_first = true;
    return c;
}

const std::string register_request =
    "<iq type='set' id='reg_1'><query xmlns='jabber:iq:register'><username>alice</username>"
    "<password>p&amp;ss</password></query></iq>";

}  // namespace

TEST(XmppClientStream, RegistersBeforeSasl) {
    Harness h(registering_config());
    h.connect();
    // Sent whether or not the server advertises the feature (Prosody does not, before TLS).
    auto a = h.recv(server_header + mech_features({"PLAIN"}));
    EXPECT_EQ(sent(a), register_request);
    EXPECT_EQ(h.stream().state(), ClientStream::State::registering);
    // A stray stanza before the reply is ignored.
    a = h.recv("<message from='x@example.com'><body>spam</body></message>");
    EXPECT_TRUE(a.empty());
    a = h.recv("<iq type='result' id='reg_1'/>");
    EXPECT_EQ(sent(a),
              "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
              "AGFsaWNlAHAmc3M=</auth>");
    EXPECT_EQ(h.stream().state(), ClientStream::State::authenticating);
    a = h.recv("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + server_header);
    // No second registration after the restart.
    a = h.recv(bind_features);
    EXPECT_NE(sent(a).find("id='bind_1'"), std::string::npos);
}

TEST(XmppClientStream, RegistrationConflictGoesOnToSasl) {
    Harness h(registering_config());
    h.connect();
    auto a = h.recv(server_header +
                    "<stream:features><register xmlns='http://jabber.org/features/iq-register'/>"
                    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
                    "</mechanism></mechanisms></stream:features>");
    EXPECT_EQ(sent(a), register_request);
    a = h.recv(
        "<iq type='error' id='reg_1'><error type='cancel'><conflict "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>The requested username already exists."
        "</text></error></iq>");
    EXPECT_EQ(find(a, Kind::failed), nullptr);
    EXPECT_NE(sent(a).find("mechanism='PLAIN'"), std::string::npos);
}

TEST(XmppClientStream, RegistrationRefused) {
    Harness h(registering_config());
    h.connect();
    h.recv(server_header + mech_features({"PLAIN"}));
    auto a = h.recv(
        "<iq type='error' id='reg_1'><error type='cancel'><not-allowed "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>closed</text></error></iq>");
    EXPECT_EQ(failure_of(a), "registration refused: not-allowed: closed");
    EXPECT_EQ(h.stream().state(), ClientStream::State::failed);

    // Without TLS and without permission to send the password in clear, nothing is sent.
    ClientConfig c = registering_config();
    c.tls = ClientConfig::Tls::optional;
    c.allow_plain_without_tls = false;
    Harness h2(c);
    h2.connect();
    a = h2.recv(server_header + mech_features({"SCRAM-SHA-1"}));
    EXPECT_EQ(sent(a).find("jabber:iq:register"), std::string::npos);
    EXPECT_NE(failure_of(a).find("TLS is required"), std::string::npos);

    // Timing out while waiting for the reply.
    Harness h3(registering_config());
    h3.connect();
    h3.recv(server_header + mech_features({"PLAIN"}));
    std::vector<ClientAction> out;
    h3.stream().timer_fired(out);
    EXPECT_EQ(failure_of(out), "negotiation timed out");
}

TEST(XmppClientStream, OversizedStanzaIsAPolicyViolation) {
    ClientConfig c = plain_loopback_config();
    c.limits.max_stanza_bytes = 4096;
    Harness h(c);
    h.connect();
    h.recv(server_header + mech_features({"PLAIN"}));
    h.recv("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + server_header +
           "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    auto a = h.recv(
        "<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<jid>alice@example.com/phone</jid></bind></iq>");
    ASSERT_EQ(h.stream().state(), ClientStream::State::ready);
    // A stanza just under the limit passes; one over it ends the stream, even in small reads.
    std::string fits = "<message><body>" + std::string(3000, 'a') + "</body></message>";
    a = h.recv(fits);
    ASSERT_NE(find(a, Kind::stanza), nullptr);
    std::string big = "<message><body>" + std::string(10000, 'b') + "</body></message>";
    std::vector<ClientAction> all;
    for (std::size_t i = 0; i < big.size() && h.stream().state() == ClientStream::State::ready;
         i += 100) {
        a = h.recv(big.substr(i, 100));
        all.insert(all.end(), a.begin(), a.end());
    }
    EXPECT_EQ(find(all, Kind::stanza), nullptr);
    std::string reason = failure_of(all);
    EXPECT_NE(reason.find("policy-violation"), std::string::npos) << reason;
    EXPECT_NE(reason.find("size limit of 4096 bytes"), std::string::npos) << reason;
    EXPECT_EQ(sent(all),
              "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
              "</stream:error></stream:stream>");
    EXPECT_EQ(h.stream().state(), ClientStream::State::failed);

    // Malformed XML is answered with not-well-formed instead.
    Harness h2(plain_loopback_config());
    h2.connect();
    a = h2.recv(server_header + "<stream:features><x></y>");
    EXPECT_NE(sent(a).find("<not-well-formed "), std::string::npos);
    EXPECT_NE(failure_of(a).find("bad XML"), std::string::npos);
}

TEST(XmppClientStream, StanzasArriveAlikeWithTheParserReleasedBetweenThem) {
    for (bool release : {true, false}) {
        ClientConfig c = plain_loopback_config();
        c.release_parser_when_idle = release;
        Harness h(c);
        h.connect();
        // The server's header declares a prefix its later stanzas use.
        const std::string header_with_prefix =
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:d='urn:xmpp:delay' "
            "xmlns:stream='http://etherx.jabber.org/streams' id='abc' version='1.0'>";
        h.recv(header_with_prefix + mech_features({"PLAIN"}));
        h.recv("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + header_with_prefix +
               "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
               "</stream:features>");
        h.recv("<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
               "<jid>alice@example.com/phone</jid></bind></iq>");
        ASSERT_EQ(h.stream().state(), ClientStream::State::ready);
        std::vector<std::string> bodies;
        const std::string m1 = "<message><body>one</body><d:delay stamp='2026'/></message>";
        const std::string m2 = "<message><body>two</body></message>";
        for (const std::string& piece :
             {m1.substr(0, 20), m1.substr(20), std::string(" "), m2 + m1.substr(0, 9),
              m1.substr(9)}) {
            for (const auto& a : h.recv(piece)) {
                if (a.kind != Kind::stanza) continue;
                bodies.push_back(a.stanza.child("body")->text);
                if (bodies.size() != 2) {
                    ASSERT_NE(a.stanza.child("delay", ns::delay), nullptr) << release;
                }
            }
        }
        std::vector<std::string> expected = {"one", "two", "one"};
        EXPECT_EQ(bodies, expected) << release;
        EXPECT_EQ(h.stream().state(), ClientStream::State::ready);
    }
}
