#include "onesoup/imps/codec/version.hpp"

#include <array>
#include <cctype>
#include <string>

namespace onesoup::imps::codec {

namespace {

// Indexed [version][kind]; see reference notes §1.
constexpr std::array<std::array<std::string_view, 3>, 3> kNamespaces{{
    {"http://www.wireless-village.org/CSP1.1", "http://www.wireless-village.org/TRC1.1",
     "http://www.wireless-village.org/PA1.1"},
    {"http://www.openmobilealliance.org/DTD/WV-CSP1.2",
     "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
     "http://www.openmobilealliance.org/DTD/WV-PA1.2"},
    {"http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
     "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
     "http://www.openmobilealliance.org/DTD/IMPS-PA1.3"},
}};

constexpr std::size_t idx(CspVersion v) { return static_cast<std::size_t>(v); }

}  // namespace

std::string_view version_text(CspVersion v) {
    switch (v) {
        case CspVersion::v1_1: return "1.1";
        case CspVersion::v1_2: return "1.2";
        case CspVersion::v1_3: return "1.3";
    }
    return "1.2";
}

std::optional<CspVersion> parse_version_text(std::string_view text) {
    if (text == "1.1") return CspVersion::v1_1;
    if (text == "1.2") return CspVersion::v1_2;
    if (text == "1.3") return CspVersion::v1_3;
    return std::nullopt;
}

std::string_view namespace_uri(CspVersion v, NamespaceKind kind) {
    return kNamespaces[idx(v)][static_cast<std::size_t>(kind)];
}

std::optional<CspVersion> version_of_namespace(std::string_view uri) {
    for (std::size_t v = 0; v < kNamespaces.size(); ++v)
        for (auto ns : kNamespaces[v])
            if (ns == uri) return static_cast<CspVersion>(v);
    return std::nullopt;
}

std::optional<NamespaceKind> kind_of_namespace(std::string_view uri) {
    for (const auto& row : kNamespaces)
        for (std::size_t k = 0; k < row.size(); ++k)
            if (row[k] == uri) return static_cast<NamespaceKind>(k);
    return std::nullopt;
}

std::uint32_t wbxml_public_id(CspVersion v) { return 0x10u + static_cast<std::uint32_t>(idx(v)); }

std::optional<CspVersion> version_of_public_id(std::uint32_t public_id) {
    if (public_id >= 0x10 && public_id <= 0x12) return static_cast<CspVersion>(public_id - 0x10);
    return std::nullopt;
}

std::string_view content_type(CspVersion v, Encoding e) {
    if (v == CspVersion::v1_3)
        return e == Encoding::xml ? "application/vnd.wv.csp+xml" : "application/vnd.wv.csp+wbxml";
    return e == Encoding::xml ? "application/vnd.wv.csp.xml" : "application/vnd.wv.csp.wbxml";
}

std::optional<Encoding> encoding_of_content_type(std::string_view ct) {
    if (auto semi = ct.find(';'); semi != std::string_view::npos) ct = ct.substr(0, semi);
    while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
    while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
    std::string lower(ct);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "application/vnd.wv.csp.xml" || lower == "application/vnd.wv.csp+xml")
        return Encoding::xml;
    if (lower == "application/vnd.wv.csp.wbxml" || lower == "application/vnd.wv.csp+wbxml")
        return Encoding::wbxml;
    return std::nullopt;
}

}  // namespace onesoup::imps::codec
