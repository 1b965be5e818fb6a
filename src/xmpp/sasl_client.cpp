#include "onesoup/xmpp/sasl_client.hpp"

#include <gsasl.h>

#include <cstdlib>
#include <string>

namespace onesoup::xmpp {

Result<std::unique_ptr<SaslContext>> SaslContext::create() {
    Gsasl* ctx = nullptr;
    int rc = gsasl_init(&ctx);
    if (rc != GSASL_OK) return make_error(std::string("libgsasl: ") + gsasl_strerror(rc));
    return std::unique_ptr<SaslContext>(new SaslContext(ctx));
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
