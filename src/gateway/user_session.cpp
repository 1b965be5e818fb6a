#include "onesoup/gateway/user_session.hpp"

#include <algorithm>
#include <variant>

#include "onesoup/imps/model/status_code.hpp"

namespace onesoup::gateway {

namespace {

namespace model = imps::model;

// Messages remembered for receipts and errors; older ones are forgotten (a receipt that late
// is of no use to the phone).
constexpr std::size_t max_tracked_messages = 256;

model::Primitive status(int code, std::string description = {},
                        std::vector<model::DetailedResult> detailed = {}) {
    model::Status s;
    s.result.code = code;
    if (!description.empty()) s.result.description = std::move(description);
    s.result.detailed = std::move(detailed);
    return s;
}

model::CspResult result_of(int code, std::vector<model::DetailedResult> detailed = {}) {
    model::CspResult r;
    r.code = code;
    r.detailed = std::move(detailed);
    if (!r.detailed.empty() && code == model::status::ok) r.code = model::status::partial_success;
    return r;
}

model::DetailedResult detail(int code, std::string user_id, std::string description = {}) {
    model::DetailedResult d;
    d.code = code;
    if (!description.empty()) d.description = std::move(description);
    d.user_ids.push_back(std::move(user_id));
    return d;
}

// Runs `done` once `count` parts have finished (and at once when count is 0).
struct Countdown {
    std::size_t left;
    std::function<void()> done;
    void finish_one() {
        if (left > 0 && --left == 0 && done) done();
    }
};

}  // namespace

std::shared_ptr<UserSession> UserSession::create(xmpp::ClientContext& context,
                                                 UserSessionOptions options, SessionSink sink) {
    return std::make_shared<UserSession>(Token{}, context, std::move(options), std::move(sink));
}

UserSession::UserSession(Token, xmpp::ClientContext& context, UserSessionOptions options,
                         SessionSink sink)
    : context_(context),
      options_(std::move(options)),
      sink_(std::move(sink)),
      user_id_(options_.user_id),
      accepted_content_length_(options_.accepted_content_length) {}

void UserSession::start(std::function<void(SessionLoginResult)> done) {
    login_done_ = std::move(done);
    std::weak_ptr<UserSession> weak = weak_from_this();
    xmpp::ConnectionHandler h;
    h.on_bound = [weak](const xmpp::Jid& jid) {
        if (auto self = weak.lock()) {
            self->bound_ = jid;
            self->on_bound();
        }
    };
    h.on_stanza = [weak](const xmpp::Element& stanza) {
        if (auto self = weak.lock()) self->on_stanza(stanza);
    };
    h.on_failed = [weak](const std::string& reason) {
        if (auto self = weak.lock()) self->on_failed(reason);
    };
    h.on_closed = [weak] {
        if (auto self = weak.lock()) self->on_closed();
    };
    connection_ = xmpp::ClientConnection::create(context_, options_.client, options_.connection,
                                                 std::move(h));
    connection_->start();
}

void UserSession::on_bound() {
    // RFC 6121 2.2: fetch the roster before sending initial presence, so the presence of
    // contacts that follows finds them in the roster.
    auto self = shared_from_this();
    send_iq("get", xmpp::Element("query", xmpp::ns::roster), [self](const xmpp::Element& iq) {
        if (iq.attr("type") == "result") self->on_roster_result(iq);
        if (self->ended_) return;
        self->send(presence_stanza(self->own_presence_));
        self->ready_ = true;
        self->logged_in_ = true;
        if (auto done = std::exchange(self->login_done_, nullptr)) done({});
    });
}

void UserSession::on_failed(const std::string& reason) {
    if (auto done = std::exchange(login_done_, nullptr)) {
        done({status_for_login_failure(reason), "XMPP login failed: " + reason});
        return;
    }
    lost(model::status::service_unavailable,
         "the connection to the XMPP server was lost: " + reason);
}

void UserSession::lost(int code, const std::string& description) {
    ready_ = false;
    // Only a session that was logged in and not ended by the phone tells the engine, once.
    if (ended_ || !logged_in_) return;
    ended_ = true;
    if (sink_.disconnect) sink_.disconnect(code, description);
}

void UserSession::on_closed() {
    ready_ = false;
    // Requests waiting for an iq answer get one, so no reply is left hanging.
    auto waiting = std::move(iqs_);
    iqs_.clear();
    for (auto& [id, done] : waiting) {
        xmpp::Element err("iq", xmpp::ns::client);
        err.set_attr("type", "error").set_attr("id", id);
        err.add_child("error", xmpp::ns::client)
            .set_attr("type", "wait")
            .add_child("remote-server-timeout", xmpp::ns::stanzas);
        done(err);
    }
    if (auto done = std::exchange(login_done_, nullptr))
        done({model::status::service_unavailable, "the XMPP connection closed during login"});
    lost(model::status::service_unavailable, "the XMPP server closed the connection");
    if (auto closed = std::exchange(closed_, nullptr)) closed();
}

void UserSession::end(std::function<void()> closed) {
    if (ended_) {
        if (closed) {
            if (connection_ && !closed_called_)
                closed_ = std::move(closed);
            else
                closed();
        }
        return;
    }
    ended_ = true;
    login_done_ = nullptr;
    closed_ = std::move(closed);
    if (!connection_) {
        if (auto c = std::exchange(closed_, nullptr)) c();
        return;
    }
    if (ready_) {
        xmpp::Element p("presence", xmpp::ns::client);
        p.set_attr("type", "unavailable");
        send(p);
    }
    ready_ = false;
    connection_->close();
}

bool UserSession::send(const xmpp::Element& stanza) {
    return connection_ && connection_->send(stanza);
}

std::string UserSession::next_id() {
    return options_.id_prefix + std::to_string(++next_id_);
}

void UserSession::send_iq(const std::string& type, xmpp::Element payload, IqDone done) {
    xmpp::Element iq("iq", xmpp::ns::client);
    const std::string id = next_id();
    iq.set_attr("type", type).set_attr("id", id);
    iq.children.push_back(std::move(payload));
    if (!send(iq)) {
        xmpp::Element err("iq", xmpp::ns::client);
        err.set_attr("type", "error").set_attr("id", id);
        err.add_child("error", xmpp::ns::client)
            .set_attr("type", "wait")
            .add_child("remote-server-timeout", xmpp::ns::stanzas);
        done(err);
        return;
    }
    iqs_.emplace(id, std::move(done));
}

void UserSession::on_stanza(const xmpp::Element& stanza) {
    if (stanza.is("iq", xmpp::ns::client)) {
        const std::string_view type = stanza.attr("type");
        if (type == "result" || type == "error") {
            // RFC 6120 8.1.2.1: only answers from our own server (no from, our bare JID or
            // our full JID) are taken as answers to our iqs.
            const std::string_view from = stanza.attr("from");
            if (!from.empty() && from != bound_.bare_str() && from != bound_.str() &&
                from != bound_.domain())
                return;
            auto it = iqs_.find(std::string(stanza.attr("id")));
            if (it == iqs_.end()) return;
            auto done = std::move(it->second);
            iqs_.erase(it);
            done(stanza);
            return;
        }
        if (type == "set" && stanza.child("query", xmpp::ns::roster) != nullptr) {
            on_roster_push(stanza);
            return;
        }
        if (type == "get" || type == "set") {
            // RFC 6120 8.4: an iq we do not handle gets service-unavailable.
            xmpp::Element err("iq", xmpp::ns::client);
            err.set_attr("type", "error").set_attr("id", stanza.attr("id"));
            if (stanza.has_attr("from")) err.set_attr("to", stanza.attr("from"));
            err.add_child("error", xmpp::ns::client)
                .set_attr("type", "cancel")
                .add_child("service-unavailable", xmpp::ns::stanzas);
            send(err);
        }
        return;
    }
    if (ended_) return;
    if (stanza.is("presence", xmpp::ns::client))
        on_presence(stanza);
    else if (stanza.is("message", xmpp::ns::client))
        on_message(stanza);
}

void UserSession::on_roster_result(const xmpp::Element& iq) {
    roster_.clear();
    if (const auto* q = iq.child("query", xmpp::ns::roster)) {
        for (const auto& c : q->children) {
            if (!c.is("item", xmpp::ns::roster)) continue;
            if (auto item = roster_item_of(c)) roster_[item->jid] = std::move(*item);
        }
    }
}

void UserSession::apply_roster_item(const RosterItem& item) {
    if (item.subscription == "remove") {
        roster_.erase(item.jid);
        presence_.erase(item.jid);
        return;
    }
    roster_[item.jid] = item;
    for (const auto& g : item.groups) empty_lists_.erase(g);
}

void UserSession::on_roster_push(const xmpp::Element& iq) {
    // RFC 6121 2.1.6: a roster push is valid only from our own account.
    const std::string_view from = iq.attr("from");
    if (!from.empty() && from != bound_.bare_str() && from != bound_.str()) return;
    if (const auto* q = iq.child("query", xmpp::ns::roster)) {
        for (const auto& c : q->children) {
            if (!c.is("item", xmpp::ns::roster)) continue;
            if (auto item = roster_item_of(c)) apply_roster_item(*item);
        }
    }
    xmpp::Element ack("iq", xmpp::ns::client);
    ack.set_attr("type", "result").set_attr("id", iq.attr("id"));
    send(ack);
}

PresenceState UserSession::aggregate_presence(const xmpp::Jid& bare) const {
    PresenceState best;
    best.online = false;
    best.availability = model::UserAvailability::not_available;
    auto it = presence_.find(bare);
    if (it == presence_.end()) return best;
    auto rank = [](const PresenceState& s) {
        if (!s.online) return 0;
        switch (s.availability) {
            case model::UserAvailability::available:
                return 3;
            case model::UserAvailability::discreet:
                return 2;
            case model::UserAvailability::not_available:
                return 1;
        }
        return 0;
    };
    for (const auto& [resource, state] : it->second)
        if (rank(state) > rank(best)) best = state;
    return best;
}

model::Presence UserSession::presence_of(const xmpp::Jid& bare) const {
    model::Presence p;
    p.user_id = jid_to_user_id(bare);
    p.sub_lists.push_back(presence_sub_list(aggregate_presence(bare)));
    return p;
}

void UserSession::push(model::Primitive primitive) {
    if (ended_ || !sink_.push) return;
    sink_.push(std::move(primitive));
}

void UserSession::on_presence(const xmpp::Element& presence) {
    auto from = xmpp::Jid::parse(presence.attr("from"));
    if (!from) return;
    const xmpp::Jid bare = from->bare();
    const std::string_view type = presence.attr("type");
    if (type == "subscribe") {
        // RFC 6121 3.1.3: someone asks to see the user's presence: the phone decides.
        model::PresenceAuthRequest r;
        r.user_id = jid_to_user_id(bare);
        push(std::move(r));
        return;
    }
    if (!type.empty() && type != "unavailable") return;  // subscribed, unsubscribe, error...
    if (bare == bound_.bare()) return;                   // our own other resources
    const PresenceState before = aggregate_presence(bare);
    if (type == "unavailable") {
        auto it = presence_.find(bare);
        if (it != presence_.end()) {
            it->second.erase(from->resource());
            if (it->second.empty()) presence_.erase(it);
        }
    } else {
        presence_[bare][from->resource()] = presence_state_of(presence);
    }
    PresenceState after = aggregate_presence(bare);
    if (type == "unavailable" && !after.online && presence.child("status", xmpp::ns::client))
        after.status_text = presence_state_of(presence).status_text;
    if (after == before && type != "unavailable") return;
    // Every roster contact's presence goes to the phone (the server only sends presence of
    // contacts the user is subscribed to), whether or not the phone sent SubscribePresence.
    model::PresenceNotificationRequest n;
    model::Presence p;
    p.user_id = jid_to_user_id(bare);
    p.sub_lists.push_back(presence_sub_list(after));
    n.presences.push_back(std::move(p));
    push(std::move(n));
}

void UserSession::on_message(const xmpp::Element& message) {
    if (message.attr("type") == "error") {
        on_message_error(message);
        return;
    }
    if (const auto* received = message.child("received", receipts_ns)) {
        on_receipt(message, *received);
        if (message.child("body", xmpp::ns::client) == nullptr) return;
    }
    if (!is_chat_with_body(message)) return;
    auto from = xmpp::Jid::parse(message.attr("from"));
    if (!from) return;
    const std::string body = message.child("body", xmpp::ns::client)->text;
    if (body.empty()) return;

    std::string date_time;
    if (const auto* delay = message.child("delay", delay_ns))
        if (auto dt = csp_date_time_from_xmpp(delay->attr("stamp"))) date_time = *dt;
    if (date_time.empty()) date_time = csp_date_time(options_.unix_now ? options_.unix_now() : 0);

    const bool wants_receipt =
        message.child("request", receipts_ns) != nullptr && message.has_attr("id");
    const auto pieces = split_utf8(body, accepted_content_length_);
    auto left = std::make_shared<int>(static_cast<int>(pieces.size()));
    for (const auto& piece : pieces) {
        model::NewMessage m;
        const std::string message_id = next_id();
        m.message_info.message_id = message_id;
        m.message_info.content_type = "text/plain";
        m.message_info.content_size = static_cast<model::Integer>(piece.size());
        model::Recipient recipient;
        model::User to;
        to.user_id = user_id_;
        recipient.users.push_back(std::move(to));
        m.message_info.recipient = std::move(recipient);
        model::Sender sender;
        sender.user = model::User{};
        sender.user->user_id = jid_to_user_id(from->bare());
        m.message_info.sender = std::move(sender);
        m.message_info.date_time = date_time;
        m.content_data = piece;
        if (wants_receipt) {
            received_[message_id] = ReceivedMessage{*from, std::string(message.attr("id")), left};
            received_order_.push_back(message_id);
            while (received_order_.size() > max_tracked_messages) {
                received_.erase(received_order_.front());
                received_order_.pop_front();
            }
        }
        ++messages_to_phone_;
        push(std::move(m));
    }
}

void UserSession::on_message_error(const xmpp::Element& message) {
    auto it = sent_.find(std::string(message.attr("id")));
    if (it == sent_.end()) return;
    const SentMessage sent = it->second;
    sent_.erase(it);
    if (!sent.delivery_report) return;
    model::DeliveryReportRequest r;
    const std::string condition = stanza_error_condition(message);
    r.result = result_of(status_for_stanza_error(condition));
    r.result.description = "XMPP error: " + condition;
    r.message_info.message_id = sent.message_id;
    model::Recipient recipient;
    model::User u;
    u.user_id = sent.recipient;
    recipient.users.push_back(std::move(u));
    r.message_info.recipient = std::move(recipient);
    push(std::move(r));
}

void UserSession::on_receipt(const xmpp::Element& message, const xmpp::Element& received) {
    (void)message;
    auto it = sent_.find(std::string(received.attr("id")));
    if (it == sent_.end()) return;
    const SentMessage sent = it->second;
    sent_.erase(it);
    if (!sent.delivery_report) return;
    model::DeliveryReportRequest r;
    r.result = result_of(model::status::ok);
    r.delivery_time = csp_date_time(options_.unix_now ? options_.unix_now() : 0);
    r.message_info.message_id = sent.message_id;
    model::Recipient recipient;
    model::User u;
    u.user_id = sent.recipient;
    recipient.users.push_back(std::move(u));
    r.message_info.recipient = std::move(recipient);
    push(std::move(r));
}

// ---- Requests from the phone ----

void UserSession::request(const model::Primitive& primitive, Reply reply) {
    if (!ready_) {
        reply(status(model::status::service_unavailable, "not connected to the XMPP server"));
        return;
    }
    if (std::holds_alternative<model::GetListRequest>(primitive)) return get_list(reply);
    if (const auto* r = std::get_if<model::CreateListRequest>(&primitive))
        return create_list(*r, reply);
    if (const auto* r = std::get_if<model::DeleteListRequest>(&primitive))
        return delete_list(*r, reply);
    if (const auto* r = std::get_if<model::ListManageRequest>(&primitive))
        return list_manage(*r, reply);
    if (const auto* r = std::get_if<model::SubscribePresenceRequest>(&primitive))
        return subscribe_presence(*r, reply);
    if (const auto* r = std::get_if<model::UnsubscribePresenceRequest>(&primitive))
        return unsubscribe_presence(*r, reply);
    if (const auto* r = std::get_if<model::GetPresenceRequest>(&primitive))
        return get_presence(*r, reply);
    if (const auto* r = std::get_if<model::UpdatePresenceRequest>(&primitive))
        return update_presence(*r, reply);
    if (const auto* r = std::get_if<model::PresenceAuthUser>(&primitive))
        return presence_auth_user(*r, reply);
    if (const auto* r = std::get_if<model::CancelAuthRequest>(&primitive)) {
        auto jid = user_id_to_jid(r->user_id, bound_.domain());
        if (!jid) return reply(status(model::status::unknown_user, jid.error().message));
        xmpp::Element p("presence", xmpp::ns::client);
        p.set_attr("to", jid->bare_str()).set_attr("type", "unsubscribed");
        send(p);
        return reply(status(model::status::ok));
    }
    if (const auto* r = std::get_if<model::SendMessageRequest>(&primitive))
        return send_message(*r, reply);
    if (const auto* r = std::get_if<model::MessageDelivered>(&primitive))
        return message_delivered(*r, reply);
    reply(status(model::status::service_not_supported,
                 std::string(model::primitive_name(primitive)) + " is not supported"));
}

bool UserSession::list_exists(const std::string& group) const {
    if (group == default_list_name || empty_lists_.count(group) != 0) return true;
    return std::any_of(roster_.begin(), roster_.end(),
                       [&](const auto& kv) { return in_list(kv.second, group); });
}

void UserSession::get_list(const Reply& reply) {
    std::set<std::string> groups(empty_lists_.begin(), empty_lists_.end());
    for (const auto& [jid, item] : roster_)
        for (const auto& g : item.groups) groups.insert(g);
    groups.erase(std::string(default_list_name));
    model::GetListResponse r;
    const std::string def = contact_list_id(user_id_, default_list_name);
    r.contact_lists.push_back(def);
    for (const auto& g : groups) r.contact_lists.push_back(contact_list_id(user_id_, g));
    r.default_contact_list = def;
    reply(std::move(r));
}

std::vector<xmpp::Jid> UserSession::resolve_users(const std::vector<model::User>& users,
                                                  const std::vector<std::string>& lists,
                                                  std::vector<model::DetailedResult>& bad) const {
    std::vector<xmpp::Jid> out;
    auto add = [&out](const xmpp::Jid& j) {
        if (std::find(out.begin(), out.end(), j) == out.end()) out.push_back(j);
    };
    for (const auto& u : users) {
        auto jid = user_id_to_jid(u.user_id, bound_.domain());
        if (!jid)
            bad.push_back(detail(model::status::unknown_user, u.user_id, jid.error().message));
        else
            add(*jid);
    }
    for (const auto& l : lists) {
        auto group = group_of_contact_list(user_id_, l);
        if (!group || !list_exists(*group)) {
            model::DetailedResult d;
            d.code = model::status::contact_list_does_not_exist;
            d.contact_lists.push_back(l);
            bad.push_back(std::move(d));
            continue;
        }
        for (const auto& [jid, item] : roster_)
            if (in_list(item, *group)) add(jid);
    }
    return out;
}

void UserSession::create_list(const model::CreateListRequest& r, const Reply& reply) {
    auto group = group_of_contact_list(user_id_, r.contact_list);
    if (!group) return reply(status(model::status::bad_parameter, "not a contact list of yours"));
    if (list_exists(*group)) return reply(status(model::status::contact_list_already_exists));
    empty_lists_.insert(*group);
    if (!r.nick_list || (r.nick_list->nicks.empty() && r.nick_list->user_ids.empty()))
        return reply(status(model::status::ok));
    // The members go in as a ListManage add would put them.
    model::ListManageRequest add;
    add.contact_list = r.contact_list;
    add.add_nick_list = r.nick_list;
    list_manage(add, [reply](std::optional<model::Primitive> p) {
        if (!p) return reply(status(model::status::ok));
        if (const auto* lm = std::get_if<model::ListManageResponse>(&*p)) {
            model::Status s;
            s.result = lm->result;
            return reply(model::Primitive(std::move(s)));
        }
        reply(std::move(p));
    });
}

void UserSession::delete_list(const model::DeleteListRequest& r, const Reply& reply) {
    auto group = group_of_contact_list(user_id_, r.contact_list);
    if (!group || !list_exists(*group))
        return reply(status(model::status::contact_list_does_not_exist));
    empty_lists_.erase(*group);
    // Each member loses the group; a member left with no group leaves the roster (otherwise
    // it would fall into the default list, which the phone did not ask for).
    std::vector<RosterItem> changes;
    for (const auto& [jid, item] : roster_) {
        if (!in_list(item, *group)) continue;
        RosterItem changed = item;
        std::erase(changed.groups, *group);
        if (changed.groups.empty()) changed.subscription = "remove";
        changes.push_back(std::move(changed));
    }
    auto self = shared_from_this();
    auto errors = std::make_shared<std::vector<model::DetailedResult>>();
    auto countdown = std::make_shared<Countdown>();
    countdown->left = changes.size();
    countdown->done = [reply, errors] {
        reply(status(errors->empty() ? model::status::ok : model::status::partial_success, {},
                     std::move(*errors)));
    };
    if (changes.empty()) return countdown->done();
    for (const auto& c : changes) {
        xmpp::Element q =
            c.subscription == "remove" ? roster_query_remove(c.jid) : roster_query_set(c);
        send_iq("set", std::move(q), [self, c, errors, countdown](const xmpp::Element& iq) {
            if (iq.attr("type") == "result") {
                self->apply_roster_item(c);
            } else {
                const auto cond = stanza_error_condition(iq);
                errors->push_back(
                    detail(status_for_stanza_error(cond), jid_to_user_id(c.jid), cond));
            }
            countdown->finish_one();
        });
    }
}

void UserSession::list_manage(const model::ListManageRequest& r, const Reply& reply) {
    auto group = group_of_contact_list(user_id_, r.contact_list);
    if (!group || !list_exists(*group)) {
        model::ListManageResponse resp;
        resp.result = result_of(model::status::contact_list_does_not_exist);
        return reply(model::Primitive(std::move(resp)));
    }
    struct Change {
        RosterItem item;
        bool subscribe = false;
    };
    std::vector<Change> changes;
    auto errors = std::make_shared<std::vector<model::DetailedResult>>();
    auto find_change = [&changes](const xmpp::Jid& j) -> Change* {
        for (auto& c : changes)
            if (c.item.jid == j) return &c;
        return nullptr;
    };
    auto add_one = [&](const std::string& user_id, const std::optional<std::string>& name) {
        auto jid = user_id_to_jid(user_id, bound_.domain());
        if (!jid) {
            errors->push_back(detail(model::status::unknown_user, user_id, jid.error().message));
            return;
        }
        if (*jid == bound_.bare()) {
            errors->push_back(detail(model::status::bad_parameter, user_id, "that is you"));
            return;
        }
        Change* c = find_change(*jid);
        if (c == nullptr) {
            Change fresh;
            auto it = roster_.find(*jid);
            fresh.item = it != roster_.end() ? it->second : RosterItem{*jid, {}, {}, "none", false};
            changes.push_back(std::move(fresh));
            c = &changes.back();
        }
        if (std::find(c->item.groups.begin(), c->item.groups.end(), *group) == c->item.groups.end())
            c->item.groups.push_back(*group);
        if (name) c->item.name = *name;
        c->subscribe = !subscribed_to(c->item);
    };
    if (r.add_nick_list) {
        for (const auto& n : r.add_nick_list->nicks) add_one(n.user_id, n.name);
        for (const auto& u : r.add_nick_list->user_ids) add_one(u, std::nullopt);
    }
    if (r.remove_nick_list) {
        for (const auto& u : r.remove_nick_list->user_ids) {
            auto jid = user_id_to_jid(u, bound_.domain());
            if (!jid) {
                errors->push_back(detail(model::status::unknown_user, u, jid.error().message));
                continue;
            }
            auto it = roster_.find(*jid);
            if (it == roster_.end() || !in_list(it->second, *group)) {
                errors->push_back(detail(model::status::unknown_user, u, "not in that list"));
                continue;
            }
            Change c;
            c.item = it->second;
            std::erase(c.item.groups, *group);
            if (c.item.groups.empty()) c.item.subscription = "remove";
            changes.push_back(std::move(c));
        }
    }
    auto self = shared_from_this();
    const bool receive_list = r.receive_list.value_or(false);
    const std::string list_group = *group;
    auto countdown = std::make_shared<Countdown>();
    countdown->left = changes.size();
    countdown->done = [self, reply, errors, receive_list, list_group] {
        // A list emptied by removals still exists for the phone until it deletes it.
        if (!self->list_exists(list_group)) self->empty_lists_.insert(list_group);
        model::ListManageResponse resp;
        resp.result = result_of(model::status::ok, std::move(*errors));
        if (receive_list) {
            model::NickList nl;
            for (const auto& [jid, item] : self->roster_)
                if (in_list(item, list_group)) nl.nicks.push_back(nick_name_of(item));
            resp.nick_list = std::move(nl);
        }
        reply(model::Primitive(std::move(resp)));
    };
    if (changes.empty()) return countdown->done();
    for (const auto& c : changes) {
        const bool remove = c.item.subscription == "remove";
        xmpp::Element q = remove ? roster_query_remove(c.item.jid) : roster_query_set(c.item);
        send_iq("set", std::move(q), [self, c, errors, countdown](const xmpp::Element& iq) {
            if (iq.attr("type") == "result") {
                // The server's push usually came first; apply anyway so the answer is current
                // (keeping the subscription state the push reported).
                RosterItem applied = c.item;
                if (auto it = self->roster_.find(c.item.jid);
                    it != self->roster_.end() && applied.subscription != "remove") {
                    applied.subscription = it->second.subscription;
                    applied.ask = it->second.ask;
                }
                self->apply_roster_item(applied);
                if (c.subscribe) {
                    // RFC 6121 3.1.1: ask to see the new contact's presence.
                    xmpp::Element p("presence", xmpp::ns::client);
                    p.set_attr("to", c.item.jid.bare_str()).set_attr("type", "subscribe");
                    self->send(p);
                }
            } else {
                const auto cond = stanza_error_condition(iq);
                errors->push_back(
                    detail(status_for_stanza_error(cond), jid_to_user_id(c.item.jid), cond));
            }
            countdown->finish_one();
        });
    }
}

void UserSession::subscribe_presence(const model::SubscribePresenceRequest& r, const Reply& reply) {
    std::vector<model::DetailedResult> bad;
    const auto jids = resolve_users(r.users, r.contact_lists, bad);
    model::PresenceNotificationRequest known;
    for (const auto& jid : jids) {
        auto it = roster_.find(jid);
        if (it != roster_.end() && subscribed_to(it->second)) {
            // Already subscribed on the XMPP side: the phone gets the current state at once.
            known.presences.push_back(presence_of(jid));
            continue;
        }
        xmpp::Element p("presence", xmpp::ns::client);
        p.set_attr("to", jid.bare_str()).set_attr("type", "subscribe");
        send(p);
    }
    const int code = bad.empty() ? model::status::ok
                                 : (jids.empty() ? static_cast<int>(bad.front().code)
                                                 : model::status::partial_success);
    reply(status(code, {}, std::move(bad)));
    if (!known.presences.empty()) push(std::move(known));
}

void UserSession::unsubscribe_presence(const model::UnsubscribePresenceRequest& r,
                                       const Reply& reply) {
    std::vector<model::DetailedResult> bad;
    const auto jids = resolve_users(r.users, r.contact_lists, bad);
    for (const auto& jid : jids) {
        xmpp::Element p("presence", xmpp::ns::client);
        p.set_attr("to", jid.bare_str()).set_attr("type", "unsubscribe");
        send(p);
    }
    const int code = bad.empty() ? model::status::ok
                                 : (jids.empty() ? static_cast<int>(bad.front().code)
                                                 : model::status::partial_success);
    reply(status(code, {}, std::move(bad)));
}

void UserSession::get_presence(const model::GetPresenceRequest& r, const Reply& reply) {
    std::vector<model::DetailedResult> bad;
    const auto jids = resolve_users(r.users, r.contact_lists, bad);
    model::GetPresenceResponse resp;
    resp.result = result_of(model::status::ok, std::move(bad));
    if (jids.empty() && !resp.result->detailed.empty())
        resp.result->code = resp.result->detailed.front().code;
    for (const auto& jid : jids) resp.presences.push_back(presence_of(jid));
    reply(model::Primitive(std::move(resp)));
}

void UserSession::update_presence(const model::UpdatePresenceRequest& r, const Reply& reply) {
    own_presence_ = merge_presence(own_presence_, r.presence_sub_list);
    send(presence_stanza(own_presence_));
    reply(status(model::status::ok));
}

void UserSession::presence_auth_user(const model::PresenceAuthUser& r, const Reply& reply) {
    auto jid = user_id_to_jid(r.user_id, bound_.domain());
    if (!jid) return reply(status(model::status::unknown_user, jid.error().message));
    // RFC 6121 3.1.4 / 3.1.5: approve or refuse the pending subscription request.
    xmpp::Element p("presence", xmpp::ns::client);
    p.set_attr("to", jid->bare_str())
        .set_attr("type", r.acceptance ? "subscribed" : "unsubscribed");
    send(p);
    reply(status(model::status::ok));
}

void UserSession::send_message(const model::SendMessageRequest& r, const Reply& reply) {
    auto fail = [&reply](int code, std::string why) {
        model::SendMessageResponse resp;
        resp.result = result_of(code);
        resp.result.description = std::move(why);
        reply(model::Primitive(std::move(resp)));
    };
    const auto& info = r.message_info;
    if (info.content_type && info.content_type->rfind("text/", 0) != 0)
        return fail(model::status::unsupported_media_type, "only text messages reach XMPP");
    if (!r.content_data || r.content_data->empty())
        return fail(model::status::bad_parameter, "the message has no text");
    if (!info.recipient) return fail(model::status::bad_parameter, "no recipient");
    if (!info.recipient->groups.empty())
        return fail(model::status::service_not_supported, "group messages are not supported");
    std::vector<model::DetailedResult> bad;
    const auto jids = resolve_users(info.recipient->users, info.recipient->contact_lists, bad);
    if (jids.empty()) {
        model::SendMessageResponse resp;
        resp.result = result_of(bad.empty() ? model::status::bad_parameter
                                            : static_cast<int>(bad.front().code));
        resp.result.detailed = std::move(bad);
        return reply(model::Primitive(std::move(resp)));
    }
    const std::string message_id = info.message_id.value_or(next_id());
    const bool report = r.delivery_report.value_or(false);
    for (std::size_t i = 0; i < jids.size(); ++i) {
        // One recipient: the XMPP id is the MessageID; several: each copy gets its own id.
        const std::string xmpp_id =
            jids.size() == 1 ? message_id : message_id + "." + std::to_string(i + 1);
        send(chat_message(jids[i], xmpp_id, *r.content_data, report));
        ++messages_to_xmpp_;
        sent_[xmpp_id] = SentMessage{message_id, jid_to_user_id(jids[i]), report};
        sent_order_.push_back(xmpp_id);
        while (sent_order_.size() > max_tracked_messages) {
            sent_.erase(sent_order_.front());
            sent_order_.pop_front();
        }
    }
    model::SendMessageResponse resp;
    resp.result = result_of(model::status::ok, std::move(bad));
    resp.message_id = message_id;
    reply(model::Primitive(std::move(resp)));
}

void UserSession::message_delivered(const model::MessageDelivered& r, const Reply& reply) {
    auto it = received_.find(r.message_id);
    if (it != received_.end()) {
        ReceivedMessage m = it->second;
        received_.erase(it);
        // A split message is received once every piece was.
        if (--*m.pieces_left == 0) send(receipt_message(m.from, m.xmpp_id));
    }
    reply(std::nullopt);
}

}  // namespace onesoup::gateway
