// CspClient: a phone's CSP session over HTTP. Builds each request with the typed model, encodes
// it in the chosen version and encoding, POSTs it, decodes the answer, keeps what the server
// pushed (server-originated transactions) and answers those as a phone does (CSP 1.2 section
// 5.2: NewMessage -> MessageDelivered, other requests -> Status 200).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "onesoup/core/result.hpp"
#include "onesoup/imps/codec/version.hpp"
#include "onesoup/imps/model/message.hpp"
#include "onesoup/imps/model/primitives.hpp"

namespace onesoup::tools {

struct CspClientOptions {
    imps::codec::CspVersion version = imps::codec::CspVersion::v1_2;
    imps::codec::Encoding encoding = imps::codec::Encoding::wbxml;
    bool print_exchanges = true;  // print each request and answer as XML
};

// Something the server pushed, kept until a waiting step takes it.
struct Pushed {
    imps::model::Primitive primitive;  // NewMessage, PresenceNotification-Request, Disconnect...
    std::uint64_t sequence = 0;        // arrival order, from 1
    bool taken = false;                // a waiting step matched it already
};

// The answer to one request.
struct CspAnswer {
    int http_status = 0;
    bool empty = false;                              // HTTP 200 with an empty body
    std::optional<imps::model::Primitive> response;  // the transaction answering ours
    std::vector<imps::model::Primitive> pushed;      // server-originated transactions in it
    bool poll = false;                               // Poll=T: more is waiting
    bool cir_failed = false;  // Session/CIR=F (CSP 1.2+): the phone must set its CIR up again
};

// Wire totals.
struct WireCounters {
    std::uint64_t body_bytes_sent = 0;
    std::uint64_t body_bytes_received = 0;
    std::uint64_t header_bytes_sent = 0;
    std::uint64_t header_bytes_received = 0;
    std::uint64_t requests = 0;
};

class CspClient {
  public:
    CspClient(HttpClient& http, CspClientOptions options, std::ostream& out);

    // Sends one request transaction (TransactionMode Request). Login-Request goes Outband
    // without a SessionID; every other primitive Inband with the current SessionID.
    // `transaction_id` reuses an id (the second Login-Request of a 4-way login); otherwise the
    // next of "imps1", "imps2", ... is taken. Pushed transactions in the answer are remembered
    // and answered (each answer in its own POST) before this returns.
    [[nodiscard]] Result<CspAnswer> request(const imps::model::Primitive& primitive,
                                            std::optional<std::string> transaction_id = {});

    // Sends a whole prepared document (the `raw` step): its SessionID, if any, is replaced by
    // the current one; it is written in this client's version and encoding.
    [[nodiscard]] Result<CspAnswer> send_document(imps::model::Message message);
    // Same for a document the model cannot read: sent as a tree with its namespaces changed.
    [[nodiscard]] Result<CspAnswer> send_tree(imps::codec::Element root);

    // The TransactionID the next request will use.
    [[nodiscard]] std::string next_transaction_id() const;
    // Takes the next TransactionID.
    std::string take_transaction_id();

    void set_session_id(std::optional<std::string> id) { session_id_ = std::move(id); }
    [[nodiscard]] const std::optional<std::string>& session_id() const { return session_id_; }

    // Everything pushed so far, in arrival order.
    [[nodiscard]] std::vector<Pushed>& inbox() { return inbox_; }
    // Remembers a session end learnt from a poll's Result (600/604) as a pushed Disconnect.
    void remember_disconnect(int code, std::string description);

    [[nodiscard]] const WireCounters& counters() const { return counters_; }

    // Called at the start of every POST (the phone is awake: what was waiting comes with the
    // answer), and with every answer that carries CIR=F. Optional.
    std::function<void()> before_post;
    // Called when an answer arrived (the phone acted on what woke it). Optional.
    std::function<void()> after_post;
    std::function<void()> on_cir_failed;
    [[nodiscard]] const CspClientOptions& options() const { return options_; }

  private:
    Result<CspAnswer> post_tree(const imps::codec::Element& root,
                                const std::optional<std::string>& our_transaction);
    Result<CspAnswer> exchange(imps::model::Message message,
                               const std::optional<std::string>& our_transaction);
    Result<void> answer_pushed(
        const std::vector<std::pair<std::string, imps::model::Primitive>>& to_answer);

    HttpClient& http_;
    CspClientOptions options_;
    std::ostream& out_;
    std::optional<std::string> session_id_;
    std::uint64_t next_transaction_ = 1;
    std::uint64_t next_sequence_ = 1;
    int answer_depth_ = 0;  // nesting of answer_pushed (a push answered with more pushes)
    std::vector<Pushed> inbox_;
    WireCounters counters_;
};

// The Result code a response primitive carries (Status, Login-Response, Disconnect,
// SendMessage-Response, ...), if it has one.
[[nodiscard]] std::optional<int> result_code(const imps::model::Primitive& primitive);
// Its Result/Description, if any.
[[nodiscard]] std::string result_description(const imps::model::Primitive& primitive);

}  // namespace onesoup::tools
