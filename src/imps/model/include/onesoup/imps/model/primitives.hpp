// Every CSP primitive the model types (CSP 1.1-1.3; content models from the DTDs, the S60
// engine's ImpsCspDtd.h, Baraza's cspmessages.def and the spec examples), and Primitive, the
// variant a TransactionContent holds. Each struct's field table gives the element order written
// and the versions each element exists in (see field.hpp for the rules).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "onesoup/imps/codec/element.hpp"
#include "onesoup/imps/model/common.hpp"
#include "onesoup/imps/model/enums.hpp"
#include "onesoup/imps/model/field.hpp"
#include "onesoup/imps/model/presence.hpp"
#include "onesoup/imps/model/version_rules.hpp"

namespace onesoup::imps::model {

// DefaultAttributeList(PresenceSubList*) in GetAttributeList-Response.
struct DefaultAttributeList {
    std::vector<PresenceSubList> presence_sub_lists;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("PresenceSubList", &DefaultAttributeList::presence_sub_lists)};
    }
    bool operator==(const DefaultAttributeList&) const = default;
};

// SearchPairList(SearchElement, SearchString): one search criterion; SearchElement is USER_ID,
// USER_FIRST_NAME, ..., GROUP_TOPIC (CSP 1.2).
struct SearchPair {
    std::string element;
    std::string string;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("SearchElement", &SearchPair::element),
                          field("SearchString", &SearchPair::string)};
    }
    bool operator==(const SearchPair&) const = default;
};

// Watcher(User, WatcherStatus?) in GetWatcherList-Response (1.2+).
struct Watcher {
    User user;
    std::optional<std::string> status;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("User", &Watcher::user), field("WatcherStatus", &Watcher::status)};
    }
    bool operator==(const Watcher&) const = default;
};

// SearchResult(UserList?, GroupList?).
struct SearchResult {
    std::optional<UserList> user_list;
    std::optional<GroupList> group_list;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("UserList", &SearchResult::user_list),
                          field("GroupList", &SearchResult::group_list)};
    }
    bool operator==(const SearchResult&) const = default;
};

// ---- Session (CSP 1.2) ----

// Status(Result, ClientID?).
struct Status {
    CspResult result;
    std::optional<ClientId> client_id;
    Extras extras;

    static constexpr std::string_view element_name = "Status";
    static constexpr auto fields() {
        using S = Status;
        return std::tuple{field("Result", &S::result),
                          field("ClientID", &S::client_id, versions::only_1_1)};
    }
    bool operator==(const Status&) const = default;
};

// Polling-Request(EMPTY).
struct PollingRequest {
    Extras extras;

    static constexpr std::string_view element_name = "Polling-Request";
    static constexpr auto fields() { return std::tuple{}; }
    bool operator==(const PollingRequest&) const = default;
};

// Login-Request(UserID, ClientID?, ApplicationID?, Password?, DigestBytes?, DigestSchema*,
// SessionID?, TimeToLive?, SessionCookie?).
struct LoginRequest {
    std::string user_id;
    std::optional<ClientId> client_id;
    std::optional<std::string> application_id;
    std::optional<std::string> password;
    std::optional<std::string> digest_bytes;
    // As sent: one element per schema, or several in one ("PWD,SHA,MD4,MD5,MD6" in the 1.1
    // spec example); see parse_digest_schemas().
    std::vector<std::string> digest_schemas;
    std::optional<std::string> session_id;
    std::optional<Integer> time_to_live;
    std::optional<std::string> session_cookie;
    Extras extras;

    static constexpr std::string_view element_name = "Login-Request";
    static constexpr auto fields() {
        using S = LoginRequest;
        return std::tuple{field("UserID", &S::user_id),
                          field("ClientID", &S::client_id),
                          field("ApplicationID", &S::application_id, versions::from_1_3),
                          field("Password", &S::password),
                          field("DigestBytes", &S::digest_bytes),
                          field("DigestSchema", &S::digest_schemas),
                          field("SessionID", &S::session_id, versions::from_1_3),
                          field("TimeToLive", &S::time_to_live),
                          field("SessionCookie", &S::session_cookie)};
    }
    bool operator==(const LoginRequest&) const = default;
};

// Login-Response(UserID?, ClientID?, Result, Nonce?, DigestSchema?, SessionID?, KeepAliveTime?,
// CapabilityRequest?).
struct LoginResponse {
    std::optional<std::string> user_id;
    std::optional<ClientId> client_id;
    CspResult result;
    std::optional<std::string> nonce;
    std::optional<DigestSchema> digest_schema;
    std::optional<std::string> session_id;
    std::optional<Integer> keep_alive_time;
    std::optional<bool> capability_request;
    Extras extras;

    static constexpr std::string_view element_name = "Login-Response";
    static constexpr auto fields() {
        using S = LoginResponse;
        return std::tuple{field("UserID", &S::user_id, versions::from_1_3),
                          field("ClientID", &S::client_id),
                          field("Result", &S::result),
                          field("Nonce", &S::nonce),
                          field("DigestSchema", &S::digest_schema),
                          field("SessionID", &S::session_id),
                          field("KeepAliveTime", &S::keep_alive_time),
                          field("CapabilityRequest", &S::capability_request)};
    }
    bool operator==(const LoginResponse&) const = default;
};

// Logout-Request(EMPTY).
struct LogoutRequest {
    Extras extras;

    static constexpr std::string_view element_name = "Logout-Request";
    static constexpr auto fields() { return std::tuple{}; }
    bool operator==(const LogoutRequest&) const = default;
};

// Disconnect(Result).
struct Disconnect {
    CspResult result;
    Extras extras;

    static constexpr std::string_view element_name = "Disconnect";
    static constexpr auto fields() {
        using S = Disconnect;
        return std::tuple{field("Result", &S::result)};
    }
    bool operator==(const Disconnect&) const = default;
};

// KeepAlive-Request(TimeToLive?).
struct KeepAliveRequest {
    std::optional<Integer> time_to_live;
    Extras extras;

    static constexpr std::string_view element_name = "KeepAlive-Request";
    static constexpr auto fields() {
        using S = KeepAliveRequest;
        return std::tuple{field("TimeToLive", &S::time_to_live)};
    }
    bool operator==(const KeepAliveRequest&) const = default;
};

// KeepAlive-Response(Result, KeepAliveTime?).
struct KeepAliveResponse {
    CspResult result;
    std::optional<Integer> keep_alive_time;
    Extras extras;

    static constexpr std::string_view element_name = "KeepAlive-Response";
    static constexpr auto fields() {
        using S = KeepAliveResponse;
        return std::tuple{field("Result", &S::result), field("KeepAliveTime", &S::keep_alive_time)};
    }
    bool operator==(const KeepAliveResponse&) const = default;
};

// GetSPInfo-Request(ClientID?).
struct GetSpInfoRequest {
    std::optional<ClientId> client_id;
    Extras extras;

    static constexpr std::string_view element_name = "GetSPInfo-Request";
    static constexpr auto fields() {
        using S = GetSpInfoRequest;
        return std::tuple{field("ClientID", &S::client_id)};
    }
    bool operator==(const GetSpInfoRequest&) const = default;
};

// GetSPInfo-Response(ClientID?, Name?, Logo?, Description?, URL?).
struct GetSpInfoResponse {
    std::optional<ClientId> client_id;
    std::optional<std::string> name;
    std::optional<Content> logo;
    std::optional<std::string> description;
    std::optional<std::string> url;
    Extras extras;

    static constexpr std::string_view element_name = "GetSPInfo-Response";
    static constexpr auto fields() {
        using S = GetSpInfoResponse;
        return std::tuple{field("ClientID", &S::client_id), field("Name", &S::name),
                          field("Logo", &S::logo), field("Description", &S::description),
                          field("URL", &S::url)};
    }
    bool operator==(const GetSpInfoResponse&) const = default;
};

// ClientCapability-Request(ClientID, CapabilityList?).
struct ClientCapabilityRequest {
    ClientId client_id;
    std::optional<CapabilityList> capabilities;
    Extras extras;

    static constexpr std::string_view element_name = "ClientCapability-Request";
    static constexpr auto fields() {
        using S = ClientCapabilityRequest;
        return std::tuple{field("ClientID", &S::client_id, versions::only_1_1),
                          field("CapabilityList", &S::capabilities)};
    }
    bool operator==(const ClientCapabilityRequest&) const = default;
};

// ClientCapability-Response(ClientID?, CapabilityList?, AgreedCapabilityList?).
struct ClientCapabilityResponse {
    std::optional<ClientId> client_id;
    std::optional<CapabilityList> capabilities;
    Extras extras;

    static constexpr std::string_view element_name = "ClientCapability-Response";
    static constexpr auto fields() {
        using S = ClientCapabilityResponse;
        return std::tuple{field("ClientID", &S::client_id, versions::only_1_1),
                          field("CapabilityList", &S::capabilities, versions::only_1_1),
                          field("AgreedCapabilityList", &S::capabilities, versions::from_1_2)};
    }
    bool operator==(const ClientCapabilityResponse&) const = default;
};

// Service-Request(ClientID?, Functions?, AllFunctionsRequest?).
struct ServiceRequest {
    std::optional<ClientId> client_id;
    std::optional<Functions> functions;
    std::optional<bool> all_functions_request;
    Extras extras;

    static constexpr std::string_view element_name = "Service-Request";
    static constexpr auto fields() {
        using S = ServiceRequest;
        return std::tuple{field("ClientID", &S::client_id, versions::only_1_1),
                          field("Functions", &S::functions),
                          field("AllFunctionsRequest", &S::all_functions_request)};
    }
    bool operator==(const ServiceRequest&) const = default;
};

// Service-Response(ClientID?, Functions?, AllFunctions?).
struct ServiceResponse {
    std::optional<ClientId> client_id;
    std::optional<Functions> functions;
    std::optional<Functions> all_functions;
    Extras extras;

    static constexpr std::string_view element_name = "Service-Response";
    static constexpr auto fields() {
        using S = ServiceResponse;
        return std::tuple{field("ClientID", &S::client_id, versions::only_1_1),
                          field("Functions", &S::functions),
                          field("AllFunctions", &S::all_functions)};
    }
    bool operator==(const ServiceResponse&) const = default;
};

// ---- Messaging (CSP 1.2) ----

// SendMessage-Request(DeliveryReport?, MessageInfo, ContentData?).
struct SendMessageRequest {
    std::optional<bool> delivery_report;
    MessageInfo message_info;
    std::optional<std::string> content_data;
    Extras extras;

    static constexpr std::string_view element_name = "SendMessage-Request";
    static constexpr auto fields() {
        using S = SendMessageRequest;
        return std::tuple{field("DeliveryReport", &S::delivery_report),
                          field("MessageInfo", &S::message_info),
                          field("ContentData", &S::content_data)};
    }
    bool operator==(const SendMessageRequest&) const = default;
};

// SendMessage-Response(Result, MessageID?).
struct SendMessageResponse {
    CspResult result;
    std::optional<std::string> message_id;
    Extras extras;

    static constexpr std::string_view element_name = "SendMessage-Response";
    static constexpr auto fields() {
        using S = SendMessageResponse;
        return std::tuple{field("Result", &S::result), field("MessageID", &S::message_id)};
    }
    bool operator==(const SendMessageResponse&) const = default;
};

// NewMessage(MessageInfo, ContentData?).
struct NewMessage {
    MessageInfo message_info;
    std::optional<std::string> content_data;
    Extras extras;

    static constexpr std::string_view element_name = "NewMessage";
    static constexpr auto fields() {
        using S = NewMessage;
        return std::tuple{field("MessageInfo", &S::message_info),
                          field("ContentData", &S::content_data)};
    }
    bool operator==(const NewMessage&) const = default;
};

// MessageDelivered(MessageID, GroupID?).
struct MessageDelivered {
    std::string message_id;
    std::optional<std::string> group_id;
    Extras extras;

    static constexpr std::string_view element_name = "MessageDelivered";
    static constexpr auto fields() {
        using S = MessageDelivered;
        return std::tuple{field("MessageID", &S::message_id),
                          field("GroupID", &S::group_id, versions::from_1_2)};
    }
    bool operator==(const MessageDelivered&) const = default;
};

// MessageNotification(MessageInfo).
struct MessageNotification {
    MessageInfo message_info;
    Extras extras;

    static constexpr std::string_view element_name = "MessageNotification";
    static constexpr auto fields() {
        using S = MessageNotification;
        return std::tuple{field("MessageInfo", &S::message_info)};
    }
    bool operator==(const MessageNotification&) const = default;
};

// GetMessage-Request(MessageID, GroupID?).
struct GetMessageRequest {
    std::string message_id;
    std::optional<std::string> group_id;
    Extras extras;

    static constexpr std::string_view element_name = "GetMessage-Request";
    static constexpr auto fields() {
        using S = GetMessageRequest;
        return std::tuple{field("MessageID", &S::message_id),
                          field("GroupID", &S::group_id, versions::from_1_2)};
    }
    bool operator==(const GetMessageRequest&) const = default;
};

// GetMessage-Response(MessageInfo, ContentData?).
struct GetMessageResponse {
    MessageInfo message_info;
    std::optional<std::string> content_data;
    Extras extras;

    static constexpr std::string_view element_name = "GetMessage-Response";
    static constexpr auto fields() {
        using S = GetMessageResponse;
        return std::tuple{field("MessageInfo", &S::message_info),
                          field("ContentData", &S::content_data)};
    }
    bool operator==(const GetMessageResponse&) const = default;
};

// SetDeliveryMethod-Request(DeliveryMethod, AcceptedContentLength?, GroupID?).
struct SetDeliveryMethodRequest {
    DeliveryMethod delivery_method = DeliveryMethod::push;
    std::optional<Integer> accepted_content_length;
    std::optional<std::string> group_id;
    Extras extras;

    static constexpr std::string_view element_name = "SetDeliveryMethod-Request";
    static constexpr auto fields() {
        using S = SetDeliveryMethodRequest;
        return std::tuple{field("DeliveryMethod", &S::delivery_method),
                          field("AcceptedContentLength", &S::accepted_content_length),
                          field("GroupID", &S::group_id)};
    }
    bool operator==(const SetDeliveryMethodRequest&) const = default;
};

// GetMessageList-Request(GroupID?, MessageCount?).
struct GetMessageListRequest {
    std::optional<std::string> group_id;
    std::optional<Integer> message_count;
    Extras extras;

    static constexpr std::string_view element_name = "GetMessageList-Request";
    static constexpr auto fields() {
        using S = GetMessageListRequest;
        return std::tuple{field("GroupID", &S::group_id), field("MessageCount", &S::message_count)};
    }
    bool operator==(const GetMessageListRequest&) const = default;
};

// GetMessageList-Response(MessageInfo*).
struct GetMessageListResponse {
    std::vector<MessageInfo> message_infos;
    Extras extras;

    static constexpr std::string_view element_name = "GetMessageList-Response";
    static constexpr auto fields() {
        using S = GetMessageListResponse;
        return std::tuple{field("MessageInfo", &S::message_infos)};
    }
    bool operator==(const GetMessageListResponse&) const = default;
};

// RejectMessage-Request(MessageID*, GroupID?).
struct RejectMessageRequest {
    std::vector<std::string> message_ids;
    std::optional<std::string> group_id;
    Extras extras;

    static constexpr std::string_view element_name = "RejectMessage-Request";
    static constexpr auto fields() {
        using S = RejectMessageRequest;
        return std::tuple{field("MessageID", &S::message_ids), field("GroupID", &S::group_id)};
    }
    bool operator==(const RejectMessageRequest&) const = default;
};

// ForwardMessage-Request(MessageID, Recipient).
struct ForwardMessageRequest {
    std::string message_id;
    Recipient recipient;
    Extras extras;

    static constexpr std::string_view element_name = "ForwardMessage-Request";
    static constexpr auto fields() {
        using S = ForwardMessageRequest;
        return std::tuple{field("MessageID", &S::message_id), field("Recipient", &S::recipient)};
    }
    bool operator==(const ForwardMessageRequest&) const = default;
};

// ForwardMessage-Response(Result?, MessageID?).
struct ForwardMessageResponse {
    std::optional<CspResult> result;
    std::optional<std::string> message_id;
    Extras extras;

    static constexpr std::string_view element_name = "ForwardMessage-Response";
    static constexpr auto fields() {
        using S = ForwardMessageResponse;
        return std::tuple{field("Result", &S::result), field("MessageID", &S::message_id)};
    }
    bool operator==(const ForwardMessageResponse&) const = default;
};

// DeliveryReport-Request(Result, DeliveryTime?, MessageInfo).
struct DeliveryReportRequest {
    CspResult result;
    std::optional<std::string> delivery_time;
    MessageInfo message_info;
    Extras extras;

    static constexpr std::string_view element_name = "DeliveryReport-Request";
    static constexpr auto fields() {
        using S = DeliveryReportRequest;
        return std::tuple{field("Result", &S::result), field("DeliveryTime", &S::delivery_time),
                          field("MessageInfo", &S::message_info)};
    }
    bool operator==(const DeliveryReportRequest&) const = default;
};

// ---- Contact lists (CSP 1.2) ----

// GetList-Request(EMPTY).
struct GetListRequest {
    Extras extras;

    static constexpr std::string_view element_name = "GetList-Request";
    static constexpr auto fields() { return std::tuple{}; }
    bool operator==(const GetListRequest&) const = default;
};

// GetList-Response(ContactList*, DefaultContactList?).
struct GetListResponse {
    std::vector<std::string> contact_lists;
    std::optional<std::string> default_contact_list;
    Extras extras;

    static constexpr std::string_view element_name = "GetList-Response";
    static constexpr auto fields() {
        using S = GetListResponse;
        return std::tuple{field("ContactList", &S::contact_lists),
                          field("DefaultContactList", &S::default_contact_list)};
    }
    bool operator==(const GetListResponse&) const = default;
};

// CreateList-Request(ContactList, NickList?, ContactListProperties?).
struct CreateListRequest {
    std::string contact_list;
    std::optional<NickList> nick_list;
    std::optional<Properties> properties;
    Extras extras;

    static constexpr std::string_view element_name = "CreateList-Request";
    static constexpr auto fields() {
        using S = CreateListRequest;
        return std::tuple{field("ContactList", &S::contact_list), field("NickList", &S::nick_list),
                          field("ContactListProperties", &S::properties)};
    }
    bool operator==(const CreateListRequest&) const = default;
};

// CreateList-Response(Result?, ContactList?, ContactListProperties?).
struct CreateListResponse {
    std::optional<CspResult> result;
    std::optional<std::string> contact_list;
    std::optional<Properties> properties;
    Extras extras;

    static constexpr std::string_view element_name = "CreateList-Response";
    static constexpr auto fields() {
        using S = CreateListResponse;
        return std::tuple{field("Result", &S::result), field("ContactList", &S::contact_list),
                          field("ContactListProperties", &S::properties)};
    }
    bool operator==(const CreateListResponse&) const = default;
};

// DeleteList-Request(ContactList).
struct DeleteListRequest {
    std::string contact_list;
    Extras extras;

    static constexpr std::string_view element_name = "DeleteList-Request";
    static constexpr auto fields() {
        using S = DeleteListRequest;
        return std::tuple{field("ContactList", &S::contact_list)};
    }
    bool operator==(const DeleteListRequest&) const = default;
};

// ListManage-Request(ContactList, AddNickList?, RemoveNickList?, ContactListProperties?,
// ReceiveList?).
struct ListManageRequest {
    std::string contact_list;
    std::optional<NickList> add_nick_list;
    std::optional<RemoveNickList> remove_nick_list;
    std::optional<Properties> properties;
    std::optional<bool> receive_list;
    Extras extras;

    static constexpr std::string_view element_name = "ListManage-Request";
    static constexpr auto fields() {
        using S = ListManageRequest;
        return std::tuple{
            field("ContactList", &S::contact_list), field("AddNickList", &S::add_nick_list),
            field("RemoveNickList", &S::remove_nick_list),
            field("ContactListProperties", &S::properties), field("ReceiveList", &S::receive_list)};
    }
    bool operator==(const ListManageRequest&) const = default;
};

// ListManage-Response(Result, NickList?, ContactListProperties?).
struct ListManageResponse {
    CspResult result;
    std::optional<NickList> nick_list;
    std::optional<Properties> properties;
    Extras extras;

    static constexpr std::string_view element_name = "ListManage-Response";
    static constexpr auto fields() {
        using S = ListManageResponse;
        return std::tuple{field("Result", &S::result), field("NickList", &S::nick_list),
                          field("ContactListProperties", &S::properties)};
    }
    bool operator==(const ListManageResponse&) const = default;
};

// ---- Presence (CSP 1.2) ----

// SubscribePresence-Request(User*, ContactList*, PresenceSubList?, AutoSubscribe?).
struct SubscribePresenceRequest {
    std::vector<User> users;
    std::vector<std::string> contact_lists;
    std::optional<PresenceSubList> presence_sub_list;
    std::optional<bool> auto_subscribe;
    Extras extras;

    static constexpr std::string_view element_name = "SubscribePresence-Request";
    static constexpr auto fields() {
        using S = SubscribePresenceRequest;
        return std::tuple{field("User", &S::users), field("ContactList", &S::contact_lists),
                          field("PresenceSubList", &S::presence_sub_list),
                          field("AutoSubscribe", &S::auto_subscribe, versions::from_1_2)};
    }
    bool operator==(const SubscribePresenceRequest&) const = default;
};

// UnsubscribePresence-Request(User*, ContactList*).
struct UnsubscribePresenceRequest {
    std::vector<User> users;
    std::vector<std::string> contact_lists;
    Extras extras;

    static constexpr std::string_view element_name = "UnsubscribePresence-Request";
    static constexpr auto fields() {
        using S = UnsubscribePresenceRequest;
        return std::tuple{field("User", &S::users), field("ContactList", &S::contact_lists)};
    }
    bool operator==(const UnsubscribePresenceRequest&) const = default;
};

// GetPresence-Request(User*, ContactList*, PresenceSubList?).
struct GetPresenceRequest {
    std::vector<User> users;
    std::vector<std::string> contact_lists;
    std::optional<PresenceSubList> presence_sub_list;
    Extras extras;

    static constexpr std::string_view element_name = "GetPresence-Request";
    static constexpr auto fields() {
        using S = GetPresenceRequest;
        return std::tuple{field("User", &S::users), field("ContactList", &S::contact_lists),
                          field("PresenceSubList", &S::presence_sub_list)};
    }
    bool operator==(const GetPresenceRequest&) const = default;
};

// GetPresence-Response(Result?, Presence*).
struct GetPresenceResponse {
    std::optional<CspResult> result;
    std::vector<Presence> presences;
    Extras extras;

    static constexpr std::string_view element_name = "GetPresence-Response";
    static constexpr auto fields() {
        using S = GetPresenceResponse;
        return std::tuple{field("Result", &S::result), field("Presence", &S::presences)};
    }
    bool operator==(const GetPresenceResponse&) const = default;
};

// UpdatePresence-Request(PresenceSubList).
struct UpdatePresenceRequest {
    PresenceSubList presence_sub_list;
    Extras extras;

    static constexpr std::string_view element_name = "UpdatePresence-Request";
    static constexpr auto fields() {
        using S = UpdatePresenceRequest;
        return std::tuple{field("PresenceSubList", &S::presence_sub_list)};
    }
    bool operator==(const UpdatePresenceRequest&) const = default;
};

// PresenceNotification-Request(Presence*).
struct PresenceNotificationRequest {
    std::vector<Presence> presences;
    Extras extras;

    static constexpr std::string_view element_name = "PresenceNotification-Request";
    static constexpr auto fields() {
        using S = PresenceNotificationRequest;
        return std::tuple{field("Presence", &S::presences)};
    }
    bool operator==(const PresenceNotificationRequest&) const = default;
};

// PresenceAuth-Request(UserID, PresenceSubList?).
struct PresenceAuthRequest {
    std::string user_id;
    std::optional<PresenceSubList> presence_sub_list;
    Extras extras;

    static constexpr std::string_view element_name = "PresenceAuth-Request";
    static constexpr auto fields() {
        using S = PresenceAuthRequest;
        return std::tuple{field("UserID", &S::user_id),
                          field("PresenceSubList", &S::presence_sub_list)};
    }
    bool operator==(const PresenceAuthRequest&) const = default;
};

// PresenceAuth-User(UserID, Acceptance, PresenceSubList?).
struct PresenceAuthUser {
    std::string user_id;
    bool acceptance = false;
    std::optional<PresenceSubList> presence_sub_list;
    Extras extras;

    static constexpr std::string_view element_name = "PresenceAuth-User";
    static constexpr auto fields() {
        using S = PresenceAuthUser;
        return std::tuple{field("UserID", &S::user_id), field("Acceptance", &S::acceptance),
                          field("PresenceSubList", &S::presence_sub_list)};
    }
    bool operator==(const PresenceAuthUser&) const = default;
};

// CancelAuth-Request(UserID).
struct CancelAuthRequest {
    std::string user_id;
    Extras extras;

    static constexpr std::string_view element_name = "CancelAuth-Request";
    static constexpr auto fields() {
        using S = CancelAuthRequest;
        return std::tuple{field("UserID", &S::user_id)};
    }
    bool operator==(const CancelAuthRequest&) const = default;
};

// GetWatcherList-Request(HistoryPeriod?, MaxWatcherList?).
struct GetWatcherListRequest {
    std::optional<Integer> history_period;
    std::optional<Integer> max_watcher_list;
    Extras extras;

    static constexpr std::string_view element_name = "GetWatcherList-Request";
    static constexpr auto fields() {
        using S = GetWatcherListRequest;
        return std::tuple{field("HistoryPeriod", &S::history_period, versions::from_1_2),
                          field("MaxWatcherList", &S::max_watcher_list, versions::from_1_2)};
    }
    bool operator==(const GetWatcherListRequest&) const = default;
};

// GetWatcherList-Response(HistoryPeriod?, WatcherCount?, Watcher*, User*, UserID*).
struct GetWatcherListResponse {
    std::optional<Integer> history_period;
    std::optional<Integer> watcher_count;
    std::vector<Watcher> watchers;
    std::vector<User> users;
    std::vector<std::string> user_ids;
    Extras extras;

    static constexpr std::string_view element_name = "GetWatcherList-Response";
    static constexpr auto fields() {
        using S = GetWatcherListResponse;
        return std::tuple{field("HistoryPeriod", &S::history_period, versions::from_1_2),
                          field("WatcherCount", &S::watcher_count, versions::from_1_3),
                          field("Watcher", &S::watchers, versions::from_1_2),
                          field("User", &S::users), field("UserID", &S::user_ids)};
    }
    bool operator==(const GetWatcherListResponse&) const = default;
};

// GetAttributeList-Request(DefaultList?, ContactList*, UserID*, User*).
struct GetAttributeListRequest {
    std::optional<bool> default_list;
    std::vector<std::string> contact_lists;
    std::vector<std::string> user_ids;
    std::vector<User> users;
    Extras extras;

    static constexpr std::string_view element_name = "GetAttributeList-Request";
    static constexpr auto fields() {
        using S = GetAttributeListRequest;
        return std::tuple{field("DefaultList", &S::default_list),
                          field("ContactList", &S::contact_lists), field("UserID", &S::user_ids),
                          field("User", &S::users)};
    }
    bool operator==(const GetAttributeListRequest&) const = default;
};

// GetAttributeList-Response(Result?, DefaultAttributeList?, Presence*).
struct GetAttributeListResponse {
    std::optional<CspResult> result;
    std::optional<DefaultAttributeList> default_attribute_list;
    std::vector<Presence> presences;
    Extras extras;

    static constexpr std::string_view element_name = "GetAttributeList-Response";
    static constexpr auto fields() {
        using S = GetAttributeListResponse;
        return std::tuple{field("Result", &S::result),
                          field("DefaultAttributeList", &S::default_attribute_list),
                          field("Presence", &S::presences)};
    }
    bool operator==(const GetAttributeListResponse&) const = default;
};

// CreateAttributeList-Request(PresenceSubList, UserID*, ContactList*, DefaultList?).
struct CreateAttributeListRequest {
    PresenceSubList presence_sub_list;
    std::vector<std::string> user_ids;
    std::vector<std::string> contact_lists;
    std::optional<bool> default_list;
    Extras extras;

    static constexpr std::string_view element_name = "CreateAttributeList-Request";
    static constexpr auto fields() {
        using S = CreateAttributeListRequest;
        return std::tuple{field("PresenceSubList", &S::presence_sub_list),
                          field("UserID", &S::user_ids), field("ContactList", &S::contact_lists),
                          field("DefaultList", &S::default_list)};
    }
    bool operator==(const CreateAttributeListRequest&) const = default;
};

// DeleteAttributeList-Request(UserID*, ContactList*, DefaultList?).
struct DeleteAttributeListRequest {
    std::vector<std::string> user_ids;
    std::vector<std::string> contact_lists;
    std::optional<bool> default_list;
    Extras extras;

    static constexpr std::string_view element_name = "DeleteAttributeList-Request";
    static constexpr auto fields() {
        using S = DeleteAttributeListRequest;
        return std::tuple{field("UserID", &S::user_ids), field("ContactList", &S::contact_lists),
                          field("DefaultList", &S::default_list)};
    }
    bool operator==(const DeleteAttributeListRequest&) const = default;
};

// ---- Blocking (CSP 1.2) ----

// GetBlockedList-Request(EMPTY).
struct GetBlockedListRequest {
    Extras extras;

    static constexpr std::string_view element_name = "GetBlockedList-Request";
    static constexpr auto fields() { return std::tuple{}; }
    bool operator==(const GetBlockedListRequest&) const = default;
};

// GetBlockedList-Response(BlockList?, GrantList?).
struct GetBlockedListResponse {
    std::optional<AccessList> block_list;
    std::optional<AccessList> grant_list;
    Extras extras;

    static constexpr std::string_view element_name = "GetBlockedList-Response";
    static constexpr auto fields() {
        using S = GetBlockedListResponse;
        return std::tuple{field("BlockList", &S::block_list), field("GrantList", &S::grant_list)};
    }
    bool operator==(const GetBlockedListResponse&) const = default;
};

// BlockEntity-Request(BlockList?, GrantList?).
struct BlockEntityRequest {
    std::optional<AccessList> block_list;
    std::optional<AccessList> grant_list;
    Extras extras;

    static constexpr std::string_view element_name = "BlockEntity-Request";
    static constexpr auto fields() {
        using S = BlockEntityRequest;
        return std::tuple{field("BlockList", &S::block_list), field("GrantList", &S::grant_list)};
    }
    bool operator==(const BlockEntityRequest&) const = default;
};

// ---- Groups (CSP 1.2) ----

// CreateGroup-Request(GroupID, GroupProperties?, JoinGroup?, ScreenName?, SubscribeNotification?).
struct CreateGroupRequest {
    std::string group_id;
    std::optional<GroupProperties> properties;
    std::optional<bool> join_group;
    std::optional<ScreenName> screen_name;
    std::optional<bool> subscribe_notification;
    Extras extras;

    static constexpr std::string_view element_name = "CreateGroup-Request";
    static constexpr auto fields() {
        using S = CreateGroupRequest;
        return std::tuple{field("GroupID", &S::group_id), field("GroupProperties", &S::properties),
                          field("JoinGroup", &S::join_group), field("ScreenName", &S::screen_name),
                          field("SubscribeNotification", &S::subscribe_notification)};
    }
    bool operator==(const CreateGroupRequest&) const = default;
};

// DeleteGroup-Request(GroupID).
struct DeleteGroupRequest {
    std::string group_id;
    Extras extras;

    static constexpr std::string_view element_name = "DeleteGroup-Request";
    static constexpr auto fields() {
        using S = DeleteGroupRequest;
        return std::tuple{field("GroupID", &S::group_id)};
    }
    bool operator==(const DeleteGroupRequest&) const = default;
};

// JoinGroup-Request(GroupID, ScreenName?, JoinedRequest?, SubscribeNotification?, OwnProperties?).
struct JoinGroupRequest {
    std::string group_id;
    std::optional<ScreenName> screen_name;
    std::optional<bool> joined_request;
    std::optional<bool> subscribe_notification;
    std::optional<Properties> own_properties;
    Extras extras;

    static constexpr std::string_view element_name = "JoinGroup-Request";
    static constexpr auto fields() {
        using S = JoinGroupRequest;
        return std::tuple{field("GroupID", &S::group_id), field("ScreenName", &S::screen_name),
                          field("JoinedRequest", &S::joined_request),
                          field("SubscribeNotification", &S::subscribe_notification),
                          field("OwnProperties", &S::own_properties)};
    }
    bool operator==(const JoinGroupRequest&) const = default;
};

// JoinGroup-Response(Joined?, ScreenName?, UserList?, UserMapList?, WelcomeNote?).
struct JoinGroupResponse {
    std::optional<JoinedUsers> joined;
    std::optional<ScreenName> screen_name;
    std::optional<UserList> user_list;
    std::optional<codec::Element> user_map_list;
    std::optional<Content> welcome_note;
    Extras extras;

    static constexpr std::string_view element_name = "JoinGroup-Response";
    static constexpr auto fields() {
        using S = JoinGroupResponse;
        return std::tuple{field("Joined", &S::joined, versions::from_1_3),
                          field("ScreenName", &S::screen_name, versions::from_1_3),
                          field("UserList", &S::user_list),
                          field("UserMapList", &S::user_map_list, versions::from_1_2),
                          field("WelcomeNote", &S::welcome_note)};
    }
    bool operator==(const JoinGroupResponse&) const = default;
};

// LeaveGroup-Request(GroupID).
struct LeaveGroupRequest {
    std::string group_id;
    Extras extras;

    static constexpr std::string_view element_name = "LeaveGroup-Request";
    static constexpr auto fields() {
        using S = LeaveGroupRequest;
        return std::tuple{field("GroupID", &S::group_id)};
    }
    bool operator==(const LeaveGroupRequest&) const = default;
};

// LeaveGroup-Response(GroupID?, Result).
struct LeaveGroupResponse {
    std::optional<std::string> group_id;
    CspResult result;
    Extras extras;

    static constexpr std::string_view element_name = "LeaveGroup-Response";
    static constexpr auto fields() {
        using S = LeaveGroupResponse;
        return std::tuple{field("GroupID", &S::group_id), field("Result", &S::result)};
    }
    bool operator==(const LeaveGroupResponse&) const = default;
};

// GetGroupMembers-Request(GroupID).
struct GetGroupMembersRequest {
    std::string group_id;
    Extras extras;

    static constexpr std::string_view element_name = "GetGroupMembers-Request";
    static constexpr auto fields() {
        using S = GetGroupMembersRequest;
        return std::tuple{field("GroupID", &S::group_id)};
    }
    bool operator==(const GetGroupMembersRequest&) const = default;
};

// GetGroupMembers-Response(Admin?, Mod?, Users?, UserList?).
struct GetGroupMembersResponse {
    std::optional<UserListHolder> admin;
    std::optional<UserListHolder> mod;
    std::optional<UserListHolder> users;
    std::optional<UserList> user_list;
    Extras extras;

    static constexpr std::string_view element_name = "GetGroupMembers-Response";
    static constexpr auto fields() {
        using S = GetGroupMembersResponse;
        return std::tuple{field("Admin", &S::admin), field("Mod", &S::mod),
                          field("Users", &S::users), field("UserList", &S::user_list)};
    }
    bool operator==(const GetGroupMembersResponse&) const = default;
};

// GetJoinedUsers-Request(GroupID).
struct GetJoinedUsersRequest {
    std::string group_id;
    Extras extras;

    static constexpr std::string_view element_name = "GetJoinedUsers-Request";
    static constexpr auto fields() {
        using S = GetJoinedUsersRequest;
        return std::tuple{field("GroupID", &S::group_id)};
    }
    bool operator==(const GetJoinedUsersRequest&) const = default;
};

// GetJoinedUsers-Response(UserList?, AdminMapList?, UserMapList?).
struct GetJoinedUsersResponse {
    std::optional<UserList> user_list;
    std::optional<codec::Element> admin_map_list;
    std::optional<codec::Element> user_map_list;
    Extras extras;

    static constexpr std::string_view element_name = "GetJoinedUsers-Response";
    static constexpr auto fields() {
        using S = GetJoinedUsersResponse;
        return std::tuple{field("UserList", &S::user_list),
                          field("AdminMapList", &S::admin_map_list, versions::from_1_2),
                          field("UserMapList", &S::user_map_list, versions::from_1_2)};
    }
    bool operator==(const GetJoinedUsersResponse&) const = default;
};

// AddGroupMembers-Request(GroupID, UserList?, UserIDList?).
struct AddGroupMembersRequest {
    std::string group_id;
    std::optional<UserList> user_list;
    std::optional<UserIdList> user_id_list;
    Extras extras;

    static constexpr std::string_view element_name = "AddGroupMembers-Request";
    static constexpr auto fields() {
        using S = AddGroupMembersRequest;
        return std::tuple{field("GroupID", &S::group_id), field("UserList", &S::user_list),
                          field("UserIDList", &S::user_id_list)};
    }
    bool operator==(const AddGroupMembersRequest&) const = default;
};

// RemoveGroupMembers-Request(GroupID, UserList?, UserIDList?).
struct RemoveGroupMembersRequest {
    std::string group_id;
    std::optional<UserList> user_list;
    std::optional<UserIdList> user_id_list;
    Extras extras;

    static constexpr std::string_view element_name = "RemoveGroupMembers-Request";
    static constexpr auto fields() {
        using S = RemoveGroupMembersRequest;
        return std::tuple{field("GroupID", &S::group_id), field("UserList", &S::user_list),
                          field("UserIDList", &S::user_id_list)};
    }
    bool operator==(const RemoveGroupMembersRequest&) const = default;
};

// MemberAccess-Request(GroupID, Admin?, Mod?, Users?, UserList?).
struct MemberAccessRequest {
    std::string group_id;
    std::optional<UserListHolder> admin;
    std::optional<UserListHolder> mod;
    std::optional<UserListHolder> users;
    std::optional<UserList> user_list;
    Extras extras;

    static constexpr std::string_view element_name = "MemberAccess-Request";
    static constexpr auto fields() {
        using S = MemberAccessRequest;
        return std::tuple{field("GroupID", &S::group_id), field("Admin", &S::admin),
                          field("Mod", &S::mod), field("Users", &S::users),
                          field("UserList", &S::user_list)};
    }
    bool operator==(const MemberAccessRequest&) const = default;
};

// GetGroupProps-Request(GroupID).
struct GetGroupPropsRequest {
    std::string group_id;
    Extras extras;

    static constexpr std::string_view element_name = "GetGroupProps-Request";
    static constexpr auto fields() {
        using S = GetGroupPropsRequest;
        return std::tuple{field("GroupID", &S::group_id)};
    }
    bool operator==(const GetGroupPropsRequest&) const = default;
};

// GetGroupProps-Response(GroupProperties?, OwnProperties?).
struct GetGroupPropsResponse {
    std::optional<GroupProperties> properties;
    std::optional<Properties> own_properties;
    Extras extras;

    static constexpr std::string_view element_name = "GetGroupProps-Response";
    static constexpr auto fields() {
        using S = GetGroupPropsResponse;
        return std::tuple{field("GroupProperties", &S::properties),
                          field("OwnProperties", &S::own_properties)};
    }
    bool operator==(const GetGroupPropsResponse&) const = default;
};

// SetGroupProps-Request(GroupID, GroupProperties?, OwnProperties?).
struct SetGroupPropsRequest {
    std::string group_id;
    std::optional<GroupProperties> properties;
    std::optional<Properties> own_properties;
    Extras extras;

    static constexpr std::string_view element_name = "SetGroupProps-Request";
    static constexpr auto fields() {
        using S = SetGroupPropsRequest;
        return std::tuple{field("GroupID", &S::group_id), field("GroupProperties", &S::properties),
                          field("OwnProperties", &S::own_properties)};
    }
    bool operator==(const SetGroupPropsRequest&) const = default;
};

// RejectList-Request(GroupID, AddList?, RemoveList?).
struct RejectListRequest {
    std::string group_id;
    std::optional<EntityList> add_list;
    std::optional<EntityList> remove_list;
    Extras extras;

    static constexpr std::string_view element_name = "RejectList-Request";
    static constexpr auto fields() {
        using S = RejectListRequest;
        return std::tuple{field("GroupID", &S::group_id), field("AddList", &S::add_list),
                          field("RemoveList", &S::remove_list)};
    }
    bool operator==(const RejectListRequest&) const = default;
};

// RejectList-Response(UserList?).
struct RejectListResponse {
    std::optional<UserList> user_list;
    Extras extras;

    static constexpr std::string_view element_name = "RejectList-Response";
    static constexpr auto fields() {
        using S = RejectListResponse;
        return std::tuple{field("UserList", &S::user_list)};
    }
    bool operator==(const RejectListResponse&) const = default;
};

// SubscribeGroupNotice-Request(GroupID, SubscribeType).
struct SubscribeGroupNoticeRequest {
    std::string group_id;
    std::string subscribe_type;
    Extras extras;

    static constexpr std::string_view element_name = "SubscribeGroupNotice-Request";
    static constexpr auto fields() {
        using S = SubscribeGroupNoticeRequest;
        return std::tuple{field("GroupID", &S::group_id),
                          field("SubscribeType", &S::subscribe_type)};
    }
    bool operator==(const SubscribeGroupNoticeRequest&) const = default;
};

// SubscribeGroupNotice-Response(Value?).
struct SubscribeGroupNoticeResponse {
    std::optional<std::string> value;
    Extras extras;

    static constexpr std::string_view element_name = "SubscribeGroupNotice-Response";
    static constexpr auto fields() {
        using S = SubscribeGroupNoticeResponse;
        return std::tuple{field("Value", &S::value)};
    }
    bool operator==(const SubscribeGroupNoticeResponse&) const = default;
};

// GroupChangeNotice(GroupID, Joined?, Left?, GroupProperties?, OwnProperties?).
struct GroupChangeNotice {
    std::string group_id;
    std::optional<JoinedUsers> joined;
    std::optional<JoinedUsers> left;
    std::optional<GroupProperties> properties;
    std::optional<Properties> own_properties;
    Extras extras;

    static constexpr std::string_view element_name = "GroupChangeNotice";
    static constexpr auto fields() {
        using S = GroupChangeNotice;
        return std::tuple{field("GroupID", &S::group_id), field("Joined", &S::joined),
                          field("Left", &S::left), field("GroupProperties", &S::properties),
                          field("OwnProperties", &S::own_properties)};
    }
    bool operator==(const GroupChangeNotice&) const = default;
};

// ---- Search (CSP 1.2) ----

// Search-Request(SearchPairList*, SearchLimit?, SearchID?, SearchIndex?).
struct SearchRequest {
    std::vector<SearchPair> pairs;
    std::optional<Integer> search_limit;
    std::optional<std::string> search_id;  // opaque ("0x23829381" in the 1.1 examples)
    std::optional<Integer> search_index;
    Extras extras;

    static constexpr std::string_view element_name = "Search-Request";
    static constexpr auto fields() {
        using S = SearchRequest;
        return std::tuple{field("SearchPairList", &S::pairs),
                          field("SearchLimit", &S::search_limit), field("SearchID", &S::search_id),
                          field("SearchIndex", &S::search_index)};
    }
    bool operator==(const SearchRequest&) const = default;
};

// Search-Response(Result?, SearchID?, SearchFindings?, CompletionFlag?, SearchIndex?,
// SearchResult?).
struct SearchResponse {
    std::optional<CspResult> result;
    std::optional<std::string> search_id;  // opaque ("0x23829381" in the 1.1 examples)
    std::optional<Integer> search_findings;
    std::optional<bool> completion_flag;
    std::optional<Integer> search_index;
    std::optional<SearchResult> search_result;
    Extras extras;

    static constexpr std::string_view element_name = "Search-Response";
    static constexpr auto fields() {
        using S = SearchResponse;
        return std::tuple{field("Result", &S::result),
                          field("SearchID", &S::search_id),
                          field("SearchFindings", &S::search_findings),
                          field("CompletionFlag", &S::completion_flag),
                          field("SearchIndex", &S::search_index),
                          field("SearchResult", &S::search_result)};
    }
    bool operator==(const SearchResponse&) const = default;
};

// StopSearch-Request(SearchID).
struct StopSearchRequest {
    std::string search_id;  // opaque ("0x23829381" in the 1.1 examples)
    Extras extras;

    static constexpr std::string_view element_name = "StopSearch-Request";
    static constexpr auto fields() {
        using S = StopSearchRequest;
        return std::tuple{field("SearchID", &S::search_id)};
    }
    bool operator==(const StopSearchRequest&) const = default;
};

// ---- Invitations (CSP 1.2) ----

// Invite-Request(InviteID, InviteType, Sender?, Recipient, GroupID?, PresenceSubList?, URLList?,
// InviteNote?, ScreenName?, Validity?).
struct InviteRequest {
    std::string invite_id;
    std::string invite_type;
    std::optional<Sender> sender;
    Recipient recipient;
    std::optional<std::string> group_id;
    std::optional<PresenceSubList> presence_sub_list;
    std::optional<UrlList> url_list;
    std::optional<std::string> invite_note;
    std::optional<ScreenName> screen_name;
    std::optional<Integer> validity;
    Extras extras;

    static constexpr std::string_view element_name = "Invite-Request";
    static constexpr auto fields() {
        using S = InviteRequest;
        return std::tuple{
            field("InviteID", &S::invite_id),     field("InviteType", &S::invite_type),
            field("Sender", &S::sender),          field("Recipient", &S::recipient),
            field("GroupID", &S::group_id),       field("PresenceSubList", &S::presence_sub_list),
            field("URLList", &S::url_list),       field("InviteNote", &S::invite_note),
            field("ScreenName", &S::screen_name), field("Validity", &S::validity)};
    }
    bool operator==(const InviteRequest&) const = default;
};

// Invite-Response(InviteID, Acceptance, Sender?, ResponseNote?, ScreenName?).
struct InviteResponse {
    std::string invite_id;
    bool acceptance = false;
    std::optional<Sender> sender;
    std::optional<std::string> response_note;
    std::optional<ScreenName> screen_name;
    Extras extras;

    static constexpr std::string_view element_name = "Invite-Response";
    static constexpr auto fields() {
        using S = InviteResponse;
        return std::tuple{field("InviteID", &S::invite_id), field("Acceptance", &S::acceptance),
                          field("Sender", &S::sender), field("ResponseNote", &S::response_note),
                          field("ScreenName", &S::screen_name)};
    }
    bool operator==(const InviteResponse&) const = default;
};

// InviteUser-Request(InviteID, InviteType, Sender, GroupID?, PresenceSubList?, URLList?,
// InviteNote?, ScreenName?, Validity?).
struct InviteUserRequest {
    std::string invite_id;
    std::string invite_type;
    Sender sender;
    std::optional<std::string> group_id;
    std::optional<PresenceSubList> presence_sub_list;
    std::optional<UrlList> url_list;
    std::optional<std::string> invite_note;
    std::optional<ScreenName> screen_name;
    std::optional<Integer> validity;
    Extras extras;

    static constexpr std::string_view element_name = "InviteUser-Request";
    static constexpr auto fields() {
        using S = InviteUserRequest;
        return std::tuple{field("InviteID", &S::invite_id),
                          field("InviteType", &S::invite_type),
                          field("Sender", &S::sender),
                          field("GroupID", &S::group_id),
                          field("PresenceSubList", &S::presence_sub_list),
                          field("URLList", &S::url_list),
                          field("InviteNote", &S::invite_note),
                          field("ScreenName", &S::screen_name),
                          field("Validity", &S::validity)};
    }
    bool operator==(const InviteUserRequest&) const = default;
};

// InviteUser-Response(InviteID, Acceptance, Sender?, ResponseNote?, ScreenName?).
struct InviteUserResponse {
    std::string invite_id;
    bool acceptance = false;
    std::optional<Sender> sender;
    std::optional<std::string> response_note;
    std::optional<ScreenName> screen_name;
    Extras extras;

    static constexpr std::string_view element_name = "InviteUser-Response";
    static constexpr auto fields() {
        using S = InviteUserResponse;
        return std::tuple{field("InviteID", &S::invite_id), field("Acceptance", &S::acceptance),
                          field("Sender", &S::sender), field("ResponseNote", &S::response_note),
                          field("ScreenName", &S::screen_name)};
    }
    bool operator==(const InviteUserResponse&) const = default;
};

// CancelInvite-Request(InviteID, Recipient?, GroupID?, PresenceSubList?, InviteNote?, URLList?,
// ScreenName?).
struct CancelInviteRequest {
    std::string invite_id;
    std::optional<Recipient> recipient;
    std::optional<std::string> group_id;
    std::optional<PresenceSubList> presence_sub_list;
    std::optional<std::string> invite_note;
    std::optional<UrlList> url_list;
    std::optional<ScreenName> screen_name;
    Extras extras;

    static constexpr std::string_view element_name = "CancelInvite-Request";
    static constexpr auto fields() {
        using S = CancelInviteRequest;
        return std::tuple{
            field("InviteID", &S::invite_id),     field("Recipient", &S::recipient),
            field("GroupID", &S::group_id),       field("PresenceSubList", &S::presence_sub_list),
            field("InviteNote", &S::invite_note), field("URLList", &S::url_list),
            field("ScreenName", &S::screen_name)};
    }
    bool operator==(const CancelInviteRequest&) const = default;
};

// CancelInviteUser-Request(InviteID, Sender, GroupID?, PresenceSubList?, InviteNote?, URLList?,
// ScreenName?).
struct CancelInviteUserRequest {
    std::string invite_id;
    Sender sender;
    std::optional<std::string> group_id;
    std::optional<PresenceSubList> presence_sub_list;
    std::optional<std::string> invite_note;
    std::optional<UrlList> url_list;
    std::optional<ScreenName> screen_name;
    Extras extras;

    static constexpr std::string_view element_name = "CancelInviteUser-Request";
    static constexpr auto fields() {
        using S = CancelInviteUserRequest;
        return std::tuple{
            field("InviteID", &S::invite_id),     field("Sender", &S::sender),
            field("GroupID", &S::group_id),       field("PresenceSubList", &S::presence_sub_list),
            field("InviteNote", &S::invite_note), field("URLList", &S::url_list),
            field("ScreenName", &S::screen_name)};
    }
    bool operator==(const CancelInviteUserRequest&) const = default;
};

// The schemas a Login-Request offers, in order, from its DigestSchema elements (each may list
// several, separated by commas or spaces); names that are not schemas are skipped.
[[nodiscard]] std::vector<DigestSchema> parse_digest_schemas(const std::vector<std::string>& texts);

// A primitive the model does not know (or one from an extension): the element as it came, so
// the engine can answer it with one standard error.
struct UnknownPrimitive {
    codec::Element element;

    bool operator==(const UnknownPrimitive&) const = default;
};

// The content of one TransactionContent.
using Primitive = std::variant<
    UnknownPrimitive, Status, PollingRequest, LoginRequest, LoginResponse, LogoutRequest,
    Disconnect, KeepAliveRequest, KeepAliveResponse, GetSpInfoRequest, GetSpInfoResponse,
    ClientCapabilityRequest, ClientCapabilityResponse, ServiceRequest, ServiceResponse,
    SendMessageRequest, SendMessageResponse, NewMessage, MessageDelivered, MessageNotification,
    GetMessageRequest, GetMessageResponse, SetDeliveryMethodRequest, GetMessageListRequest,
    GetMessageListResponse, RejectMessageRequest, ForwardMessageRequest, ForwardMessageResponse,
    DeliveryReportRequest, GetListRequest, GetListResponse, CreateListRequest, CreateListResponse,
    DeleteListRequest, ListManageRequest, ListManageResponse, SubscribePresenceRequest,
    UnsubscribePresenceRequest, GetPresenceRequest, GetPresenceResponse, UpdatePresenceRequest,
    PresenceNotificationRequest, PresenceAuthRequest, PresenceAuthUser, CancelAuthRequest,
    GetWatcherListRequest, GetWatcherListResponse, GetAttributeListRequest,
    GetAttributeListResponse, CreateAttributeListRequest, DeleteAttributeListRequest,
    GetBlockedListRequest, GetBlockedListResponse, BlockEntityRequest, CreateGroupRequest,
    DeleteGroupRequest, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse,
    GetGroupMembersRequest, GetGroupMembersResponse, GetJoinedUsersRequest, GetJoinedUsersResponse,
    AddGroupMembersRequest, RemoveGroupMembersRequest, MemberAccessRequest, GetGroupPropsRequest,
    GetGroupPropsResponse, SetGroupPropsRequest, RejectListRequest, RejectListResponse,
    SubscribeGroupNoticeRequest, SubscribeGroupNoticeResponse, GroupChangeNotice, SearchRequest,
    SearchResponse, StopSearchRequest, InviteRequest, InviteResponse, InviteUserRequest,
    InviteUserResponse, CancelInviteRequest, CancelInviteUserRequest>;

// The element name of the primitive a Primitive holds ("Login-Request", ...; for an unknown
// primitive, the name it came with).
[[nodiscard]] std::string_view primitive_name(const Primitive& p);

}  // namespace onesoup::imps::model
