// libFuzzer target for the model: bytes (XML or WBXML) -> element tree -> model -> tree -> model.
// A document the model accepts must come back as the same model and the same tree; anything
// else aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/model/message.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_model: %s: %s\n", what, detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace onesoup::imps;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto doc = codec::decode(bytes);
    if (!doc) return 0;
    auto first = model::from_tree(doc->root, doc->version);
    if (!first) return 0;

    const codec::Element tree = model::to_tree(*first, doc->version);
    auto second = model::from_tree(tree, doc->version);
    if (!second) fail("written tree does not read back", second.error().describe());
    if (!(*second == *first)) fail("model changed", model::first_unknown(*second));
    const codec::Element tree2 = model::to_tree(*second, doc->version);
    if (!(tree2 == tree)) fail("tree changed", codec::first_difference(tree, tree2));

    // Writing into the other versions must give trees that read back in those versions.
    for (auto v : {codec::CspVersion::v1_1, codec::CspVersion::v1_2, codec::CspVersion::v1_3}) {
        const codec::Element other = model::to_tree(*first, v);
        auto again = model::from_tree(other, v);
        if (!again)
            fail("tree written in another version does not read back", again.error().describe());
    }
    return 0;
}
