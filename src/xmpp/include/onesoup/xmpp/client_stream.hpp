// ClientStream: the protocol logic of one XMPP client-to-server stream, without I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/xmpp/element.hpp"
#include "onesoup/xmpp/jid.hpp"
#include "onesoup/xmpp/sasl_client.hpp"
#include "onesoup/xmpp/stream_parser.hpp"

namespace onesoup::xmpp {

// How a client logs in.
struct ClientConfig {
    // STARTTLS policy (RFC 6120 5.3.1). `off` never negotiates TLS and is meant for loopback
    // tests against a server that allows it.
    enum class Tls : std::uint8_t { required, optional, off };

    Jid jid;               // the account; its resource, if any, is requested at binding
    std::string password;  // never logged
    Tls tls = Tls::required;
    // PLAIN sends the password itself: allowed without TLS only when this is set (loopback).
    bool allow_plain_without_tls = false;
    // SASL mechanisms in order of preference; the first one the server offers is used.
    std::vector<std::string> mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"};
    // Time allowed from connect to a bound resource (ClientConnection also allows it once for
    // resolving and connecting).
    std::chrono::milliseconds negotiation_timeout{30000};
    // After binding, a whitespace keepalive (RFC 6120 4.6.1) is sent this often; 0 = never.
    std::chrono::milliseconds keepalive_interval{0};
    // XEP-0077 in-band registration before SASL: once TLS is up (or at the first features when
    // TLS is off), the account (the JID's local part and the password) is registered. Success
    // or <conflict/> (the account exists) goes on to SASL, which then says whether the password
    // is right; any other error fails the stream ("registration refused: ..."). Like PLAIN, it
    // sends the password itself, so without TLS it needs allow_plain_without_tls.
    bool register_first = false;
    // Once bound, free the XML parser's state (about 10 KB) whenever the server's stream is
    // between stanzas; it is rebuilt from the stream header when bytes arrive, which costs
    // about 10 microseconds per read. Off = faster on busy streams, more memory when idle.
    bool release_parser_when_idle = true;
    ParserLimits limits;
};

// Something the I/O layer must do for the stream, in order.
struct ClientAction {
    enum class Kind : std::uint8_t {
        send,       // write `data` to the connection (through TLS if it is on)
        start_tls,  // run the TLS client handshake, then call tls_established()
        set_timer,  // (re)arm the stream's one timer for `delay`; 0 cancels it
        bound,      // the session is ready as `jid` (RFC 6120 7): the caller now gets the roster
                    // and sends initial presence
        stanza,     // a stanza arrived for the caller (`stanza`)
        failed,     // negotiation or the stream failed; `data` says why; a close follows
        close,      // close the connection; the stream is over
    };
    Kind kind = Kind::send;
    std::string data;
    Jid jid;
    Element stanza;
    std::chrono::milliseconds delay{0};
};

// The client side of RFC 6120 as a state machine: events in (connected, bytes received, TLS
// done, timer fired, connection lost), actions out (ClientAction). It opens the stream,
// negotiates STARTTLS (5), optionally registers the account in band (XEP-0077), SASL (6:
// SCRAM-SHA-256, SCRAM-SHA-1, PLAIN), restarts the stream, binds a resource (7), establishes a
// session if the server still requires it (RFC 3921 3), then passes stanzas to the caller and
// answers XEP-0199 pings itself. No I/O, no clock: the caller moves bytes and time.
class ClientStream {
  public:
    enum class State : std::uint8_t {
        idle,            // not connected yet
        opening,         // stream header sent, waiting for the server's header and features
        starting_tls,    // <starttls/> sent, waiting for <proceed/>
        tls_handshake,   // the I/O layer is running the TLS handshake
        registering,     // XEP-0077 registration request sent (ClientConfig::register_first)
        authenticating,  // SASL exchange in progress
        binding,         // resource binding request sent
        establishing,    // session establishment request sent
        ready,           // bound; stanzas flow
        closed,          // the stream ended cleanly
        failed,          // the stream ended with an error
    };

    // `sasl` must outlive the stream.
    ClientStream(ClientConfig config, const SaslContext& sasl);

    // The TCP connection is up: opens the stream.
    void connected(std::vector<ClientAction>& out);
    // Bytes arrived from the server (after TLS decryption if TLS is on).
    void received(std::string_view bytes, std::vector<ClientAction>& out);
    // The TLS handshake asked for by start_tls succeeded.
    void tls_established(std::vector<ClientAction>& out);
    // The TLS handshake failed (`reason` from the TLS layer, e.g. a bad certificate).
    void tls_failed(std::string_view reason, std::vector<ClientAction>& out);
    // The timer armed by set_timer fired.
    void timer_fired(std::vector<ClientAction>& out);
    // The connection was lost or closed by the peer.
    void transport_closed(std::string_view reason, std::vector<ClientAction>& out);

    // Sends a stanza; only in state ready (otherwise it is dropped and false is returned).
    bool send(const Element& stanza, std::vector<ClientAction>& out);
    // Ends the stream politely (RFC 6120 4.4).
    void close(std::vector<ClientAction>& out);

    [[nodiscard]] State state() const { return state_; }
    [[nodiscard]] const ClientConfig& config() const { return config_; }
    [[nodiscard]] bool tls_active() const { return tls_active_; }
    // The JID the server bound (valid in state ready).
    [[nodiscard]] const Jid& bound_jid() const { return bound_; }
    // The SASL mechanism used, once chosen.
    [[nodiscard]] const std::string& mechanism() const { return mechanism_; }

  private:
    void open_stream(std::vector<ClientAction>& out);
    void handle(StreamEvent& event, std::vector<ClientAction>& out);
    void on_features(const Element& features, std::vector<ClientAction>& out);
    void start_registration(const Element& features, std::vector<ClientAction>& out);
    void on_registration_reply(const Element& iq, std::vector<ClientAction>& out);
    void start_sasl(const Element& mechanisms, std::vector<ClientAction>& out);
    void on_sasl(const Element& element, std::vector<ClientAction>& out);
    void on_iq_result(const Element& iq, std::vector<ClientAction>& out);
    void on_ready_stanza(Element& stanza, std::vector<ClientAction>& out);
    void fail(std::string reason, std::vector<ClientAction>& out);
    void finish_negotiation(std::vector<ClientAction>& out);

    ClientConfig config_;
    const SaslContext& sasl_;
    std::unique_ptr<StreamParser> parser_;
    std::unique_ptr<SaslClient> sasl_client_;
    // The features that came with the registration request, for SASL once it is answered.
    std::unique_ptr<Element> held_features_;
    std::string mechanism_;
    Jid bound_;
    State state_ = State::idle;
    bool tls_active_ = false;
    bool authenticated_ = false;
    bool registration_done_ = false;
    bool header_received_ = false;
    bool session_needed_ = false;
};

}  // namespace onesoup::xmpp
