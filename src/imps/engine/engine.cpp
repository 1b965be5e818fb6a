// The CSP session engine (engine.hpp). See docs/engine.md for the states, the table of
// primitives and the choices made.
#include "onesoup/imps/engine/engine.hpp"

#include <algorithm>
#include <array>
#include <vector>
#include <unordered_map>
#include <utility>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/model/enums.hpp"
#include "onesoup/imps/model/status_code.hpp"
#include "onesoup/imps/model/version_rules.hpp"
#include "service_functions.hpp"

namespace onesoup::imps::engine {
namespace {

using codec::Encoding;
using model::Primitive;
using model::TransactionMode;

constexpr std::string_view kPlainText = "text/plain; charset=utf-8";

model::CspResult make_result(int code, std::string description = {}) {
    model::CspResult r;
    r.code = code;
    if (description.empty() && code != model::status::ok)
        description = std::string(model::status_name(code));
    if (!description.empty()) r.description = std::move(description);
    return r;
}

Primitive make_status(int code, std::string description = {}) {
    model::Status s;
    s.result = make_result(code, std::move(description));
    return s;
}

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[static_cast<std::size_t>(bytes[i] >> 4)]);
        out.push_back(digits[static_cast<std::size_t>(bytes[i] & 0x0f)]);
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto la = static_cast<unsigned char>(a[i]);
        auto lb = static_cast<unsigned char>(b[i]);
        if (la >= 'A' && la <= 'Z') la = static_cast<unsigned char>(la - 'A' + 'a');
        if (lb >= 'A' && lb <= 'Z') lb = static_cast<unsigned char>(lb - 'A' + 'a');
        if (la != lb) return false;
    }
    return true;
}

// Whether a codec error says the document is CSP of a version we do not speak (the codec
// reports it as text; see the report: a distinct error kind would be sturdier).
bool is_version_error(const std::string& message) {
    return message.find("unknown namespace") != std::string::npos ||
           message.find("is not CSP 1.1 (0x10)") != std::string::npos ||
           message.find("is not a CSP 1.1, 1.2 or 1.3 document type") != std::string::npos;
}

Outgoing plain(int http_status, std::string text) {
    Outgoing out;
    out.http_status = http_status;
    out.content_type = std::string(kPlainText);
    out.body = std::move(text);
    out.body.push_back('\n');
    return out;
}

// Encodes a message in its version and the given encoding, with that version's content type.
Outgoing encode(const model::Message& message, Encoding encoding) {
    const codec::Element tree = model::to_tree(message, message.version);
    Outgoing out;
    out.content_type = std::string(codec::content_type(message.version, encoding));
    if (encoding == Encoding::xml) {
        out.body = codec::encode_xml(tree);
        return out;
    }
    auto bytes = codec::encode_wbxml(tree, message.version);
    if (!bytes) return plain(500, "cannot encode the answer: " + bytes.error().describe());
    out.body = std::move(*bytes);
    return out;
}

model::Transaction response_transaction(const std::optional<std::string>& id, Primitive p) {
    model::Transaction t;
    t.descriptor.mode = TransactionMode::response;
    t.descriptor.id = id;
    t.content = std::move(p);
    return t;
}

// Reads what can be read of a document's envelope without the model, so that a document the
// model refuses can still be answered with its own TransactionIDs and SessionID.
struct RawEnvelope {
    model::SessionDescriptor session;
    std::vector<std::optional<std::string>> transaction_ids;
};

RawEnvelope raw_envelope(const codec::Element& root) {
    RawEnvelope env;
    const codec::Element* session = root.child("Session");
    if (session == nullptr) return env;
    if (const codec::Element* sd = session->child("SessionDescriptor")) {
        if (const codec::Element* type = sd->child("SessionType"); type && type->text == "Outband")
            env.session.type = model::SessionType::outband;
        if (const codec::Element* id = sd->child("SessionID")) env.session.session_id = id->text;
    }
    for (const codec::Element& t : session->children) {
        if (t.name != "Transaction") continue;
        std::optional<std::string> id;
        if (const codec::Element* td = t.child("TransactionDescriptor"))
            if (const codec::Element* tid = td->child("TransactionID")) id = tid->text;
        env.transaction_ids.push_back(std::move(id));
    }
    return env;
}

}  // namespace

// ---- State ----

namespace {

// One HTTP request being answered: its transactions' answers fill in (at once or when the
// Backend replies); when the last one is in, the response goes to every responder.
struct Pending {
    std::uint64_t id = 0;
    std::vector<std::function<void(Outgoing)>> responders;
    CspVersion version = CspVersion::v1_2;
    Encoding encoding = Encoding::xml;
    model::SessionDescriptor session;     // echoed in the answer
    std::optional<SessionId> session_id;  // the live session the request belongs to
    std::string remote_address;
    std::string msisdn;
    std::string base_url;  // how the phone reached us (STCP address, CIR URL)
    std::vector<std::optional<model::Transaction>> answers;
    std::vector<bool> done;
    std::vector<std::string> transaction_ids;  // replay key; empty if some transaction had none
    std::size_t remaining = 0;
    bool logout = false;
};

// A FIFO that costs nothing while empty. Most sessions' queues are empty most of the time, and
// an empty std::deque already holds a 512-byte block and its map (about 0.6 KiB each, three per
// session). Popped slots are reset at once (a replay entry holds an answer's bytes); the
// vector is compacted when half of it is popped and released when it empties.
template <class T>
class LeanQueue {
  public:
    [[nodiscard]] bool empty() const { return head_ == items_.size(); }
    [[nodiscard]] std::size_t size() const { return items_.size() - head_; }
    T& front() { return items_[head_]; }
    void push_back(T item) { items_.push_back(std::move(item)); }
    void pop_front() {
        items_[head_++] = T{};
        if (head_ == items_.size()) {
            head_ = 0;
            if (items_.capacity() > kKeep) {
                std::vector<T>().swap(items_);
            } else {
                items_.clear();
            }
        } else if (head_ >= kKeep && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }
    auto begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    auto end() { return items_.end(); }
    [[nodiscard]] auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    [[nodiscard]] auto end() const { return items_.end(); }
    // Removes [first, last) (an erase-remove idiom over begin()..end()).
    template <class It>
    void erase(It first, It last) {
        items_.erase(first, last);
        if (empty()) pop_all();
    }

  private:
    static constexpr std::size_t kKeep = 8;
    void pop_all() {
        head_ = 0;
        std::vector<T>().swap(items_);
    }
    std::vector<T> items_;
    std::size_t head_ = 0;
};

// A server-originated transaction delivered to the phone and not answered yet.
struct InFlight {
    std::string transaction_id;
    std::string primitive;
};

// A stored answer for the replay cache.
struct ReplayEntry {
    std::vector<std::string> transaction_ids;
    Outgoing answer;
};

struct Session {
    SessionInfo info;
    std::chrono::seconds keep_alive{};
    TimePoint last_seen{};
    LeanQueue<Primitive> queue;
    LeanQueue<InFlight> in_flight;
    LeanQueue<ReplayEntry> replay;
    std::vector<std::weak_ptr<Pending>> in_progress;
    std::uint64_t next_transaction = 1;
    bool disconnecting = false;
    bool cir_failed = false;  // tell the phone CIR=F in the next answer that has a transaction
};

// A 4-way login challenge, keyed by user id and TransactionID.
struct NonceEntry {
    std::string nonce;
    model::DigestSchema schema = model::DigestSchema::md5;
    TimePoint expires{};
    bool used = false;
    std::string digest_bytes;                    // what the phone answered with
    std::optional<model::LoginResponse> answer;  // the answer given, for a repeated request
};

// A session that ended recently: the code its next request gets.
struct Ended {
    int code = model::status::invalid_session;
    TimePoint at{};
};

constexpr std::size_t kMaxEnded = 100000;
constexpr std::size_t kMaxInFlight = 256;
constexpr std::int64_t kMaxMultiTrans = 16;
constexpr std::int64_t kDefaultUdpPort = 3717;  // CSP Transport Binding: the SUDP default

}  // namespace

struct Engine::Impl {
    using Handler = void (Impl::*)(const std::shared_ptr<Pending>&, std::size_t, Session*,
                                   const model::Transaction&);

    // One row of the table of primitives a phone may send as a request.
    struct Entry {
        std::string_view name;
        CspVersion min_version;
        bool needs_session;
        Handler handler;
    };

    Impl(Engine& owner_in, EngineConfig config_in, Backend& backend_in, Random random_in)
        : owner(owner_in),
          config(std::move(config_in)),
          backend(backend_in),
          random(std::move(random_in)) {}

    Engine& owner;  // for its hooks (on_request)
    EngineConfig config;
    Backend& backend;
    Random random;
    EngineStats stats;
    TimePoint now{};
    std::uint64_t next_pending = 1;
    std::unordered_map<SessionId, std::unique_ptr<Session>> sessions;
    std::unordered_map<std::string, NonceEntry> nonces;
    std::unordered_map<SessionId, Ended> ended;
    std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> pending;

    // ---- helpers ----

    Session* find_session(const SessionId& id) const {
        const auto it = sessions.find(id);
        return it == sessions.end() ? nullptr : it->second.get();
    }

    std::string random_hex(std::size_t bytes) {
        std::array<std::uint8_t, 32> buf{};
        bytes = std::min(bytes, buf.size());
        random(buf.data(), bytes);
        return to_hex(buf.data(), bytes);
    }

    std::chrono::seconds clamp_keep_alive(std::optional<model::Integer> asked) const {
        if (!asked || *asked <= 0) return config.keep_alive_default;
        const auto lo = config.keep_alive_min.count();
        const auto hi = config.keep_alive_max.count();
        return std::chrono::seconds(std::clamp<std::int64_t>(*asked, lo, hi));
    }

    // The table row for a primitive name, or nullptr.
    static const Entry* find_entry(std::string_view name);

    void complete(const std::shared_ptr<Pending>& p, std::size_t slot,
                  std::optional<Primitive> answer, const model::Transaction& request) {
        if (p->done[slot]) return;
        p->done[slot] = true;
        if (answer)
            p->answers[slot] = response_transaction(request.descriptor.id, std::move(*answer));
        if (--p->remaining == 0) finish(p);
    }

    // Completes a slot from a callback that may come after the request was answered or the
    // engine was destroyed (`weak` then expired).
    auto completer(const std::shared_ptr<Pending>& p, std::size_t slot,
                   const model::Transaction& request) {
        std::weak_ptr<Pending> weak = p;
        std::optional<std::string> id = request.descriptor.id;
        return [this, weak, slot, id](std::optional<Primitive> answer) {
            const auto locked = weak.lock();
            if (!locked) return;
            model::Transaction t;
            t.descriptor.id = id;
            complete(locked, slot, std::move(answer), t);
        };
    }

    // Ends a session; `told` says whether the phone already learnt why (its Logout was
    // answered, or it received the Disconnect), which decides what its next request gets.
    void end_session(const SessionId& id, EndReason reason, bool told) {
        const auto it = sessions.find(id);
        if (it == sessions.end()) return;
        sessions.erase(it);
        int code = model::status::invalid_session;
        if (reason == EndReason::expired) code = model::status::session_expired;
        if (reason == EndReason::disconnected_by_server && !told)
            code = model::status::forced_logout;
        if (ended.size() >= kMaxEnded) ended.clear();  // a bound, not a cache policy
        ended[id] = Ended{code, now};
        backend.session_ended(id, reason);
    }

    // The code for a request naming session `id` that is not live: 600 after an expiry, 601
    // after a server disconnect the phone never received, else 604 (CSP 1.2 status codes).
    int dead_session_code(const std::optional<SessionId>& id) const {
        if (!id) return model::status::invalid_session;
        const auto it = ended.find(*id);
        return it == ended.end() ? model::status::invalid_session : it->second.code;
    }

    // ---- entry point ----

    void handle(Incoming in, std::function<void(Outgoing)> respond) {
        now = in.now;
        ++stats.requests;
        if (in.body.size() > config.max_body) {
            ++stats.bad_requests;
            respond(plain(
                413, "request body larger than " + std::to_string(config.max_body) + " bytes"));
            return;
        }
        codec::Limits limits;
        limits.max_body_bytes = config.max_body;
        const auto named = codec::encoding_of_content_type(in.content_type);
        Result<codec::Document> doc =
            named ? (*named == Encoding::xml ? codec::decode_xml(in.body, limits)
                                             : codec::decode_wbxml(in.body, limits))
                  : codec::decode(in.body, limits);
        if (!doc && named) {
            // COMPAT: a phone that labels WBXML as XML (or the reverse) is still understood.
            Result<codec::Document> sniffed = codec::decode(in.body, limits);
            if (sniffed) doc = std::move(sniffed);
        }
        if (!doc) {
            ++stats.bad_requests;
            const std::string& why = doc.error().message;
            if (is_version_error(why)) {
                respond(version_not_supported(in, why));
                return;
            }
            respond(plain(400, "not a CSP document: " + doc.error().describe()));
            return;
        }
        auto message = model::from_tree(doc->root, doc->version);
        if (!message) {
            ++stats.bad_requests;
            respond(model_error(*doc, message.error().describe()));
            return;
        }
        if (message->transactions.size() > config.max_transactions) {
            ++stats.bad_requests;
            respond(model_error(*doc, "too many transactions in one message (" +
                                          std::to_string(message->transactions.size()) +
                                          "; at most " + std::to_string(config.max_transactions) +
                                          ")"));
            return;
        }
        dispatch(std::move(in), std::move(*message), doc->encoding, std::move(respond));
    }

    Outgoing version_not_supported(const Incoming& in, const std::string& why) {
        // Answered in CSP 1.1, the oldest version, in the encoding the body looked like; the
        // phone may still show the code.
        model::Message m;
        m.version = CspVersion::v1_1;
        m.transactions.push_back(response_transaction(
            std::nullopt,
            make_status(model::status::version_not_supported,
                        "CSP version not supported (onesoup speaks 1.1, 1.2, 1.3): " + why)));
        const bool wbxml = !in.body.empty() && static_cast<unsigned char>(in.body[0]) < 0x10;
        return encode(m, wbxml ? Encoding::wbxml : Encoding::xml);
    }

    Outgoing model_error(const codec::Document& doc, const std::string& why) {
        const RawEnvelope env = raw_envelope(doc.root);
        model::Message m;
        m.version = doc.version;
        m.session.type = env.session.type;
        m.session.session_id = env.session.session_id;
        if (env.transaction_ids.empty()) {
            m.transactions.push_back(
                response_transaction(std::nullopt, make_status(model::status::bad_request, why)));
        } else {
            for (const auto& id : env.transaction_ids) {
                m.transactions.push_back(
                    response_transaction(id, make_status(model::status::bad_request, why)));
                if (m.transactions.size() >= config.max_transactions) break;
            }
        }
        return encode(m, doc.encoding);
    }

    void dispatch(Incoming in, model::Message message, Encoding encoding,
                  std::function<void(Outgoing)> respond) {
        const std::size_t n = message.transactions.size();
        stats.transactions += n;
        Session* session = nullptr;
        if (message.session.session_id) session = find_session(*message.session.session_id);

        std::vector<std::string> ids;
        for (const auto& t : message.transactions) {
            if (!t.descriptor.id) {
                ids.clear();
                break;
            }
            ids.push_back(*t.descriptor.id);
        }

        if (session != nullptr) {
            // A session follows the phone to a new address (it comes back on a new IP after a
            // CIR wake-up: notes section 4), and never binds to address or ClientID.
            session->info.remote_address = in.remote_address;
            if (!in.msisdn.empty()) session->info.msisdn = in.msisdn;
            session->last_seen = now;
            if (owner.on_request) owner.on_request(session->info);
            if (!ids.empty() && replay_or_join(*session, ids, respond)) return;
        }

        auto p = std::make_shared<Pending>();
        p->id = next_pending++;
        p->responders.push_back(std::move(respond));
        p->version = message.version;
        p->encoding = encoding;
        p->session.type = message.session.type;
        p->session.session_id = message.session.session_id;
        if (session != nullptr) p->session_id = session->info.id;
        p->remote_address = std::move(in.remote_address);
        p->msisdn = std::move(in.msisdn);
        p->base_url = std::move(in.base_url);
        p->answers.resize(n);
        p->done.assign(n, false);
        p->transaction_ids = std::move(ids);
        p->remaining = n + 1;  // +1 holds the answer back until every transaction was started
        pending[p->id] = p;
        if (session != nullptr) session->in_progress.push_back(p);

        for (std::size_t i = 0; i < n; ++i) {
            const model::Transaction& t = message.transactions[i];
            // A handler may end the session (Logout): look it up again each time.
            Session* s = p->session_id ? find_session(*p->session_id) : nullptr;
            if (t.descriptor.mode == TransactionMode::response) {
                phone_answer(s, t);
                complete(p, i, std::nullopt, t);
                continue;
            }
            dispatch_request(p, i, s, t);
        }
        if (--p->remaining == 0) finish(p);
    }

    // A repeated request: the stored answer again, or a wait for the one still in progress.
    bool replay_or_join(Session& session, const std::vector<std::string>& ids,
                        std::function<void(Outgoing)>& respond) {
        for (const ReplayEntry& e : session.replay) {
            if (e.transaction_ids != ids) continue;
            ++stats.replays;
            respond(e.answer);
            return true;
        }
        for (auto it = session.in_progress.begin(); it != session.in_progress.end();) {
            auto p = it->lock();
            if (!p) {
                it = session.in_progress.erase(it);
                continue;
            }
            if (p->transaction_ids == ids) {
                // The work is done once; each HTTP request still gets the one answer.
                ++stats.replays;
                p->responders.push_back(std::move(respond));
                return true;
            }
            ++it;
        }
        return false;
    }

    void dispatch_request(const std::shared_ptr<Pending>& p, std::size_t slot, Session* s,
                          const model::Transaction& t) {
        if (std::holds_alternative<model::UnknownPrimitive>(t.content)) {
            complete(
                p, slot,
                make_status(model::status::service_not_supported,
                            "unknown primitive " + std::string(model::primitive_name(t.content))),
                t);
            return;
        }
        const std::string_view name = model::primitive_name(t.content);
        const Entry* entry = find_entry(name);
        if (entry == nullptr) {
            complete(p, slot,
                     make_status(model::status::service_not_supported,
                                 std::string(name) + " is not a request a client sends"),
                     t);
            return;
        }
        if (p->version < entry->min_version) {
            complete(p, slot,
                     make_status(model::status::service_not_supported,
                                 std::string(name) + " is not part of CSP " +
                                     std::string(codec::version_text(p->version))),
                     t);
            return;
        }
        if (entry->needs_session && s == nullptr) {
            const int code = dead_session_code(p->session.session_id);
            complete(p, slot,
                     make_status(code, code == model::status::session_expired
                                           ? "session expired: log in again"
                                       : code == model::status::forced_logout
                                           ? "the server ended the session: log in again"
                                           : "invalid or missing SessionID: log in again"),
                     t);
            return;
        }
        (this->*entry->handler)(p, slot, s, t);
    }

    // The phone answers a server-originated transaction (TransactionMode Response).
    void phone_answer(Session* s, const model::Transaction& t) {
        if (s == nullptr) return;
        if (t.descriptor.id) {
            auto& f = s->in_flight;
            f.erase(std::remove_if(
                        f.begin(), f.end(),
                        [&](const InFlight& x) { return x.transaction_id == *t.descriptor.id; }),
                    f.end());
        }
        if (std::holds_alternative<model::Status>(t.content)) return;
        // MessageDelivered (and any other answer with content) goes to the Backend; nothing
        // travels back to the phone.
        backend.request(s->info, t.content, [](std::optional<Primitive>) {});
    }

    // ---- answer ----

    void finish(const std::shared_ptr<Pending>& p) {
        pending.erase(p->id);
        Session* s = p->session_id ? find_session(*p->session_id) : nullptr;

        model::Message m;
        m.version = p->version;
        m.session = p->session;
        for (auto& a : p->answers)
            if (a) m.transactions.push_back(std::move(*a));

        bool disconnect_delivered = false;
        if (s != nullptr && !p->logout) {
            const auto budget = static_cast<std::size_t>(
                std::max<std::int64_t>(1, s->info.capabilities.multi_trans));
            while (!s->queue.empty() && m.transactions.size() < budget) {
                model::Transaction t;
                t.descriptor.mode = TransactionMode::request;
                t.descriptor.id = "os" + std::to_string(s->next_transaction++);
                t.content = std::move(s->queue.front());
                s->queue.pop_front();
                if (std::holds_alternative<model::Disconnect>(t.content)) {
                    disconnect_delivered = true;
                } else {
                    s->in_flight.push_back(
                        InFlight{*t.descriptor.id, std::string(model::primitive_name(t.content))});
                    if (s->in_flight.size() > kMaxInFlight) s->in_flight.pop_front();
                }
                m.transactions.push_back(std::move(t));
            }
            // Poll=T: more waits, poll again now (1.1 puts it in each TransactionDescriptor, the
            // model does that from Message::poll).
            if (!s->queue.empty()) m.poll = true;
            // CIR=F: the phone's CIR channel failed, it should set it up again (1.2+; the
            // element does not exist in 1.1, where nothing can be said). It needs a body to
            // travel in, so an empty poll answer leaves it for the next one.
            if (s->cir_failed && !m.transactions.empty()) {
                if (model::has_session_cir(p->version)) m.cir = false;
                s->cir_failed = false;
            }
        }

        Outgoing out;
        if (m.transactions.empty()) {
            out.content_type = std::string(codec::content_type(p->version, p->encoding));
        } else {
            out = encode(m, p->encoding);
        }

        if (s != nullptr) {
            auto& ip = s->in_progress;
            ip.erase(std::remove_if(ip.begin(), ip.end(),
                                    [&](const std::weak_ptr<Pending>& w) {
                                        auto l = w.lock();
                                        return !l || l == p;
                                    }),
                     ip.end());
            if (!p->transaction_ids.empty()) {
                s->replay.push_back(ReplayEntry{p->transaction_ids, out});
                while (s->replay.size() > config.replay_cache) s->replay.pop_front();
            }
            const SessionId id = s->info.id;
            if (p->logout)
                end_session(id, EndReason::logout, true);
            else if (disconnect_delivered)
                end_session(id, EndReason::disconnected_by_server, true);
        }

        auto responders = std::move(p->responders);
        for (auto& r : responders) r(out);
    }

    // ---- handlers ----

    void on_login(const std::shared_ptr<Pending>& p, std::size_t slot, Session*,
                  const model::Transaction& t) {
        const auto& req = std::get<model::LoginRequest>(t.content);
        model::LoginResponse base;
        base.client_id = req.client_id;
        if (p->version == CspVersion::v1_3) base.user_id = req.user_id;

        auto fail = [&](int code, std::string description) {
            ++stats.logins_failed;
            model::LoginResponse r = base;
            r.result = make_result(code, std::move(description));
            complete(p, slot, Primitive(std::move(r)), t);
        };

        const std::string user = normalise_user_id(req.user_id, config.default_domain);
        if (user.empty()) {
            fail(model::status::unknown_user, "\"" + req.user_id + "\" is not a valid user id");
            return;
        }
        const std::string key = user + '\n' + t.descriptor.id.value_or("");

        if (req.password) {
            Credentials c;
            c.user_id = user;
            c.password = req.password;
            start_login(p, slot, t, std::move(c), base, std::nullopt);
            return;
        }
        if (req.digest_bytes) {
            const auto it = nonces.find(key);
            if (it == nonces.end() || it->second.expires <= now) {
                fail(model::status::invalid_transaction,
                     "no login challenge for this TransactionID (it expired or was never "
                     "issued): log in again");
                return;
            }
            NonceEntry& n = it->second;
            if (n.used) {
                // The same answer again: the phone lost our Login-Response and repeats the
                // request; it gets the same answer, and nothing is checked twice.
                if (n.answer && n.digest_bytes == *req.digest_bytes) {
                    ++stats.replays;
                    complete(p, slot, Primitive(*n.answer), t);
                    return;
                }
                fail(model::status::invalid_transaction,
                     "this login challenge was already used: log in again");
                return;
            }
            n.used = true;
            n.digest_bytes = *req.digest_bytes;
            Credentials c;
            c.user_id = user;
            c.digest_schema = std::string(model::enum_name(n.schema));
            c.nonce = n.nonce;
            c.digest_bytes = *req.digest_bytes;
            start_login(p, slot, t, std::move(c), base, key);
            return;
        }
        if (req.digest_schemas.empty()) {
            fail(model::status::bad_request, "Login-Request has neither Password nor DigestSchema");
            return;
        }

        // 4-way login, first step: choose a schema and issue a nonce (notes section 3).
        const auto offered = model::parse_digest_schemas(req.digest_schemas);
        const auto allowed = backend.digest_schemas_for(user);
        std::optional<model::DigestSchema> chosen;
        for (model::DigestSchema o : offered) {
            if (o == model::DigestSchema::pwd) continue;
            for (const std::string& a : allowed)
                if (iequals(a, model::enum_name(o))) chosen = o;
            if (chosen) break;
        }
        if (!chosen &&
            std::find(offered.begin(), offered.end(), model::DigestSchema::pwd) != offered.end())
            chosen = model::DigestSchema::pwd;  // COMPAT: S60 then sends its password in clear
        if (!chosen) {
            fail(model::status::no_matching_digest_schema,
                 "this account cannot check the phone's login digest: set the phone to send "
                 "the password (plain password login)");
            return;
        }
        NonceEntry n;
        n.nonce = random_hex(16);
        n.schema = *chosen;
        n.expires = now + config.nonce_lifetime;
        model::LoginResponse r = base;
        // COMPAT: the challenge carries Result 401 and no SessionID. Android's ImpsConnection
        // treats a 401 with a primitive as "send the second Login-Request" (and a response
        // without SessionID the same way); S60's CImpsCSPSession::SessionStartupL accepts 200
        // or 401 in login phase one. The spec examples use 200; 401 also makes a confused
        // client fail rather than believe it is logged in.
        r.result = make_result(model::status::unauthorized, "Further authorization required");
        r.nonce = n.nonce;
        r.digest_schema = *chosen;
        nonces[key] = std::move(n);
        complete(p, slot, Primitive(std::move(r)), t);
    }

    void start_login(const std::shared_ptr<Pending>& p, std::size_t slot,
                     const model::Transaction& t, Credentials credentials,
                     model::LoginResponse base, std::optional<std::string> nonce_key) {
        const auto& req = std::get<model::LoginRequest>(t.content);
        SessionInfo info;
        do {
            info.id = random_hex(16);
        } while (sessions.count(info.id) != 0);
        info.user_id = credentials.user_id;
        if (req.client_id) info.client_id = req.client_id->value();
        info.session_cookie = req.session_cookie.value_or("");
        info.version = p->version;
        info.encoding = p->encoding;
        info.remote_address = p->remote_address;
        info.msisdn = p->msisdn;
        // The network's header wins; else the number the phone gives as its ClientID; else
        // the account's (LoginOutcome).
        if (info.msisdn.empty() && req.client_id && req.client_id->msisdn)
            info.msisdn = *req.client_id->msisdn;
        const auto keep_alive = clamp_keep_alive(req.time_to_live);

        std::weak_ptr<Pending> weak = p;
        const std::optional<std::string> tid = t.descriptor.id;
        backend.login(info, credentials,
                      [this, weak, slot, tid, info, keep_alive, base = std::move(base),
                       nonce_key = std::move(nonce_key)](LoginOutcome outcome) {
                          const auto locked = weak.lock();
                          if (!locked || locked->done[slot]) return;
                          model::LoginResponse r = base;
                          if (outcome.code == model::status::ok) {
                              ++stats.logins_ok;
                              auto s = std::make_unique<Session>();
                              s->info = info;
                              if (s->info.msisdn.empty()) s->info.msisdn = outcome.msisdn;
                              s->keep_alive = keep_alive;
                              s->last_seen = now;
                              sessions[info.id] = std::move(s);
                              r.result = make_result(model::status::ok);
                              r.session_id = info.id;
                              r.keep_alive_time = keep_alive.count();
                              r.capability_request = true;
                          } else {
                              ++stats.logins_failed;
                              r.result =
                                  make_result(static_cast<int>(outcome.code), outcome.description);
                          }
                          if (nonce_key) {
                              const auto it = nonces.find(*nonce_key);
                              if (it != nonces.end()) it->second.answer = r;
                          }
                          model::Transaction echo;
                          echo.descriptor.id = tid;
                          complete(locked, slot, Primitive(std::move(r)), echo);
                      });
    }

    void on_logout(const std::shared_ptr<Pending>& p, std::size_t slot, Session*,
                   const model::Transaction& t) {
        // COMPAT: answered with Status 200; Android accepts Status or Disconnect (ImpsConnection:
        // "NowIMP responds a <Disconnect> instead of <Status>"), S60 both as well (notes
        // section 4). The session ends once the answer is built.
        p->logout = true;
        complete(p, slot, make_status(model::status::ok), t);
    }

    void on_keep_alive(const std::shared_ptr<Pending>& p, std::size_t slot, Session* s,
                       const model::Transaction& t) {
        const auto& req = std::get<model::KeepAliveRequest>(t.content);
        // A TimeToLive outside our range is clamped and the value granted is returned, never
        // refused with 605: phones adopt the KeepAliveTime they get.
        if (req.time_to_live) s->keep_alive = clamp_keep_alive(req.time_to_live);
        model::KeepAliveResponse r;
        r.result = make_result(model::status::ok);
        r.keep_alive_time = s->keep_alive.count();
        complete(p, slot, Primitive(std::move(r)), t);
    }

    void on_polling(const std::shared_ptr<Pending>& p, std::size_t slot, Session*,
                    const model::Transaction& t) {
        // The queued transactions are the answer (finish); with none, the body is empty.
        complete(p, slot, std::nullopt, t);
    }

    // The host part of "http://host[:port]/..." ("[v6]" loses its brackets); "" if none.
    static std::string host_of(std::string_view url) {
        const auto scheme = url.find("://");
        if (scheme == std::string_view::npos) return {};
        url.remove_prefix(scheme + 3);
        url = url.substr(0, url.find_first_of("/?#"));
        if (!url.empty() && url.front() == '[') {
            const auto close = url.find(']');
            return close == std::string_view::npos ? std::string() : std::string(url.substr(1, close - 1));
        }
        return std::string(url.substr(0, url.find(':')));
    }

    // The CIR methods to agree (CSP 1.2 Session and Transactions 8.1.2): those the phone offered
    // that onesoup can use, that exist in the session's version, and that have what they need
    // (an address to give, a number to text), in the phone's order of preference. Fills the
    // STCP address and the CIR URL into `out`.
    std::vector<model::CirMethod> agree_cir(const model::CapabilityList& offered,
                                            const SessionInfo& info, std::string_view base_url,
                                            model::CapabilityList& out) const {
        using model::CirMethod;
        const CirSettings& cir = config.cir;
        std::vector<CirMethod> agreed;
        for (CirMethod m : offered.supported_cir_methods) {
            if (std::find(cir.methods.begin(), cir.methods.end(), m) == cir.methods.end()) continue;
            if (std::find(agreed.begin(), agreed.end(), m) != agreed.end()) continue;
            if (info.version < model::first_version_of(m)) continue;
            switch (m) {
                case CirMethod::stcp: {
                    std::string address = cir.tcp_address.empty() ? host_of(base_url)
                                                                   : cir.tcp_address;
                    if (address.empty() || cir.tcp_port <= 0) continue;
                    out.tcp_address = std::move(address);
                    out.tcp_port = cir.tcp_port;
                    break;
                }
                case CirMethod::shttp: {
                    std::string prefix = cir.http_url;
                    if (prefix.empty() && !base_url.empty())
                        prefix = std::string(base_url) + "/cir/";
                    if (prefix.empty()) continue;
                    out.cir_url = model::UrlHolder{prefix + info.id, {}};
                    break;
                }
                case CirMethod::sudp:
                    out.udp_port = offered.udp_port.value_or(kDefaultUdpPort);
                    break;
                case CirMethod::wap_udp:
                    break;
                case CirMethod::wap_sms:
                case CirMethod::ssms:
                    if (info.msisdn.empty()) continue;
                    break;
            }
            agreed.push_back(m);
        }
        return agreed;
    }

    void on_capability(const std::shared_ptr<Pending>& p, std::size_t slot, Session* s,
                       const model::Transaction& t) {
        const auto& req = std::get<model::ClientCapabilityRequest>(t.content);
        const model::CapabilityList offered = req.capabilities.value_or(model::CapabilityList{});
        AgreedCapabilities agreed;
        model::CapabilityList out;
        out.initial_delivery_method = model::DeliveryMethod::push;
        agreed.initial_delivery_push = true;
        out.accepted_content_types = {"text/plain"};
        agreed.accepted_content_types = out.accepted_content_types;
        out.accepted_charsets = {106};  // UTF-8, what onesoup writes
        if (offered.accepted_content_length) {
            agreed.accepted_content_length = std::clamp<std::int64_t>(
                *offered.accepted_content_length, 0, static_cast<std::int64_t>(config.max_body));
            out.accepted_content_length = agreed.accepted_content_length;
        }
        for (const std::string& b : offered.supported_bearers)
            if (iequals(b, "HTTP")) out.supported_bearers = {b};
        const auto most = std::min<std::int64_t>(
            kMaxMultiTrans, static_cast<std::int64_t>(config.max_transactions));
        agreed.multi_trans = std::clamp<std::int64_t>(offered.multi_trans.value_or(1), 1, most);
        out.multi_trans = agreed.multi_trans;
        if (offered.parser_size) {
            agreed.parser_size = *offered.parser_size;
            out.parser_size = offered.parser_size;
        }
        out.supported_cir_methods = agree_cir(offered, s->info, p->base_url, out);
        for (model::CirMethod m : out.supported_cir_methods)
            agreed.cir_methods.emplace_back(model::enum_name(m));
        agreed.udp_port = offered.udp_port;
        // ServerPollMin: how often a phone may poll. One that is woken by CIR needs to poll
        // only when woken; one without polls at the short interval. A phone that asks for a
        // longer one (a Motorola Razr asks 20 s) gets its own.
        std::int64_t poll_min = out.supported_cir_methods.empty()
                                    ? config.server_poll_min.count()
                                    : config.cir.poll_min_with_cir.count();
        if (offered.server_poll_min && *offered.server_poll_min > poll_min)
            poll_min = *offered.server_poll_min;
        agreed.server_poll_min = poll_min;
        out.server_poll_min = poll_min;
        s->info.capabilities = std::move(agreed);

        model::ClientCapabilityResponse r;
        if (p->version == CspVersion::v1_1) r.client_id = req.client_id;
        r.capabilities = std::move(out);
        complete(p, slot, Primitive(std::move(r)), t);
    }

    void on_service(const std::shared_ptr<Pending>& p, std::size_t slot, Session*,
                    const model::Transaction& t) {
        const auto& req = std::get<model::ServiceRequest>(t.content);
        model::ServiceResponse r;
        if (p->version == CspVersion::v1_1) r.client_id = req.client_id;
        if (req.functions) r.functions = refused_functions(*req.functions);
        if (req.all_functions_request.value_or(false)) r.all_functions = supported_functions();
        complete(p, slot, Primitive(std::move(r)), t);
    }

    void on_sp_info(const std::shared_ptr<Pending>& p, std::size_t slot, Session*,
                    const model::Transaction& t) {
        const auto& req = std::get<model::GetSpInfoRequest>(t.content);
        model::GetSpInfoResponse r;
        r.client_id = req.client_id;
        r.name = "onesoup";
        r.description = "IMPS to XMPP gateway";
        complete(p, slot, Primitive(std::move(r)), t);
    }

    void on_backend(const std::shared_ptr<Pending>& p, std::size_t slot, Session* s,
                    const model::Transaction& t) {
        auto done = completer(p, slot, t);
        const bool delivered = std::holds_alternative<model::MessageDelivered>(t.content);
        backend.request(s->info, t.content,
                        [done = std::move(done), delivered](std::optional<Primitive> answer) {
                            if (!answer) {
                                // MessageDelivered sent as a request: a plain 200. Any other
                                // request must be answered; a silent Backend is a bug.
                                answer = delivered ? make_status(model::status::ok)
                                                   : make_status(model::status::internal_error,
                                                                 "the gateway gave no answer");
                            }
                            done(std::move(answer));
                        });
    }
};

// The table of primitives a phone sends as requests (CSP 1.2 sections 6-12). Every primitive
// the model knows exists in CSP 1.1 (Baraza's cspmessages.def gives IMPS_1_1 for each) except
// GetJoinedUsers-Request, which is absent from the CSP 1.1 spec examples and DTD.
const Engine::Impl::Entry* Engine::Impl::find_entry(std::string_view name) {
    static const Entry table[] = {
        // Session (CSP 1.2 section 6), handled here.
        {"Login-Request", CspVersion::v1_1, false, &Impl::on_login},
        {"Logout-Request", CspVersion::v1_1, true, &Impl::on_logout},
        {"KeepAlive-Request", CspVersion::v1_1, true, &Impl::on_keep_alive},
        {"Polling-Request", CspVersion::v1_1, true, &Impl::on_polling},
        {"ClientCapability-Request", CspVersion::v1_1, true, &Impl::on_capability},
        {"Service-Request", CspVersion::v1_1, true, &Impl::on_service},
        {"GetSPInfo-Request", CspVersion::v1_1, false, &Impl::on_sp_info},
        // Everything else goes to the Backend.
        {"MessageDelivered", CspVersion::v1_1, true, &Impl::on_backend},
        {"SendMessage-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetMessage-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"SetDeliveryMethod-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetMessageList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"RejectMessage-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"ForwardMessage-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"CreateList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"DeleteList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"ListManage-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"SubscribePresence-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"UnsubscribePresence-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetPresence-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"UpdatePresence-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"PresenceAuth-User", CspVersion::v1_1, true, &Impl::on_backend},
        {"CancelAuth-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetWatcherList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetAttributeList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"CreateAttributeList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"DeleteAttributeList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetBlockedList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"BlockEntity-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"CreateGroup-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"DeleteGroup-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"JoinGroup-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"LeaveGroup-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetGroupMembers-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetJoinedUsers-Request", CspVersion::v1_3, true, &Impl::on_backend},
        {"AddGroupMembers-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"RemoveGroupMembers-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"MemberAccess-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"GetGroupProps-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"SetGroupProps-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"RejectList-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"SubscribeGroupNotice-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"Search-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"StopSearch-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"Invite-Request", CspVersion::v1_1, true, &Impl::on_backend},
        {"CancelInvite-Request", CspVersion::v1_1, true, &Impl::on_backend},
    };
    for (const Entry& e : table)
        if (e.name == name) return &e;
    return nullptr;
}

// ---- Engine ----

Engine::Engine(EngineConfig config, Backend& backend, Random random)
    : impl_(std::make_unique<Impl>(*this, std::move(config), backend, std::move(random))) {}

Engine::~Engine() = default;

void Engine::handle(Incoming request, std::function<void(Outgoing)> respond) {
    impl_->handle(std::move(request), std::move(respond));
}

bool Engine::push(const SessionId& id, model::Primitive primitive) {
    Session* s = impl_->find_session(id);
    if (s == nullptr || s->disconnecting) return false;
    if (s->queue.size() >= impl_->config.max_queued) return false;  // 507 for the Backend
    s->queue.push_back(std::move(primitive));
    if (s->in_progress.empty() && on_queued) on_queued(s->info);
    return true;
}

void Engine::cir_failed(const SessionId& id) {
    if (Session* s = impl_->find_session(id)) s->cir_failed = true;
}

void Engine::disconnect(const SessionId& id, int code, std::string description) {
    Session* s = impl_->find_session(id);
    if (s == nullptr || s->disconnecting) return;
    s->disconnecting = true;
    model::Disconnect d;
    d.result = make_result(code == 0 ? model::status::forced_logout : code, std::move(description));
    // Past max_queued on purpose: the Disconnect must reach the phone. If the phone never
    // comes back, the session ends at its keep-alive deadline (tick).
    s->queue.push_back(std::move(d));
    if (s->in_progress.empty() && on_queued) on_queued(s->info);
}

TimePoint Engine::tick(TimePoint now) {
    Impl& m = *impl_;
    m.now = now;
    TimePoint next = now + m.config.nonce_lifetime;
    std::vector<std::pair<SessionId, EndReason>> expired;
    for (const auto& [id, s] : m.sessions) {
        const TimePoint deadline = s->last_seen + s->keep_alive + m.config.keep_alive_grace;
        if (deadline <= now) {
            expired.emplace_back(
                id, s->disconnecting ? EndReason::disconnected_by_server : EndReason::expired);
        } else {
            next = std::min(next, deadline);
        }
    }
    for (const auto& [id, reason] : expired) {
        if (reason == EndReason::expired) ++m.stats.sessions_expired;
        m.end_session(id, reason, false);
    }
    for (auto it = m.nonces.begin(); it != m.nonces.end();) {
        if (it->second.expires <= now) {
            it = m.nonces.erase(it);
        } else {
            next = std::min(next, it->second.expires);
            ++it;
        }
    }
    // A dead session id is remembered long enough for the phone's next request to learn why.
    const auto remember = m.config.keep_alive_max + m.config.keep_alive_grace;
    for (auto it = m.ended.begin(); it != m.ended.end();) {
        if (it->second.at + remember <= now)
            it = m.ended.erase(it);
        else
            ++it;
    }
    return next;
}

const SessionInfo* Engine::session(const SessionId& id) const {
    const Session* s = impl_->find_session(id);
    return s == nullptr ? nullptr : &s->info;
}

std::size_t Engine::session_count() const {
    return impl_->sessions.size();
}

std::size_t Engine::queued(const SessionId& id) const {
    const Session* s = impl_->find_session(id);
    return s == nullptr ? 0 : s->queue.size();
}

const EngineStats& Engine::stats() const {
    return impl_->stats;
}

}  // namespace onesoup::imps::engine
