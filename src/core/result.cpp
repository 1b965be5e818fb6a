#include "onesoup/core/result.hpp"

namespace onesoup {

std::string Error::describe() const {
    if (offset == npos) return message;
    return message + " (at byte " + std::to_string(offset) + ")";
}

}  // namespace onesoup
