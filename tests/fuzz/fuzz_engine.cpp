// libFuzzer target for the CSP session engine: arbitrary bytes as a request body to an engine
// with a logged-in session (the text "SESSIONID" in the input is replaced by that session's
// id, so the fuzzer reaches the in-session handlers). The first byte picks the content type.
// Every request must be answered exactly once, and every CSP answer must decode again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/engine/engine.hpp"
#include "onesoup/imps/model/message.hpp"

namespace {

using namespace onesoup::imps;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_engine: %s\n", what);
    std::abort();
}

// Accepts every login and answers every request with a Status at once.
class EchoBackend final : public engine::Backend {
  public:
    std::vector<std::string> digest_schemas_for(const std::string&) override {
        return {"MD5", "SHA"};
    }
    void login(const engine::SessionInfo&, const engine::Credentials&,
               std::function<void(engine::LoginOutcome)> done) override {
        done(engine::LoginOutcome{});
    }
    void request(const engine::SessionInfo&, const model::Primitive&,
                 std::function<void(std::optional<model::Primitive>)> reply) override {
        reply(model::Primitive(model::Status{}));
    }
    void session_ended(const engine::SessionId&, engine::EndReason) override {}
};

std::optional<engine::Outgoing> call(engine::Engine& e, std::string body, std::string type) {
    engine::Incoming in;
    in.body = std::move(body);
    in.content_type = std::move(type);
    in.remote_address = "127.0.0.1";
    in.base_url = "http://127.0.0.1:8080";
    in.msisdn = "+10000000000";
    std::optional<engine::Outgoing> out;
    int calls = 0;
    e.handle(std::move(in), [&](engine::Outgoing o) {
        ++calls;
        out = std::move(o);
    });
    if (calls != 1) fail("request not answered exactly once");
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    EchoBackend backend;
    std::uint8_t counter = 0;
    // Every CIR method on, so that ClientCapability's negotiation is reached by the fuzzer too.
    engine::EngineConfig config;
    config.cir.methods = {model::CirMethod::stcp, model::CirMethod::shttp, model::CirMethod::sudp,
                          model::CirMethod::wap_udp, model::CirMethod::wap_sms,
                          model::CirMethod::ssms};
    config.cir.tcp_port = 3717;
    engine::Engine e(std::move(config), backend, [&](std::uint8_t* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) out[i] = counter++;
    });

    // Log in (2-way, CSP 1.2 XML) to get a session.
    const std::string login =
        "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\"><Session>"
        "<SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor><Transaction>"
        "<TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>1"
        "</TransactionID></TransactionDescriptor><TransactionContent "
        "xmlns=\"http://www.openmobilealliance.org/DTD/WV-TRC1.2\"><Login-Request><UserID>wv:a"
        "</UserID><Password>p</Password></Login-Request></TransactionContent></Transaction>"
        "</Session></WV-CSP-Message>";
    const auto answer = call(e, login, "application/vnd.wv.csp.xml");
    auto doc = codec::decode(answer->body);
    if (!doc) fail("login answer does not decode");
    auto m = model::from_tree(doc->root, doc->version);
    if (!m) fail("login answer is not a CSP message");
    const auto* r = std::get_if<model::LoginResponse>(&m->transactions.at(0).content);
    if (r == nullptr || !r->session_id) fail("no session");
    const std::string id = *r->session_id;
    model::NewMessage nm;
    nm.content_data = "queued";
    e.push(id, nm);
    e.cir_failed(id);  // the next answer carries CIR=F

    static constexpr std::string_view types[] = {"",
                                                 "application/vnd.wv.csp.xml",
                                                 "application/vnd.wv.csp.wbxml",
                                                 "application/vnd.wv.csp+xml",
                                                 "application/vnd.wv.csp+wbxml",
                                                 "text/html"};
    const std::string type(types[data[0] % 6]);
    std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    for (std::size_t at = body.find("SESSIONID"); at != std::string::npos;
         at = body.find("SESSIONID", at + id.size()))
        body.replace(at, 9, id);

    // Twice: the second time exercises the replay cache.
    for (int round = 0; round < 2; ++round) {
        const auto out = call(e, body, type);
        if (out->http_status == 200 && !out->body.empty()) {
            auto back = codec::decode(out->body);
            if (!back) fail("answer does not decode");
            if (!model::from_tree(back->root, back->version)) fail("answer is not CSP");
        }
    }
    e.tick(engine::TimePoint{} + std::chrono::hours(24));
    return 0;
}
