// The CSP envelope (CSP 1.2: WV-CSP-Message / Session / Transaction) and the conversion
// between an element tree and the typed model.
//
// Unknown input rule:
// - an unknown child element inside a known primitive or structure is kept verbatim (in that
//   structure's `extras`) and written back after the known children when the same version is
//   written; it is not written into another version;
// - an unknown primitive becomes an UnknownPrimitive holding its element, so the engine can
//   answer it with one standard error;
// - a known element with an invalid value (an integer that is not one, T/F expected, an unknown
//   enum name) or a missing required element is an Error whose message names the element path
//   (e.g. "WV-CSP-Message/Session/Transaction[1]/TransactionContent/Login-Request/TimeToLive:
//   expected an integer, got \"abc\"");
// - an element that does not exist in the version written is not written (e.g. CIR to a 1.1
//   peer, CIRURL to a 1.3 peer, ClientID in ClientCapability-Request to a 1.2 peer);
// - stray non-whitespace text inside a structure is kept (in extras.text) like an unknown element.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "onesoup/core/result.hpp"
#include "onesoup/imps/codec/element.hpp"
#include "onesoup/imps/codec/version.hpp"
#include "onesoup/imps/model/enums.hpp"
#include "onesoup/imps/model/field.hpp"
#include "onesoup/imps/model/primitives.hpp"

namespace onesoup::imps::model {

// SessionDescriptor(SessionType, SessionID?).
struct SessionDescriptor {
    SessionType type = SessionType::inband;
    std::optional<std::string> session_id;
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("SessionType", &SessionDescriptor::type),
                          field("SessionID", &SessionDescriptor::session_id)};
    }
    bool operator==(const SessionDescriptor&) const = default;
};

// TransactionDescriptor(TransactionMode, TransactionID?, Poll?) in 1.1;
// (TransactionMode, TransactionID) from 1.2, where Poll moved to Session.
struct TransactionDescriptor {
    TransactionMode mode = TransactionMode::request;
    std::optional<std::string> id;  // opaque: echo it byte for byte
    std::optional<bool> poll;       // 1.1 only; see Message::poll
    Extras extras;

    static constexpr auto fields() {
        return std::tuple{field("TransactionMode", &TransactionDescriptor::mode),
                          field("TransactionID", &TransactionDescriptor::id),
                          field("Poll", &TransactionDescriptor::poll, versions::only_1_1)};
    }
    bool operator==(const TransactionDescriptor&) const = default;
};

// Transaction(TransactionDescriptor, TransactionContent{one primitive}).
struct Transaction {
    TransactionDescriptor descriptor;
    Primitive content;
    Extras extras;          // unknown children of Transaction
    Extras content_extras;  // stray text of TransactionContent

    bool operator==(const Transaction&) const = default;
};

// WV-CSP-Message / Session: the whole document. `version` is the version it was read in;
// to_tree takes the version to write explicitly.
struct Message {
    CspVersion version = CspVersion::v1_2;
    SessionDescriptor session;
    std::vector<Transaction> transactions;
    std::optional<bool> poll;  // Session/Poll (1.2+); written into each transaction for 1.1
    std::optional<bool> cir;   // Session/CIR (1.2+); not written for 1.1
    Extras extras;             // unknown children of Session
    Extras root_extras;        // unknown children of WV-CSP-Message

    bool operator==(const Message&) const = default;
};

// Converts a WV-CSP-Message tree of CSP version `version` (as the codec detected it) to the
// model. Errors name the element path.
[[nodiscard]] Result<Message> from_tree(const codec::Element& root, CspVersion version);

// Converts the model to a WV-CSP-Message tree of CSP version `version`, with that version's
// xmlns on the root, on TransactionContent and on PresenceSubList.
[[nodiscard]] codec::Element to_tree(const Message& message, CspVersion version);

// Converts one primitive element (the child of TransactionContent) to the model; an unknown
// name gives an UnknownPrimitive. `path` prefixes error messages.
[[nodiscard]] Result<Primitive> primitive_from_tree(const codec::Element& element,
                                                    CspVersion version,
                                                    const std::string& path = {});

// Converts one primitive to its element (the child of TransactionContent).
[[nodiscard]] codec::Element primitive_to_tree(const Primitive& primitive, CspVersion version);

// True if the model holds nothing unknown anywhere (no UnknownPrimitive, no unknown element in
// any structure): what the spec corpus must satisfy. Stray text (kept for the round trip) does
// not count.
[[nodiscard]] bool fully_known(const Message& message);

// Where the first unknown thing is, as an element path ("" if fully_known), for test messages.
[[nodiscard]] std::string first_unknown(const Message& message);

}  // namespace onesoup::imps::model
