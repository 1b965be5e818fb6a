#include "onesoup/gateway/mapping.hpp"

#include "onesoup/imps/model/login_digest.hpp"
#include "onesoup/imps/model/status_code.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace onesoup::gateway {

namespace {

namespace model = imps::model;

// XEP-0106 table 1: the characters and their escapes.
constexpr std::array<std::pair<char, std::string_view>, 10> escapes{{
    {' ', "20"},
    {'"', "22"},
    {'&', "26"},
    {'\'', "27"},
    {'/', "2f"},
    {':', "3a"},
    {'<', "3c"},
    {'>', "3e"},
    {'@', "40"},
    {'\\', "5c"},
}};

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string_view strip_wv(std::string_view id) {
    if (id.size() >= 3 && iequals(id.substr(0, 3), "wv:")) id.remove_prefix(3);
    return id;
}

// The escape code (two hex digits, lower case) at `s`, if it is one of the table's.
std::optional<char> escaped_char_at(std::string_view s) {
    if (s.size() < 2) return std::nullopt;
    const std::string code = lower(s.substr(0, 2));
    for (const auto& [c, e] : escapes)
        if (e == code) return c;
    return std::nullopt;
}

bool list_name_safe(unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~' || c == ' ';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Reads `n` decimal digits at s[pos].
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

std::string escape_node(std::string_view local) {
    std::string out;
    out.reserve(local.size());
    for (std::size_t i = 0; i < local.size(); ++i) {
        const char c = local[i];
        // XEP-0106 4.2: a backslash is escaped only where it would be read as an escape.
        if (c == '\\' && !escaped_char_at(local.substr(i + 1))) {
            out.push_back(c);
            continue;
        }
        bool done = false;
        for (const auto& [ch, code] : escapes) {
            if (ch == c) {
                out.push_back('\\');
                out.append(code);
                done = true;
                break;
            }
        }
        if (!done) out.push_back(c);
    }
    return out;
}

std::string unescape_node(std::string_view local) {
    std::string out;
    out.reserve(local.size());
    for (std::size_t i = 0; i < local.size(); ++i) {
        if (local[i] == '\\') {
            if (auto c = escaped_char_at(local.substr(i + 1))) {
                out.push_back(*c);
                i += 2;
                continue;
            }
        }
        out.push_back(local[i]);
    }
    return out;
}

Result<xmpp::Jid> user_id_to_jid(std::string_view user_id, std::string_view default_domain) {
    std::string_view id = strip_wv(user_id);
    std::string_view user = id;
    std::string_view domain = default_domain;
    // The last '@' separates the domain: an '@' inside the user part is escaped as \40.
    if (const auto at = id.rfind('@'); at != std::string_view::npos) {
        user = id.substr(0, at);
        domain = id.substr(at + 1);
    }
    if (user.empty()) return make_error("user id has no user part: " + std::string(user_id));
    auto jid = xmpp::Jid::make(escape_node(lower(user)), domain);
    if (!jid) return make_error("user id " + std::string(user_id) + ": " + jid.error().message);
    return jid;
}

std::string jid_to_user_id(const xmpp::Jid& jid) {
    if (jid.local().empty()) return "wv:" + jid.domain();
    return "wv:" + unescape_node(jid.local()) + "@" + jid.domain();
}

std::string contact_list_id(std::string_view owner, std::string_view group) {
    std::string_view id = strip_wv(owner);
    const auto at = id.rfind('@');
    const std::string_view user = at == std::string_view::npos ? id : id.substr(0, at);
    const std::string_view domain =
        at == std::string_view::npos ? std::string_view{} : id.substr(at + 1);
    std::string out = "wv:";
    out.append(lower(user)).push_back('/');
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char c : group) {
        const auto u = static_cast<unsigned char>(c);
        if (list_name_safe(u)) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 0x0f]);
        }
    }
    if (!domain.empty()) out.append("@").append(lower(domain));
    return out;
}

std::optional<std::string> group_of_contact_list(std::string_view owner, std::string_view list_id) {
    std::string_view id = strip_wv(list_id);
    const auto slash = id.find('/');
    if (slash == std::string_view::npos) {
        // COMPAT: some clients name a list by its bare name.
        if (id.empty() || id.find('@') != std::string_view::npos) return std::nullopt;
        return percent_decode(id);
    }
    const std::string_view user = id.substr(0, slash);
    std::string_view rest = id.substr(slash + 1);
    std::string_view domain;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        domain = rest.substr(at + 1);
        rest = rest.substr(0, at);
    }
    std::string_view own = strip_wv(owner);
    const auto oat = own.rfind('@');
    const std::string_view own_user = oat == std::string_view::npos ? own : own.substr(0, oat);
    const std::string_view own_domain =
        oat == std::string_view::npos ? std::string_view{} : own.substr(oat + 1);
    if (!iequals(user, own_user)) return std::nullopt;
    if (!domain.empty() && !iequals(domain, own_domain)) return std::nullopt;
    if (rest.empty()) return std::nullopt;
    return percent_decode(rest);
}

PresenceState merge_presence(PresenceState current, const model::PresenceSubList& update) {
    if (update.online_status && update.online_status->value)
        current.online = *update.online_status->value;
    if (update.user_availability && update.user_availability->value)
        current.availability = *update.user_availability->value;
    if (update.status_text && update.status_text->value)
        current.status_text = *update.status_text->value;
    return current;
}

xmpp::Element presence_stanza(const PresenceState& state) {
    xmpp::Element p("presence", xmpp::ns::client);
    if (!state.online) {
        p.set_attr("type", "unavailable");
        if (!state.status_text.empty())
            p.add_text_child("status", xmpp::ns::client, state.status_text);
        return p;
    }
    switch (state.availability) {
        case model::UserAvailability::available:
            break;
        case model::UserAvailability::discreet:
            p.add_text_child("show", xmpp::ns::client, "dnd");
            break;
        case model::UserAvailability::not_available:
            p.add_text_child("show", xmpp::ns::client, "away");
            break;
    }
    if (!state.status_text.empty()) p.add_text_child("status", xmpp::ns::client, state.status_text);
    return p;
}

PresenceState presence_state_of(const xmpp::Element& presence) {
    PresenceState s;
    if (const auto* status = presence.child("status", xmpp::ns::client))
        s.status_text = status->text;
    if (presence.attr("type") == "unavailable") {
        s.online = false;
        s.availability = model::UserAvailability::not_available;
        return s;
    }
    const auto* show = presence.child("show", xmpp::ns::client);
    const std::string_view v = show != nullptr ? std::string_view(show->text) : "";
    if (v == "away" || v == "xa")
        s.availability = model::UserAvailability::not_available;
    else if (v == "dnd")
        s.availability = model::UserAvailability::discreet;
    else
        s.availability = model::UserAvailability::available;
    return s;
}

model::PresenceSubList presence_sub_list(const PresenceState& state) {
    model::PresenceSubList l;
    l.online_status = model::OnlineStatus{};
    l.online_status->qualifier = true;
    l.online_status->value = state.online;
    l.user_availability = model::UserAvailabilityAttribute{};
    l.user_availability->qualifier = true;
    l.user_availability->value = state.availability;
    if (!state.status_text.empty()) {
        l.status_text = model::StatusText{};
        l.status_text->qualifier = true;
        l.status_text->value = state.status_text;
    }
    model::CommC im;
    im.cap = "IM";
    im.status = state.online ? "OPEN" : "CLOSED";
    l.comm_cap = model::CommCap{};
    l.comm_cap->qualifier = true;
    l.comm_cap->caps.push_back(std::move(im));
    return l;
}

std::vector<std::string> split_utf8(std::string_view text, std::int64_t max_bytes) {
    std::vector<std::string> out;
    if (max_bytes <= 0 || text.size() <= static_cast<std::uint64_t>(max_bytes)) {
        out.emplace_back(text);
        return out;
    }
    const auto max = static_cast<std::size_t>(max_bytes);
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = start + max;
        if (end >= text.size()) {
            out.emplace_back(text.substr(start));
            break;
        }
        // Back up to the start of a character (never cut before a continuation byte).
        while (end > start && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
        if (end == start) {
            // One character longer than the limit: it goes alone rather than cut.
            end = start + 1;
            while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
                ++end;
        }
        out.emplace_back(text.substr(start, end - start));
        start = end;
    }
    return out;
}

std::string csp_date_time(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    const int n =
        std::snprintf(buf.data(), buf.size(), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::optional<std::string> csp_date_time_from_xmpp(std::string_view s) {
    // XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss](Z|(+|-)hh:mm)
    const auto y = digits(s, 0, 4);
    const auto mo = digits(s, 5, 2);
    const auto d = digits(s, 8, 2);
    const auto h = digits(s, 11, 2);
    const auto mi = digits(s, 14, 2);
    const auto se = digits(s, 17, 2);
    if (!y || !mo || !d || !h || !mi || !se || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':')
        return std::nullopt;
    if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60)
        return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
    std::int64_t offset = 0;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        const auto oh = digits(s, pos + 1, 2);
        const auto om = digits(s, pos + 4, 2);
        if (!oh || !om || s.size() != pos + 6 || s[pos + 3] != ':') return std::nullopt;
        offset = (*oh * 60 + *om) * 60 * (s[pos] == '-' ? -1 : 1);
    } else if (!(pos + 1 == s.size() && s[pos] == 'Z')) {
        return std::nullopt;
    }
    const std::int64_t days =
        days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
    const std::int64_t unix = days * 86400 + *h * 3600 + *mi * 60 + *se - offset;
    return csp_date_time(unix);
}

std::optional<RosterItem> roster_item_of(const xmpp::Element& item) {
    auto jid = xmpp::Jid::parse(item.attr("jid"));
    if (!jid) return std::nullopt;
    RosterItem r;
    r.jid = jid->bare();
    r.name = std::string(item.attr("name"));
    if (item.has_attr("subscription")) r.subscription = std::string(item.attr("subscription"));
    r.ask = item.attr("ask") == "subscribe";
    for (const auto& c : item.children)
        if (c.is("group", xmpp::ns::roster) && !c.text.empty()) r.groups.push_back(c.text);
    return r;
}

xmpp::Element roster_query_set(const RosterItem& item) {
    xmpp::Element q("query", xmpp::ns::roster);
    auto& i = q.add_child("item", xmpp::ns::roster);
    i.set_attr("jid", item.jid.bare_str());
    if (!item.name.empty()) i.set_attr("name", item.name);
    for (const auto& g : item.groups) i.add_text_child("group", xmpp::ns::roster, g);
    return q;
}

xmpp::Element roster_query_remove(const xmpp::Jid& jid) {
    xmpp::Element q("query", xmpp::ns::roster);
    q.add_child("item", xmpp::ns::roster)
        .set_attr("jid", jid.bare_str())
        .set_attr("subscription", "remove");
    return q;
}

bool in_list(const RosterItem& item, std::string_view group) {
    for (const auto& g : item.groups)
        if (g == group) return true;
    return group == default_list_name && item.groups.empty();
}

model::NickName nick_name_of(const RosterItem& item) {
    model::NickName n;
    if (!item.name.empty()) n.name = item.name;
    n.user_id = jid_to_user_id(item.jid);
    return n;
}

bool subscribed_to(const RosterItem& item) {
    return item.subscription == "to" || item.subscription == "both" || item.ask;
}

xmpp::Element chat_message(const xmpp::Jid& to, std::string_view id, std::string_view body,
                           bool receipt) {
    xmpp::Element m("message", xmpp::ns::client);
    m.set_attr("type", "chat").set_attr("to", to.str()).set_attr("id", id);
    m.add_text_child("body", xmpp::ns::client, body);
    if (receipt) m.add_child("request", receipts_ns);
    return m;
}

xmpp::Element receipt_message(const xmpp::Jid& to, std::string_view id) {
    xmpp::Element m("message", xmpp::ns::client);
    m.set_attr("to", to.str());
    m.add_child("received", receipts_ns).set_attr("id", id);
    return m;
}

bool is_chat_with_body(const xmpp::Element& message) {
    const std::string_view type = message.attr("type");
    if (!(type.empty() || type == "chat" || type == "normal")) return false;
    return message.child("body", xmpp::ns::client) != nullptr;
}

int status_for_stanza_error(std::string_view condition) {
    // RFC 6120 8.3.3 conditions, as they come back for something the phone sent.
    struct Row {
        std::string_view condition;
        int status;
    };
    static constexpr std::array<Row, 22> table{{
        {"bad-request", model::status::bad_request},
        {"conflict", model::status::bad_request},
        {"feature-not-implemented", model::status::not_implemented},
        {"forbidden", model::status::recipient_blocked_sender},
        {"gone", model::status::unknown_user},
        {"internal-server-error", model::status::internal_error},
        {"item-not-found", model::status::unknown_user},
        {"jid-malformed", model::status::unknown_user},
        {"not-acceptable", model::status::bad_parameter},
        {"not-allowed", model::status::forbidden},
        {"not-authorized", model::status::recipient_blocked_sender},
        {"payment-required", model::status::forbidden},
        {"policy-violation", model::status::recipient_blocked_sender},
        {"recipient-unavailable", model::status::recipient_not_logged_in},
        {"redirect", model::status::unable_to_deliver},
        {"registration-required", model::status::unknown_user},
        {"remote-server-not-found", model::status::unable_to_deliver},
        {"remote-server-timeout", model::status::unable_to_deliver},
        {"resource-constraint", 507},  // message queue full
        {"service-unavailable", model::status::recipient_not_logged_in},
        {"subscription-required", model::status::recipient_blocked_sender},
        {"unexpected-request", model::status::bad_request},
    }};
    for (const auto& row : table)
        if (row.condition == condition) return row.status;
    return model::status::internal_error;
}

std::string stanza_error_condition(const xmpp::Element& stanza) {
    if (const auto* error = stanza.child("error", xmpp::ns::client)) {
        for (const auto& c : error->children)
            if (c.ns == xmpp::ns::stanzas && c.name != "text") return c.name;
    }
    return "undefined-condition";
}

int status_for_login_failure(std::string_view reason) {
    // ClientStream words SASL failures "authentication failed: <condition>".
    if (reason.find("authentication failed: not-authorized") != std::string_view::npos ||
        reason.find("authentication failed: credentials-expired") != std::string_view::npos ||
        reason.find("authentication failed: account-disabled") != std::string_view::npos)
        return model::status::invalid_password;
    return model::status::service_unavailable;
}

bool digest_matches(std::string_view schema, std::string_view nonce, std::string_view password,
                    std::string_view digest_bytes) {
    const auto expected = model::login_digest(schema, nonce, password);
    return expected && constant_time_equal(*expected, digest_bytes);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    unsigned diff = a.size() == b.size() ? 0U : 1U;
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    // volatile keeps the compiler from ending the loop at the first difference.
    volatile unsigned acc = 0;
    for (std::size_t i = 0; i < n; ++i)
        acc = acc | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
    diff |= acc;
    return diff == 0;
}

}  // namespace onesoup::gateway
