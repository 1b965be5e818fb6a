// Golden pairs: every tests/data/golden/NAME.xml has NAME.wbxml beside it. Both decode to the
// same tree, and encoding the XML's tree gives the WBXML byte for byte. The WBXML halves were
// made by our encoder and then checked by an independent decoder (tshark; see
// tests/crosscheck/, which decodes every golden document too), so a change in what we put on
// the wire shows up here as a diff to review, not as silent drift.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "test_support.hpp"

namespace {

using namespace onesoup::imps::codec;
namespace fs = std::filesystem;

std::string hex(const std::string& bytes, std::size_t from, std::size_t count) {
    std::string out;
    char buf[4];
    for (std::size_t i = from; i < bytes.size() && i < from + count; ++i) {
        std::snprintf(buf, sizeof buf, "%02X ", static_cast<unsigned char>(bytes[i]));
        out += buf;
    }
    return out;
}

class GoldenPair : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenPair, XmlAndWbxmlAgree) {
    const fs::path xml_path = fs::path(ONESOUP_TEST_DATA_DIR) / "golden" / (GetParam() + ".xml");
    const fs::path wbxml_path = fs::path(xml_path).replace_extension(".wbxml");
    ASSERT_TRUE(fs::exists(wbxml_path)) << "no WBXML half for " << xml_path;

    auto from_xml = decode_xml(onesoup::test::read_file(xml_path));
    ASSERT_TRUE(from_xml) << from_xml.error().describe();
    const std::string wbxml = onesoup::test::read_file(wbxml_path);
    auto from_wbxml = decode_wbxml(wbxml);
    ASSERT_TRUE(from_wbxml) << from_wbxml.error().describe();

    EXPECT_EQ(from_xml->version, from_wbxml->version);
    EXPECT_TRUE(same_tree(from_xml->root, from_wbxml->root))
        << first_difference(from_xml->root, from_wbxml->root);

    auto encoded = encode_wbxml(from_xml->root, from_xml->version);
    ASSERT_TRUE(encoded) << encoded.error().describe();
    if (*encoded != wbxml) {
        std::size_t at = 0;
        while (at < wbxml.size() && at < encoded->size() && wbxml[at] == (*encoded)[at]) ++at;
        ADD_FAILURE() << "encoding differs from the golden WBXML at byte " << at
                      << ": golden " << hex(wbxml, at, 8) << "| ours " << hex(*encoded, at, 8)
                      << "(golden " << wbxml.size() << " bytes, ours " << encoded->size() << ")";
    }
}

std::vector<std::string> golden_names() {
    std::vector<std::string> names;
    for (const auto& path : onesoup::test::golden_xml_files()) names.push_back(path.stem().string());
    return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string n = info.param;
    for (auto& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenPair, ::testing::ValuesIn(golden_names()), test_name);

TEST(GoldenPairs, CoverBothNewerVersions) {
    const auto names = golden_names();
    auto count = [&](const char* suffix) {
        return std::count_if(names.begin(), names.end(),
                             [&](const std::string& n) { return n.ends_with(suffix); });
    };
    EXPECT_GE(count("-12"), 25);
    EXPECT_GE(count("-13"), 25);
}

}  // namespace
