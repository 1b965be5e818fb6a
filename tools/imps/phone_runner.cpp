#include "phone_runner.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <thread>
#include <variant>

#include "csp_client.hpp"
#include "http_client.hpp"
#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/model/login_digest.hpp"
#include "onesoup/imps/model/status_code.hpp"
#include "tool_io.hpp"
#include "url.hpp"

namespace onesoup::tools {

namespace codec = imps::codec;
namespace model = imps::model;

namespace {

using Clock = std::chrono::steady_clock;
using Outcome = Result<std::string>;  // a one-line summary of what the step saw, or the failure

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "wv:Bob@B.test" -> "bob@b.test".
std::string bare_user(std::string_view id) {
    std::string s = lower(id);
    if (s.rfind("wv:", 0) == 0) s.erase(0, 3);
    return s;
}

// User ids compare case-insensitively (CSP 1.2 Data Types 3.1); an id without a domain matches
// the same user part in any domain (the server may add its default domain).
bool same_user(std::string_view a, std::string_view b) {
    const std::string x = bare_user(a);
    const std::string y = bare_user(b);
    if (x == y) return true;
    if (x.find('@') != std::string::npos && y.find('@') != std::string::npos) return false;
    return x.substr(0, x.find('@')) == y.substr(0, y.find('@'));
}

std::string code_text(int code) {
    std::string s = std::to_string(code);
    const auto name = model::status_name(code);
    if (!name.empty()) s += " " + std::string(name);
    return s;
}

// The presence state a notification shows: offline, available, away, busy (or unknown).
std::string state_of(const model::Presence& presence) {
    std::optional<bool> online;
    std::optional<model::UserAvailability> availability;
    for (const auto& sub : presence.sub_lists) {
        if (sub.online_status && sub.online_status->value) online = sub.online_status->value;
        if (sub.user_availability && sub.user_availability->value)
            availability = sub.user_availability->value;
    }
    if (online == false) return "offline";
    if (availability) {
        switch (*availability) {
            case model::UserAvailability::available:
                return "available";
            // COMPAT: Android's DefaultPresenceMapping: NOT_AVAILABLE is "away", DISCREET is
            // "do not disturb"; the gateway maps XMPP away/dnd the same way.
            case model::UserAvailability::discreet:
                return "busy";
            case model::UserAvailability::not_available:
                return "away";
        }
    }
    if (online == true) return "available";
    return "unknown";
}

std::string status_text_of(const model::Presence& presence) {
    for (const auto& sub : presence.sub_lists)
        if (sub.status_text && sub.status_text->value) return *sub.status_text->value;
    return {};
}

std::string sender_of(const model::MessageInfo& info) {
    if (info.sender && info.sender->user) return info.sender->user->user_id;
    if (info.sender && info.sender->group && info.sender->group->group_id)
        return *info.sender->group->group_id;
    return "?";
}

// One line about something the server pushed.
std::string describe(const model::Primitive& p) {
    if (const auto* m = std::get_if<model::NewMessage>(&p))
        return "message from " + sender_of(m->message_info) + ": " + m->content_data.value_or("");
    if (const auto* n = std::get_if<model::PresenceNotificationRequest>(&p)) {
        std::string s = "presence";
        for (const auto& presence : n->presences) {
            s += " " + presence.user_id.value_or(presence.contact_list.value_or("?")) + " " +
                 state_of(presence);
            if (auto text = status_text_of(presence); !text.empty()) s += " \"" + text + "\"";
        }
        return s;
    }
    if (const auto* a = std::get_if<model::PresenceAuthRequest>(&p))
        return "authorization request from " + a->user_id;
    if (const auto* r = std::get_if<model::DeliveryReportRequest>(&p))
        return "delivery report " + code_text(static_cast<int>(r->result.code)) + " for message " +
               r->message_info.message_id.value_or("?");
    if (const auto* d = std::get_if<model::Disconnect>(&p)) {
        std::string s = "disconnect " + code_text(static_cast<int>(d->result.code));
        if (d->result.description) s += ": " + *d->result.description;
        return s;
    }
    return std::string(model::primitive_name(p));
}

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
        // The cookie only needs to differ between phones; the clock is enough then.
        const auto t = Clock::now().time_since_epoch().count();
        for (std::size_t i = 0; i < bytes; ++i)
            raw[i] = static_cast<char>((t >> (8 * (i % 8))) & 0xff);
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (char c : raw) {
        const auto b = static_cast<unsigned char>(c);
        hex += digits[b >> 4];
        hex += digits[b & 0x0f];
    }
    return hex;
}

// How a wait ends: `for_end` waits for the session's end itself (a Disconnect is no failure);
// `quiet_passes` makes the timeout the success (expect-no-message).
struct WaitMode {
    bool for_end = false;
    bool quiet_passes = false;
};

class PhoneRunner {
  public:
    PhoneRunner(const PhoneOptions& options, CspClient& client, HttpClient& http, CirChannel* cir,
                std::ostream& out, std::map<std::size_t, std::string> raw_files)
        : options_(options),
          client_(client),
          http_(http),
          cir_(cir),
          out_(out),
          raw_files_(std::move(raw_files)),
          user_(phone_user_id(options.user)),
          cookie_("wv:imps." + random_hex(4)) {
        if (cir_ == nullptr) return;
        // Whatever was waiting travels with the answer to any request: wake-ups that came
        // before it are answered by it.
        client_.before_post = [this] {
            drain_events();
            wakes_.clear();
            noticed_wakes_ = 0;
        };
        client_.after_post = [this] { cir_->answered(); };
        client_.on_cir_failed = [this] {
            cir_failed_seen_ = true;
            timer_poll_ = true;
            if (cir_agreed_) cir_->restart();
        };
    }

    // Prints what the CIR channel saw since the last call.
    void drain_events() {
        if (cir_ == nullptr) return;
        while (auto event = cir_->next_event(Clock::now())) handle_event(*event);
    }

    Outcome run(const Step& step) {
        const std::string& v = step.verb;
        if (v == "login") return login(step);
        if (v == "logout") {
            auto outcome = simple(step, model::LogoutRequest{}, "logged out");
            // A phone closes its CIR channel with its session.
            if (outcome && cir_ != nullptr && expected_code(step) == 200) {
                cir_->end_session();
                cir_agreed_ = false;
            }
            return outcome;
        }
        if (v == "keepalive") return keepalive(step);
        if (v == "poll") return poll(step);
        if (v == "sleep") return sleep(step);
        if (v == "session-id") {
            client_.set_session_id(step.args[0]);
            return "session id is now " + step.args[0];
        }
        if (v == "getlist") return getlist(step);
        if (v == "create-list") return create_list(step);
        if (v == "delete-list") {
            model::DeleteListRequest r;
            r.contact_list = list_id(step.args[0]);
            return simple(step, r, "deleted " + r.contact_list);
        }
        if (v == "contacts") return contacts(step);
        if (v == "expect-contact" || v == "expect-no-contact") return expect_contact(step);
        if (v == "add-contact" || v == "remove-contact") return manage_contact(step);
        if (v == "send") return send(step);
        if (v == "presence") return presence(step);
        if (v == "subscribe" || v == "unsubscribe") return subscribe(step);
        if (v == "get-presence") return get_presence(step);
        if (v == "authorize" || v == "deny") {
            model::PresenceAuthUser r;
            r.user_id = phone_user_id(step.args[0]);
            r.acceptance = v == "authorize";
            return simple(step, r, (r.acceptance ? "authorized " : "denied ") + r.user_id);
        }
        if (v == "raw") return raw(step);
        if (v == "expect-message") return expect_message(step);
        if (v == "expect-no-message") return expect_no_message(step);
        if (v == "expect-presence") return expect_presence(step);
        if (v == "expect-auth-request") {
            const std::string who = phone_user_id(step.args[0]);
            return wait_for(step, 15.0, "an authorization request from " + who,
                            [&](const model::Primitive& p) {
                                const auto* a = std::get_if<model::PresenceAuthRequest>(&p);
                                return a != nullptr && same_user(a->user_id, who);
                            });
        }
        if (v == "expect-delivery-report") {
            return wait_for(step, 15.0, "a delivery report", [](const model::Primitive& p) {
                return std::holds_alternative<model::DeliveryReportRequest>(p);
            });
        }
        if (v == "expect-disconnect") return expect_disconnect(step);
        if (v == "cir-drop") {
            cir_->drop();
            return std::string(cir_kind_name(cir_->kind())) + " dropped";
        }
        if (v == "cir-restore") {
            if (auto restored = cir_->restore(); !restored) return restored.error();
            return std::string(cir_kind_name(cir_->kind())) + " restored";
        }
        if (v == "expect-wake") return expect_wake(step);
        if (v == "expect-no-wake") return expect_no_wake(step);
        if (v == "expect-cir-failed") return expect_cir_failed(step);
        if (v == "helo") return helo(step);
        if (v == "ping") return ping(step);
        if (v == "new-address") return new_address();
        return make_error("step not implemented");  // the parser knows no other verb
    }

  private:
    // The Result code of an answer: the response's, or 200 for an empty body or an answer that
    // holds only pushed transactions.
    static int code_of(const CspAnswer& answer) {
        if (answer.response) return result_code(*answer.response).value_or(200);
        return 200;
    }

    static int expected_code(const Step& step) {
        if (auto e = step.get("expect")) return static_cast<int>(parse_integer(*e).value_or(200));
        return 200;
    }

    // Compares the answer's code with expect= (default 200). On a match with a code other
    // than 200 the summary says so; the caller's summary is for 200.
    static Outcome check(const Step& step, const CspAnswer& answer, std::string ok_summary) {
        const int code = code_of(answer);
        const int expected = expected_code(step);
        std::string description;
        if (answer.response) description = result_description(*answer.response);
        if (code != expected) {
            std::string what = "expected " + std::to_string(expected) + ", got " + code_text(code);
            if (!description.empty()) what += " (" + description + ")";
            return make_error(what);
        }
        if (code != 200) return code_text(code) + " as expected";
        return ok_summary;
    }

    template <class T>
    static const T* response_as(const CspAnswer& answer) {
        return answer.response ? std::get_if<T>(&*answer.response) : nullptr;
    }

    // Sends one primitive and checks the answer's code.
    Outcome simple(const Step& step, const model::Primitive& primitive, std::string ok) {
        auto answer = client_.request(primitive);
        if (!answer) return answer.error();
        return check(step, *answer, std::move(ok));
    }

    // "Friends" -> "wv:alice/Friends@a.test" (the phone's own list); full ids unchanged.
    std::string list_id(const std::string& given) const {
        if (lower(given).rfind("wv:", 0) == 0) return given;
        const std::string own = user_.substr(3);
        const auto at = own.find('@');
        if (at == std::string::npos) return "wv:" + own + "/" + given;
        return "wv:" + own.substr(0, at) + "/" + given + own.substr(at);
    }

    Outcome login(const Step& step) {
        const bool digest = options_.auth != "pwd";
        const std::string schema = options_.auth == "sha" ? "SHA" : "MD5";
        model::LoginRequest request;
        request.user_id = user_;
        request.client_id = model::ClientId{};
        request.client_id->url = options_.client_id;
        request.time_to_live = parse_integer(step.get("ttl").value_or("300")).value_or(300);
        request.session_cookie = cookie_;
        model::LoginRequest first = request;
        if (digest)
            first.digest_schemas = {schema};
        else
            first.password = options_.password;

        const std::string transaction = client_.take_transaction_id();
        auto answer = client_.request(first, transaction);
        if (!answer) return answer.error();
        if (const auto* challenge = response_as<model::LoginResponse>(*answer);
            digest && challenge != nullptr && !challenge->session_id &&
            (challenge->nonce || challenge->digest_schema == model::DigestSchema::pwd)) {
            // The 4-way login's second half, with the same TransactionID (CSP 1.2 7.1).
            model::LoginRequest second = request;
            const std::string chosen =
                challenge->digest_schema ? std::string(model::enum_name(*challenge->digest_schema))
                                         : schema;
            if (chosen == "PWD") {
                // COMPAT: S60 sends its password in clear when the challenge asks for PWD.
                second.password = options_.password;
            } else {
                auto bytes =
                    model::login_digest(chosen, challenge->nonce.value_or(""), options_.password);
                if (!bytes) return bytes.error();
                second.digest_bytes = *bytes;
            }
            answer = client_.request(second, transaction);
            if (!answer) return answer.error();
        }
        const int code = code_of(*answer);
        const auto* response = response_as<model::LoginResponse>(*answer);
        if (code != 200 || expected_code(step) != 200) return check(step, *answer, "");
        if (response == nullptr || !response->session_id)
            return make_error("the login answer has Result 200 but no SessionID");
        client_.set_session_id(*response->session_id);
        // The end of an earlier session is no news to the steps of this one.
        for (auto& pushed : client_.inbox())
            if (std::holds_alternative<model::Disconnect>(pushed.primitive)) pushed.taken = true;
        std::string summary = "logged in as " + user_ + ", session " + *response->session_id;
        if (response->keep_alive_time)
            summary += ", KeepAliveTime " + std::to_string(*response->keep_alive_time) + " s";

        // What phones do next: ClientCapability, then Service negotiation (CSP 1.2 6.3, 6.4).
        model::ClientCapabilityRequest capability;
        capability.client_id.url = options_.client_id;
        model::CapabilityList list;
        list.client_type = "MOBILE_PHONE";
        list.initial_delivery_method = model::DeliveryMethod::push;
        list.accepted_content_types = {"text/plain"};
        list.accepted_charsets = {106};  // UTF-8
        list.accepted_content_length =
            parse_integer(step.get("max-length").value_or("10000")).value_or(10000);
        list.supported_bearers = {"HTTP"};
        list.multi_trans = 1;
        if (cir_ != nullptr) {
            list.supported_cir_methods = {cir_method(cir_->kind())};
            if (cir_->kind() == CirKind::sudp || cir_->kind() == CirKind::wap_udp)
                list.udp_port = udp_port_;
        }
        capability.capabilities = std::move(list);
        auto agreed = client_.request(capability);
        if (!agreed) return agreed.error();
        if (const int c = code_of(*agreed); c != 200)
            return make_error("ClientCapability-Request refused: " + code_text(c));
        if (cir_ != nullptr) summary += "; " + set_up_cir(*agreed, *response->session_id);

        model::ServiceRequest service;
        model::Functions functions;
        // Empty feature groups ask for everything in them, as S60 asks.
        functions.features.fundamental = model::FunctionList{};
        functions.features.presence = model::FunctionList{};
        functions.features.im = model::FunctionList{};
        functions.features.group = model::FunctionList{};
        service.functions = std::move(functions);
        service.all_functions_request = true;
        auto granted = client_.request(service);
        if (!granted) return granted.error();
        if (const int c = code_of(*granted); c != 200)
            return make_error("Service-Request refused: " + code_text(c));
        return summary;
    }

    static model::CirMethod cir_method(CirKind kind) {
        switch (kind) {
            case CirKind::stcp:
                return model::CirMethod::stcp;
            case CirKind::sudp:
                return model::CirMethod::sudp;
            case CirKind::wap_udp:
                return model::CirMethod::wap_udp;
            case CirKind::shttp:
                return model::CirMethod::shttp;
            case CirKind::ssms:
                return model::CirMethod::ssms;
            case CirKind::wap_sms:
            case CirKind::none:
                break;
        }
        return model::CirMethod::wap_sms;
    }

    // Reads the agreed capabilities and sets the CIR channel up as the phone's client does;
    // returns a few words for the login summary.
    std::string set_up_cir(const CspAnswer& answer, const std::string& session_id) {
        cir_agreed_ = false;
        timer_poll_ = false;
        const auto* r = response_as<model::ClientCapabilityResponse>(answer);
        const model::CapabilityList* agreed = r && r->capabilities ? &*r->capabilities : nullptr;
        const model::CirMethod wanted = cir_method(cir_->kind());
        const std::string name(cir_kind_name(cir_->kind()));
        if (agreed == nullptr ||
            std::find(agreed->supported_cir_methods.begin(), agreed->supported_cir_methods.end(),
                      wanted) == agreed->supported_cir_methods.end()) {
            std::ostringstream interval;
            interval << options_.poll_interval;
            out_ << "!! no CIR method agreed (" << name << " was offered): polling every "
                 << interval.str() << " s\n";
            return "no CIR agreed, polling";
        }
        CirTarget target;
        target.session_id = session_id;
        target.cookie = cookie_;
        std::string where;
        if (cir_->kind() == CirKind::stcp) {
            if (!agreed->tcp_address || !agreed->tcp_port || *agreed->tcp_port <= 0 ||
                *agreed->tcp_port > 65535) {
                out_ << "!! STCP agreed without TCPAddress/TCPPort: polling\n";
                return "STCP agreed without an address, polling";
            }
            target.tcp_address = *agreed->tcp_address;
            target.tcp_port = static_cast<std::uint16_t>(*agreed->tcp_port);
            where = " at " + target.tcp_address + ":" + std::to_string(target.tcp_port);
        }
        if (cir_->kind() == CirKind::shttp) {
            if (!agreed->cir_url || agreed->cir_url->url.empty()) {
                out_ << "!! SHTTP agreed without a CIR URL: polling\n";
                return "SHTTP agreed without a CIR URL, polling";
            }
            target.cir_url = agreed->cir_url->url;
            where = " at " + target.cir_url;
        }
        if (cir_->kind() == CirKind::sudp || cir_->kind() == CirKind::wap_udp)
            where = " on UDP port " + std::to_string(udp_port_);
        cir_->start(std::move(target));
        cir_agreed_ = true;
        std::string summary = "CIR " + name + " agreed" + where;
        if (agreed->server_poll_min)
            summary += ", ServerPollMin " + std::to_string(*agreed->server_poll_min) + " s";
        return summary;
    }

    // Prints one event of the CIR channel and keeps the wake-ups for the waiting steps.
    void handle_event(const CirEvent& event) {
        if (event.kind == CirEvent::Kind::wake) {
            out_ << event.text << '\n';
            wakes_.push_back(event);
            return;
        }
        if (!options_.quiet) out_ << "   (CIR) " << event.text << '\n';
    }

    // Waits until a wake-up is at hand or the deadline passes.
    bool wait_for_wake(Clock::time_point deadline) {
        while (wakes_.empty()) {
            auto event = cir_->next_event(deadline);
            if (!event) return false;
            handle_event(*event);
        }
        return true;
    }

    // Sleeps until `deadline`, printing what the CIR channel sees meanwhile.
    void idle_until(Clock::time_point deadline) {
        if (cir_ == nullptr) {
            std::this_thread::sleep_until(deadline);
            return;
        }
        while (auto event = cir_->next_event(deadline)) handle_event(*event);
    }

    static Clock::time_point deadline_after(double seconds) {
        return Clock::now() +
               std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    }

    // A wake-up stays at hand after expect-wake (the next waiting step polls at once, as the
    // woken phone would), but each one passes one expect-wake only.
    Outcome expect_wake(const Step& step) {
        drain_events();
        const auto deadline = deadline_after(timeout_of(step, 15.0));
        while (noticed_wakes_ >= wakes_.size()) {
            auto event = cir_->next_event(deadline);
            if (!event) return make_error("no wake-up within " + timeout_text(step, 15.0) + " s");
            handle_event(*event);
        }
        const CirEvent& wake = wakes_[noticed_wakes_++];
        return "woken: " + wake.text.substr(wake.text.find(' ') + 1);
    }

    Outcome expect_no_wake(const Step& step) {
        drain_events();
        if (wakes_.empty()) wait_for_wake(deadline_after(timeout_of(step, 3.0)));
        if (!wakes_.empty()) return make_error("a wake-up arrived: " + wakes_.front().text);
        return "no wake-up within " + timeout_text(step, 3.0) + " s";
    }

    Outcome expect_cir_failed(const Step& step) {
        const auto deadline = deadline_after(timeout_of(step, 15.0));
        while (!cir_failed_seen_) {
            if (Clock::now() >= deadline)
                return make_error("no answer with CIR=F within " + timeout_text(step, 15.0) + " s");
            // A KeepAlive a second: the flag travels in the next answer that holds a
            // transaction (CSP 1.2 Session/CIR), and an empty poll answer holds none.
            auto answer = client_.request(model::KeepAliveRequest{});
            if (!answer) return answer.error();
            if (cir_failed_seen_) break;
            idle_until(std::min(deadline, deadline_after(1.0)));
        }
        cir_failed_seen_ = false;
        return std::string("an answer carried CIR=F");
    }

    Outcome ping(const Step& step) {
        if (auto pinged = cir_->ping(timeout_ms(step, 5.0)); !pinged) return pinged.error();
        return std::string("PING answered OK");
    }

    Outcome helo(const Step& step) {
        std::string id = step.args[0];
        if (id == "current") {
            if (!client_.session_id()) return make_error("no session yet (log in first)");
            id = *client_.session_id();
        }
        const std::string wanted = step.get("expect").value_or("ok");
        auto answer = cir_->helo(id, timeout_ms(step, 10.0));
        if (!answer) return answer.error();
        if (*answer != wanted)
            return make_error("HELO " + id + ": expected " + wanted + ", got " + *answer);
        return "HELO " + id + ": " + (wanted == "ok" ? "answered OK" : "closed without OK");
    }

    Outcome new_address() {
        // 127.0.0.N with N changing: the whole of 127/8 reaches this host (RFC 1122 3.2.1.3).
        std::string address = address_;
        if (address.empty()) address = options_.local_address;
        unsigned last = 1;
        if (address.rfind("127.", 0) == 0) {
            const auto dot = address.rfind('.');
            last = static_cast<unsigned>(parse_integer(address.substr(dot + 1)).value_or(1));
        }
        last = last >= 254 ? 2 : last + 1;
        address_ = "127.0.0." + std::to_string(last);
        http_.set_local_address(address_);
        if (cir_ != nullptr) {
            if (auto moved = cir_->set_local_address(address_); !moved) return moved.error();
        }
        return "moved to " + address_;
    }

    Outcome keepalive(const Step& step) {
        model::KeepAliveRequest request;
        if (!step.args.empty()) request.time_to_live = parse_integer(step.args[0]);
        auto answer = client_.request(request);
        if (!answer) return answer.error();
        std::string ok = "kept alive";
        if (const auto* r = response_as<model::KeepAliveResponse>(*answer); r && r->keep_alive_time)
            ok += ", KeepAliveTime " + std::to_string(*r->keep_alive_time) + " s";
        return check(step, *answer, ok);
    }

    // Sends one Polling-Request; a Result of 600/601/604 is remembered as the session's end.
    Result<CspAnswer> poll_once() {
        auto answer = client_.request(model::PollingRequest{});
        if (!answer) return answer;
        if (answer->response) {
            const int code = result_code(*answer->response).value_or(200);
            if (code == model::status::session_expired || code == model::status::forced_logout ||
                code == model::status::invalid_session)
                client_.remember_disconnect(code, result_description(*answer->response));
        }
        return answer;
    }

    Outcome poll(const Step& step) {
        auto answer = poll_once();
        if (!answer) return answer.error();
        std::string summary;
        for (const auto& p : answer->pushed) summary += (summary.empty() ? "" : "; ") + describe(p);
        if (summary.empty()) summary = "nothing new";
        if (answer->poll) summary += " (Poll=T: more waiting)";
        return check(step, *answer, summary);
    }

    Outcome sleep(const Step& step) {
        const double seconds = parse_seconds(step.args[0]).value_or(0);
        idle_until(deadline_after(seconds));
        return "slept " + step.args[0] + " s";
    }

    Outcome getlist(const Step& step) {
        auto answer = client_.request(model::GetListRequest{});
        if (!answer) return answer.error();
        std::string summary = "lists:";
        if (const auto* r = response_as<model::GetListResponse>(*answer)) {
            lists_ = r->contact_lists;
            default_list_ = r->default_contact_list;
            for (const auto& l : lists_) summary += " " + l;
            if (lists_.empty()) summary += " (none)";
            summary += "; default: " + default_list_.value_or("(none)");
        }
        return check(step, *answer, summary);
    }

    Outcome create_list(const Step& step) {
        model::CreateListRequest request;
        request.contact_list = list_id(step.args[0]);
        if (const std::string name = step.text_from(1); !name.empty()) {
            model::Property display;
            display.name = "DisplayName";
            display.value = name;
            request.properties = model::Properties{};
            request.properties->properties.push_back(std::move(display));
        }
        return simple(step, request, "created " + request.contact_list);
    }

    // The list a step names (list=), else the default list (asking the server once).
    Result<std::string> chosen_list(const Step& step) {
        if (auto l = step.get("list")) return list_id(*l);
        if (!default_list_ && lists_.empty()) {
            auto answer = client_.request(model::GetListRequest{});
            if (!answer) return answer.error();
            if (const auto* r = response_as<model::GetListResponse>(*answer)) {
                lists_ = r->contact_lists;
                default_list_ = r->default_contact_list;
            } else {
                return make_error("GetList-Request failed: " + code_text(code_of(*answer)));
            }
        }
        if (default_list_) return *default_list_;
        if (!lists_.empty()) return lists_.front();
        return make_error("the server has no contact list; name one with list=");
    }

    Outcome contacts(const Step& step) {
        auto list = chosen_list(step);
        if (!list) return list.error();
        model::ListManageRequest request;
        request.contact_list = *list;
        request.receive_list = true;
        auto answer = client_.request(request);
        if (!answer) return answer.error();
        std::string summary = *list + ":";
        if (const auto* r = response_as<model::ListManageResponse>(*answer)) {
            contacts_.clear();
            if (r->nick_list) {
                for (const auto& n : r->nick_list->nicks) contacts_.push_back(n);
                for (const auto& id : r->nick_list->user_ids) {
                    model::NickName n;
                    n.user_id = id;
                    contacts_.push_back(std::move(n));
                }
            }
            have_contacts_ = true;
            for (const auto& n : contacts_) {
                summary += " " + n.user_id;
                if (n.name) summary += " (" + *n.name + ")";
            }
            if (contacts_.empty()) summary += " (empty)";
        }
        return check(step, *answer, summary);
    }

    Outcome expect_contact(const Step& step) {
        if (!have_contacts_) return make_error("no contact list was read: run `contacts` first");
        const std::string who = phone_user_id(step.args[0]);
        const auto found =
            std::find_if(contacts_.begin(), contacts_.end(),
                         [&](const model::NickName& n) { return same_user(n.user_id, who); });
        if (step.verb == "expect-no-contact") {
            if (found != contacts_.end()) return make_error(who + " is on the list");
            return who + " is not on the list";
        }
        if (found == contacts_.end()) return make_error(who + " is not on the list");
        if (auto nick = step.get("nick"); nick && found->name != *nick)
            return make_error(who + " has nickname \"" + found->name.value_or("") + "\", not \"" +
                              *nick + "\"");
        return who + " is on the list" + (found->name ? " as " + *found->name : std::string());
    }

    Outcome manage_contact(const Step& step) {
        auto list = chosen_list(step);
        if (!list) return list.error();
        const std::string who = phone_user_id(step.args[0]);
        model::ListManageRequest request;
        request.contact_list = *list;
        if (step.verb == "add-contact") {
            model::NickName nick;
            nick.user_id = who;
            if (const std::string name = step.text_from(1); !name.empty()) nick.name = name;
            request.add_nick_list = model::NickList{};
            request.add_nick_list->nicks.push_back(std::move(nick));
        } else {
            request.remove_nick_list = model::RemoveNickList{};
            request.remove_nick_list->user_ids.push_back(who);
        }
        request.receive_list = false;
        return simple(step, request,
                      (step.verb == "add-contact" ? "added " : "removed ") + who +
                          (step.verb == "add-contact" ? " to " : " from ") + *list);
    }

    Outcome send(const Step& step) {
        const std::string to = phone_user_id(step.args[0]);
        const std::string text = step.text_from(1);
        model::SendMessageRequest request;
        request.delivery_report = parse_flag(step.get("receipt").value_or("F")).value_or(false);
        auto& info = request.message_info;
        // COMPAT: Android always sends ContentType text/plain; some servers require it.
        info.content_type = "text/plain";
        info.content_size = static_cast<model::Integer>(text.size());
        info.recipient = model::Recipient{};
        model::User recipient;
        recipient.user_id = to;
        info.recipient->users.push_back(std::move(recipient));
        info.sender = model::Sender{};
        info.sender->user = model::User{};
        info.sender->user->user_id = user_;
        request.content_data = text;
        auto answer = client_.request(request);
        if (!answer) return answer.error();
        std::string ok = "sent to " + to;
        if (const auto* r = response_as<model::SendMessageResponse>(*answer); r && r->message_id)
            ok += ", MessageID " + *r->message_id;
        return check(step, *answer, ok);
    }

    Outcome presence(const Step& step) {
        const std::string& state = step.args[0];
        model::PresenceSubList sub;
        sub.online_status = model::OnlineStatus{};
        sub.online_status->qualifier = true;
        sub.online_status->value = state != "offline";
        if (state != "offline") {
            sub.user_availability = model::UserAvailabilityAttribute{};
            sub.user_availability->qualifier = true;
            sub.user_availability->value = state == "available" ? model::UserAvailability::available
                                           : state == "away"
                                               ? model::UserAvailability::not_available
                                               : model::UserAvailability::discreet;
        }
        if (const std::string text = step.text_from(1); !text.empty()) {
            sub.status_text = model::StatusText{};
            sub.status_text->qualifier = true;
            sub.status_text->value = text;
        }
        model::UpdatePresenceRequest request;
        request.presence_sub_list = std::move(sub);
        return simple(step, request, "presence set to " + step.text_from(0));
    }

    // The attributes a phone asks about: OnlineStatus, UserAvailability, StatusText.
    static model::PresenceSubList attribute_names() {
        model::PresenceSubList sub;
        sub.online_status = model::OnlineStatus{};
        sub.user_availability = model::UserAvailabilityAttribute{};
        sub.status_text = model::StatusText{};
        return sub;
    }

    Outcome subscribe(const Step& step) {
        model::User user;
        user.user_id = phone_user_id(step.args[0]);
        if (step.verb == "subscribe") {
            model::SubscribePresenceRequest request;
            request.users.push_back(user);
            request.presence_sub_list = attribute_names();
            return simple(step, request, "subscribed to " + user.user_id);
        }
        model::UnsubscribePresenceRequest request;
        request.users.push_back(user);
        return simple(step, request, "unsubscribed from " + user.user_id);
    }

    Outcome get_presence(const Step& step) {
        const std::string who = phone_user_id(step.args[0]);
        model::GetPresenceRequest request;
        model::User user;
        user.user_id = who;
        request.users.push_back(std::move(user));
        request.presence_sub_list = attribute_names();
        auto answer = client_.request(request);
        if (!answer) return answer.error();
        std::string state = "unknown";
        std::string text;
        if (const auto* r = response_as<model::GetPresenceResponse>(*answer)) {
            for (const auto& p : r->presences) {
                if (p.user_id && same_user(*p.user_id, who)) {
                    state = state_of(p);
                    text = status_text_of(p);
                }
            }
        }
        auto checked =
            check(step, *answer, who + " is " + state + (text.empty() ? "" : " \"" + text + "\""));
        if (!checked) return checked;
        if (auto want = step.get("state"); want && code_of(*answer) == 200 && *want != state)
            return make_error(who + " is " + state + ", not " + *want);
        return checked;
    }

    Outcome raw(const Step& step) {
        const std::string& bytes = raw_files_.at(step.number);
        auto doc = codec::decode(bytes);
        if (!doc) return make_error(step.args[0] + ": " + doc.error().describe());
        auto message = model::from_tree(doc->root, doc->version);
        Result<CspAnswer> answer =
            message ? client_.send_document(std::move(*message)) : client_.send_tree(doc->root);
        if (!answer) return answer.error();
        std::string summary = "answered";
        if (answer->response)
            summary += " with " + std::string(model::primitive_name(*answer->response));
        else if (answer->empty)
            summary += " with an empty body";
        return check(step, *answer, summary);
    }

    using Match = std::function<bool(const model::Primitive&)>;

    static double timeout_of(const Step& step, double fallback) {
        if (auto t = step.get("timeout")) return parse_seconds(*t).value_or(fallback);
        return fallback;
    }
    static std::chrono::milliseconds timeout_ms(const Step& step, double fallback) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::duration<double>(timeout_of(step, fallback)));
    }

    // Polls until something pushed matches (it is then taken), or the timeout passes. A session
    // end that is not what the step waits for fails at once.
    // The timeout as the user wrote it ("0.5"), or the default.
    static std::string timeout_text(const Step& step, double fallback) {
        if (auto t = step.get("timeout")) return *t;
        return std::to_string(static_cast<long long>(fallback));
    }

    Outcome wait_for(const Step& step, double default_timeout, const std::string& what,
                     const Match& match, WaitMode mode = {}) {
        const bool waiting_for_end = mode.for_end;
        const auto deadline =
            Clock::now() + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(timeout_of(step, default_timeout)));
        // A polling phone asks at once, then every poll interval; a phone with CIR asks when
        // woken (or at once if a wake-up is at hand).
        drain_events();
        bool poll_now = !cir_waits() || !wakes_.empty();
        for (;;) {
            for (auto& pushed : client_.inbox()) {
                if (pushed.taken) continue;
                if (match(pushed.primitive)) {
                    pushed.taken = true;
                    return describe(pushed.primitive);
                }
                if (!waiting_for_end && std::holds_alternative<model::Disconnect>(pushed.primitive))
                    return make_error("the session ended (" + describe(pushed.primitive) +
                                      ") while waiting for " + what);
            }
            const auto now = Clock::now();
            if (now >= deadline) {
                if (mode.quiet_passes)
                    return "no " + what + " within " + timeout_text(step, default_timeout) + " s";
                std::string seen;
                for (const auto& pushed : client_.inbox())
                    if (!pushed.taken)
                        seen += (seen.empty() ? "" : "; ") + describe(pushed.primitive);
                return make_error("no " + what + " within " + timeout_text(step, default_timeout) +
                                  " s" + (seen.empty() ? "" : " (what came: " + seen + ")"));
            }
            if (!poll_now && cir_waits()) {
                if (!wait_for_wake(deadline)) continue;  // the deadline passed
            } else if (!poll_now) {
                const auto interval = std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(options_.poll_interval));
                idle_until(now + std::min(interval, deadline - now));
            }
            auto answer = poll_once();
            if (!answer) return answer.error();
            poll_now = answer->poll;
            timer_poll_ = answer->cir_failed;
            if (answer->response) {
                const int code = result_code(*answer->response).value_or(200);
                if (code != 200 && !waiting_for_end && code != 600 && code != 601 && code != 604)
                    return make_error("Polling-Request answered " + code_text(code));
            }
        }
    }

    Outcome expect_message(const Step& step) {
        const auto from = step.get("from");
        const std::string sender = from ? phone_user_id(*from) : "";
        const std::string text = step.text_from(0);
        std::string what = "message";
        if (from) what += " from " + sender;
        if (!text.empty()) what += " containing \"" + text + "\"";
        return wait_for(step, 15.0, what, [&](const model::Primitive& p) {
            const auto* m = std::get_if<model::NewMessage>(&p);
            if (m == nullptr) return false;
            if (from && !same_user(sender_of(m->message_info), sender)) return false;
            return m->content_data.value_or("").find(text) != std::string::npos;
        });
    }

    Outcome expect_no_message(const Step& step) {
        // Only what arrives from now on counts; earlier messages belong to earlier steps.
        std::uint64_t since = 0;
        for (const auto& p : client_.inbox()) since = std::max(since, p.sequence);
        const auto arrived = [since](const Pushed& p) {
            return p.sequence > since && std::holds_alternative<model::NewMessage>(p.primitive);
        };
        auto waited = wait_for(
            step, 3.0, "message", [](const model::Primitive&) { return false; },
            WaitMode{.for_end = false, .quiet_passes = true});
        for (const auto& p : client_.inbox())
            if (arrived(p)) return make_error("a message arrived: " + describe(p.primitive));
        return waited;
    }

    Outcome expect_presence(const Step& step) {
        const std::string who = phone_user_id(step.args[0]);
        const std::string& state = step.args[1];
        const auto text = step.get("text");
        std::string what = "presence " + state + " of " + who;
        if (text) what += " with \"" + *text + "\"";
        return wait_for(step, 15.0, what, [&](const model::Primitive& p) {
            const auto* n = std::get_if<model::PresenceNotificationRequest>(&p);
            if (n == nullptr) return false;
            return std::any_of(
                n->presences.begin(), n->presences.end(), [&](const model::Presence& presence) {
                    return presence.user_id && same_user(*presence.user_id, who) &&
                           state_of(presence) == state &&
                           (!text || status_text_of(presence).find(*text) != std::string::npos);
                });
        });
    }

    Outcome expect_disconnect(const Step& step) {
        const auto code = step.get("code");
        const int wanted = code ? static_cast<int>(parse_integer(*code).value_or(0)) : 0;
        return wait_for(
            step, 15.0, code ? "disconnect " + *code : "disconnect",
            [&](const model::Primitive& p) {
                const auto* d = std::get_if<model::Disconnect>(&p);
                return d != nullptr && (wanted == 0 || d->result.code == wanted);
            },
            WaitMode{.for_end = true, .quiet_passes = false});
    }

    // Whether waiting steps wait for wake-ups rather than poll on a timer: a CIR method was
    // agreed, and no answer since the last poll said CIR=F.
    [[nodiscard]] bool cir_waits() const { return cir_ != nullptr && cir_agreed_ && !timer_poll_; }

  public:
    // The UDP port the phone listens on (SUDP/WAPUDP), offered as UDPPort.
    void set_udp_port(std::uint16_t port) { udp_port_ = port; }

  private:
    std::uint16_t udp_port_ = 0;
    const PhoneOptions& options_;
    CspClient& client_;
    HttpClient& http_;
    CirChannel* cir_;
    bool cir_agreed_ = false;
    bool timer_poll_ = false;        // an answer said CIR=F: poll on the timer once
    bool cir_failed_seen_ = false;   // an answer said CIR=F since the last expect-cir-failed
    std::deque<CirEvent> wakes_;     // wake-ups not yet answered by a request
    std::size_t noticed_wakes_ = 0;  // how many of them expect-wake took
    std::string address_;            // the local address of new-address
    std::ostream& out_;
    std::map<std::size_t, std::string> raw_files_;
    std::string user_;
    std::string cookie_;
    std::vector<std::string> lists_;
    std::optional<std::string> default_list_;
    std::vector<model::NickName> contacts_;
    bool have_contacts_ = false;
};

}  // namespace

int run_phone(const PhoneOptions& options, const PhoneScript& script, std::ostream& out,
              std::ostream& err) {
    auto url = parse_url(options.url);
    if (!url) {
        err << "imps: --url: " << url.error().message << '\n';
        return exit_usage;
    }
    if (options.auth != "pwd" && options.auth != "md5" && options.auth != "sha") {
        err << "imps: --auth must be pwd, md5 or sha\n";
        return exit_usage;
    }
    if (!(options.poll_interval > 0) || !(options.http_timeout > 0)) {
        err << "imps: --poll-interval and --timeout must be positive\n";
        return exit_usage;
    }
    // Files named by `raw` steps are read first, so that a missing one stops the script before
    // anything is sent.
    std::map<std::size_t, std::string> raw_files;
    for (const auto& step : script.steps) {
        if (step.verb != "raw") continue;
        auto bytes = read_input(step.args[0]);
        if (!bytes) {
            err << "imps: line " << step.line << ": raw: " << bytes.error().message << '\n';
            return exit_usage;
        }
        raw_files.emplace(step.number, std::move(*bytes));
    }

    // The CIR steps need a CIR channel: a script that has them without --cir is wrong.
    if (options.cir == CirKind::none) {
        for (const auto& step : script.steps) {
            if (step.verb == "cir-drop" || step.verb == "cir-restore" ||
                step.verb.rfind("expect-wake", 0) == 0 || step.verb == "expect-no-wake" ||
                step.verb == "expect-cir-failed" || step.verb == "helo" || step.verb == "ping") {
                err << "imps: line " << step.line << ": " << step.verb
                    << ": needs a CIR method (--cir stcp|sudp|wapudp|shttp|ssms|wapsms)\n";
                return exit_usage;
            }
        }
    }
    if ((options.cir == CirKind::ssms || options.cir == CirKind::wap_sms) &&
        options.sms_inbox.empty()) {
        err << "imps: --cir " << cir_kind_name(options.cir)
            << " needs --sms-inbox FILE (where the fake SMS centre writes)\n";
        return exit_usage;
    }
    if (!(options.ping_interval > 0)) {
        err << "imps: --ping-interval must be positive\n";
        return exit_usage;
    }

    HttpClientOptions http_options;
    http_options.insecure = options.insecure;
    http_options.timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(options.http_timeout * 1000.0));
    if (!options.msisdn.empty())
        http_options.headers.emplace_back("X-Network-MSISDN", options.msisdn);
    http_options.local_address = options.local_address;
    HttpClient http(*url, http_options);
    CspClientOptions csp_options;
    csp_options.version = options.version;
    csp_options.encoding = options.encoding;
    csp_options.print_exchanges = !options.quiet;
    CspClient client(http, csp_options, out);

    std::unique_ptr<CirChannel> cir;
    std::uint16_t udp_port = 0;
    if (options.cir != CirKind::none) {
        CirConfig config;
        config.kind = options.cir;
        config.local_address = options.local_address;
        config.udp_port = options.udp_port;
        config.ping_interval =
            std::chrono::milliseconds(static_cast<std::int64_t>(options.ping_interval * 1000.0));
        config.sms_inbox = options.sms_inbox;
        config.msisdn = options.msisdn;
        cir = std::make_unique<CirChannel>(std::move(config));
        auto opened = cir->open();
        if (!opened) {
            err << "imps: --cir " << cir_kind_name(options.cir) << ": " << opened.error().message
                << '\n';
            return exit_usage;
        }
        udp_port = *opened;
    }
    PhoneRunner runner(options, client, http, cir.get(), out, std::move(raw_files));
    runner.set_udp_port(udp_port);

    int status = exit_ok;
    for (const auto& step : script.steps) {
        runner.drain_events();
        if (!options.quiet) out << "== step " << step.number << ": " << step.source << '\n';
        auto outcome = runner.run(step);
        if (!outcome) {
            const std::string line = "step " + std::to_string(step.number) + " (" + step.verb +
                                     "): " + outcome.error().message;
            out << line << '\n';
            err << line << '\n';
            status = exit_bad_input;
            break;
        }
        if (options.quiet)
            out << "step " << step.number << " (" << step.verb << "): " << *outcome << '\n';
        else
            out << "   ok: " << *outcome << '\n';
    }
    runner.drain_events();
    const auto& c = client.counters();
    out << "HTTP headers: sent " << c.header_bytes_sent << " bytes, received "
        << c.header_bytes_received << " bytes; connections " << http.connections_opened() << '\n';
    // Bytes on the radio: the CIR channel's too, shown on their own and in the totals.
    CirCounters cir_bytes;
    if (cir) {
        cir_bytes = cir->counters();
        out << "CIR " << cir_kind_name(options.cir) << ": sent " << cir_bytes.sent
            << " bytes, received " << cir_bytes.received << " bytes; wake-ups " << cir_bytes.wakes
            << '\n';
    }
    out << "bytes sent " << c.body_bytes_sent + cir_bytes.sent << ", received "
        << c.body_bytes_received + cir_bytes.received << ", requests " << c.requests << '\n';
    out.flush();
    return status;
}

}  // namespace onesoup::tools
