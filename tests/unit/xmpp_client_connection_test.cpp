#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <string>
#include <vector>

#include "onesoup/xmpp/client_connection.hpp"

using namespace onesoup::xmpp;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A scripted XMPP server on loopback: each step waits until the client has sent `expect`
// (after the previous match) and then sends `reply`.
struct Step {
    std::string expect;
    std::string reply;
};

class ScriptedServer {
public:
    ScriptedServer(asio::io_context& io, std::vector<Step> script)
        : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          socket_(io),
          script_(std::move(script)) {
        acceptor_.async_accept(socket_, [this](const boost::system::error_code& ec) {
            if (!ec) read();
        });
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    const std::string& received() const { return got_; }
    bool peer_closed() const { return peer_closed_; }
    std::size_t bytes_sent() const { return sent_; }

private:
    void read() {
        socket_.async_read_some(asio::buffer(buf_), [this](const boost::system::error_code& ec,
                                                           std::size_t n) {
            if (ec) {
                peer_closed_ = true;
                return;
            }
            got_.append(buf_.data(), n);
            while (step_ < script_.size()) {
                auto at = got_.find(script_[step_].expect, pos_);
                if (at == std::string::npos) break;
                pos_ = at + script_[step_].expect.size();
                out_ += script_[step_].reply;
                ++step_;
            }
            if (!out_.empty()) {
                auto data = std::make_shared<std::string>(std::move(out_));
                out_.clear();
                sent_ += data->size();
                asio::async_write(socket_, asio::buffer(*data),
                                  [data](const boost::system::error_code&, std::size_t) {});
            }
            read();
        });
    }

    tcp::acceptor acceptor_;
    tcp::socket socket_;
    std::vector<Step> script_;
    std::array<char, 4096> buf_{};
    std::string got_;
    std::string out_;
    std::size_t pos_ = 0;
    std::size_t step_ = 0;
    std::size_t sent_ = 0;
    bool peer_closed_ = false;
};

const std::string header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='x' from='example.com' version='1.0'>";

ClientConfig loopback_config() {
    ClientConfig c;
    c.jid = *Jid::parse("alice@example.com/r");
    c.password = "pw";
    c.tls = ClientConfig::Tls::off;
    c.allow_plain_without_tls = true;
    c.negotiation_timeout = std::chrono::seconds(5);
    return c;
}

struct Fixture {
    asio::io_context io;
    std::unique_ptr<TlsContext> tls = TlsContext::create(false).value();
    std::unique_ptr<SaslContext> sasl = SaslContext::create().value();
    ClientContext context{io, *tls, *sasl};
    std::vector<std::string> log;

    ConnectionHandler handler(std::shared_ptr<ClientConnection>* self) {
        ConnectionHandler h;
        h.on_bound = [this, self](const Jid& jid) {
            log.push_back("bound " + jid.str());
            Element m("message", ns::client);
            m.set_attr("to", "bob@example.com").add_text_child("body", ns::client, "hello");
            (*self)->send(m);
        };
        h.on_stanza = [this](const Element& e) { log.push_back("stanza " + e.name); };
        h.on_failed = [this](const std::string& why) { log.push_back("failed " + why); };
        h.on_closed = [this] {
            log.push_back("closed");
            io.stop();
        };
        return h;
    }
};

}  // namespace

TEST(XmppClientConnection, LogsInAnswersPingAndClosesWithTheServer) {
    Fixture f;
    ScriptedServer server(
        f.io,
        {{"<stream:stream", header + "<stream:features><mechanisms "
                                     "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
                                     "</mechanism></mechanisms></stream:features>"},
         {"</auth>", "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"},
         {"<stream:stream", header + "<stream:features><bind "
                                     "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"},
         {"</iq>", "<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                   "<jid>alice@example.com/r</jid></bind></iq>"},
         {"<body>hello</body></message>",
          "<message from='bob@example.com/x'><body>hi</body></message>"
          "<iq type='get' id='ping1' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>"},
         {"id='ping1'", "</stream:stream>"}});
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = server.port();
    std::shared_ptr<ClientConnection> client;
    client = ClientConnection::create(f.context, loopback_config(), options, f.handler(&client));
    client->start();
    f.io.run_for(std::chrono::seconds(10));
    // Let the server read what the client wrote before it closed.
    f.io.restart();
    f.io.run_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(server.peer_closed());
    std::vector<std::string> expected = {"bound alice@example.com/r", "stanza message", "closed"};
    EXPECT_EQ(f.log, expected);
    EXPECT_NE(server.received().find("<iq type='result' to='example.com' id='ping1'/>"),
              std::string::npos);
    // The client answered the server's </stream:stream> with its own, last.
    const std::string footer = "</stream:stream>";
    EXPECT_EQ(server.received().rfind(footer), server.received().size() - footer.size());
    // The byte counters match what crossed the socket each way.
    EXPECT_EQ(client->stats().bytes_out, server.received().size());
    EXPECT_EQ(client->stats().bytes_in, server.bytes_sent());
    EXPECT_GT(client->stats().bytes_in, 0u);
    client.reset();
}

TEST(XmppClientConnection, NegotiationTimesOut) {
    Fixture f;
    ScriptedServer server(f.io, {});  // accepts and says nothing
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = server.port();
    ClientConfig config = loopback_config();
    config.negotiation_timeout = std::chrono::milliseconds(100);
    std::shared_ptr<ClientConnection> client;
    client = ClientConnection::create(f.context, config, options, f.handler(&client));
    client->start();
    f.io.run_for(std::chrono::seconds(10));
    ASSERT_EQ(f.log.size(), 2u);
    EXPECT_EQ(f.log[0], "failed negotiation timed out");
    EXPECT_EQ(f.log[1], "closed");
}

TEST(XmppClientConnection, ConnectionRefused) {
    Fixture f;
    std::uint16_t port = 0;
    {
        // A port that was free a moment ago and has no listener now.
        tcp::acceptor a(f.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    ConnectionOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    std::shared_ptr<ClientConnection> client;
    client = ClientConnection::create(f.context, loopback_config(), options, f.handler(&client));
    client->start();
    f.io.run_for(std::chrono::seconds(10));
    ASSERT_EQ(f.log.size(), 2u);
    EXPECT_NE(f.log[0].find("failed cannot connect"), std::string::npos);
    EXPECT_EQ(f.log[1], "closed");
}

TEST(XmppClientConnection, ResolvesAHostName) {
    Fixture f;
    ScriptedServer server(f.io, {});
    ConnectionOptions options;
    options.host = "localhost";  // through the resolver, not an address literal
    options.port = server.port();
    ClientConfig config = loopback_config();
    config.negotiation_timeout = std::chrono::milliseconds(300);
    std::shared_ptr<ClientConnection> client;
    client = ClientConnection::create(f.context, config, options, f.handler(&client));
    client->start();
    f.io.run_for(std::chrono::seconds(10));
    // It connected (the stream header went out) and then timed out waiting for the server.
    ASSERT_EQ(f.log.size(), 2u);
    EXPECT_EQ(f.log[0], "failed negotiation timed out");
    f.io.restart();
    f.io.run_for(std::chrono::milliseconds(100));
    EXPECT_NE(server.received().find("<stream:stream"), std::string::npos);
    EXPECT_GT(client->stats().bytes_out, 0u);
}

TEST(XmppClientConnection, NoSuchDomainFailsCleanly) {
    // No host: an SRV lookup for the domain, then the A fallback; neither exists (.invalid is
    // reserved, RFC 2606), so the connection fails with the name in the reason.
    Fixture f;
    ClientConfig config = loopback_config();
    config.jid = *Jid::parse("alice@no-such-domain.invalid/r");
    config.negotiation_timeout = std::chrono::seconds(30);
    ConnectionOptions options;
    std::shared_ptr<ClientConnection> client;
    client = ClientConnection::create(f.context, config, options, f.handler(&client));
    client->start();
    f.io.run_for(std::chrono::seconds(40));
    ASSERT_EQ(f.log.size(), 2u);
    EXPECT_TRUE(f.log[0] == "failed cannot resolve no-such-domain.invalid" ||
                f.log[0] == "failed timed out connecting to the server")
        << f.log[0];
    EXPECT_EQ(f.log[1], "closed");
}

TEST(XmppClientConnection, CloseWhileResolvingEndsAtOnce) {
    Fixture f;
    ClientConfig config = loopback_config();
    config.jid = *Jid::parse("alice@no-such-domain.invalid/r");
    std::shared_ptr<ClientConnection> client;
    client = ClientConnection::create(f.context, config, ConnectionOptions{}, f.handler(&client));
    client->start();
    client->close();
    std::vector<std::string> expected = {"closed"};
    EXPECT_EQ(f.log, expected);
    // The lookup's late answer finds the connection closed and does nothing.
    f.io.restart();
    f.io.run_for(std::chrono::seconds(2));
    EXPECT_EQ(f.log, expected);
}
