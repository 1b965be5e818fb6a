// TlsEngine: one TLS client session on OpenSSL without a socket: ciphertext in and out as bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

struct ssl_st;
struct ssl_ctx_st;
struct bio_method_st;
struct bio_st;

namespace onesoup::xmpp {

// The TLS settings shared by every connection on a loop: TLS 1.2 or newer and the trust store.
// Holds the OpenSSL context and the BIO method through which engines pass bytes.
class TlsContext {
  public:
    // verify = true: the server's certificate must chain to the system store, or to `ca_file`
    // if given, and name the server (RFC 6125). verify = false accepts any certificate and is
    // meant only for loopback tests.
    static Result<std::unique_ptr<TlsContext>> create(bool verify, const std::string& ca_file = {});
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    [[nodiscard]] bool verify() const { return verify_; }
    [[nodiscard]] ssl_ctx_st* native() const { return ctx_; }
    [[nodiscard]] const bio_method_st* bio_method() const { return method_; }

  private:
    TlsContext() = default;
    ssl_ctx_st* ctx_ = nullptr;
    bio_method_st* method_ = nullptr;
    bool verify_ = true;
};

// A TLS client session that keeps no buffers of its own between calls: OpenSSL reads
// ciphertext straight from the caller's bytes and writes it into the caller's string, and its
// record buffers are released when idle (SSL_MODE_RELEASE_BUFFERS). That keeps an idle
// session's TLS state to OpenSSL's SSL object.
class TlsEngine {
  public:
    // A session for a server called `server_name` (SNI and certificate name check; an IP
    // address is checked against the certificate's IP entries and sent without SNI).
    static Result<std::unique_ptr<TlsEngine>> create(const TlsContext& context,
                                                     const std::string& server_name);
    ~TlsEngine();
    TlsEngine(const TlsEngine&) = delete;
    TlsEngine& operator=(const TlsEngine&) = delete;

    // Starts the handshake: appends the ClientHello to `cipher_out`.
    Result<void> start(std::string& cipher_out);

    // Ciphertext from the server: advances the handshake and decrypts application data into
    // `plain_out`; appends anything TLS needs to send to `cipher_out`. All of `cipher_in` is
    // used. A failed handshake (e.g. certificate verification) or a broken record is an error;
    // the server's close_notify sets peer_closed().
    Result<void> receive(std::string_view cipher_in, std::string& plain_out,
                         std::string& cipher_out);

    // Encrypts `plain` (only once handshake_done()) into `cipher_out`.
    Result<void> send(std::string_view plain, std::string& cipher_out);

    [[nodiscard]] bool handshake_done() const { return done_; }
    [[nodiscard]] bool peer_closed() const { return peer_closed_; }

  private:
    explicit TlsEngine(ssl_st* ssl) : ssl_(ssl) {}
    static int bio_read(::bio_st* bio, char* data, int len);
    static int bio_write(::bio_st* bio, const char* data, int len);
    friend class TlsContext;

    Error last_error(const char* what) const;

    ssl_st* ssl_ = nullptr;
    std::string_view in_;         // ciphertext OpenSSL may read, during a call
    std::string* out_ = nullptr;  // where OpenSSL's ciphertext goes, during a call
    bool done_ = false;
    bool peer_closed_ = false;
};

}  // namespace onesoup::xmpp
