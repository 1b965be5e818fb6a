// Logs two accounts in to a real XMPP server through onesoup's client (ClientConnection on one
// io_context), sends a message from the first to the second and checks that it arrives.
// Used by prosody_login_test.sh. Exit status 0 = the scenario passed.
//
// usage: xmpp_login_probe MODE HOST PORT DOMAIN CA_FILE USER1 PASS1 USER2 PASS2
//   MODE message:SCRAM-SHA-1 | message:PLAIN | ...   log both in with that mechanism only
//   MODE badpass     the first account with a wrong password must fail with not-authorized
//   MODE badcert     with the system trust store instead of CA_FILE, TLS must fail
//   MODE register    XEP-0077: a new account "carol" is registered in band and logs in; the
//                    same again (conflict, then login); then a wrong password must fail
//   MODE register-closed   the server allows no registration: it must fail with
//                    "registration refused"
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>

#include "onesoup/xmpp/client_connection.hpp"
#include "onesoup/xmpp/xml_writer.hpp"

using namespace onesoup::xmpp;
namespace asio = boost::asio;

namespace {

int fail(const std::string& why) {
    std::fprintf(stderr, "FAIL: %s\n", why.c_str());
    return 1;
}

ClientConfig account(const std::string& user, const std::string& domain,
                     const std::string& password, const std::string& mechanism) {
    ClientConfig c;
    c.jid = *Jid::make(user, domain, "probe");
    c.password = password;
    c.tls = ClientConfig::Tls::required;
    if (!mechanism.empty()) c.mechanisms = {mechanism};
    c.negotiation_timeout = std::chrono::seconds(10);
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 10) return fail("usage: MODE HOST PORT DOMAIN CA_FILE USER1 PASS1 USER2 PASS2");
    const std::string mode = argv[1];
    ConnectionOptions options;
    options.host = argv[2];
    options.port = static_cast<std::uint16_t>(std::stoi(argv[3]));
    const std::string domain = argv[4];
    const std::string ca_file = argv[5];

    auto sasl = SaslContext::create();
    if (!sasl) return fail(sasl.error().message);
    auto tls = TlsContext::create(true, mode == "badcert" ? std::string() : ca_file);
    if (!tls) return fail(tls.error().message);

    asio::io_context io;
    ClientContext context(io, **tls, **sasl);
    asio::steady_timer deadline(io, std::chrono::seconds(20));
    std::string result = "timed out";
    bool passed = false;
    bool done = false;
    std::shared_ptr<ClientConnection> alice;
    std::shared_ptr<ClientConnection> bob;
    auto finish = [&](bool ok, std::string why) {
        if (done) return;  // the first verdict wins
        done = true;
        passed = ok;
        result = std::move(why);
        if (alice) alice->close();
        if (bob) bob->close();
        deadline.cancel();
    };
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) finish(false, "timed out");
        if (!ec) io.stop();
    });

    if (mode == "badpass" || mode == "badcert") {
        std::string expect = mode == "badpass" ? "not-authorized" : "TLS handshake failed";
        ConnectionHandler h;
        h.on_bound = [&](const Jid&) { finish(false, "logged in although it must not"); };
        h.on_failed = [&](const std::string& why) {
            std::printf("failed as expected: %s\n", why.c_str());
            finish(why.find(expect) != std::string::npos, "failure reason: " + why);
        };
        alice = ClientConnection::create(context, account(argv[6], domain, "wrong-password", ""),
                                         options, h);
        alice->start();
        io.run();
        return passed ? 0 : fail(result);
    }

    if (mode == "register" || mode == "register-closed") {
        // Each step logs "carol" in with register_first; the next starts once it is closed.
        struct Step {
            std::string password;
            std::string expect;  // "" = must bind, else a substring of the failure
        };
        std::vector<Step> steps;
        if (mode == "register") {
            steps = {{"carol pw <&>", ""}, {"carol pw <&>", ""}, {"wrong", "not-authorized"}};
        } else {
            steps = {{"carol pw", "registration refused"}};
        }
        std::size_t at = 0;
        std::shared_ptr<ClientConnection> conn;
        std::function<void()> run_step = [&]() {
            if (done) return;
            if (at == steps.size()) {
                finish(true, "");
                return;
            }
            const Step& step = steps[at];
            ClientConfig config = account("carol", domain, step.password, "");
            config.register_first = true;
            ConnectionHandler h;
            h.on_bound = [&, step](const Jid& jid) {
                std::printf("step %zu: bound as %s\n", at + 1, jid.str().c_str());
                if (!step.expect.empty()) {
                    finish(false, "step " + std::to_string(at + 1) + " logged in");
                    return;
                }
                if (!conn->stream().tls_active()) finish(false, "registered without TLS");
                conn->close();
            };
            h.on_failed = [&, step](const std::string& why) {
                std::printf("step %zu: failed: %s\n", at + 1, why.c_str());
                if (step.expect.empty() || why.find(step.expect) == std::string::npos) {
                    finish(false, "step " + std::to_string(at + 1) + ": " + why);
                }
            };
            h.on_closed = [&]() {
                ++at;
                // Not from inside the connection's own handler.
                asio::post(io, [&]() { run_step(); });
            };
            conn = ClientConnection::create(context, std::move(config), options, h);
            conn->start();
        };
        run_step();
        io.run();
        if (conn) conn.reset();
        if (!passed) return fail(result);
        std::printf("PASS: %s\n", mode.c_str());
        return 0;
    }

    const std::string prefix = "message:";
    if (mode.rfind(prefix, 0) != 0) return fail("unknown mode " + mode);
    const std::string mechanism = mode.substr(prefix.size());
    const std::string token = "probe \xE2\x9C\x93 <&> " + std::to_string(std::rand());
    int bound = 0;
    Jid bob_jid;

    auto on_both_bound = [&]() {
        for (auto* c : {&alice, &bob}) {
            if ((*c)->stream().mechanism() != mechanism || !(*c)->stream().tls_active()) {
                finish(false, "logged in with " + (*c)->stream().mechanism() +
                                  (std::string((*c)->stream().tls_active() ? "" : " without TLS")));
                return;
            }
            // What the gateway will do after binding: get the roster, send initial presence.
            Element roster("iq", ns::client);
            roster.set_attr("type", "get").set_attr("id", "roster1");
            roster.add_child("query", ns::roster);
            (*c)->send(roster);
            (*c)->send(Element("presence", ns::client));
        }
        Element msg("message", ns::client);
        msg.set_attr("to", bob_jid.str()).set_attr("type", "chat").set_attr("id", "m1");
        msg.add_text_child("body", ns::client, token);
        alice->send(msg);
    };
    auto handler = [&](const char* who) {
        ConnectionHandler h;
        h.on_bound = [&, who](const Jid& jid) {
            std::printf("%s bound as %s\n", who, jid.str().c_str());
            if (std::string(who) == "bob") bob_jid = jid;
            if (++bound == 2) on_both_bound();
        };
        h.on_failed = [&, who](const std::string& why) {
            finish(false, std::string(who) + " failed: " + why);
        };
        h.on_stanza = [&, who](const Element& stanza) {
            if (std::string(who) != "bob" || stanza.name != "message") return;
            const Element* body = stanza.child("body");
            if (body == nullptr) return;  // e.g. chat states
            std::printf("bob got: %s from %s\n", body->text.c_str(),
                        std::string(stanza.attr("from")).c_str());
            auto from = Jid::parse(stanza.attr("from"));
            bool from_alice = from && from->bare() == alice->stream().bound_jid().bare();
            finish(body->text == token && from_alice, "message arrived changed: " + body->text);
        };
        return h;
    };
    alice = ClientConnection::create(context, account(argv[6], domain, argv[7], mechanism), options,
                                     handler("alice"));
    bob = ClientConnection::create(context, account(argv[8], domain, argv[9], mechanism), options,
                                   handler("bob"));
    alice->start();
    bob->start();
    io.run();
    if (!passed) return fail(result);
    std::printf("PASS: message delivered with %s over TLS\n", mechanism.c_str());
    return 0;
}
