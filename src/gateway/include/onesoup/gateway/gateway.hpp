// Gateway: the bridge between the CSP engine and XMPP. For each phone session it owns one
// UserSession, which owns that user's XMPP client connection, and maps IMPS primitives to XMPP
// stanzas and back (docs/mapping.md).
#pragma once

// GCC 12 needs <utility> before Asio's headers.
#include <utility>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/store/account_store.hpp"
#include "onesoup/store/store_worker.hpp"
#include "onesoup/xmpp/client_connection.hpp"

namespace onesoup::gateway {

// How users of one domain log in (config file: one [[domain]] table each).
struct DomainConfig {
    enum class Mode : std::uint8_t {
        pass_through,  // wv:alice@example.org + password -> the XMPP account alice@example.org
        local,         // accounts kept by onesoup (AccountStore); every login scheme works
    };
    std::string name;  // the IMPS and XMPP domain, e.g. "example.org"
    Mode mode = Mode::pass_through;
    // The XMPP server: a static address, or "" to find it by DNS SRV (_xmpp-client._tcp) with
    // the domain's A record as fallback.
    std::string xmpp_host;
    std::uint16_t xmpp_port = 5222;
    // Name the server certificate must carry; "" = the domain.
    std::string tls_name;
    xmpp::ClientConfig::Tls tls = xmpp::ClientConfig::Tls::required;
    bool tls_verify = true;                // false only for loopback tests
    bool allow_plain_without_tls = false;  // loopback tests against a plaintext server
    // Local mode: create the XMPP account by XEP-0077 in-band registration at first login.
    bool register_in_band = true;
};

// Settings of the gateway.
struct GatewayConfig {
    std::vector<DomainConfig> domains;
    // XMPP resource of every phone session ("onesoup" + a random suffix is bound).
    std::string resource = "onesoup";
    // Whitespace keep-alive on idle XMPP connections.
    std::chrono::seconds xmpp_keepalive{240};
};

// Counters for the load program and metrics.
struct GatewayStats {
    std::uint64_t sessions = 0;           // live UserSessions
    std::uint64_t xmpp_logins_ok = 0;
    std::uint64_t xmpp_logins_failed = 0;
    std::uint64_t messages_to_xmpp = 0;
    std::uint64_t messages_to_phone = 0;
};

// The Backend the engine talks to. One per event loop; everything runs on that loop.
class Gateway final : public imps::engine::Backend {
  public:
    // `accounts` and `worker` may be null when no domain is local. The gateway makes its own
    // TLS and SASL contexts (one verifying certificates, one not, for domains that say so).
    Gateway(boost::asio::io_context& io, GatewayConfig config, store::AccountStore* accounts,
            store::StoreWorker* worker);
    ~Gateway() override;
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // The engine to push server-originated transactions into; call once before use.
    void attach(imps::engine::Engine& engine);

    // Closes every XMPP session politely; `done` runs once all are closed (or after a bound).
    void shutdown(std::function<void()> done);

    [[nodiscard]] GatewayStats stats() const;

    // imps::engine::Backend
    std::vector<std::string> digest_schemas_for(const std::string& user_id) override;
    void login(const imps::engine::SessionInfo& session,
               const imps::engine::Credentials& credentials,
               std::function<void(imps::engine::LoginOutcome)> done) override;
    void request(const imps::engine::SessionInfo& session, const imps::model::Primitive& primitive,
                 std::function<void(std::optional<imps::model::Primitive>)> reply) override;
    void session_ended(const imps::engine::SessionId& id, imps::engine::EndReason reason) override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace onesoup::gateway
