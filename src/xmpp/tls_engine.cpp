#include "onesoup/xmpp/tls_engine.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace onesoup::xmpp {
namespace {

long bio_ctrl(BIO*, int cmd, long, void*) {
    // OpenSSL flushes after each flight; the bytes are already in the caller's string.
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

std::string openssl_errors() {
    std::string s;
    while (unsigned long e = ERR_get_error()) {
        std::array<char, 256> buf{};
        ERR_error_string_n(e, buf.data(), buf.size());
        if (!s.empty()) s += "; ";
        s += buf.data();
    }
    return s;
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::create(bool verify, const std::string& ca_file) {
    std::unique_ptr<TlsContext> c(new TlsContext());
    c->verify_ = verify;
    c->ctx_ = SSL_CTX_new(TLS_client_method());
    if (c->ctx_ == nullptr) return make_error("TLS: cannot create context: " + openssl_errors());
    SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
    SSL_CTX_set_mode(c->ctx_, SSL_MODE_RELEASE_BUFFERS);
    if (verify) {
        int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(c->ctx_)
                                 : SSL_CTX_load_verify_locations(c->ctx_, ca_file.c_str(), nullptr);
        if (ok != 1) return make_error("TLS trust store: " + openssl_errors());
        SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_NONE, nullptr);
    }
    c->method_ = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "onesoup-tls");
    if (c->method_ == nullptr) return make_error("TLS: cannot create BIO method");
    BIO_meth_set_read(c->method_, &TlsEngine::bio_read);
    BIO_meth_set_write(c->method_, &TlsEngine::bio_write);
    BIO_meth_set_ctrl(c->method_, &bio_ctrl);
    BIO_meth_set_create(c->method_, &bio_create);
    return c;
}

TlsContext::~TlsContext() {
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (method_ != nullptr) BIO_meth_free(method_);
}

Result<std::unique_ptr<TlsEngine>> TlsEngine::create(const TlsContext& context,
                                                     const std::string& server_name) {
    SSL* ssl = SSL_new(context.native());
    if (ssl == nullptr) return make_error("TLS: cannot create session: " + openssl_errors());
    std::unique_ptr<TlsEngine> engine(new TlsEngine(ssl));
    BIO* bio = BIO_new(context.bio_method());
    if (bio == nullptr) return make_error("TLS: cannot create BIO");
    BIO_set_data(bio, engine.get());
    SSL_set_bio(ssl, bio, bio);  // one BIO for both directions; SSL owns it
    SSL_set_connect_state(ssl);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str()) != 1) {
        // Not an IP address: a DNS name, sent as SNI and matched against the certificate.
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (context.verify() && X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0) != 1) {
            return make_error("TLS: bad server name " + server_name);
        }
        // SSL_set_tlsext_host_name() spelled out: the macro uses a C cast.
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(server_name.c_str()));
    }
    return engine;
}

TlsEngine::~TlsEngine() {
    if (ssl_ != nullptr) SSL_free(ssl_);
}

int TlsEngine::bio_read(BIO* bio, char* data, int len) {
    auto* self = static_cast<TlsEngine*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (self->in_.empty() || len <= 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    std::size_t n = std::min(self->in_.size(), static_cast<std::size_t>(len));
    std::memcpy(data, self->in_.data(), n);
    self->in_.remove_prefix(n);
    return static_cast<int>(n);
}

int TlsEngine::bio_write(BIO* bio, const char* data, int len) {
    auto* self = static_cast<TlsEngine*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (self->out_ == nullptr || len < 0) return -1;
    self->out_->append(data, static_cast<std::size_t>(len));
    return len;
}

Error TlsEngine::last_error(const char* what) const {
    std::string message = what;
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
        message +=
            std::string(": certificate verify failed: ") + X509_verify_cert_error_string(verify);
    }
    std::string errors = openssl_errors();
    if (!errors.empty()) message += ": " + errors;
    return make_error(message);
}

Result<void> TlsEngine::start(std::string& cipher_out) {
    std::string plain;
    return receive({}, plain, cipher_out);
}

Result<void> TlsEngine::receive(std::string_view cipher_in, std::string& plain_out,
                                std::string& cipher_out) {
    in_ = cipher_in;
    out_ = &cipher_out;
    ERR_clear_error();
    if (!done_) {
        int r = SSL_do_handshake(ssl_);
        if (r != 1) {
            int err = SSL_get_error(ssl_, r);
            in_ = {};
            out_ = nullptr;
            if (err == SSL_ERROR_WANT_READ) return {};
            return last_error("TLS handshake failed");
        }
        done_ = true;
    }
    // The server may send application data in the same flight as the end of the handshake.
    std::array<char, 4096> buf{};
    for (;;) {
        std::size_t n = 0;
        int r = SSL_read_ex(ssl_, buf.data(), buf.size(), &n);
        if (r == 1) {
            plain_out.append(buf.data(), n);
            continue;
        }
        int err = SSL_get_error(ssl_, r);
        in_ = {};
        out_ = nullptr;
        if (err == SSL_ERROR_WANT_READ) return {};
        if (err == SSL_ERROR_ZERO_RETURN) {
            peer_closed_ = true;
            return {};
        }
        return last_error("TLS read failed");
    }
}

Result<void> TlsEngine::send(std::string_view plain, std::string& cipher_out) {
    if (!done_) return make_error("TLS: send before the handshake finished");
    out_ = &cipher_out;
    ERR_clear_error();
    while (!plain.empty()) {
        std::size_t n = 0;
        if (SSL_write_ex(ssl_, plain.data(), plain.size(), &n) != 1) {
            out_ = nullptr;
            return last_error("TLS write failed");
        }
        plain.remove_prefix(n);
    }
    out_ = nullptr;
    return {};
}

}  // namespace onesoup::xmpp
