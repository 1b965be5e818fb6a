// LoggingBackend: every call reaches the gateway unchanged, and the log says who logged in, how,
// and with which result, but never the password or the digest.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "logging_backend.hpp"

namespace engine = onesoup::imps::engine;
using onesoup::app::Logger;
using onesoup::app::LoggingBackend;
using onesoup::app::LogLevel;

namespace {

// The gateway's side, recording what reached it and answering with a set outcome.
class RecordingBackend final : public engine::Backend {
  public:
    std::vector<std::string> digest_schemas_for(const std::string& user_id) override {
        calls.push_back("schemas " + user_id);
        return {"MD5"};
    }
    void login(const engine::SessionInfo& session, const engine::Credentials& credentials,
               std::function<void(engine::LoginOutcome)> done) override {
        calls.push_back("login " + session.id + " " + credentials.password.value_or("-"));
        done(outcome);
    }
    void request(
        const engine::SessionInfo& session, const onesoup::imps::model::Primitive&,
        std::function<void(std::optional<onesoup::imps::model::Primitive>)> reply) override {
        calls.push_back("request " + session.id);
        reply(std::nullopt);
    }
    void session_ended(const engine::SessionId& id, engine::EndReason) override {
        calls.push_back("ended " + id);
    }

    engine::LoginOutcome outcome;
    std::vector<std::string> calls;
};

std::string read_all(std::FILE* f) {
    std::rewind(f);
    std::string text;
    char buffer[512];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
    return text;
}

engine::SessionInfo session() {
    engine::SessionInfo s;
    s.id = "0123456789abcdef0123456789abcdef";
    s.user_id = "wv:alice@chat.example";
    s.remote_address = "192.0.2.7";
    s.version = onesoup::imps::codec::CspVersion::v1_1;
    s.encoding = onesoup::imps::codec::Encoding::wbxml;
    return s;
}

TEST(LoggingBackend, LogsLoginOkWithoutThePassword) {
    std::FILE* sink = std::tmpfile();
    ASSERT_NE(sink, nullptr);
    const Logger log(LogLevel::debug, sink);
    RecordingBackend inner;
    LoggingBackend backend(inner, log);

    engine::Credentials c;
    c.user_id = "wv:alice@chat.example";
    c.password = "hunter2-secret";
    int answered = 0;
    backend.login(session(), c, [&](engine::LoginOutcome o) {
        EXPECT_EQ(o.code, 200);
        ++answered;
    });
    EXPECT_EQ(answered, 1);
    ASSERT_EQ(inner.calls.size(), 1u);
    EXPECT_EQ(inner.calls[0], "login 0123456789abcdef0123456789abcdef hunter2-secret");

    const std::string text = read_all(sink);
    std::fclose(sink);
    EXPECT_NE(text.find("[session 01234567] login ok: wv:alice@chat.example from 192.0.2.7 "
                        "(PWD, CSP 1.1 WBXML)"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_EQ(text.find("0123456789abcdef0123"), std::string::npos) << "whole session id";
}

TEST(LoggingBackend, LogsRefusalWithCodeAndReason) {
    std::FILE* sink = std::tmpfile();
    ASSERT_NE(sink, nullptr);
    const Logger log(LogLevel::info, sink);
    RecordingBackend inner;
    inner.outcome = {409, "invalid password", {}};
    LoggingBackend backend(inner, log);

    engine::Credentials c;
    c.user_id = "wv:alice@chat.example";
    c.digest_schema = "MD5";
    c.nonce = "n0nce";
    c.digest_bytes = "c2VjcmV0LWRpZ2VzdA==";
    int code = 0;
    backend.login(session(), c, [&](engine::LoginOutcome o) { code = o.code; });
    EXPECT_EQ(code, 409);
    backend.session_ended("fedcba9876543210fedcba9876543210", engine::EndReason::expired);
    EXPECT_EQ(inner.calls.back(), "ended fedcba9876543210fedcba9876543210");
    EXPECT_EQ(backend.digest_schemas_for("wv:alice@chat.example"), std::vector<std::string>{"MD5"});

    const std::string text = read_all(sink);
    std::fclose(sink);
    EXPECT_NE(text.find("login failed with 409: wv:alice@chat.example from 192.0.2.7 (MD5, CSP "
                        "1.1 WBXML): invalid password"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("[session fedcba98] session ended: expired"), std::string::npos) << text;
    EXPECT_EQ(text.find("c2VjcmV0"), std::string::npos) << text;
}

}  // namespace
