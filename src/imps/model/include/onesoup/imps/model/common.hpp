// Structures shared by many primitives (CSP 1.2; content models as in the DTDs; element order
// in each table is the DTD order, which is also the order written).
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "onesoup/imps/model/enums.hpp"
#include "onesoup/imps/model/field.hpp"
#include "onesoup/imps/model/version_rules.hpp"

namespace onesoup::imps::model {

// ClientID(URL?, MSISDN?). COMPAT: the Esmertec server sent the id as plain text instead of
// <URL>; that text is kept in extras.text (see value()).
struct ClientId {
    std::optional<std::string> url;
    std::optional<std::string> msisdn;
    Extras extras;

    // The id whatever shape it came in: URL, else MSISDN, else the plain text.
    [[nodiscard]] std::string value() const {
        if (url) return *url;
        if (msisdn) return *msisdn;
        return extras.text;
    }
    static constexpr auto fields() {
        return std::tuple{field("URL", &ClientId::url), field("MSISDN", &ClientId::msisdn)};
    }
    bool operator==(const ClientId&) const = default;
};

// ScreenName(SName, GroupID): a user's nickname in a group.
struct ScreenName {
    std::string sname;
    std::string group_id;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("SName", &ScreenName::sname),
                          field("GroupID", &ScreenName::group_id)};
    }
    bool operator==(const ScreenName&) const = default;
};

// DetailedResult(Code, Description?, UserID*, GroupID*, ScreenName*, MessageID*, ...): the
// per-entity outcome in a 201 Result.
struct DetailedResult {
    Integer code = 0;
    std::optional<std::string> description;
    std::vector<std::string> user_ids;
    std::vector<std::string> group_ids;
    std::vector<ScreenName> screen_names;
    std::vector<std::string> message_ids;
    std::vector<std::string> contact_lists;
    std::vector<std::string> domains;
    Extras extras;

    static constexpr auto fields() {
        using S = DetailedResult;
        return std::tuple{field("Code", &S::code),
                          field("Description", &S::description),
                          field("UserID", &S::user_ids),
                          field("GroupID", &S::group_ids),
                          field("ScreenName", &S::screen_names),
                          field("MessageID", &S::message_ids, versions::from_1_2),
                          field("ContactList", &S::contact_lists, versions::from_1_2),
                          field("Domain", &S::domains, versions::from_1_2)};
    }
    bool operator==(const DetailedResult&) const = default;
};

// Result(Code, Description?, DetailedResult*): the outcome of a request (CSP 1.2).
struct CspResult {
    Integer code = 200;
    std::optional<std::string> description;
    std::vector<DetailedResult> detailed;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Code", &CspResult::code),
                          field("Description", &CspResult::description),
                          field("DetailedResult", &CspResult::detailed)};
    }
    bool operator==(const CspResult&) const = default;
};

// User(UserID, ClientID*, FriendlyName?).
struct User {
    std::string user_id;
    std::vector<ClientId> client_ids;
    std::optional<std::string> application_id;
    std::optional<std::string> friendly_name;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("UserID", &User::user_id), field("ClientID", &User::client_ids),
                          field("ApplicationID", &User::application_id, versions::from_1_3),
                          field("FriendlyName", &User::friendly_name, versions::from_1_2)};
    }
    bool operator==(const User&) const = default;
};

// Group(GroupID | ScreenName).
struct Group {
    std::optional<std::string> group_id;
    std::optional<ScreenName> screen_name;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("GroupID", &Group::group_id),
                          field("ScreenName", &Group::screen_name)};
    }
    bool operator==(const Group&) const = default;
};

// Sender(User | Group).
struct Sender {
    std::optional<User> user;
    std::optional<Group> group;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("User", &Sender::user), field("Group", &Sender::group)};
    }
    bool operator==(const Sender&) const = default;
};

// Recipient(User*, Group*, ContactList*).
struct Recipient {
    std::vector<User> users;
    std::vector<Group> groups;
    std::vector<std::string> contact_lists;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("User", &Recipient::users), field("Group", &Recipient::groups),
                          field("ContactList", &Recipient::contact_lists)};
    }
    bool operator==(const Recipient&) const = default;
};

// MessageInfo(MessageID?, MessageURI?, ContentType?, ContentEncoding?, ContentSize?,
// ContentName?, Recipient, Sender?, DateTime?, Validity?) (CSP 1.2).
struct MessageInfo {
    std::optional<std::string> message_id;
    std::optional<std::string> message_uri;
    std::optional<std::string> content_type;
    std::optional<std::string> content_encoding;
    std::optional<Integer> content_size;
    std::optional<std::string> content_name;
    std::optional<Recipient> recipient;
    std::optional<Sender> sender;
    std::optional<std::string> date_time;
    std::optional<Integer> validity;
    Extras extras;

    static constexpr auto fields() {
        using S = MessageInfo;
        return std::tuple{field("MessageID", &S::message_id),
                          field("MessageURI", &S::message_uri),
                          field("ContentType", &S::content_type),
                          field("ContentEncoding", &S::content_encoding),
                          field("ContentSize", &S::content_size),
                          field("ContentName", &S::content_name, versions::from_1_3),
                          field("Recipient", &S::recipient),
                          field("Sender", &S::sender),
                          field("DateTime", &S::date_time),
                          field("Validity", &S::validity)};
    }
    bool operator==(const MessageInfo&) const = default;
};

// NickName(Name, UserID): a contact list entry.
struct NickName {
    std::optional<std::string> name;
    std::string user_id;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Name", &NickName::name), field("UserID", &NickName::user_id)};
    }
    bool operator==(const NickName&) const = default;
};

// NickList / AddNickList (NickName | UserID)*.
struct NickList {
    std::vector<NickName> nicks;
    std::vector<std::string> user_ids;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("NickName", &NickList::nicks),
                          field("UserID", &NickList::user_ids)};
    }
    bool operator==(const NickList&) const = default;
};

// RemoveNickList(UserID+).
struct RemoveNickList {
    std::vector<std::string> user_ids;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("UserID", &RemoveNickList::user_ids)};
    }
    bool operator==(const RemoveNickList&) const = default;
};

// Property(Name, Value?).
struct Property {
    std::string name;
    std::optional<std::string> value;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Name", &Property::name), field("Value", &Property::value)};
    }
    bool operator==(const Property&) const = default;
};

// ContactListProperties / OwnProperties (Property*).
struct Properties {
    std::vector<Property> properties;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Property", &Properties::properties)};
    }
    bool operator==(const Properties&) const = default;
};

// WelcomeNote / Logo (ContentType?, ContentSize?, ContentEncoding?, ContentData?).
struct Content {
    std::optional<std::string> content_type;
    std::optional<Integer> content_size;
    std::optional<std::string> content_encoding;
    std::optional<std::string> content_data;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("ContentType", &Content::content_type),
                          field("ContentSize", &Content::content_size),
                          field("ContentEncoding", &Content::content_encoding),
                          field("ContentData", &Content::content_data)};
    }
    bool operator==(const Content&) const = default;
};

// GroupProperties(Property*, WelcomeNote?).
struct GroupProperties {
    std::vector<Property> properties;
    std::optional<Content> welcome_note;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Property", &GroupProperties::properties),
                          field("WelcomeNote", &GroupProperties::welcome_note)};
    }
    bool operator==(const GroupProperties&) const = default;
};

// UserList(User*, ScreenName*).
struct UserList {
    std::vector<User> users;
    std::vector<ScreenName> screen_names;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("User", &UserList::users),
                          field("ScreenName", &UserList::screen_names)};
    }
    bool operator==(const UserList&) const = default;
};

// Admin / Mod / Users (UserList).
struct UserListHolder {
    std::optional<UserList> user_list;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("UserList", &UserListHolder::user_list)};
    }
    bool operator==(const UserListHolder&) const = default;
};

// UserIDList(UserID*).
struct UserIdList {
    std::vector<std::string> user_ids;
    Extras extras;

    static constexpr auto fields() { return std::tuple{field("UserID", &UserIdList::user_ids)}; }
    bool operator==(const UserIdList&) const = default;
};

// ContactListIDList(ContactList*).
struct ContactListIdList {
    std::vector<std::string> contact_lists;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("ContactList", &ContactListIdList::contact_lists)};
    }
    bool operator==(const ContactListIdList&) const = default;
};

// GroupList(GroupID*).
struct GroupList {
    std::vector<std::string> group_ids;
    Extras extras;

    static constexpr auto fields() { return std::tuple{field("GroupID", &GroupList::group_ids)}; }
    bool operator==(const GroupList&) const = default;
};

// URLList(URL+).
struct UrlList {
    std::vector<std::string> urls;
    Extras extras;

    static constexpr auto fields() { return std::tuple{field("URL", &UrlList::urls)}; }
    bool operator==(const UrlList&) const = default;
};

// A structure holding one URL: CIRURL (1.2) / CIRHTTPAddress (1.3).
struct UrlHolder {
    std::string url;
    Extras extras;

    static constexpr auto fields() { return std::tuple{field("URL", &UrlHolder::url)}; }
    bool operator==(const UrlHolder&) const = default;
};

// EntityList / AddList / RemoveList (UserID*, ScreenName*, GroupID*).
struct EntityList {
    std::vector<std::string> user_ids;
    std::vector<ScreenName> screen_names;
    std::vector<std::string> group_ids;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("UserID", &EntityList::user_ids),
                          field("ScreenName", &EntityList::screen_names),
                          field("GroupID", &EntityList::group_ids)};
    }
    bool operator==(const EntityList&) const = default;
};

// BlockList / GrantList (InUse?, (EntityList | (AddList?, RemoveList?))?). InUse is EMPTY in
// 1.1 and T/F from 1.2, so it is kept as text.
struct AccessList {
    std::optional<std::string> in_use;
    std::optional<EntityList> entity_list;
    std::optional<EntityList> add_list;
    std::optional<EntityList> remove_list;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{
            field("InUse", &AccessList::in_use), field("EntityList", &AccessList::entity_list),
            field("AddList", &AccessList::add_list), field("RemoveList", &AccessList::remove_list)};
    }
    bool operator==(const AccessList&) const = default;
};

// Joined / Left (GroupChangeNotice, JoinGroup-Response 1.3): ScreenName* in 1.1, UserMapList
// (Joined) or UserList (Left) from 1.2. UserMapList is kept as an element tree.
struct JoinedUsers {
    std::optional<UserList> user_list;
    std::optional<codec::Element> user_map_list;
    std::vector<ScreenName> screen_names;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("UserList", &JoinedUsers::user_list),
                          field("UserMapList", &JoinedUsers::user_map_list, versions::from_1_2),
                          field("ScreenName", &JoinedUsers::screen_names)};
    }
    bool operator==(const JoinedUsers&) const = default;
};

// WVCSPFeat(FundamentalFeat?, PresenceFeat?, IMFeat?, GroupFeat?): the service tree of
// Service-Request/Response (CSP 1.2).
struct WvCspFeat {
    std::optional<FunctionList> fundamental;
    std::optional<FunctionList> presence;
    std::optional<FunctionList> im;
    std::optional<FunctionList> group;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("FundamentalFeat", &WvCspFeat::fundamental),
                          field("PresenceFeat", &WvCspFeat::presence),
                          field("IMFeat", &WvCspFeat::im), field("GroupFeat", &WvCspFeat::group)};
    }
    bool operator==(const WvCspFeat&) const = default;
};

// Functions / AllFunctions (WVCSPFeat).
struct Functions {
    WvCspFeat features;
    Extras extras;

    static constexpr auto fields() { return std::tuple{field("WVCSPFeat", &Functions::features)}; }
    bool operator==(const Functions&) const = default;
};

// CapabilityList (1.1 request and response; 1.2+ request) and AgreedCapabilityList (1.2+
// response): one structure, since the agreed list is the same elements. The CIR URL follows
// ServerPollMin as in S60's 1.2 AgreedCapabilityList.
struct CapabilityList {
    std::optional<std::string> client_type;
    std::optional<DeliveryMethod> initial_delivery_method;
    std::vector<std::string> accepted_content_types;
    std::optional<bool> any_content;
    std::vector<Integer> accepted_charsets;
    std::vector<std::string> accepted_transfer_encodings;
    std::optional<Integer> accepted_content_length;
    std::optional<Integer> accepted_pull_length;
    std::optional<Integer> accepted_push_length;
    std::optional<Integer> accepted_rich_content_length;
    std::optional<Integer> accepted_text_content_length;
    std::vector<std::string> supported_bearers;
    std::optional<Integer> multi_trans;
    std::optional<Integer> multi_trans_per_message;
    std::optional<Integer> parser_size;
    std::vector<CirMethod> supported_cir_methods;
    std::optional<Integer> udp_port;
    std::optional<std::string> tcp_address;
    std::optional<Integer> tcp_port;
    std::optional<UrlHolder> cir_url;  // CIRURL (1.2) / CIRHTTPAddress (1.3)
    std::optional<std::string> cir_sms_address;
    std::optional<Integer> server_poll_min;
    std::optional<std::string> default_language;
    Extras extras;

    static constexpr auto fields() {
        using S = CapabilityList;
        // AcceptedContentType is a structure in 1.3; there it stays an unknown element.
        return std::tuple{
            field("ClientType", &S::client_type),
            field("InitialDeliveryMethod", &S::initial_delivery_method),
            field("AcceptedContentType", &S::accepted_content_types, versions::up_to_1_2),
            field("AnyContent", &S::any_content),
            field("AcceptedCharset", &S::accepted_charsets),
            field("AcceptedTransferEncoding", &S::accepted_transfer_encodings),
            field("AcceptedContentLength", &S::accepted_content_length),
            field("AcceptedPullLength", &S::accepted_pull_length, versions::from_1_3),
            field("AcceptedPushLength", &S::accepted_push_length, versions::from_1_3),
            field("AcceptedRichContentLength", &S::accepted_rich_content_length,
                  versions::from_1_3),
            field("AcceptedTextContentLength", &S::accepted_text_content_length,
                  versions::from_1_3),
            field("SupportedBearer", &S::supported_bearers),
            field("MultiTrans", &S::multi_trans),
            field("MultiTransPerMessage", &S::multi_trans_per_message, versions::from_1_3),
            field("ParserSize", &S::parser_size),
            field("SupportedCIRMethod", &S::supported_cir_methods),
            field("UDPPort", &S::udp_port),
            field("TCPAddress", &S::tcp_address),
            field("TCPPort", &S::tcp_port),
            field("ServerPollMin", &S::server_poll_min),
            field("CIRURL", &S::cir_url, versions::only_1_2),
            field("CIRHTTPAddress", &S::cir_url, versions::from_1_3),
            field("CIRSMSAddress", &S::cir_sms_address, versions::from_1_3),
            field("DefaultLanguage", &S::default_language)};
    }
    bool operator==(const CapabilityList&) const = default;
};

}  // namespace onesoup::imps::model
