// ClientConnection: the thin Boost.Asio driver that runs one ClientStream over TCP and TLS.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "onesoup/core/result.hpp"
#include "onesoup/xmpp/client_stream.hpp"
#include "onesoup/xmpp/dns_resolver.hpp"
#include "onesoup/xmpp/sasl_client.hpp"
#include "onesoup/xmpp/tls_engine.hpp"

namespace onesoup::xmpp {

// What all client connections on one io_context share: the loop, the TLS and SASL contexts,
// the DNS SRV resolver, and one read buffer (a read is handled to the end before the next one
// starts, so a single buffer serves every connection and idle connections hold none). Use it
// from the loop's thread only; it must outlive its connections.
class ClientContext {
  public:
    ClientContext(boost::asio::io_context& io, const TlsContext& tls, const SaslContext& sasl)
        : io_(io), tls_(tls), sasl_(sasl), dns_(io) {}
    ClientContext(const ClientContext&) = delete;
    ClientContext& operator=(const ClientContext&) = delete;

    [[nodiscard]] boost::asio::io_context& io() const { return io_; }
    [[nodiscard]] const TlsContext& tls() const { return tls_; }
    [[nodiscard]] const SaslContext& sasl() const { return sasl_; }
    // The SRV resolver of every connection without a fixed host.
    [[nodiscard]] DnsResolver& dns() { return dns_; }
    // The shared read buffer.
    [[nodiscard]] std::array<char, 16384>& read_buffer() { return read_buffer_; }

  private:
    boost::asio::io_context& io_;
    const TlsContext& tls_;
    const SaslContext& sasl_;
    DnsResolver dns_;
    std::array<char, 16384> read_buffer_{};
};

// Where to connect.
struct ConnectionOptions {
    // Name or address of the server. Empty: found by DNS SRV (RFC 6120 3.2.1): the records of
    // _xmpp-client._tcp.<the JID's domain> in priority and weight order; if there are none (or
    // the lookup fails) the domain's own A/AAAA records on `port` (RFC 6120 3.2.2).
    std::string host;
    std::uint16_t port = 5222;  // c2s port (RFC 6120 3.2.1); not used for SRV targets
    // Name the server's certificate must carry (RFC 6125); empty = the JID's domain.
    std::string tls_name;
};

// Bytes a connection moved on its socket (after TLS, so what the network carried).
struct ConnectionStats {
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
};

// What the owner of a connection hears about it. Called on the connection's io_context.
struct ConnectionHandler {
    std::function<void(const Jid&)> on_bound;           // ready: get the roster, send presence
    std::function<void(const Element&)> on_stanza;      // a stanza for the caller
    std::function<void(const std::string&)> on_failed;  // why the stream failed
    std::function<void()> on_closed;                    // the socket is closed; always last
};

// One XMPP client connection: TCP connect, reads fed to the ClientStream, its actions carried
// out (writes through a send queue, STARTTLS through a TlsEngine, the timer). Many run on one
// io_context with no thread of their own; nothing blocks. Between reads an idle connection
// keeps no I/O buffers. Hold it by shared_ptr: pending operations keep it alive until closed.
class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
  public:
    static std::shared_ptr<ClientConnection> create(ClientContext& context, ClientConfig config,
                                                    ConnectionOptions options,
                                                    ConnectionHandler handler);

    // Resolves (SRV if no host is given), connects and starts negotiating. Connecting counts
    // against ClientConfig::negotiation_timeout too.
    void start();
    // Queues a stanza (only once bound; returns false otherwise).
    bool send(const Element& stanza);
    // Ends the stream and closes the connection once queued data is written.
    void close();

    [[nodiscard]] const ClientStream& stream() const { return stream_; }
    // Bytes read and written so far (for accounting).
    [[nodiscard]] const ConnectionStats& stats() const { return stats_; }

    // Private to create() (std::make_shared needs a public constructor).
    struct Token {};
    ClientConnection(Token, ClientContext& context, ClientConfig config, ConnectionOptions options,
                     ConnectionHandler handler);

  private:
    struct Attempt;  // the servers still to try while connecting
    void try_next_target(std::shared_ptr<Attempt> attempt);
    void try_next_endpoint(std::shared_ptr<Attempt> attempt);
    void on_connected();
    void connect_failed(const std::string& reason);
    void wait_readable();
    void on_readable();
    void apply(std::vector<ClientAction>& actions);
    void flush();
    void start_tls(std::vector<ClientAction>& actions);
    void arm_timer(std::chrono::milliseconds delay);
    void shut_down();

    ClientContext& context_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;
    ClientStream stream_;
    ConnectionOptions options_;
    ConnectionHandler handler_;
    std::unique_ptr<TlsEngine> tls_;  // from STARTTLS on
    std::string pending_;             // bytes queued for writing
    std::string inflight_;            // bytes being written
    ConnectionStats stats_;
    bool closing_ = false;
    bool closed_ = false;
};

}  // namespace onesoup::xmpp
