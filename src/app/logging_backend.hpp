// LoggingBackend: sits between the engine and the gateway and writes the log lines an operator
// needs (logins with their status code, session ends), without touching what passes through.
#pragma once

#include <functional>

#include "logger.hpp"
#include "onesoup/imps/engine/engine.hpp"

namespace onesoup::app {

class LoggingBackend final : public imps::engine::Backend {
  public:
    // Forwards every call to `inner`; both must outlive this object.
    LoggingBackend(imps::engine::Backend& inner, const Logger& log) : inner_(inner), log_(log) {}

    std::vector<std::string> digest_schemas_for(const std::string& user_id) override;
    void login(const imps::engine::SessionInfo& session,
               const imps::engine::Credentials& credentials,
               std::function<void(imps::engine::LoginOutcome)> done) override;
    void request(const imps::engine::SessionInfo& session, const imps::model::Primitive& primitive,
                 std::function<void(std::optional<imps::model::Primitive>)> reply) override;
    void session_ended(const imps::engine::SessionId& id, imps::engine::EndReason reason) override;

    // Called after the inner Backend was told a session ended (the daemon forgets the
    // session's CIR state there). Optional.
    std::function<void(const imps::engine::SessionId&)> on_session_ended;

  private:
    imps::engine::Backend& inner_;
    const Logger& log_;
};

// "logout", "expired", ... for log lines.
[[nodiscard]] std::string_view to_string(imps::engine::EndReason reason);

}  // namespace onesoup::app
