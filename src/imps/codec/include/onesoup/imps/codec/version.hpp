// CSP versions, their namespaces, WBXML public ids and HTTP content types (reference notes §1).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace onesoup::imps::codec {

enum class CspVersion : std::uint8_t { v1_1, v1_2, v1_3 };
enum class Encoding : std::uint8_t { xml, wbxml };

// Which of the three namespaces of a CSP version: the root (CSP), TransactionContent (TRC) or
// PresenceSubList (PA).
enum class NamespaceKind : std::uint8_t { csp, trc, pa };

// "1.1", "1.2", "1.3".
[[nodiscard]] std::string_view version_text(CspVersion v);
[[nodiscard]] std::optional<CspVersion> parse_version_text(std::string_view text);

// The namespace URI of a kind in a version, e.g. (v1_2, trc) ->
// "http://www.openmobilealliance.org/DTD/WV-TRC1.2".
[[nodiscard]] std::string_view namespace_uri(CspVersion v, NamespaceKind kind);
// The version a namespace URI of any kind belongs to, if it is one of CSP's.
[[nodiscard]] std::optional<CspVersion> version_of_namespace(std::string_view uri);
[[nodiscard]] std::optional<NamespaceKind> kind_of_namespace(std::string_view uri);

// WBXML public identifiers: 0x10, 0x11, 0x12.
[[nodiscard]] std::uint32_t wbxml_public_id(CspVersion v);
[[nodiscard]] std::optional<CspVersion> version_of_public_id(std::uint32_t public_id);

// The HTTP content type to answer with: application/vnd.wv.csp.xml|wbxml for 1.1 and 1.2,
// application/vnd.wv.csp+xml|+wbxml for 1.3.
[[nodiscard]] std::string_view content_type(CspVersion v, Encoding e);
// The encoding a Content-Type header names (parameters ignored), if it is one of the four.
[[nodiscard]] std::optional<Encoding> encoding_of_content_type(std::string_view content_type);

}  // namespace onesoup::imps::codec
