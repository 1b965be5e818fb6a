// UserSession against a real Prosody started by the test: the phone side is played by calling
// request() and reading what the session pushes; the buddy is a real XMPP client (our own
// xmpp::ClientConnection) logged in to the same server.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "onesoup/gateway/user_session.hpp"
#include "onesoup/imps/model/status_code.hpp"
#include "onesoup/xmpp/xml_writer.hpp"
#include "prosody_fixture.hpp"

namespace {

using namespace onesoup;
using namespace onesoup::gateway;
using onesoup::gateway::test::ProsodyServer;
namespace model = onesoup::imps::model;
using namespace std::chrono_literals;

constexpr const char* domain = "localhost";

// One Prosody for the whole program; each test uses its own user names.
class GatewayXmpp : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        std::string why;
        server_ = ProsodyServer::start(domain, false, why).release();
        if (server_ == nullptr) skip_reason_ = new std::string(why);
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    void SetUp() override {
        if (server_ == nullptr) GTEST_SKIP() << *skip_reason_;
        auto tls = xmpp::TlsContext::create(false);
        auto sasl = xmpp::SaslContext::create();
        ASSERT_TRUE(tls.ok() && sasl.ok());
        tls_ = std::move(*tls);
        sasl_ = std::move(*sasl);
        context_ = std::make_unique<xmpp::ClientContext>(io_, *tls_, *sasl_);
    }

    void TearDown() override {
        for (auto& s : sessions_) s->end();
        for (auto& b : buddies_) b->connection->close();
        run_for(300ms);
    }

    // Runs the loop until `done()` or the timeout; returns done().
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end) return false;
            if (io_.stopped()) io_.restart();
            io_.run_one_for(20ms);
        }
        return true;
    }
    void run_for(std::chrono::milliseconds d) {
        run_until([] { return false; }, d);
    }

    std::string unique(const std::string& base) {
        return base + std::to_string(++counter_) + std::to_string(::getpid() % 1000);
    }

    // ---- the phone's side ----
    struct Phone {
        std::shared_ptr<UserSession> session;
        std::vector<model::Primitive> pushed;
        std::vector<std::pair<int, std::string>> disconnects;
        std::optional<SessionLoginResult> login;
    };

    xmpp::ClientConfig client_config(const std::string& user, const std::string& password) {
        xmpp::ClientConfig c;
        c.jid = *xmpp::Jid::make(user, domain, "phone");
        c.password = password;
        c.tls = xmpp::ClientConfig::Tls::off;
        c.allow_plain_without_tls = true;
        return c;
    }

    std::unique_ptr<Phone> phone(const std::string& user, const std::string& password,
                                 std::int64_t accepted_content_length = 0, std::uint16_t port = 0) {
        auto p = std::make_unique<Phone>();
        UserSessionOptions o;
        o.user_id = "wv:" + user + "@" + domain;
        o.client = client_config(user, password);
        o.connection.host = "127.0.0.1";
        o.connection.port = port != 0 ? port : server_->port();
        o.id_prefix = "t" + std::to_string(counter_) + "-";
        o.accepted_content_length = accepted_content_length;
        o.unix_now = [] { return std::int64_t{1795708800}; };
        SessionSink sink;
        Phone* raw = p.get();
        sink.push = [raw](model::Primitive prim) {
            raw->pushed.push_back(std::move(prim));
            return true;
        };
        sink.disconnect = [raw](int code, std::string why) {
            raw->disconnects.emplace_back(code, std::move(why));
        };
        p->session = UserSession::create(*context_, std::move(o), std::move(sink));
        sessions_.push_back(p->session);
        p->session->start([raw](SessionLoginResult r) { raw->login = r; });
        return p;
    }

    std::unique_ptr<Phone> logged_in_phone(const std::string& user, const std::string& pw,
                                           std::int64_t acl = 0) {
        auto p = phone(user, pw, acl);
        EXPECT_TRUE(run_until([&] { return p->login.has_value(); }));
        EXPECT_TRUE(p->login && p->login->code == 200) << (p->login ? p->login->description : "");
        return p;
    }

    // Sends a primitive from the phone and waits for the answer.
    std::optional<model::Primitive> ask(Phone& p, model::Primitive prim) {
        bool answered = false;
        std::optional<model::Primitive> out;
        p.session->request(prim, [&](std::optional<model::Primitive> r) {
            answered = true;
            out = std::move(r);
        });
        EXPECT_TRUE(run_until([&] { return answered; }));
        return out;
    }

    template <class T>
    const T* find_push(const Phone& p, const std::function<bool(const T&)>& pred = {}) {
        for (const auto& prim : p.pushed)
            if (const auto* t = std::get_if<T>(&prim))
                if (!pred || pred(*t)) return t;
        return nullptr;
    }
    template <class T>
    const T* wait_push(const Phone& p, const std::function<bool(const T&)>& pred = {}) {
        const T* found = nullptr;
        run_until([&] { return (found = find_push<T>(p, pred)) != nullptr; });
        return found;
    }

    // ---- the buddy: a real XMPP client ----
    struct Buddy {
        std::shared_ptr<xmpp::ClientConnection> connection;
        std::vector<xmpp::Element> stanzas;
        bool bound = false;
        std::string failed;
    };

    std::shared_ptr<Buddy> buddy(const std::string& user, const std::string& password) {
        auto b = std::make_shared<Buddy>();
        Buddy* raw = b.get();
        xmpp::ConnectionHandler h;
        h.on_bound = [raw](const xmpp::Jid&) {
            // Initial presence makes the resource available (RFC 6121 4.2), so messages and
            // subscription requests to the bare JID reach it.
            // The roster request makes it an "interested resource" (RFC 6121 2.1.6), which
            // subscription approvals are delivered to.
            raw->bound = true;
            xmpp::Element iq("iq", xmpp::ns::client);
            iq.set_attr("type", "get").set_attr("id", "roster1");
            iq.add_child("query", xmpp::ns::roster);
            raw->connection->send(iq);
            raw->connection->send(xmpp::Element("presence", xmpp::ns::client));
        };
        h.on_stanza = [raw](const xmpp::Element& e) { raw->stanzas.push_back(e); };
        h.on_failed = [raw](const std::string& why) { raw->failed = why; };
        xmpp::ConnectionOptions o;
        o.host = "127.0.0.1";
        o.port = server_->port();
        auto cfg = client_config(user, password);
        cfg.jid = *xmpp::Jid::make(user, domain, "desk");
        b->connection = xmpp::ClientConnection::create(*context_, cfg, o, std::move(h));
        b->connection->start();
        // The server echoes the initial presence once the resource is available (RFC 6121
        // 4.2.2): from then on messages to the bare JID reach it.
        EXPECT_TRUE(run_until(
            [&] { return (raw->bound && !raw->stanzas.empty()) || !raw->failed.empty(); }));
        EXPECT_TRUE(raw->bound) << raw->failed;
        buddies_.push_back(b);
        return b;
    }

    const xmpp::Element* wait_stanza(Buddy& b, const std::function<bool(const xmpp::Element&)>& f) {
        const xmpp::Element* found = nullptr;
        run_until([&] {
            for (const auto& e : b.stanzas)
                if (f(e)) {
                    found = &e;
                    return true;
                }
            return false;
        });
        return found;
    }

    void presence_to(Buddy& b, const std::string& to, const std::string& type) {
        xmpp::Element p("presence", xmpp::ns::client);
        p.set_attr("to", to).set_attr("type", type);
        b.connection->send(p);
    }

    static ProsodyServer* server_;
    static std::string* skip_reason_;
    boost::asio::io_context io_;
    std::unique_ptr<xmpp::TlsContext> tls_;
    std::unique_ptr<xmpp::SaslContext> sasl_;
    std::unique_ptr<xmpp::ClientContext> context_;
    std::vector<std::shared_ptr<UserSession>> sessions_;
    std::vector<std::shared_ptr<Buddy>> buddies_;
    int counter_ = 0;
};

ProsodyServer* GatewayXmpp::server_ = nullptr;
std::string* GatewayXmpp::skip_reason_ = nullptr;

int code_of(const std::optional<model::Primitive>& p) {
    if (!p) return -1;
    if (const auto* s = std::get_if<model::Status>(&*p)) return static_cast<int>(s->result.code);
    if (const auto* s = std::get_if<model::ListManageResponse>(&*p))
        return static_cast<int>(s->result.code);
    if (const auto* s = std::get_if<model::SendMessageResponse>(&*p))
        return static_cast<int>(s->result.code);
    if (const auto* s = std::get_if<model::GetPresenceResponse>(&*p))
        return s->result ? static_cast<int>(s->result->code) : 200;
    return 0;
}

model::NickList nicks(std::vector<std::pair<std::string, std::string>> entries) {
    model::NickList l;
    for (auto& [name, id] : entries) {
        model::NickName n;
        if (!name.empty()) n.name = name;
        n.user_id = id;
        l.nicks.push_back(std::move(n));
    }
    return l;
}

// Row: login: connect, SASL, bind, roster, initial presence.
TEST_F(GatewayXmpp, LoginGetsRosterAndSendsPresence) {
    const auto a = unique("alice"), b = unique("bob");
    ASSERT_TRUE(server_->register_user(a, "pw1") && server_->register_user(b, "pw2"));
    auto bob = buddy(b, "pw2");
    auto alice = logged_in_phone(a, "pw1");
    EXPECT_TRUE(alice->session->ready());
    EXPECT_TRUE(alice->session->roster().empty());
    // Initial presence went out: bob, not subscribed, sees nothing, but the server has it; a
    // directed probe is not needed for this check: the session answers GetList at once.
    auto list = ask(*alice, model::GetListRequest{});
    ASSERT_TRUE(list);
    const auto* gl = std::get_if<model::GetListResponse>(&*list);
    ASSERT_NE(gl, nullptr);
    ASSERT_EQ(gl->contact_lists.size(), 1U);
    EXPECT_EQ(gl->contact_lists[0], "wv:" + a + "/Friends@localhost");
    EXPECT_EQ(gl->default_contact_list, gl->contact_lists[0]);
}

// Row: wrong password -> 409; unreachable server -> 503.
TEST_F(GatewayXmpp, LoginFailures) {
    const auto a = unique("alice");
    ASSERT_TRUE(server_->register_user(a, "right"));
    auto wrong = phone(a, "wrong");
    ASSERT_TRUE(run_until([&] { return wrong->login.has_value(); }));
    EXPECT_EQ(wrong->login->code, model::status::invalid_password) << wrong->login->description;
    EXPECT_FALSE(wrong->session->ready());

    auto nobody = phone(unique("ghost"), "x");
    ASSERT_TRUE(run_until([&] { return nobody->login.has_value(); }));
    EXPECT_EQ(nobody->login->code, model::status::invalid_password);

    auto unreachable = phone(a, "right", 0, test::free_port());
    ASSERT_TRUE(run_until([&] { return unreachable->login.has_value(); }));
    EXPECT_EQ(unreachable->login->code, model::status::service_unavailable)
        << unreachable->login->description;
    EXPECT_TRUE(wrong->disconnects.empty());
}

// Rows: ListManage add -> roster set + subscribe; PresenceAuth-Request <- subscribe;
// PresenceAuth-User -> subscribed; presence -> PresenceNotification; GetPresence from cache.
TEST_F(GatewayXmpp, AddContactSubscriptionAndPresence) {
    const auto a = unique("alice"), b = unique("bob");
    ASSERT_TRUE(server_->register_user(a, "pw1") && server_->register_user(b, "pw2"));
    auto bob = buddy(b, "pw2");
    auto alice = logged_in_phone(a, "pw1");
    const std::string bob_id = "wv:" + b + "@localhost";
    const std::string bob_jid = b + "@localhost";
    const std::string alice_jid = a + "@localhost";

    model::ListManageRequest add;
    add.contact_list = "wv:" + a + "/Friends@localhost";
    add.add_nick_list = nicks({{"Bobby", bob_id}});
    add.receive_list = true;
    auto r = ask(*alice, add);
    ASSERT_EQ(code_of(r), 200);
    const auto& lm = std::get<model::ListManageResponse>(*r);
    ASSERT_TRUE(lm.nick_list);
    ASSERT_EQ(lm.nick_list->nicks.size(), 1U);
    EXPECT_EQ(lm.nick_list->nicks[0].user_id, bob_id);
    EXPECT_EQ(lm.nick_list->nicks[0].name, "Bobby");
    const auto& item = alice->session->roster().at(*xmpp::Jid::parse(bob_jid));
    EXPECT_EQ(item.groups, std::vector<std::string>{"Friends"});
    EXPECT_EQ(item.name, "Bobby");

    // Bob receives the subscription request and accepts; he asks back.
    ASSERT_NE(wait_stanza(*bob,
                          [&](const xmpp::Element& e) {
                              return e.name == "presence" && e.attr("type") == "subscribe" &&
                                     e.attr("from") == alice_jid;
                          }),
              nullptr);
    presence_to(*bob, alice_jid, "subscribed");
    presence_to(*bob, alice_jid, "subscribe");
    const auto* auth = wait_push<model::PresenceAuthRequest>(*alice);
    ASSERT_NE(auth, nullptr);
    EXPECT_EQ(auth->user_id, bob_id);

    model::PresenceAuthUser yes;
    yes.user_id = bob_id;
    yes.acceptance = true;
    EXPECT_EQ(code_of(ask(*alice, yes)), 200);
    ASSERT_NE(wait_stanza(*bob,
                          [&](const xmpp::Element& e) {
                              return e.name == "presence" && e.attr("type") == "subscribed" &&
                                     e.attr("from") == alice_jid;
                          }),
              nullptr);

    // Bob goes dnd: the phone is told, and GetPresence answers from the cache.
    xmpp::Element p("presence", xmpp::ns::client);
    p.add_text_child("show", xmpp::ns::client, "dnd");
    p.add_text_child("status", xmpp::ns::client, "busy");
    bob->connection->send(p);
    const auto* note = wait_push<model::PresenceNotificationRequest>(
        *alice, [&](const model::PresenceNotificationRequest& n) {
            return !n.presences.empty() && n.presences[0].user_id == bob_id &&
                   n.presences[0].sub_lists[0].user_availability->value ==
                       model::UserAvailability::discreet;
        });
    ASSERT_NE(note, nullptr);
    EXPECT_EQ(note->presences[0].sub_lists[0].status_text->value, "busy");
    EXPECT_EQ(note->presences[0].sub_lists[0].online_status->value, true);

    model::GetPresenceRequest get;
    model::User u;
    u.user_id = bob_id;
    get.users.push_back(u);
    auto gp = ask(*alice, get);
    ASSERT_EQ(code_of(gp), 200);
    const auto& resp = std::get<model::GetPresenceResponse>(*gp);
    ASSERT_EQ(resp.presences.size(), 1U);
    EXPECT_EQ(resp.presences[0].sub_lists[0].user_availability->value,
              model::UserAvailability::discreet);

    // The phone's own presence: UpdatePresence -> <presence><show>away</show>.
    model::UpdatePresenceRequest up;
    up.presence_sub_list.user_availability = model::UserAvailabilityAttribute{};
    up.presence_sub_list.user_availability->value = model::UserAvailability::not_available;
    up.presence_sub_list.status_text = model::StatusText{};
    up.presence_sub_list.status_text->value = "lunch";
    EXPECT_EQ(code_of(ask(*alice, up)), 200);
    const auto* seen = wait_stanza(*bob, [&](const xmpp::Element& e) {
        const auto* show = e.child("show", xmpp::ns::client);
        return e.name == "presence" && e.attr("from").starts_with(alice_jid) && show != nullptr &&
               show->text == "away";
    });
    ASSERT_NE(seen, nullptr);
    EXPECT_EQ(seen->child("status", xmpp::ns::client)->text, "lunch");

    // Bob goes offline: OnlineStatus F.
    bob->connection->close();
    const auto* off = wait_push<model::PresenceNotificationRequest>(
        *alice, [&](const model::PresenceNotificationRequest& n) {
            return n.presences[0].user_id == bob_id &&
                   n.presences[0].sub_lists[0].online_status->value == false;
        });
    EXPECT_NE(off, nullptr);

    // Incoming subscribe from Bob was answered; UnsubscribePresence -> unsubscribe.
    model::UnsubscribePresenceRequest unsub;
    unsub.users.push_back(u);
    EXPECT_EQ(code_of(ask(*alice, unsub)), 200);
    ASSERT_TRUE(run_until([&] {
        auto it = alice->session->roster().find(*xmpp::Jid::parse(bob_jid));
        return it != alice->session->roster().end() &&
               (it->second.subscription == "none" || it->second.subscription == "from");
    }));
}

// Rows: CreateList (empty, in memory), ListManage add/remove with nick, DeleteList, GetList.
TEST_F(GatewayXmpp, ContactListsAreRosterGroups) {
    const auto a = unique("alice"), c = unique("carol"), d = unique("dave");
    ASSERT_TRUE(server_->register_user(a, "pw1"));
    auto alice = logged_in_phone(a, "pw1");
    const std::string work = "wv:" + a + "/Work@localhost";
    const std::string carol = "wv:" + c + "@localhost";
    const std::string dave = "wv:" + d + "@localhost";

    model::CreateListRequest create;
    create.contact_list = work;
    EXPECT_EQ(code_of(ask(*alice, create)), 200);
    EXPECT_EQ(code_of(ask(*alice, create)), model::status::contact_list_already_exists);
    auto gl = ask(*alice, model::GetListRequest{});
    const auto& lists = std::get<model::GetListResponse>(*gl).contact_lists;
    EXPECT_NE(std::find(lists.begin(), lists.end(), work), lists.end());

    model::ListManageRequest add;
    add.contact_list = work;
    add.add_nick_list = nicks({{"Caz", carol}, {"", dave}});
    add.receive_list = true;
    auto r = ask(*alice, add);
    ASSERT_EQ(code_of(r), 200);
    EXPECT_EQ(std::get<model::ListManageResponse>(*r).nick_list->nicks.size(), 2U);
    const auto cj = *xmpp::Jid::parse(c + "@localhost");
    ASSERT_EQ(alice->session->roster().count(cj), 1U);
    EXPECT_EQ(alice->session->roster().at(cj).groups, std::vector<std::string>{"Work"});
    EXPECT_EQ(alice->session->roster().at(cj).name, "Caz");

    // Carol into Friends too; then out of Work: she stays (Friends), Dave out of Work: gone.
    model::ListManageRequest add2;
    add2.contact_list = "wv:" + a + "/Friends@localhost";
    add2.add_nick_list = nicks({{"", carol}});
    EXPECT_EQ(code_of(ask(*alice, add2)), 200);
    model::ListManageRequest rm;
    rm.contact_list = work;
    rm.remove_nick_list = model::RemoveNickList{};
    rm.remove_nick_list->user_ids = {carol, dave};
    rm.receive_list = true;
    r = ask(*alice, rm);
    ASSERT_EQ(code_of(r), 200);
    EXPECT_TRUE(std::get<model::ListManageResponse>(*r).nick_list->nicks.empty());
    EXPECT_EQ(alice->session->roster().at(cj).groups, std::vector<std::string>{"Friends"});
    EXPECT_EQ(alice->session->roster().count(*xmpp::Jid::parse(d + "@localhost")), 0U);

    // Removing someone not in the list: a DetailedResult, 201.
    rm.remove_nick_list->user_ids = {dave};
    r = ask(*alice, rm);
    EXPECT_EQ(code_of(r), model::status::partial_success);

    // Unknown list -> 700; DeleteList of an existing list removes members only in it.
    model::ListManageRequest bad;
    bad.contact_list = "wv:" + a + "/Nope@localhost";
    EXPECT_EQ(code_of(ask(*alice, bad)), model::status::contact_list_does_not_exist);
    model::DeleteListRequest del;
    del.contact_list = "wv:" + a + "/Friends@localhost";
    EXPECT_EQ(code_of(ask(*alice, del)), 200);
    EXPECT_EQ(alice->session->roster().count(cj), 0U);
    del.contact_list = "wv:" + a + "/Nope@localhost";
    EXPECT_EQ(code_of(ask(*alice, del)), model::status::contact_list_does_not_exist);
}

// Rows: SendMessage -> chat with XEP-0184 request; <received/> -> DeliveryReport-Request;
// incoming chat -> NewMessage (split by AcceptedContentLength); MessageDelivered -> receipt.
TEST_F(GatewayXmpp, MessagesBothWaysWithReceipts) {
    const auto a = unique("alice"), b = unique("bob");
    ASSERT_TRUE(server_->register_user(a, "pw1") && server_->register_user(b, "pw2"));
    auto bob = buddy(b, "pw2");
    auto alice = logged_in_phone(a, "pw1", 5);
    const std::string bob_id = "wv:" + b + "@localhost";
    const std::string alice_jid = a + "@localhost";

    model::SendMessageRequest send;
    send.delivery_report = true;
    model::Recipient rc;
    model::User u;
    u.user_id = bob_id;
    rc.users.push_back(u);
    send.message_info.recipient = rc;
    send.message_info.content_type = "text/plain";
    send.content_data = "hello bob";
    auto r = ask(*alice, send);
    ASSERT_EQ(code_of(r), 200);
    const auto mid = std::get<model::SendMessageResponse>(*r).message_id;
    ASSERT_TRUE(mid.has_value());
    // Bob's server routes a message to the bare JID to his resource.
    const auto* m = wait_stanza(*bob, [&](const xmpp::Element& e) {
        return e.name == "message" && e.child("body", xmpp::ns::client) != nullptr;
    });
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->child("body", xmpp::ns::client)->text, "hello bob");
    EXPECT_EQ(m->attr("type"), "chat");
    EXPECT_EQ(m->attr("id"), *mid);
    ASSERT_NE(m->child("request", receipts_ns), nullptr);
    EXPECT_TRUE(m->attr("from").starts_with(alice_jid + "/"));
    const std::string alice_full(m->attr("from"));

    xmpp::Element receipt("message", xmpp::ns::client);
    receipt.set_attr("to", alice_full);
    receipt.add_child("received", receipts_ns).set_attr("id", *mid);
    bob->connection->send(receipt);
    const auto* dr = wait_push<model::DeliveryReportRequest>(*alice);
    ASSERT_NE(dr, nullptr);
    EXPECT_EQ(dr->result.code, 200);
    EXPECT_EQ(dr->message_info.message_id, *mid);

    // Bob writes "héllo world" (12 bytes) asking a receipt; the phone takes 5 bytes at most.
    xmpp::Element chat("message", xmpp::ns::client);
    chat.set_attr("to", alice_jid).set_attr("type", "chat").set_attr("id", "b1");
    chat.add_text_child("body", xmpp::ns::client, "h\xC3\xA9llo world");
    chat.add_child("request", receipts_ns);
    bob->connection->send(chat);
    std::vector<const model::NewMessage*> parts;
    ASSERT_TRUE(run_until([&] {
        parts.clear();
        for (const auto& p : alice->pushed)
            if (const auto* nm = std::get_if<model::NewMessage>(&p)) parts.push_back(nm);
        return parts.size() >= 3;
    }));
    std::string joined;
    for (const auto* nm : parts) {
        EXPECT_LE(nm->content_data->size(), 5U);
        EXPECT_EQ(nm->message_info.content_size,
                  static_cast<model::Integer>(nm->content_data->size()));
        EXPECT_EQ(nm->message_info.content_type, "text/plain");
        EXPECT_EQ(nm->message_info.sender->user->user_id, bob_id);
        EXPECT_EQ(nm->message_info.recipient->users[0].user_id, "wv:" + alice_jid);
        EXPECT_EQ(nm->message_info.date_time, "20261126T160000Z");
        joined += *nm->content_data;
    }
    EXPECT_EQ(joined, "h\xC3\xA9llo world");

    // The receipt goes back only once every piece was delivered.
    for (std::size_t i = 0; i < parts.size(); ++i) {
        model::MessageDelivered md;
        md.message_id = *parts[i]->message_info.message_id;
        auto answer = ask(*alice, md);
        EXPECT_FALSE(answer.has_value());
        run_for(100ms);
        const bool got = std::any_of(bob->stanzas.begin(), bob->stanzas.end(), [](const auto& e) {
            const auto* rec = e.child("received", receipts_ns);
            return rec != nullptr && rec->attr("id") == "b1";
        });
        EXPECT_EQ(got, i + 1 == parts.size()) << "after piece " << i;
    }
}

// Row: an XMPP error for a message the phone sent -> DeliveryReport-Request with the code.
TEST_F(GatewayXmpp, MessageErrorBecomesDeliveryReport) {
    const auto a = unique("alice");
    ASSERT_TRUE(server_->register_user(a, "pw1"));
    auto alice = logged_in_phone(a, "pw1");
    model::SendMessageRequest send;
    send.delivery_report = true;
    model::Recipient rc;
    model::User u;
    u.user_id = "wv:" + unique("nobody") + "@localhost";  // no such account
    rc.users.push_back(u);
    send.message_info.recipient = rc;
    send.message_info.message_id = "phone-1";
    send.content_data = "anyone?";
    auto r = ask(*alice, send);
    ASSERT_EQ(code_of(r), 200);
    EXPECT_EQ(std::get<model::SendMessageResponse>(*r).message_id, "phone-1");
    const auto* dr = wait_push<model::DeliveryReportRequest>(*alice);
    ASSERT_NE(dr, nullptr);
    EXPECT_NE(dr->result.code, 200);
    EXPECT_EQ(dr->message_info.message_id, "phone-1");
    EXPECT_EQ(dr->message_info.recipient->users[0].user_id, u.user_id);

    // Bad requests: no text -> 402; binary content -> 415; bad recipient -> 531.
    send.content_data = "";
    EXPECT_EQ(code_of(ask(*alice, send)), model::status::bad_parameter);
    send.content_data = "x";
    send.message_info.content_type = "image/jpeg";
    EXPECT_EQ(code_of(ask(*alice, send)), model::status::unsupported_media_type);
    send.message_info.content_type = "text/plain";
    send.message_info.recipient->users[0].user_id = "wv:@localhost";
    EXPECT_EQ(code_of(ask(*alice, send)), model::status::unknown_user);
    // An unsupported primitive -> 405.
    EXPECT_EQ(code_of(ask(*alice, model::GetBlockedListRequest{})),
              model::status::service_not_supported);
}

// Row: XMPP stream failure after login -> disconnect(503); end() -> unavailable + close.
TEST_F(GatewayXmpp, LostServerDisconnectsThePhone) {
    std::string why;
    auto own = ProsodyServer::start(domain, false, why);
    ASSERT_NE(own, nullptr) << why;
    ASSERT_TRUE(own->register_user("solo", "pw"));
    auto p = phone("solo", "pw", 0, own->port());
    ASSERT_TRUE(run_until([&] { return p->login.has_value(); }));
    ASSERT_EQ(p->login->code, 200) << p->login->description;
    own->stop();
    ASSERT_TRUE(run_until([&] { return !p->disconnects.empty(); }));
    EXPECT_EQ(p->disconnects[0].first, model::status::service_unavailable);
    EXPECT_EQ(p->disconnects.size(), 1U);
    auto r = ask(*p, model::GetListRequest{});
    EXPECT_EQ(code_of(r), model::status::service_unavailable);
}

TEST_F(GatewayXmpp, EndSendsUnavailableAndCloses) {
    const auto a = unique("alice");
    ASSERT_TRUE(server_->register_user(a, "pw1"));
    auto alice = logged_in_phone(a, "pw1");
    bool closed = false;
    alice->session->end([&] { closed = true; });
    EXPECT_TRUE(run_until([&] { return closed; }));
    EXPECT_TRUE(alice->disconnects.empty());
    EXPECT_FALSE(alice->session->ready());
}

}  // namespace
