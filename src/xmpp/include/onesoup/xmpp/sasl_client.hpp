// SaslClient: the client side of one SASL exchange (RFC 4422) through libgsasl, for XMPP
// authentication (RFC 6120 section 6).
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

struct Gsasl;
struct Gsasl_session;

namespace onesoup::xmpp {

// The libgsasl library context. Create one per event loop (or per process) and share it among
// all of its clients; it holds only the table of mechanisms, no per-session state.
class SaslContext {
  public:
    // Initializes libgsasl; fails only if the library cannot start.
    static Result<std::unique_ptr<SaslContext>> create();
    ~SaslContext();
    SaslContext(const SaslContext&) = delete;
    SaslContext& operator=(const SaslContext&) = delete;

    // True if libgsasl can run `mechanism` (e.g. "SCRAM-SHA-1") as a client.
    [[nodiscard]] bool supports(std::string_view mechanism) const;

    [[nodiscard]] Gsasl* native() const { return ctx_; }

    // SCRAM SaltedPassword values already computed, keyed by a hash of (mechanism, salt,
    // iterations, password): a user who logs in again is not hashed again. Loop thread only.
    [[nodiscard]] const std::string* cached_salted_password(const std::string& key) const;
    void remember_salted_password(std::string key, std::string value);
    // How many are cached.
    [[nodiscard]] std::size_t cached_count() const { return salted_cache_.size(); }

  private:
    explicit SaslContext(Gsasl* ctx) : ctx_(ctx) {}
    Gsasl* ctx_ = nullptr;
    std::unordered_map<std::string, std::string> salted_cache_;
    std::size_t max_cached_ = 100000;
};

// One authentication exchange. Data in and out is base64, as XMPP carries it (RFC 6120 6.4.2).
class SaslClient {
  public:
    // Starts `mechanism` for `authid` with `password` against service "xmpp" on `hostname`.
    static Result<std::unique_ptr<SaslClient>> start(const SaslContext& context,
                                                     std::string_view mechanism,
                                                     std::string_view authid,
                                                     std::string_view password,
                                                     std::string_view hostname);
    ~SaslClient();
    SaslClient(const SaslClient&) = delete;
    SaslClient& operator=(const SaslClient&) = delete;

    // Runs one step on the server's base64 challenge (empty for the initial response) and
    // returns the base64 reply. A server that sends something the mechanism rejects (for SCRAM:
    // a wrong server signature, a bad nonce) is an error.
    Result<std::string> step(std::string_view challenge_b64);

    // True once the mechanism has finished on the client side (for SCRAM: the server's
    // signature has been verified, RFC 5802 section 3).
    [[nodiscard]] bool complete() const { return complete_; }

  private:
    explicit SaslClient(Gsasl_session* session) : session_(session) {}
    Gsasl_session* session_ = nullptr;
    bool complete_ = false;
};

}  // namespace onesoup::xmpp
