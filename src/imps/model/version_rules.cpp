#include "onesoup/imps/model/version_rules.hpp"

namespace onesoup::imps::model {

bool transaction_id_required(CspVersion v) {
    return v != CspVersion::v1_1;
}

bool poll_in_transaction(CspVersion v) {
    return v == CspVersion::v1_1;
}

bool has_session_cir(CspVersion v) {
    return v != CspVersion::v1_1;
}

std::optional<bool> transaction_poll_for(std::optional<bool> transaction_poll,
                                         std::optional<bool> message_poll) {
    return transaction_poll ? transaction_poll : message_poll;
}

}  // namespace onesoup::imps::model
