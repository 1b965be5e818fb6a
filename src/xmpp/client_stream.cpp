#include "onesoup/xmpp/client_stream.hpp"

#include <algorithm>
#include <utility>

#include "onesoup/xmpp/xml_writer.hpp"

namespace onesoup::xmpp {
namespace {

constexpr std::string_view bind_id = "bind_1";
constexpr std::string_view session_id = "sess_1";
constexpr std::string_view register_id = "reg_1";

ClientAction send_action(std::string data) {
    ClientAction a;
    a.kind = ClientAction::Kind::send;
    a.data = std::move(data);
    return a;
}

ClientAction timer_action(std::chrono::milliseconds delay) {
    ClientAction a;
    a.kind = ClientAction::Kind::set_timer;
    a.delay = delay;
    return a;
}

// "condition" or "condition: text" from a stream error, SASL failure or stanza error, whose
// children are a defined condition and an optional <text/>.
std::string describe_condition(const Element& e) {
    std::string condition;
    std::string text;
    for (const auto& c : e.children) {
        if (c.name == "text") {
            text = c.text;
        } else if (condition.empty()) {
            condition = c.name;
        }
    }
    if (condition.empty()) condition = "undefined-condition";
    if (!text.empty()) condition += ": " + text;
    return condition;
}

std::string trimmed(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

}  // namespace

ClientStream::ClientStream(ClientConfig config, const SaslContext& sasl)
    : config_(std::move(config)), sasl_(sasl) {}

void ClientStream::connected(std::vector<ClientAction>& out) {
    if (state_ != State::idle) return;
    parser_ = std::make_unique<StreamParser>(config_.limits);
    out.push_back(timer_action(config_.negotiation_timeout));
    open_stream(out);
}

void ClientStream::open_stream(std::vector<ClientAction>& out) {
    header_received_ = false;
    state_ = State::opening;
    // RFC 6120 4.7.1: 'from' only once the channel is encrypted, so the account name does not
    // go out in clear text.
    out.push_back(send_action(
        stream_header(config_.jid.domain(), tls_active_ ? config_.jid.bare_str() : "")));
}

void ClientStream::received(std::string_view bytes, std::vector<ClientAction>& out) {
    std::vector<StreamEvent> events;
    while (!bytes.empty()) {
        if (state_ == State::closed || state_ == State::failed || state_ == State::idle) return;
        if (state_ == State::tls_handshake) {
            // The server may not send anything between <proceed/> and the TLS handshake.
            fail("data from the server before the TLS handshake", out);
            return;
        }
        events.clear();
        auto used = parser_->feed(bytes, events);
        for (auto& ev : events) {
            handle(ev, out);
            if (state_ == State::closed || state_ == State::failed) return;
        }
        if (!used) {
            // RFC 6120 4.9: tell the server why its stream is being closed.
            bool limit = parser_->limit_exceeded();
            std::string condition = limit ? "policy-violation" : "not-well-formed";
            out.push_back(send_action("<stream:error><" + condition +
                                      " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                                      "</stream:error>"));
            fail((limit ? "the server sent too much (" + condition + "): "
                        : "bad XML from the server: ") +
                     used.error().describe(),
                 out);
            return;
        }
        bytes.remove_prefix(*used);
    }
    // An idle session should not hold the XML parser's ~10 KB between stanzas.
    if (state_ == State::ready && config_.release_parser_when_idle) parser_->release_idle();
}

void ClientStream::handle(StreamEvent& event, std::vector<ClientAction>& out) {
    switch (event.kind) {
        case StreamEvent::Kind::open: {
            header_received_ = true;
            // RFC 6120 4.7.5: without version 1.0 there are no stream features, so no SASL.
            std::string_view version = event.element.attr("version");
            if (version.empty() || version.front() < '1') {
                fail("the server does not support XMPP 1.0 streams", out);
            }
            return;
        }
        case StreamEvent::Kind::close:
            if (state_ != State::closed && state_ != State::failed) {
                bool was_ready = state_ == State::ready;
                out.push_back(send_action(std::string(stream_footer())));
                if (!was_ready) {
                    ClientAction f;
                    f.kind = ClientAction::Kind::failed;
                    f.data = "the server closed the stream during negotiation";
                    out.push_back(std::move(f));
                }
                state_ = was_ready ? State::closed : State::failed;
                out.push_back(timer_action(std::chrono::milliseconds{0}));
                ClientAction c;
                c.kind = ClientAction::Kind::close;
                out.push_back(std::move(c));
            }
            return;
        case StreamEvent::Kind::stanza:
            break;
    }
    Element& el = event.element;
    if (el.is("error", ns::streams)) {
        fail("stream error: " + describe_condition(el), out);
        return;
    }
    switch (state_) {
        case State::opening:
            if (el.is("features", ns::streams)) {
                on_features(el, out);
            } else {
                fail("expected <stream:features>, got <" + el.name + ">", out);
            }
            return;
        case State::starting_tls:
            if (el.is("proceed", ns::tls)) {
                state_ = State::tls_handshake;
                ClientAction a;
                a.kind = ClientAction::Kind::start_tls;
                out.push_back(std::move(a));
            } else {
                fail("the server refused STARTTLS", out);
            }
            return;
        case State::registering:
            if (el.name == "iq" && el.ns == ns::client && el.attr("id") == register_id) {
                on_registration_reply(el, out);
            } else if (el.name == "iq" || el.name == "message" || el.name == "presence") {
                // Nothing else is addressed to an unauthenticated stream; ignore it.
            } else {
                fail("unexpected <" + el.name + "> during registration", out);
            }
            return;
        case State::authenticating:
            on_sasl(el, out);
            return;
        case State::binding:
        case State::establishing:
            if (el.name == "iq" && el.ns == ns::client) {
                on_iq_result(el, out);
            } else {
                fail("unexpected <" + el.name + "> before the resource was bound", out);
            }
            return;
        case State::ready:
            on_ready_stanza(el, out);
            return;
        default:
            fail("unexpected <" + el.name + "> from the server", out);
            return;
    }
}

void ClientStream::on_features(const Element& features, std::vector<ClientAction>& out) {
    if (!tls_active_ && config_.tls != ClientConfig::Tls::off) {
        if (features.child("starttls", ns::tls) != nullptr) {
            state_ = State::starting_tls;
            out.push_back(send_action("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
            return;
        }
        if (config_.tls == ClientConfig::Tls::required) {
            fail("the server does not offer STARTTLS and TLS is required", out);
            return;
        }
    }
    if (!authenticated_ && config_.register_first && !registration_done_) {
        start_registration(features, out);
        return;
    }
    if (!authenticated_) {
        const Element* mechanisms = features.child("mechanisms", ns::sasl);
        if (mechanisms == nullptr) {
            fail("the server offers no SASL mechanisms", out);
            return;
        }
        start_sasl(*mechanisms, out);
        return;
    }
    if (features.child("bind", ns::bind) == nullptr) {
        fail("the server does not offer resource binding", out);
        return;
    }
    // RFC 3921 session establishment: only if offered and not marked optional (RFC 6121
    // appendix E, draft-cridland-xmpp-session).
    const Element* session = features.child("session", ns::session);
    session_needed_ = session != nullptr && session->child("optional") == nullptr;
    Element iq("iq", ns::client);
    iq.set_attr("type", "set").set_attr("id", bind_id);
    Element& bind = iq.add_child("bind", ns::bind);
    if (!config_.jid.resource().empty()) {
        bind.add_text_child("resource", ns::bind, config_.jid.resource());
    }
    state_ = State::binding;
    out.push_back(send_action(to_xml(iq)));
}

void ClientStream::start_registration(const Element& features, std::vector<ClientAction>& out) {
    if (!tls_active_ && !config_.allow_plain_without_tls) {
        fail("in-band registration sends the password in clear: TLS is required", out);
        return;
    }
    // The feature is optional (XEP-0077 section 10); Prosody, for one, answers without
    // advertising it, so the request is sent regardless and the reply decides.
    held_features_ = std::make_unique<Element>(features);
    Element iq("iq", ns::client);
    iq.set_attr("type", "set").set_attr("id", register_id);
    Element& query = iq.add_child("query", ns::register_);
    query.add_text_child("username", ns::register_, config_.jid.local());
    query.add_text_child("password", ns::register_, config_.password);
    state_ = State::registering;
    out.push_back(send_action(to_xml(iq)));
}

void ClientStream::on_registration_reply(const Element& iq, std::vector<ClientAction>& out) {
    std::string_view type = iq.attr("type");
    if (type == "error") {
        const Element* error = iq.child("error");
        // XEP-0077 3.1: <conflict/> means the username is taken; for our own account that is
        // the normal case after the first login, and SASL will check the password.
        if (error == nullptr || error->child("conflict", ns::stanzas) == nullptr) {
            std::string reason = error != nullptr ? describe_condition(*error) : "no reason";
            fail("registration refused: " + reason, out);
            return;
        }
    } else if (type != "result") {
        fail("bad iq type in reply to the registration request", out);
        return;
    }
    registration_done_ = true;
    auto features = std::move(held_features_);
    on_features(*features, out);
}

void ClientStream::start_sasl(const Element& mechanisms, std::vector<ClientAction>& out) {
    std::vector<std::string_view> offered;
    for (const auto& m : mechanisms.children) {
        if (m.name == "mechanism") offered.push_back(m.text);
    }
    std::string chosen;
    for (const auto& want : config_.mechanisms) {
        if (std::find(offered.begin(), offered.end(), want) == offered.end()) continue;
        if (want == "PLAIN" && !tls_active_ && !config_.allow_plain_without_tls) continue;
        if (!sasl_.supports(want)) continue;
        chosen = want;
        break;
    }
    if (chosen.empty()) {
        std::string list;
        for (auto m : offered) list.append(list.empty() ? "" : " ").append(m);
        fail("no usable SASL mechanism (the server offers: " + list + ")", out);
        return;
    }
    auto client = SaslClient::start(sasl_, chosen, config_.jid.local(), config_.password,
                                    config_.jid.domain());
    if (!client) {
        fail(client.error().message, out);
        return;
    }
    sasl_client_ = std::move(*client);
    mechanism_ = chosen;
    auto initial = sasl_client_->step("");
    if (!initial) {
        fail(initial.error().message, out);
        return;
    }
    state_ = State::authenticating;
    // RFC 6120 6.4.2: an empty initial response is sent as "=".
    std::string auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + chosen +
                       "'>" + (initial->empty() ? std::string("=") : *initial) + "</auth>";
    out.push_back(send_action(std::move(auth)));
}

void ClientStream::on_sasl(const Element& el, std::vector<ClientAction>& out) {
    if (el.ns != ns::sasl) {
        fail("unexpected <" + el.name + "> during authentication", out);
        return;
    }
    if (el.name == "challenge") {
        auto reply = sasl_client_->step(trimmed(el.text));
        if (!reply) {
            fail("authentication: " + reply.error().message, out);
            return;
        }
        out.push_back(send_action("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + *reply +
                                  "</response>"));
        return;
    }
    if (el.name == "success") {
        // RFC 6120 6.3.10: <success/> may carry the mechanism's last data (SCRAM's server
        // signature); the client must check it before trusting the server.
        std::string extra = trimmed(el.text);
        if (!sasl_client_->complete() && !extra.empty() && extra != "=") {
            auto reply = sasl_client_->step(extra);
            if (!reply) {
                fail("authentication: " + reply.error().message, out);
                return;
            }
        }
        if (!sasl_client_->complete()) {
            fail("the server did not prove it knows the password (SASL incomplete)", out);
            return;
        }
        sasl_client_.reset();
        authenticated_ = true;
        parser_->restart();
        open_stream(out);
        return;
    }
    if (el.name == "failure") {
        fail("authentication failed: " + describe_condition(el), out);
        return;
    }
    fail("unexpected <" + el.name + "> during authentication", out);
}

void ClientStream::on_iq_result(const Element& iq, std::vector<ClientAction>& out) {
    std::string_view id = iq.attr("id");
    std::string_view type = iq.attr("type");
    std::string_view expected = state_ == State::binding ? bind_id : session_id;
    if (id != expected) {
        fail("unexpected iq before the resource was bound", out);
        return;
    }
    if (type == "error") {
        const Element* error = iq.child("error");
        fail(std::string(state_ == State::binding ? "resource binding" : "session") +
                 " refused: " + (error != nullptr ? describe_condition(*error) : "no reason"),
             out);
        return;
    }
    if (type != "result") {
        fail("bad iq type in reply to " + std::string(expected), out);
        return;
    }
    if (state_ == State::binding) {
        const Element* bind = iq.child("bind", ns::bind);
        const Element* jid = bind != nullptr ? bind->child("jid", ns::bind) : nullptr;
        if (jid == nullptr) {
            fail("resource binding result has no JID", out);
            return;
        }
        auto parsed = Jid::parse(trimmed(jid->text));
        if (!parsed || parsed->is_bare() || parsed->bare() != config_.jid.bare()) {
            fail("the server bound an unusable JID: " + jid->text, out);
            return;
        }
        bound_ = std::move(*parsed);
        if (session_needed_) {
            state_ = State::establishing;
            out.push_back(send_action("<iq type='set' id='" + std::string(session_id) +
                                      "'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
                                      "</iq>"));
            return;
        }
    }
    finish_negotiation(out);
}

void ClientStream::finish_negotiation(std::vector<ClientAction>& out) {
    state_ = State::ready;
    out.push_back(timer_action(config_.keepalive_interval));
    ClientAction a;
    a.kind = ClientAction::Kind::bound;
    a.jid = bound_;
    out.push_back(std::move(a));
}

void ClientStream::on_ready_stanza(Element& stanza, std::vector<ClientAction>& out) {
    // XEP-0199: answer pings here so every caller does it alike.
    if (stanza.is("iq", ns::client) && stanza.attr("type") == "get" &&
        stanza.child("ping", ns::ping) != nullptr) {
        Element pong("iq", ns::client);
        pong.set_attr("type", "result");
        if (stanza.has_attr("from")) pong.set_attr("to", stanza.attr("from"));
        pong.set_attr("id", stanza.attr("id"));
        out.push_back(send_action(to_xml(pong)));
        return;
    }
    ClientAction a;
    a.kind = ClientAction::Kind::stanza;
    a.stanza = std::move(stanza);
    out.push_back(std::move(a));
}

void ClientStream::tls_established(std::vector<ClientAction>& out) {
    if (state_ != State::tls_handshake) return;
    tls_active_ = true;
    parser_->restart();
    open_stream(out);
}

void ClientStream::tls_failed(std::string_view reason, std::vector<ClientAction>& out) {
    if (state_ != State::tls_handshake) return;
    fail("TLS handshake failed: " + std::string(reason), out);
}

void ClientStream::timer_fired(std::vector<ClientAction>& out) {
    switch (state_) {
        case State::idle:
        case State::closed:
        case State::failed:
            return;
        case State::ready:
            if (config_.keepalive_interval.count() > 0) {
                out.push_back(send_action(" "));
                out.push_back(timer_action(config_.keepalive_interval));
            }
            return;
        default:
            fail("negotiation timed out", out);
            return;
    }
}

void ClientStream::transport_closed(std::string_view reason, std::vector<ClientAction>& out) {
    if (state_ == State::closed || state_ == State::failed || state_ == State::idle) return;
    state_ = State::failed;
    ClientAction f;
    f.kind = ClientAction::Kind::failed;
    f.data = "connection lost: " + std::string(reason);
    out.push_back(std::move(f));
    out.push_back(timer_action(std::chrono::milliseconds{0}));
    ClientAction c;
    c.kind = ClientAction::Kind::close;
    out.push_back(std::move(c));
}

bool ClientStream::send(const Element& stanza, std::vector<ClientAction>& out) {
    if (state_ != State::ready) return false;
    out.push_back(send_action(to_xml(stanza)));
    return true;
}

void ClientStream::close(std::vector<ClientAction>& out) {
    if (state_ == State::closed || state_ == State::failed || state_ == State::idle) return;
    bool handshaking = state_ == State::tls_handshake;
    state_ = State::closed;
    if (!handshaking) out.push_back(send_action(std::string(stream_footer())));
    out.push_back(timer_action(std::chrono::milliseconds{0}));
    ClientAction c;
    c.kind = ClientAction::Kind::close;
    out.push_back(std::move(c));
}

void ClientStream::fail(std::string reason, std::vector<ClientAction>& out) {
    if (state_ == State::failed || state_ == State::closed) return;
    // Close our side of the stream if it is open and not in the middle of a TLS handshake.
    if (state_ != State::idle && state_ != State::tls_handshake) {
        out.push_back(send_action(std::string(stream_footer())));
    }
    state_ = State::failed;
    sasl_client_.reset();
    out.push_back(timer_action(std::chrono::milliseconds{0}));
    ClientAction f;
    f.kind = ClientAction::Kind::failed;
    f.data = std::move(reason);
    out.push_back(std::move(f));
    ClientAction c;
    c.kind = ClientAction::Kind::close;
    out.push_back(std::move(c));
}

}  // namespace onesoup::xmpp
