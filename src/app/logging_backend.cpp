#include "logging_backend.hpp"

#include "onesoup/imps/codec/version.hpp"

namespace onesoup::app {

std::string_view to_string(imps::engine::EndReason reason) {
    using imps::engine::EndReason;
    switch (reason) {
        case EndReason::logout:
            return "logout";
        case EndReason::expired:
            return "expired (the phone went silent)";
        case EndReason::disconnected_by_server:
            return "disconnected by the server";
        case EndReason::replaced:
            return "replaced by a new login";
    }
    return "unknown";
}

std::vector<std::string> LoggingBackend::digest_schemas_for(const std::string& user_id) {
    return inner_.digest_schemas_for(user_id);
}

void LoggingBackend::login(const imps::engine::SessionInfo& session,
                           const imps::engine::Credentials& credentials,
                           std::function<void(imps::engine::LoginOutcome)> done) {
    // Never the password or the digest: only how the phone logged in.
    std::string how = credentials.digest_schema.empty() ? "PWD" : credentials.digest_schema;
    how += ", CSP ";
    how += imps::codec::version_text(session.version);
    how += session.encoding == imps::codec::Encoding::wbxml ? " WBXML" : " XML";
    std::string who = session.user_id + " from " + session.remote_address;
    if (!session.msisdn.empty()) who += " (MSISDN " + session.msisdn + ")";
    inner_.login(session, credentials,
                 [this, id = session.id, who = std::move(who), how = std::move(how),
                  done = std::move(done)](imps::engine::LoginOutcome outcome) {
                     if (outcome.code == 200) {
                         log_.info("login ok: " + who + " (" + how + ")", id);
                     } else {
                         std::string line = "login failed with " + std::to_string(outcome.code) +
                                            ": " + who + " (" + how + ")";
                         if (!outcome.description.empty()) line += ": " + outcome.description;
                         log_.info(line, id);
                     }
                     done(std::move(outcome));
                 });
}

void LoggingBackend::request(const imps::engine::SessionInfo& session,
                             const imps::model::Primitive& primitive,
                             std::function<void(std::optional<imps::model::Primitive>)> reply) {
    if (log_.enabled(LogLevel::debug)) {
        log_.debug(std::string("request ") + std::string(imps::model::primitive_name(primitive)),
                   session.id);
    }
    inner_.request(session, primitive, std::move(reply));
}

void LoggingBackend::session_ended(const imps::engine::SessionId& id,
                                   imps::engine::EndReason reason) {
    log_.info("session ended: " + std::string(to_string(reason)), id);
    inner_.session_ended(id, reason);
    if (on_session_ended) on_session_ended(id);
}

}  // namespace onesoup::app
