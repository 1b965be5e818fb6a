#include "onesoup/imps/model/status_code.hpp"

#include <algorithm>
#include <array>

namespace onesoup::imps::model {

namespace {

// CSP 1.2 status codes; names follow the spec wording as S60 and Android carry it.
constexpr std::array kCodes{
    StatusCodeInfo{100, "Continue"},
    StatusCodeInfo{101, "Request queued"},
    StatusCodeInfo{102, "Request started"},
    StatusCodeInfo{200, "Successful"},
    StatusCodeInfo{201, "Partially successful"},
    StatusCodeInfo{202, "Accepted"},
    StatusCodeInfo{400, "Bad request"},
    StatusCodeInfo{401, "Unauthorized"},
    StatusCodeInfo{402, "Bad parameter"},
    StatusCodeInfo{403, "Forbidden"},
    StatusCodeInfo{404, "Not found"},
    StatusCodeInfo{405, "Service not supported"},
    StatusCodeInfo{408, "Request timeout"},
    StatusCodeInfo{409, "Invalid password"},
    StatusCodeInfo{410, "Unable to deliver"},
    StatusCodeInfo{415, "Unsupported media type"},
    StatusCodeInfo{420, "Invalid transaction"},
    StatusCodeInfo{422, "UserID and ClientID do not match"},
    StatusCodeInfo{423, "Invalid invitation ID"},
    StatusCodeInfo{424, "Invalid search ID"},
    StatusCodeInfo{425, "Invalid search index"},
    StatusCodeInfo{426, "Invalid message ID"},
    StatusCodeInfo{431, "Unauthorized group membership"},
    StatusCodeInfo{432, "Response too large"},
    StatusCodeInfo{500, "Internal server or network error"},
    StatusCodeInfo{501, "Not implemented"},
    StatusCodeInfo{503, "Service unavailable"},
    StatusCodeInfo{504, "Timeout"},
    StatusCodeInfo{505, "Version not supported"},
    StatusCodeInfo{506, "Service not agreed"},
    StatusCodeInfo{507, "Message queue full"},
    StatusCodeInfo{516, "Domain not supported"},
    StatusCodeInfo{521, "Unresponded presence request"},
    StatusCodeInfo{522, "Unresponded group request"},
    StatusCodeInfo{531, "Unknown user"},
    StatusCodeInfo{532, "Recipient blocked the sender"},
    StatusCodeInfo{533, "Message recipient not logged in"},
    StatusCodeInfo{534, "Message recipient unauthorized"},
    StatusCodeInfo{535, "Search timed out"},
    StatusCodeInfo{536, "Too many hits"},
    StatusCodeInfo{537, "Too broad search criteria"},
    StatusCodeInfo{538, "Message has been rejected"},
    StatusCodeInfo{540, "Header encoding not supported"},
    StatusCodeInfo{541, "Message has been forwarded"},
    StatusCodeInfo{542, "Message has expired"},
    StatusCodeInfo{543, "No matching digest scheme supported"},
    StatusCodeInfo{600, "Session expired"},
    StatusCodeInfo{601, "Forced logout"},
    StatusCodeInfo{603, "Already logged in"},
    StatusCodeInfo{604, "Invalid session (not logged in)"},
    StatusCodeInfo{605, "New value not accepted"},
    StatusCodeInfo{700, "Contact list does not exist"},
    StatusCodeInfo{701, "Contact list already exists"},
    StatusCodeInfo{702, "Invalid or unsupported user properties"},
    StatusCodeInfo{750, "Invalid or unsupported presence attribute"},
    StatusCodeInfo{751, "Invalid or unsupported presence value"},
    StatusCodeInfo{752, "Invalid or unsupported contact list property"},
    StatusCodeInfo{753, "The maximum number of contact lists has been reached"},
    StatusCodeInfo{754, "The maximum number of contacts has been reached"},
    StatusCodeInfo{755, "The maximum number of attribute lists has been reached"},
    StatusCodeInfo{760, "Automatic subscription or unsubscription is not supported"},
    StatusCodeInfo{800, "Group does not exist"},
    StatusCodeInfo{801, "Group already exists"},
    StatusCodeInfo{802, "Group is open"},
    StatusCodeInfo{803, "Group is closed"},
    StatusCodeInfo{804, "Group is public"},
    StatusCodeInfo{805, "Group is private"},
    StatusCodeInfo{806, "Invalid or unsupported group properties"},
    StatusCodeInfo{807, "Group is already joined"},
    StatusCodeInfo{808, "Group is not joined"},
    StatusCodeInfo{809, "Rejected"},
    StatusCodeInfo{810, "Not a group member"},
    StatusCodeInfo{811, "Screen name already in use"},
    StatusCodeInfo{812, "Private messaging is disabled for the group"},
    StatusCodeInfo{813, "Private messaging is disabled for the user"},
    StatusCodeInfo{814, "The maximum number of groups has been reached for the user"},
    StatusCodeInfo{815, "The maximum number of groups has been reached for the server"},
    StatusCodeInfo{816, "Insufficient group privileges"},
    StatusCodeInfo{817, "The maximum number of joined users has been reached"},
    StatusCodeInfo{821, "History is not supported"},
    StatusCodeInfo{822, "Cannot have a searchable group without name or topic"},
    StatusCodeInfo{900, "Multiple errors"},
    StatusCodeInfo{901, "General address error"},
    StatusCodeInfo{902, "Not enough credit to complete the requested operation"},
    StatusCodeInfo{903, "Operation requires a higher class of service"},
    StatusCodeInfo{920, "MSISDN error"},
};

static_assert(std::is_sorted(kCodes.begin(), kCodes.end(),
                             [](const auto& a, const auto& b) { return a.code < b.code; }));

const StatusCodeInfo* find(int code) {
    auto it = std::lower_bound(kCodes.begin(), kCodes.end(), code,
                               [](const StatusCodeInfo& s, int c) { return s.code < c; });
    return it != kCodes.end() && it->code == code ? &*it : nullptr;
}

}  // namespace

std::span<const StatusCodeInfo> status_codes() {
    return kCodes;
}

std::string_view status_name(int code) {
    if (const auto* info = find(code)) return info->name;
    switch (code / 100) {
        case 1:
            return "Informational";
        case 2:
            return "Successful";
        case 4:
            return "Client error";
        case 5:
            return "Server error";
        case 6:
            return "Session error";
        case 7:
            return "Presence and contact list error";
        case 8:
            return "Group error";
        case 9:
            return "General error";
        default:
            return {};
    }
}

bool is_known_status(int code) {
    return find(code) != nullptr;
}

}  // namespace onesoup::imps::model
