// UserSession: one phone session's XMPP side. It owns the user's xmpp::ClientConnection, keeps
// the roster, the contacts' presence and the message ids in flight, and maps IMPS primitives
// to XMPP stanzas and back (docs/mapping.md). It does not know the engine: what it has for the
// phone goes out through a SessionSink, so it can be tested against a real XMPP server alone.
#pragma once

// GCC 12 needs <utility> before Asio's headers.
#include <utility>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "onesoup/gateway/mapping.hpp"
#include "onesoup/imps/model/primitives.hpp"
#include "onesoup/xmpp/client_connection.hpp"

namespace onesoup::gateway {

// Where a UserSession sends what it has for the phone. Called on the loop.
struct SessionSink {
    // Queue a server-originated transaction (NewMessage, PresenceNotification-Request, ...);
    // false if it could not be queued.
    std::function<bool(imps::model::Primitive)> push;
    // The XMPP session failed after login: the phone's session must end with `code`.
    std::function<void(int code, std::string description)> disconnect;
};

// How to start one UserSession.
struct UserSessionOptions {
    std::string user_id;  // "wv:alice@example.org", normalised
    xmpp::ClientConfig client;
    xmpp::ConnectionOptions connection;
    std::string id_prefix;  // prefix of generated MessageIDs and stanza ids (unique per session)
    // The phone's AcceptedContentLength (0 = no limit): longer messages are split.
    std::int64_t accepted_content_length = 0;
    // Clock for DateTime of messages without a delay stamp (seconds since 1970).
    std::function<std::int64_t()> unix_now;
};

// The result of the XMPP login: 200, or an IMPS status with a description.
struct SessionLoginResult {
    int code = 200;
    std::string description;
};

// One user's bridge. Hold it by shared_ptr; everything runs on the connection's loop.
class UserSession : public std::enable_shared_from_this<UserSession> {
  public:
    static std::shared_ptr<UserSession> create(xmpp::ClientContext& context,
                                               UserSessionOptions options, SessionSink sink);

    // Connects, authenticates, binds, fetches the roster (RFC 6121 2.2) and sends initial
    // presence (RFC 6121 4.2); then calls `done` with 200. On failure `done` gets 409 (SASL
    // refused the password) or 503 (server unreachable, TLS, protocol) and the session is dead.
    void start(std::function<void(SessionLoginResult)> done);

    // Handles one primitive from the phone (contact lists, presence, messages); `reply` gets
    // the response primitive, or std::nullopt for a primitive that has none (MessageDelivered).
    void request(const imps::model::Primitive& primitive,
                 std::function<void(std::optional<imps::model::Primitive>)> reply);

    // The phone's session is over: sends unavailable presence and closes the stream; `closed`
    // (optional) runs once the connection is closed. No sink call is made afterwards.
    void end(std::function<void()> closed = {});

    // Updates the phone's AcceptedContentLength (it may change after ClientCapability).
    void set_accepted_content_length(std::int64_t length) { accepted_content_length_ = length; }

    [[nodiscard]] const std::string& user_id() const { return user_id_; }
    [[nodiscard]] bool ready() const { return ready_; }
    // The roster as the session knows it (bare JID -> item).
    [[nodiscard]] const std::map<xmpp::Jid, RosterItem>& roster() const { return roster_; }
    // Counters for GatewayStats.
    [[nodiscard]] std::uint64_t messages_to_xmpp() const { return messages_to_xmpp_; }
    [[nodiscard]] std::uint64_t messages_to_phone() const { return messages_to_phone_; }

    // Private to create().
    struct Token {};
    UserSession(Token, xmpp::ClientContext& context, UserSessionOptions options, SessionSink sink);

  private:
    using Reply = std::function<void(std::optional<imps::model::Primitive>)>;
    using IqDone = std::function<void(const xmpp::Element&)>;

    // A message the phone sent, kept until its receipt or error arrives.
    struct SentMessage {
        std::string message_id;  // the IMPS MessageID
        std::string recipient;   // wv: user id
        bool delivery_report = false;
    };
    // A message pushed to the phone that asked for a XEP-0184 receipt.
    struct ReceivedMessage {
        xmpp::Jid from;                    // full JID of the sender
        std::string xmpp_id;               // id of the <message>
        std::shared_ptr<int> pieces_left;  // split messages: receipt after the last piece
    };
    // Presence of one contact, per resource.
    using ResourcePresence = std::map<std::string, PresenceState>;

    void on_bound();
    void on_stanza(const xmpp::Element& stanza);
    void on_failed(const std::string& reason);
    void on_closed();
    // The XMPP session is gone after login: tell the engine (once).
    void lost(int code, const std::string& description);

    void on_roster_result(const xmpp::Element& iq);
    void on_roster_push(const xmpp::Element& iq);
    void on_presence(const xmpp::Element& presence);
    void on_message(const xmpp::Element& message);
    void on_message_error(const xmpp::Element& message);
    void on_receipt(const xmpp::Element& message, const xmpp::Element& received);
    void apply_roster_item(const RosterItem& item);

    // Sends an iq and calls `done` with the result or error (or a synthetic error when the
    // stream fails first).
    void send_iq(const std::string& type, xmpp::Element payload, IqDone done);
    bool send(const xmpp::Element& stanza);
    std::string next_id();

    void get_list(const Reply& reply);
    void create_list(const imps::model::CreateListRequest& r, const Reply& reply);
    void delete_list(const imps::model::DeleteListRequest& r, const Reply& reply);
    void list_manage(const imps::model::ListManageRequest& r, const Reply& reply);
    void subscribe_presence(const imps::model::SubscribePresenceRequest& r, const Reply& reply);
    void unsubscribe_presence(const imps::model::UnsubscribePresenceRequest& r, const Reply& reply);
    void get_presence(const imps::model::GetPresenceRequest& r, const Reply& reply);
    void update_presence(const imps::model::UpdatePresenceRequest& r, const Reply& reply);
    void presence_auth_user(const imps::model::PresenceAuthUser& r, const Reply& reply);
    void send_message(const imps::model::SendMessageRequest& r, const Reply& reply);
    void message_delivered(const imps::model::MessageDelivered& r, const Reply& reply);

    // The users named by User elements and ContactList ids, as bare JIDs (unique, in order);
    // ids that are not users or lists that do not exist go to `bad` with their status.
    std::vector<xmpp::Jid> resolve_users(const std::vector<imps::model::User>& users,
                                         const std::vector<std::string>& lists,
                                         std::vector<imps::model::DetailedResult>& bad) const;
    // True if a list for `group` exists (roster group, list created empty, or the default).
    [[nodiscard]] bool list_exists(const std::string& group) const;
    [[nodiscard]] PresenceState aggregate_presence(const xmpp::Jid& bare) const;
    [[nodiscard]] imps::model::Presence presence_of(const xmpp::Jid& bare) const;
    void push(imps::model::Primitive primitive);

    xmpp::ClientContext& context_;
    UserSessionOptions options_;
    SessionSink sink_;
    std::string user_id_;
    std::shared_ptr<xmpp::ClientConnection> connection_;
    std::function<void(SessionLoginResult)> login_done_;
    std::function<void()> closed_;
    xmpp::Jid bound_;
    bool ready_ = false;
    bool ended_ = false;
    bool logged_in_ = false;
    bool closed_called_ = false;
    std::uint64_t next_id_ = 0;
    std::int64_t accepted_content_length_ = 0;

    std::map<xmpp::Jid, RosterItem> roster_;
    std::set<std::string> empty_lists_;  // lists created with no member (in memory only)
    std::map<xmpp::Jid, ResourcePresence> presence_;
    PresenceState own_presence_;
    std::map<std::string, IqDone> iqs_;                // by stanza id
    std::map<std::string, SentMessage> sent_;          // by XMPP id (= IMPS MessageID)
    std::deque<std::string> sent_order_;               // oldest first, to bound sent_
    std::map<std::string, ReceivedMessage> received_;  // by IMPS MessageID
    std::deque<std::string> received_order_;
    std::uint64_t messages_to_xmpp_ = 0;
    std::uint64_t messages_to_phone_ = 0;
};

}  // namespace onesoup::gateway
