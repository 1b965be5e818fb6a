// The CSP session engine: everything CSP says about sessions, without I/O.
//
// Bytes of a CSP request go in (with the content type, the phone's address and the time); the
// bytes of the answer come out. The engine owns every CSP session: login (2-way and 4-way with a
// single-use nonce), capability and service negotiation, keep-alive and expiry, polling, the
// per-session queue of server-originated transactions, TransactionID echo and the replay cache,
// logout and disconnect. What a primitive *means* beyond CSP (log into XMPP, send a chat
// message, read the roster) is asked of a Backend, which answers later through a callback.
//
// Threading: one thread. The engine, its Backend and every callback run on the same event loop.
// Time and randomness come from the caller (`now` arguments, the Random function), so tests are
// exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/imps/codec/version.hpp"
#include "onesoup/imps/model/message.hpp"
#include "onesoup/imps/model/primitives.hpp"

namespace onesoup::imps::engine {

using codec::CspVersion;

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// A session id: 128 bits from a CSPRNG, as 32 lowercase hex digits.
using SessionId = std::string;

// Fills `out` with `size` cryptographically random bytes (production: libsodium / OpenSSL).
using Random = std::function<void(std::uint8_t* out, std::size_t size)>;

// A CSP request as the transport received it.
struct Incoming {
    std::string content_type;    // from the HTTP header ("" if none: sniff the first byte)
    std::string body;            // the bytes
    std::string remote_address;  // the phone's address as the transport saw it
    std::string msisdn;          // from a header such as X-Network-MSISDN, "" if none
    // How the phone reached us, "http://host[:port]" from the Host header ("" if unknown): the
    // default for the STCP TCPAddress and the SHTTP CIR URL given in ClientCapability.
    std::string base_url;
    TimePoint now{};
};

// The answer to send back.
struct Outgoing {
    int http_status = 200;     // 200 for every CSP answer; 400/415 when the body is not CSP
    std::string content_type;  // the phone's own content type (same version and encoding)
    std::string body;          // may be empty (allowed in answer to Polling-Request)
};

// The capabilities agreed with the phone in ClientCapability (CSP 1.2 5.2.1), with defaults
// for a phone that never negotiated.
struct AgreedCapabilities {
    std::int64_t accepted_content_length = 0;  // 0 = the phone set no limit
    std::int64_t multi_trans = 1;              // transactions per response body
    std::int64_t parser_size = 0;              // 0 = no limit stated
    std::vector<std::string> accepted_content_types;
    std::vector<std::string> cir_methods;      // agreed CIR methods, the phone's order first
    std::optional<std::int64_t> udp_port;      // the phone's UDPPort (SUDP), if it gave one
    std::int64_t server_poll_min = 0;          // agreed ServerPollMin, seconds
    bool initial_delivery_push = true;         // InitialDeliveryMethod P (push) or N (notify)
};

// What the engine knows of a live session, for the Backend.
struct SessionInfo {
    SessionId id;
    std::string user_id;         // as the phone logged in, normalised "wv:user@domain"
    std::string client_id;       // the ClientID URL or MSISDN of the login
    std::string session_cookie;  // from Login-Request (CIR wake-ups carry it)
    CspVersion version = CspVersion::v1_2;
    codec::Encoding encoding = codec::Encoding::wbxml;
    std::string remote_address;  // latest address the phone used
    std::string msisdn;
    AgreedCapabilities capabilities;
};

// How a login asks to be checked.
struct Credentials {
    std::string user_id;                  // normalised "wv:user@domain"
    std::optional<std::string> password;  // 2-way login, or 4-way answered with PWD
    // 4-way digest login: the schema ("MD5" or "SHA"), the nonce the engine issued, and the
    // DigestBytes the phone sent (Base64(H(nonce + password))).
    std::string digest_schema;
    std::string nonce;
    std::string digest_bytes;
};

// The outcome of Backend::login.
struct LoginOutcome {
    int code = 200;           // 200, or an IMPS status: 409 invalid password, 531 unknown user,
                              // 503 XMPP server unreachable, 516 domain not supported...
    std::string description;  // plain words for the phone's user when code != 200
    std::string msisdn{};     // the account's phone number, if it has one (for SMS CIR)
};

// Why a session ended.
enum class EndReason : std::uint8_t { logout, expired, disconnected_by_server, replaced };

// What the engine needs from the rest of onesoup (the gateway implements it). Every call
// happens on the event loop; a callback may be called at once or later, exactly once, on the
// same loop (never after the session ended, except that calling it then is harmless).
class Backend {
  public:
    virtual ~Backend() = default;

    // Which digest schemas this user's login can be checked with (4-way login, CSP 1.2 7.1):
    // every schema for a local account, none for a pass-through domain (its server needs the
    // password itself). The engine picks the first schema the phone offered that is in this
    // list; if the phone offered PWD and the list is empty, it answers with DigestSchema PWD
    // (S60 then sends its password in clear). `user_id` is normalised.
    virtual std::vector<std::string> digest_schemas_for(const std::string& user_id) = 0;

    // Checks the credentials and opens the user's XMPP session for session `session.id`
    // (not yet visible to other calls). Calls `done` once the XMPP session is bound (200) or
    // has failed (an IMPS status code).
    virtual void login(const SessionInfo& session, const Credentials& credentials,
                       std::function<void(LoginOutcome)> done) = 0;

    // A primitive the engine does not handle itself, from a logged-in phone: contact lists,
    // presence, messages, MessageDelivered, PresenceAuth-User, ... `reply` takes the response
    // primitive (e.g. GetList-Response, or a Status with a Result). For a primitive a phone
    // sends in answer to a server-originated transaction (MessageDelivered), `reply` may be
    // given std::nullopt: no answer travels back.
    virtual void request(const SessionInfo& session, const model::Primitive& primitive,
                         std::function<void(std::optional<model::Primitive>)> reply) = 0;

    // The session is over (its queue has been dropped): close the XMPP session. Not called for
    // a login that failed.
    virtual void session_ended(const SessionId& id, EndReason reason) = 0;
};

// What ClientCapability may agree for CIR (from the config's [cir] sections and the channels
// that started). The engine agrees the methods both sides have, in the phone's order.
struct CirSettings {
    // The methods onesoup can wake phones with now; empty = no CIR (phones poll).
    std::vector<model::CirMethod> methods;
    // STCP: the TCPAddress and TCPPort given to the phone. An empty address means the host the
    // phone used (Incoming::base_url).
    std::string tcp_address;
    std::int64_t tcp_port = 0;
    // SHTTP: the CIR URL is this prefix + the session id. Empty = base_url + "/cir/".
    std::string http_url;
    // ServerPollMin for phones that agreed a CIR method (they poll only when woken or to keep
    // the session alive), seconds.
    std::chrono::seconds poll_min_with_cir{300};
};

// Settings (from the config file's [imps] section).
struct EngineConfig {
    // Domain for user ids given without one ("wv:alice" -> "wv:alice@<default_domain>").
    std::string default_domain = "localhost";
    // KeepAliveTime granted when the phone asks for none; proposals are clamped to the range.
    std::chrono::seconds keep_alive_default{300};
    std::chrono::seconds keep_alive_min{30};
    std::chrono::seconds keep_alive_max{1800};
    // A session with no request for KeepAliveTime + this grace ends as expired (600).
    std::chrono::seconds keep_alive_grace{60};
    // A 4-way login's nonce is valid this long, and for one attempt.
    std::chrono::seconds nonce_lifetime{120};
    // ServerPollMin offered to phones that poll (no CIR agreed); a phone that asks for a longer
    // one gets its own.
    std::chrono::seconds server_poll_min{30};
    CirSettings cir;
    // Server-originated transactions waiting per session; beyond it the Backend is told 507.
    std::size_t max_queued = 500;
    // Answers remembered per session for repeated TransactionIDs.
    std::size_t replay_cache = 16;
    // Largest number of transactions accepted in one request body.
    std::size_t max_transactions = 16;
    // Decoding limits for request bodies.
    std::size_t max_body = 64 * 1024;
};

// Counters for the load program and metrics.
struct EngineStats {
    std::uint64_t requests = 0;
    std::uint64_t transactions = 0;
    std::uint64_t logins_ok = 0;
    std::uint64_t logins_failed = 0;
    std::uint64_t bad_requests = 0;
    std::uint64_t replays = 0;
    std::uint64_t sessions_expired = 0;
};

// The engine. Construct one per event loop.
class Engine {
  public:
    Engine(EngineConfig config, Backend& backend, Random random);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Handles one request body; calls `respond` exactly once (at once or after the Backend
    // answered). The response is in the phone's version, encoding and content type.
    void handle(Incoming request, std::function<void(Outgoing)> respond);

    // Queues a server-originated transaction (NewMessage, PresenceNotification-Request,
    // PresenceAuth-Request, DeliveryReport-Request, ...) for the phone; it travels in the answer
    // to the phone's next request, with Poll=T while more waits. Returns false if there is no
    // such session or its queue is full (507).
    bool push(const SessionId& id, model::Primitive primitive);

    // Ends a session from the server side (the XMPP stream failed, an admin kicked the user):
    // a Disconnect with `code` is queued for the phone's next request, then the session is
    // gone. The Backend's session_ended is called with disconnected_by_server.
    void disconnect(const SessionId& id, int code, std::string description);

    // Ends the sessions whose keep-alive ran out (600) and forgets stale nonces; call it about
    // once a second. Returns when it next needs to run.
    TimePoint tick(TimePoint now);

    // The live session, or nullptr.
    [[nodiscard]] const SessionInfo* session(const SessionId& id) const;
    // Number of live sessions.
    [[nodiscard]] std::size_t session_count() const;
    // Server-originated transactions waiting for session `id` (0 if none or no session).
    [[nodiscard]] std::size_t queued(const SessionId& id) const;
    [[nodiscard]] const EngineStats& stats() const;

    // The CIR channel of the session failed (socket gone, SMS refused): the next answer to the
    // phone (CSP 1.2+) carries Session/CIR=F, so the phone sets its CIR channel up again.
    void cir_failed(const SessionId& id);

    // Called on every push() (and disconnect()) while the session has no request in flight:
    // the CIR layer wakes the phone from here and coalesces bursts itself. Optional.
    std::function<void(const SessionInfo&)> on_queued;
    // Called when a request of a live session arrives, before it is handled (the phone is
    // awake: a wake-up worked, or it polled by itself). Optional.
    std::function<void(const SessionInfo&)> on_request;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "wv:Alice" -> "wv:alice@<default_domain>"; "alice@x" -> "wv:alice@x"; lower-cases the
// domain and the user part (IMPS user ids are case-insensitive, CSP 1.2 Data Types 3.1).
// Returns "" for an id that cannot be a user (empty user part, spaces, several '@').
[[nodiscard]] std::string normalise_user_id(std::string_view user_id,
                                            std::string_view default_domain);

}  // namespace onesoup::imps::engine
