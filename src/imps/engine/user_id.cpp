// normalise_user_id (engine.hpp).
#include <cctype>

#include "onesoup/imps/engine/engine.hpp"

namespace onesoup::imps::engine {
namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Characters that cannot be part of a user id: controls, spaces, and the separators of the
// "wv:" URI form that would make the id ambiguous.
bool forbidden(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == ':';
}

}  // namespace

std::string normalise_user_id(std::string_view user_id, std::string_view default_domain) {
    std::string_view id = user_id;
    // COMPAT: phones write the scheme as "wv:" or "WV:" (S60's ClientID uses "WV:").
    if (id.size() >= 3 && lower(id[0]) == 'w' && lower(id[1]) == 'v' && id[2] == ':')
        id.remove_prefix(3);
    const auto at = id.find('@');
    std::string_view user = id.substr(0, at);
    std::string_view domain = at == std::string_view::npos ? default_domain : id.substr(at + 1);
    if (user.empty() || domain.empty()) return {};
    if (domain.find('@') != std::string_view::npos) return {};
    for (char c : user)
        if (forbidden(c)) return {};
    for (char c : domain)
        if (forbidden(c) || c == '/') return {};
    std::string out = "wv:";
    out.reserve(3 + user.size() + 1 + domain.size());
    for (char c : user) out.push_back(lower(c));
    out.push_back('@');
    for (char c : domain) out.push_back(lower(c));
    return out;
}

}  // namespace onesoup::imps::engine
