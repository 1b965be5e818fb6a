#include "csp_client.hpp"

#include <ostream>
#include <type_traits>
#include <utility>
#include <variant>

#include "onesoup/imps/codec/codec.hpp"

namespace onesoup::tools {

namespace codec = imps::codec;
namespace model = imps::model;

namespace {

// Pushed transactions answered in a row before giving up (a server that pushes for ever).
constexpr int max_answer_depth = 64;

void print_indented(std::ostream& out, const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out << "    " << std::string_view(text).substr(start, end - start) << '\n';
        start = end + 1;
    }
}

std::string readable(const codec::Element& root) {
    return codec::encode_xml(root, codec::XmlWriteOptions{.indent = true, .declaration = false});
}

}  // namespace

std::optional<int> result_code(const model::Primitive& primitive) {
    return std::visit(
        [](const auto& p) -> std::optional<int> {
            if constexpr (requires { p.result.code; }) {
                return static_cast<int>(p.result.code);
            } else if constexpr (requires { p.result->code; }) {
                if (p.result) return static_cast<int>(p.result->code);
            }
            return std::nullopt;
        },
        primitive);
}

std::string result_description(const model::Primitive& primitive) {
    return std::visit(
        [](const auto& p) -> std::string {
            if constexpr (requires { p.result.description; }) {
                return p.result.description.value_or("");
            } else if constexpr (requires { p.result->description; }) {
                if (p.result) return p.result->description.value_or("");
            }
            return {};
        },
        primitive);
}

CspClient::CspClient(HttpClient& http, CspClientOptions options, std::ostream& out)
    : http_(http), options_(options), out_(out) {}

std::string CspClient::next_transaction_id() const {
    return "imps" + std::to_string(next_transaction_);
}

std::string CspClient::take_transaction_id() {
    return "imps" + std::to_string(next_transaction_++);
}

void CspClient::remember_disconnect(int code, std::string description) {
    model::Disconnect d;
    d.result.code = code;
    if (!description.empty()) d.result.description = std::move(description);
    inbox_.push_back(Pushed{std::move(d), next_sequence_++, false});
}

Result<CspAnswer> CspClient::request(const model::Primitive& primitive,
                                     std::optional<std::string> transaction_id) {
    const bool login = std::holds_alternative<model::LoginRequest>(primitive);
    model::Message message;
    message.version = options_.version;
    message.session.type = login ? model::SessionType::outband : model::SessionType::inband;
    if (!login) message.session.session_id = session_id_;
    model::Transaction t;
    t.descriptor.mode = model::TransactionMode::request;
    t.descriptor.id = transaction_id ? std::move(*transaction_id) : take_transaction_id();
    t.content = primitive;
    message.transactions.push_back(std::move(t));
    const auto id = message.transactions.front().descriptor.id;
    return exchange(std::move(message), id);
}

Result<CspAnswer> CspClient::send_document(model::Message message) {
    if (message.session.session_id && session_id_) message.session.session_id = session_id_;
    std::optional<std::string> id;
    if (!message.transactions.empty()) id = message.transactions.front().descriptor.id;
    return exchange(std::move(message), id);
}

Result<CspAnswer> CspClient::send_tree(codec::Element root) {
    codec::set_namespaces(root, options_.version);
    if (auto* session = root.child("Session")) {
        if (auto* descriptor = session->child("SessionDescriptor")) {
            if (auto* sid = descriptor->child("SessionID"); sid && session_id_)
                sid->text = *session_id_;
        }
    }
    return post_tree(root, std::nullopt);
}

Result<CspAnswer> CspClient::exchange(model::Message message,
                                      const std::optional<std::string>& our_transaction) {
    return post_tree(model::to_tree(message, options_.version), our_transaction);
}

Result<CspAnswer> CspClient::post_tree(const codec::Element& root,
                                       const std::optional<std::string>& our_transaction) {
    std::string body;
    if (options_.encoding == codec::Encoding::xml) {
        body = codec::encode_xml(root);
    } else {
        auto wbxml = codec::encode_wbxml(root, options_.version);
        if (!wbxml) return make_error("cannot encode the request: " + wbxml.error().message);
        body = std::move(*wbxml);
    }
    const std::string content_type(codec::content_type(options_.version, options_.encoding));
    if (options_.print_exchanges) {
        out_ << ">> POST " << http_.url().text() << "  " << body.size() << " bytes  "
             << content_type << '\n';
        print_indented(out_, readable(root));
    }
    const std::size_t sent = body.size();
    if (before_post) before_post();
    auto reply = http_.post(content_type, std::move(body));
    if (after_post) after_post();
    if (!reply) return reply.error();
    counters_.requests += 1;
    counters_.body_bytes_sent += sent;
    counters_.body_bytes_received += reply->body.size();
    counters_.header_bytes_sent += reply->request_header_bytes;
    counters_.header_bytes_received += reply->response_header_bytes;
    if (options_.print_exchanges) {
        out_ << "<< " << reply->status << "  " << reply->body.size() << " bytes";
        if (!reply->content_type.empty()) out_ << "  " << reply->content_type;
        out_ << '\n';
    }

    CspAnswer answer;
    answer.http_status = reply->status;
    if (reply->status != 200) {
        std::string what = "the server answered HTTP " + std::to_string(reply->status);
        if (options_.print_exchanges && !reply->body.empty() && reply->body.size() < 2000 &&
            reply->content_type.rfind("text/", 0) == 0)
            print_indented(out_, reply->body);
        return make_error(what);
    }
    if (reply->body.empty()) {
        answer.empty = true;
        return answer;
    }
    auto doc = codec::decode(reply->body);
    if (!doc) return make_error("cannot decode the answer: " + doc.error().describe());
    if (options_.print_exchanges) print_indented(out_, readable(doc->root));
    auto message = model::from_tree(doc->root, doc->version);
    if (!message) return make_error("cannot read the answer: " + message.error().describe());

    answer.poll = message->poll.value_or(false);
    if (message->cir == false) {
        answer.cir_failed = true;
        out_ << "!! CIR=F\n";
        if (on_cir_failed) on_cir_failed();
    }
    std::vector<std::pair<std::string, model::Primitive>> to_answer;
    for (auto& t : message->transactions) {
        if (t.descriptor.poll.value_or(false)) answer.poll = true;  // CSP 1.1 keeps Poll here
        if (t.descriptor.mode == model::TransactionMode::response) {
            const bool ours = our_transaction && t.descriptor.id == our_transaction;
            if (!answer.response || ours) answer.response = t.content;
            continue;
        }
        answer.pushed.push_back(t.content);
        inbox_.push_back(Pushed{t.content, next_sequence_++, false});
        // A Disconnect ends the session: nothing to answer (CSP 1.2 section 6.6).
        if (!std::holds_alternative<model::Disconnect>(t.content))
            to_answer.emplace_back(t.descriptor.id.value_or(""), std::move(t.content));
    }
    if (!to_answer.empty()) {
        if (auto answered = answer_pushed(to_answer); !answered) return answered.error();
    }
    return answer;
}

Result<void> CspClient::answer_pushed(
    const std::vector<std::pair<std::string, model::Primitive>>& to_answer) {
    if (answer_depth_ >= max_answer_depth)
        return make_error("the server kept pushing transactions (" +
                          std::to_string(max_answer_depth) + " answers in a row)");
    ++answer_depth_;
    Result<void> outcome;
    for (const auto& [id, primitive] : to_answer) {
        model::Primitive reply;
        if (const auto* m = std::get_if<model::NewMessage>(&primitive)) {
            model::MessageDelivered delivered;
            delivered.message_id = m->message_info.message_id.value_or("");
            reply = std::move(delivered);
        } else {
            model::Status status;
            status.result.code = 200;
            reply = std::move(status);
        }
        model::Message message;
        message.version = options_.version;
        message.session.type = model::SessionType::inband;
        message.session.session_id = session_id_;
        model::Transaction t;
        t.descriptor.mode = model::TransactionMode::response;
        t.descriptor.id = id;
        t.content = std::move(reply);
        message.transactions.push_back(std::move(t));
        if (options_.print_exchanges)
            out_ << "   (answering the server's " << model::primitive_name(primitive) << ")\n";
        auto sent = exchange(std::move(message), std::nullopt);
        if (!sent) {
            outcome = sent.error();
            break;
        }
    }
    --answer_depth_;
    return outcome;
}

}  // namespace onesoup::tools
