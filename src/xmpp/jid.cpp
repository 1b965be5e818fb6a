#include "onesoup/xmpp/jid.hpp"

#include <cstdint>

#include "onesoup/core/utf8.hpp"

namespace onesoup::xmpp {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] (its code point in cp), or 0.
std::size_t utf8_length(std::string_view s, std::size_t i, char32_t& cp) {
    const auto d = utf8::decode(s, i);
    cp = d.cp;
    return d.len;
}

bool is_control(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

Result<std::string> check_local(std::string_view s) {
    if (s.empty()) return make_error("JID localpart is empty");
    if (s.size() > Jid::max_part_bytes)
        return make_error("JID localpart is longer than 1023 bytes");
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        std::size_t n = utf8_length(s, i, cp);
        if (n == 0) return make_error("JID localpart is not valid UTF-8", i);
        // RFC 7622 3.3.1 excludes these eight; spaces and controls are not PVALID in the
        // IdentifierClass (RFC 8264 9.1).
        if (is_control(cp) || cp == ' ' || cp == '"' || cp == '&' || cp == '\'' || cp == '/' ||
            cp == ':' || cp == '<' || cp == '>' || cp == '@' || cp == 0xA0) {
            return make_error("JID localpart contains a forbidden character", i);
        }
        for (std::size_t k = 0; k < n; ++k) out.push_back(ascii_lower(s[i + k]));
        i += n;
    }
    return out;
}

Result<std::string> check_domain(std::string_view s) {
    // RFC 7622 3.2: a single trailing dot is removed before any other processing.
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.empty()) return make_error("JID domainpart is empty");
    if (s.size() > Jid::max_part_bytes)
        return make_error("JID domainpart is longer than 1023 bytes");
    if (s.front() == '[') {
        // IP literal (RFC 3986 IP-literal, IPv6): hex digits, ':' and '.' inside brackets.
        if (s.size() < 3 || s.back() != ']')
            return make_error("JID domainpart has a bad IP literal");
        for (std::size_t i = 1; i + 1 < s.size(); ++i) {
            char c = s[i];
            bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                      c == ':' || c == '.';
            if (!ok) return make_error("JID domainpart has a bad IP literal", i);
        }
        std::string out;
        for (char c : s) out.push_back(ascii_lower(c));
        return out;
    }
    std::string out;
    out.reserve(s.size());
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= s.size();) {
        if (i == s.size() || s[i] == '.') {
            std::size_t len = i - label_start;
            if (len == 0) return make_error("JID domainpart has an empty label", i);
            if (len > 63) return make_error("JID domainpart has a label longer than 63 bytes", i);
            if (s[label_start] == '-' || s[i - 1] == '-') {
                return make_error("JID domainpart has a label starting or ending with '-'", i);
            }
            if (i == s.size()) break;
            out.push_back('.');
            label_start = ++i;
            continue;
        }
        char32_t cp = 0;
        std::size_t n = utf8_length(s, i, cp);
        if (n == 0) return make_error("JID domainpart is not valid UTF-8", i);
        bool ok = cp >= 0x80 ? !is_control(cp) && cp != 0xA0 && cp != 0x3002 && cp != 0xFF0E
                             : ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                                (cp >= '0' && cp <= '9') || cp == '-' || cp == '_');
        if (!ok) return make_error("JID domainpart contains a forbidden character", i);
        for (std::size_t k = 0; k < n; ++k) out.push_back(ascii_lower(s[i + k]));
        i += n;
    }
    return out;
}

Result<std::string> check_resource(std::string_view s) {
    if (s.empty()) return make_error("JID resourcepart is empty");
    if (s.size() > Jid::max_part_bytes) {
        return make_error("JID resourcepart is longer than 1023 bytes");
    }
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        std::size_t n = utf8_length(s, i, cp);
        if (n == 0) return make_error("JID resourcepart is not valid UTF-8", i);
        if (is_control(cp)) return make_error("JID resourcepart contains a control character", i);
        i += n;
    }
    return std::string(s);
}

}  // namespace

Result<Jid> Jid::make(std::string_view local, std::string_view domain, std::string_view resource) {
    Jid jid;
    if (!local.empty()) {
        auto l = check_local(local);
        if (!l) return l.error();
        jid.local_ = std::move(*l);
    }
    auto d = check_domain(domain);
    if (!d) return d.error();
    jid.domain_ = std::move(*d);
    if (!resource.empty()) {
        auto r = check_resource(resource);
        if (!r) return r.error();
        jid.resource_ = std::move(*r);
    }
    return jid;
}

Result<Jid> Jid::parse(std::string_view text) {
    if (text.size() > 3 * max_part_bytes + 2) return make_error("JID is too long");
    std::string_view rest = text;
    std::string_view resource;
    bool has_resource = false;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        resource = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        has_resource = true;
    }
    std::string_view local;
    bool has_local = false;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        local = rest.substr(0, at);
        rest = rest.substr(at + 1);
        has_local = true;
    }
    // "@domain" and "domain/" are not JIDs (RFC 7622 3.1: a separator means a non-empty part).
    if (has_local && local.empty()) return make_error("JID localpart is empty", 0);
    if (has_resource && resource.empty())
        return make_error("JID resourcepart is empty", text.size());
    auto jid = make(local, rest, resource);
    if (!jid) {
        Error e = jid.error();
        if (e.offset != Error::npos) {
            // Make the offset relative to the whole text.
            std::size_t base = 0;
            if (e.message.find("domainpart") != std::string::npos) {
                base = has_local ? local.size() + 1 : 0;
            } else if (e.message.find("resourcepart") != std::string::npos) {
                base = text.size() - resource.size();
            }
            e.offset += base;
        }
        return e;
    }
    return jid;
}

Jid Jid::bare() const {
    Jid j = *this;
    j.resource_.clear();
    return j;
}

Result<Jid> Jid::with_resource(std::string_view resource) const {
    if (resource.empty()) return bare();
    auto r = check_resource(resource);
    if (!r) return r.error();
    Jid j = *this;
    j.resource_ = std::move(*r);
    return j;
}

std::string Jid::bare_str() const {
    if (local_.empty()) return domain_;
    std::string s;
    s.reserve(local_.size() + 1 + domain_.size());
    s.append(local_).append(1, '@').append(domain_);
    return s;
}

std::string Jid::str() const {
    std::string s = bare_str();
    if (!resource_.empty()) s.append(1, '/').append(resource_);
    return s;
}

}  // namespace onesoup::xmpp
