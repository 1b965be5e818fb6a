#include "onesoup/xmpp/sasl_client.hpp"

#include <gsasl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

namespace onesoup::xmpp {

namespace {

// SCRAM's Hi() (RFC 5802 2.2) is PBKDF2 over thousands of HMAC rounds. libgsasl's own PBKDF2
// took about 20 ms per login here, on the event loop, which capped logins at ~45/s (see
// docs/benchmarks.md). libgsasl asks for GSASL_SCRAM_SALTED_PASSWORD before computing it, so
// we answer with OpenSSL's PBKDF2 (several times faster) and remember the result per
// (mechanism, salt, iterations, password): a user who logs in again costs no hashing at all.
constexpr long max_iterations = 1000000;  // a server asking more is refused (denial of service)

std::string hex(const unsigned char* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0x0f];
    }
    return out;
}

int salted_password(SaslContext& context, Gsasl_session* sctx) {
    const char* mechanism = gsasl_mechanism_name(sctx);
    const char* iter_text = gsasl_property_fast(sctx, GSASL_SCRAM_ITER);
    const char* salt_b64 = gsasl_property_fast(sctx, GSASL_SCRAM_SALT);
    const char* password = gsasl_property_fast(sctx, GSASL_PASSWORD);
    if (mechanism == nullptr || iter_text == nullptr || salt_b64 == nullptr ||
        password == nullptr) {
        return GSASL_NO_CALLBACK;
    }
    const std::string mech(mechanism);
    const EVP_MD* md = nullptr;
    if (mech.rfind("SCRAM-SHA-256", 0) == 0) md = EVP_sha256();
    else if (mech.rfind("SCRAM-SHA-1", 0) == 0) md = EVP_sha1();
    else return GSASL_NO_CALLBACK;
    char* end = nullptr;
    long iterations = std::strtol(iter_text, &end, 10);
    if (end == iter_text || *end != '\0' || iterations < 1) return GSASL_NO_CALLBACK;
    if (iterations > max_iterations) return GSASL_AUTHENTICATION_ERROR;

    char* prepared = nullptr;
    if (gsasl_saslprep(password, GSASL_ALLOW_UNASSIGNED, &prepared, nullptr) != GSASL_OK) {
        return GSASL_NO_CALLBACK;
    }
    std::string prepped(prepared);
    gsasl_free(prepared);

    // The cache key is a hash, so the cache holds no password (only the salted form, which
    // the session could compute anyway).
    std::string key_material = mech + '\0' + salt_b64 + '\0' + iter_text + '\0' + prepped;
    std::array<unsigned char, SHA256_DIGEST_LENGTH> key_hash{};
    SHA256(reinterpret_cast<const unsigned char*>(key_material.data()), key_material.size(),
           key_hash.data());
    std::string key(reinterpret_cast<const char*>(key_hash.data()), key_hash.size());
    if (const std::string* cached = context.cached_salted_password(key)) {
        gsasl_property_set(sctx, GSASL_SCRAM_SALTED_PASSWORD, cached->c_str());
        return GSASL_OK;
    }

    char* salt = nullptr;
    std::size_t salt_size = 0;
    if (gsasl_base64_from(salt_b64, std::strlen(salt_b64), &salt, &salt_size) != GSASL_OK) {
        return GSASL_NO_CALLBACK;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    const int size = EVP_MD_get_size(md);
    const int ok = PKCS5_PBKDF2_HMAC(prepped.data(), static_cast<int>(prepped.size()),
                                     reinterpret_cast<const unsigned char*>(salt),
                                     static_cast<int>(salt_size), static_cast<int>(iterations),
                                     md, size, out.data());
    gsasl_free(salt);
    if (ok != 1) return GSASL_NO_CALLBACK;
    std::string value = hex(out.data(), static_cast<std::size_t>(size));
    gsasl_property_set(sctx, GSASL_SCRAM_SALTED_PASSWORD, value.c_str());
    context.remember_salted_password(std::move(key), std::move(value));
    return GSASL_OK;
}

int callback(Gsasl* ctx, Gsasl_session* sctx, Gsasl_property property) {
    auto* context = static_cast<SaslContext*>(gsasl_callback_hook_get(ctx));
    if (context == nullptr || sctx == nullptr) return GSASL_NO_CALLBACK;
    if (property == GSASL_SCRAM_SALTED_PASSWORD) return salted_password(*context, sctx);
    return GSASL_NO_CALLBACK;
}

}  // namespace

Result<std::unique_ptr<SaslContext>> SaslContext::create() {
    Gsasl* ctx = nullptr;
    int rc = gsasl_init(&ctx);
    if (rc != GSASL_OK) return make_error(std::string("libgsasl: ") + gsasl_strerror(rc));
    std::unique_ptr<SaslContext> context(new SaslContext(ctx));
    gsasl_callback_set(ctx, callback);
    gsasl_callback_hook_set(ctx, context.get());
    return context;
}

const std::string* SaslContext::cached_salted_password(const std::string& key) const {
    auto it = salted_cache_.find(key);
    return it == salted_cache_.end() ? nullptr : &it->second;
}

void SaslContext::remember_salted_password(std::string key, std::string value) {
    // Bounded: past the limit the cache starts again (a re-login then hashes once more).
    if (salted_cache_.size() >= max_cached_) salted_cache_.clear();
    salted_cache_.emplace(std::move(key), std::move(value));
}

SaslContext::~SaslContext() {
    if (ctx_ != nullptr) gsasl_done(ctx_);
}

bool SaslContext::supports(std::string_view mechanism) const {
    return gsasl_client_support_p(ctx_, std::string(mechanism).c_str()) != 0;
}

Result<std::unique_ptr<SaslClient>> SaslClient::start(const SaslContext& context,
                                                      std::string_view mechanism,
                                                      std::string_view authid,
                                                      std::string_view password,
                                                      std::string_view hostname) {
    Gsasl_session* session = nullptr;
    int rc = gsasl_client_start(context.native(), std::string(mechanism).c_str(), &session);
    if (rc != GSASL_OK) {
        return make_error("cannot start SASL " + std::string(mechanism) + ": " +
                          gsasl_strerror(rc));
    }
    std::unique_ptr<SaslClient> client(new SaslClient(session));
    // Properties are set up front rather than through a callback: the callback is per library
    // context, and the context is shared by every session on the loop.
    gsasl_property_set(session, GSASL_AUTHID, std::string(authid).c_str());
    gsasl_property_set(session, GSASL_PASSWORD, std::string(password).c_str());
    gsasl_property_set(session, GSASL_SERVICE, "xmpp");
    gsasl_property_set(session, GSASL_HOSTNAME, std::string(hostname).c_str());
    return client;
}

SaslClient::~SaslClient() {
    if (session_ != nullptr) gsasl_finish(session_);
}

Result<std::string> SaslClient::step(std::string_view challenge_b64) {
    std::string in(challenge_b64);
    char* out = nullptr;
    int rc = gsasl_step64(session_, in.c_str(), &out);
    if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
        if (out != nullptr) gsasl_free(out);
        return make_error(std::string("SASL: ") + gsasl_strerror(rc));
    }
    std::string reply = out != nullptr ? out : "";
    if (out != nullptr) gsasl_free(out);
    complete_ = rc == GSASL_OK;
    return reply;
}

}  // namespace onesoup::xmpp
