// Jid: an XMPP address, localpart@domainpart/resourcepart (RFC 7622).
#pragma once

#include <compare>
#include <cstddef>
#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

namespace onesoup::xmpp {

// An XMPP address (RFC 7622 section 3). The localpart and resourcepart are optional; the
// domainpart is required. Values are stored in normalized form (ASCII letters of the localpart
// and domainpart lowercased, one trailing dot of the domain removed), so == compares addresses.
//
// Without a PRECIS library the checks are the ones RFC 7622 makes obvious: each part is valid
// UTF-8, non-empty when present and at most 1023 bytes (section 3.1); the localpart excludes
// " & ' / : < > @, spaces and controls (section 3.3.1); the domainpart is a DNS name of labels of
// letters, digits, '-' and non-ASCII, or an IP literal in [] (section 3.2); the resourcepart
// excludes control characters (section 3.4, FreeformClass). Full Unicode case folding and
// normalization (NFC) are not done: non-ASCII parts are compared byte for byte.
class Jid {
  public:
    // The longest part RFC 7622 section 3.1 allows, in bytes.
    static constexpr std::size_t max_part_bytes = 1023;

    Jid() = default;

    // Parses "local@domain/resource" (RFC 7622 section 3.1: the first '/' starts the
    // resourcepart; the first '@' before it ends the localpart).
    static Result<Jid> parse(std::string_view text);

    // Builds a JID from its parts (empty local or resource = absent), with the same checks.
    static Result<Jid> make(std::string_view local, std::string_view domain,
                            std::string_view resource = {});

    [[nodiscard]] const std::string& local() const { return local_; }
    [[nodiscard]] const std::string& domain() const { return domain_; }
    [[nodiscard]] const std::string& resource() const { return resource_; }

    // True if there is no resourcepart (RFC 6120 section 1.4 "bare JID").
    [[nodiscard]] bool is_bare() const { return resource_.empty(); }
    // True if no domain has been set (a default-constructed Jid).
    [[nodiscard]] bool empty() const { return domain_.empty(); }

    // This address without its resourcepart.
    [[nodiscard]] Jid bare() const;
    // This address with another resourcepart (checked like parse()).
    [[nodiscard]] Result<Jid> with_resource(std::string_view resource) const;

    // "local@domain/resource", omitting absent parts.
    [[nodiscard]] std::string str() const;
    // "local@domain".
    [[nodiscard]] std::string bare_str() const;

    friend bool operator==(const Jid&, const Jid&) = default;
    friend std::strong_ordering operator<=>(const Jid&, const Jid&) = default;

  private:
    std::string local_;
    std::string domain_;
    std::string resource_;
};

}  // namespace onesoup::xmpp
