// libFuzzer target: decode_wbxml must never crash, hang or allocate without bound; whatever it
// decodes must re-encode (in the version it reported) and decode again to the same tree.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "onesoup/imps/codec/codec.hpp"

using namespace onesoup::imps::codec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto doc = decode_wbxml(bytes);
    if (!doc) return 0;
    auto encoded = encode_wbxml(doc->root, doc->version);
    if (!encoded) {
        std::fprintf(stderr, "decoded tree does not re-encode: %s\n",
                     encoded.error().describe().c_str());
        std::abort();
    }
    // The re-encoding may be larger than the input (string table choices), so no body limit.
    Limits limits;
    limits.max_body_bytes = encoded->size() + 1;
    auto again = decode_wbxml(*encoded, limits);
    if (!again) {
        std::fprintf(stderr, "re-encoded document does not decode: %s\n",
                     again.error().describe().c_str());
        std::abort();
    }
    // same_tree: whitespace-only text between child elements is layout and is not re-encoded.
    if (!same_tree(again->root, doc->root)) {
        std::fprintf(stderr, "tree changed: %s\n",
                     first_difference(doc->root, again->root).c_str());
        std::abort();
    }
    return 0;
}
