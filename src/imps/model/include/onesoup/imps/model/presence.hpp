// The presence attribute tree (PA 1.2: PresenceSubList and its attributes). The attributes the
// gateway uses are typed; the others are known but kept as element trees, in their place.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "onesoup/imps/codec/version.hpp"
#include "onesoup/imps/model/enums.hpp"
#include "onesoup/imps/model/field.hpp"
#include "onesoup/imps/model/version_rules.hpp"

namespace onesoup::imps::model {

// A presence attribute holding one value: (Qualifier?, PresenceValue?). In requests that name
// attributes (GetPresence, SubscribePresence) both are absent: <OnlineStatus/>.
template <class V>
struct SimpleAttribute {
    std::optional<bool> qualifier;
    std::optional<V> value;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Qualifier", &SimpleAttribute::qualifier),
                          field("PresenceValue", &SimpleAttribute::value)};
    }
    bool operator==(const SimpleAttribute&) const = default;
};

// OnlineStatus: T if the user is logged in (PA 1.2).
using OnlineStatus = SimpleAttribute<bool>;
// UserAvailability: AVAILABLE, DISCREET, NOT_AVAILABLE.
using UserAvailabilityAttribute = SimpleAttribute<UserAvailability>;
// StatusText: free text.
using StatusText = SimpleAttribute<std::string>;
// Alias: the user's display name.
using Alias = SimpleAttribute<std::string>;

// ClientInfo(Qualifier?, ClientType?, DevManufacturer?, ClientProducer?, Model?, ClientVersion?,
// Language*).
struct ClientInfo {
    std::optional<bool> qualifier;
    std::optional<std::string> client_type;
    std::optional<std::string> dev_manufacturer;
    std::optional<std::string> client_producer;
    std::optional<std::string> model;
    std::optional<std::string> client_version;
    std::vector<std::string> languages;
    Extras extras;

    static constexpr auto fields() {
        using S = ClientInfo;
        return std::tuple{field("Qualifier", &S::qualifier),
                          field("ClientType", &S::client_type),
                          field("DevManufacturer", &S::dev_manufacturer),
                          field("ClientProducer", &S::client_producer),
                          field("Model", &S::model),
                          field("ClientVersion", &S::client_version),
                          field("Language", &S::languages)};
    }
    bool operator==(const ClientInfo&) const = default;
};

// CommC(Cap, Status, Contact?, Note?): one communication capability (IM, CALL, SMS, ...).
struct CommC {
    std::optional<std::string> cap;
    std::optional<std::string> status;  // OPEN / CLOSED
    std::optional<std::string> contact;
    std::optional<std::string> note;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Cap", &CommC::cap), field("Status", &CommC::status),
                          field("Contact", &CommC::contact), field("Note", &CommC::note)};
    }
    bool operator==(const CommC&) const = default;
};

// CommCap(Qualifier?, CommC*).
struct CommCap {
    std::optional<bool> qualifier;
    std::vector<CommC> caps;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("Qualifier", &CommCap::qualifier), field("CommC", &CommCap::caps)};
    }
    bool operator==(const CommCap&) const = default;
};

// PresenceSubList (PA 1.2): the attributes in DTD order. Written with the PA namespace of
// the target version.
struct PresenceSubList {
    std::optional<OnlineStatus> online_status;
    std::optional<codec::Element> registration;
    std::optional<ClientInfo> client_info;
    std::optional<codec::Element> time_zone;
    std::optional<codec::Element> geo_location;
    std::optional<codec::Element> address;
    std::optional<codec::Element> free_text_location;
    std::optional<codec::Element> plmn;
    std::optional<CommCap> comm_cap;
    std::optional<UserAvailabilityAttribute> user_availability;
    std::optional<codec::Element> preferred_contacts;
    std::optional<codec::Element> preferred_language;
    std::optional<StatusText> status_text;
    std::optional<codec::Element> status_mood;
    std::optional<Alias> alias;
    std::optional<codec::Element> status_content;
    std::optional<codec::Element> contact_info;
    std::optional<codec::Element> info_link;
    Extras extras;

    static constexpr codec::NamespaceKind xmlns_kind = codec::NamespaceKind::pa;
    static constexpr auto fields() {
        using S = PresenceSubList;
        return std::tuple{field("OnlineStatus", &S::online_status),
                          field("Registration", &S::registration),
                          field("ClientInfo", &S::client_info),
                          field("TimeZone", &S::time_zone),
                          field("GeoLocation", &S::geo_location),
                          field("Address", &S::address),
                          field("FreeTextLocation", &S::free_text_location),
                          field("PLMN", &S::plmn),
                          field("CommCap", &S::comm_cap),
                          field("UserAvailability", &S::user_availability),
                          field("PreferredContacts", &S::preferred_contacts),
                          field("PreferredLanguage", &S::preferred_language),
                          field("StatusText", &S::status_text),
                          field("StatusMood", &S::status_mood),
                          field("Alias", &S::alias),
                          field("StatusContent", &S::status_content),
                          field("ContactInfo", &S::contact_info),
                          field("InfoLink", &S::info_link, versions::from_1_2)};
    }
    bool operator==(const PresenceSubList&) const = default;
};

// Presence((UserID | ContactList), PresenceSubList*): one user's (or list's) presence.
struct Presence {
    std::optional<std::string> user_id;
    std::optional<std::string> contact_list;
    std::vector<PresenceSubList> sub_lists;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("UserID", &Presence::user_id),
                          field("ContactList", &Presence::contact_list),
                          field("PresenceSubList", &Presence::sub_lists)};
    }
    bool operator==(const Presence&) const = default;
};

}  // namespace onesoup::imps::model
