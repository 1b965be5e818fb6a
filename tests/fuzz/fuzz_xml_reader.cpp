// libFuzzer target for decode_xml: any input must decode or fail cleanly (the sanitizers catch
// the rest), and a decoded tree must survive encode_xml (compact and indented) and decode again
// to the same tree. A mismatch aborts, so the fuzzer reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "onesoup/imps/codec/codec.hpp"

using namespace onesoup::imps::codec;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_xml_reader: %s: %s\n", what, detail.c_str());
    std::abort();
}

void check_round_trip(const Document& doc, bool indent) {
    const std::string xml = encode_xml(doc.root, {.indent = indent});
    // Re-encoding can only grow the text by escaping; allow for that in the body limit.
    Limits limits;
    limits.max_body_bytes = xml.size();
    const auto again = decode_xml(xml, limits);
    if (!again) fail("re-encoded document does not decode", again.error().describe() + "\n" + xml);
    if (!same_tree(doc.root, again->root))
        fail("round trip changed the tree", first_difference(doc.root, again->root));
    if (again->version != doc.version) fail("round trip changed the version", xml);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    Limits limits;
    limits.max_body_bytes = 64 * 1024;  // keep executions fast; the limits are tested elsewhere
    const auto doc = decode_xml(bytes, limits);
    if (!doc) return 0;
    check_round_trip(*doc, false);
    check_round_trip(*doc, true);
    return 0;
}
