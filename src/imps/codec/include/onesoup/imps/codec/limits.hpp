// Decode limits shared by the XML and WBXML readers. Input past a limit is refused with an
// error that names the limit; nothing is allocated in proportion to an attacker's claim.
#pragma once

#include <cstddef>

namespace onesoup::imps::codec {

struct Limits {
    std::size_t max_body_bytes = 1024 * 1024;    // whole HTTP body
    std::size_t max_depth = 32;                  // element nesting
    std::size_t max_elements = 20000;            // elements in one document
    std::size_t max_text_bytes = 64 * 1024;      // text of one element (or one OPAQUE)
    std::size_t max_attributes = 16;             // attributes on one element
    std::size_t max_string_table_bytes = 64 * 1024;  // WBXML string table
};

}  // namespace onesoup::imps::codec
