// Regression inputs for decode_wbxml (tests/data/wbxml-regress/): hostile or odd documents and
// anything the fuzzer (tests/fuzz/fuzz_wbxml_reader.cpp) ever found. A file named *-error.wbxml
// must be refused with an error; *-ok.wbxml must decode, re-encode and decode to the same tree.
// None may crash (the asan preset runs this too).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "onesoup/imps/codec/codec.hpp"

using namespace onesoup::imps::codec;

TEST(WbxmlRegress, EveryFileBehaves) {
    const std::filesystem::path dir =
        std::filesystem::path(ONESOUP_TEST_DATA_DIR) / "wbxml-regress";
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".wbxml") continue;
        ++count;
        const std::string name = entry.path().filename().string();
        SCOPED_TRACE(name);
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        auto doc = decode_wbxml(bytes.str());
        if (name.ends_with("-error.wbxml")) {
            ASSERT_FALSE(doc) << "decoded although it must not";
            EXPECT_FALSE(doc.error().message.empty());
            EXPECT_NE(doc.error().offset, onesoup::Error::npos) << doc.error().message;
            continue;
        }
        ASSERT_TRUE(doc) << doc.error().describe();
        auto again = encode_wbxml(doc->root, doc->version);
        ASSERT_TRUE(again) << again.error().describe();
        auto back = decode_wbxml(*again);
        ASSERT_TRUE(back) << back.error().describe();
        EXPECT_TRUE(same_tree(doc->root, back->root)) << first_difference(doc->root, back->root);
    }
    EXPECT_GE(count, 18u);
}
