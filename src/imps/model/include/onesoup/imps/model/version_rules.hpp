// Every difference between CSP 1.1, 1.2 and 1.3 that the model knows is decided here: the
// version ranges the field tables use, and the envelope rules (where Poll goes, whether
// TransactionID is required). The rest of the model speaks one set of structures.
#pragma once

#include <optional>

#include "onesoup/imps/model/field.hpp"

namespace onesoup::imps::model {

namespace versions {

// Elements present in every version.
inline constexpr VersionRange all{CspVersion::v1_1, CspVersion::v1_3};
// CSP 1.1 only, e.g. TransactionDescriptor/Poll, ClientID in ClientCapability-Request,
// CapabilityList in ClientCapability-Response (CSP 1.1).
inline constexpr VersionRange only_1_1{CspVersion::v1_1, CspVersion::v1_1};
// CSP 1.1 and 1.2, e.g. PresenceAuth-Request (replaced in 1.3).
inline constexpr VersionRange up_to_1_2{CspVersion::v1_1, CspVersion::v1_2};
// From CSP 1.2: Session/Poll, Session/CIR, AgreedCapabilityList, SSMS/SHTTP CIR methods.
inline constexpr VersionRange from_1_2{CspVersion::v1_2, CspVersion::v1_3};
// CSP 1.2 only: CIRURL (renamed CIRHTTPAddress in 1.3).
inline constexpr VersionRange only_1_2{CspVersion::v1_2, CspVersion::v1_2};
// From CSP 1.3: CIRHTTPAddress, CIRSMSAddress, ApplicationID, ...
inline constexpr VersionRange from_1_3{CspVersion::v1_3, CspVersion::v1_3};

}  // namespace versions

// Whether TransactionDescriptor must carry TransactionID: optional in 1.1, required from 1.2
// (CSP 1.2 TransactionDescriptor).
[[nodiscard]] bool transaction_id_required(CspVersion v);

// Whether Poll sits in each TransactionDescriptor (1.1) rather than once in Session (1.2+).
[[nodiscard]] bool poll_in_transaction(CspVersion v);

// Whether Session may carry CIR (1.2+).
[[nodiscard]] bool has_session_cir(CspVersion v);

// The Poll to write for a transaction when the message is written in a version that puts Poll in
// each TransactionDescriptor (1.1): the transaction's own value, else the message-level one.
[[nodiscard]] std::optional<bool> transaction_poll_for(std::optional<bool> transaction_poll,
                                                       std::optional<bool> message_poll);

// The Poll to write in Session (1.2+): the message-level value, else T if any transaction
// asked for it (a model read from 1.1), else F if any said F, else none.
template <class Range>
[[nodiscard]] std::optional<bool> session_poll_for(std::optional<bool> message_poll,
                                                   const Range& transaction_polls) {
    if (message_poll) return message_poll;
    std::optional<bool> result;
    for (const std::optional<bool>& p : transaction_polls) {
        if (!p) continue;
        if (*p) return true;
        result = false;
    }
    return result;
}

}  // namespace onesoup::imps::model
