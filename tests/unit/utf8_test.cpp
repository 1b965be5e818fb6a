#include <gtest/gtest.h>

#include "onesoup/core/utf8.hpp"

using namespace onesoup;

TEST(Utf8, DecodesEachLength) {
    EXPECT_EQ(utf8::decode("A", 0).cp, U'A');
    EXPECT_EQ(utf8::decode("\xC3\xA9", 0).cp, U'\u00E9');
    EXPECT_EQ(utf8::decode("\xE2\x82\xAC", 0).len, 3u);
    const auto four = utf8::decode("\xF0\x9F\x98\x80", 0);
    EXPECT_EQ(four.cp, U'\U0001F600');
    EXPECT_EQ(four.len, 4u);
}

TEST(Utf8, RefusesMalformedSequences) {
    EXPECT_EQ(utf8::decode("\xC0\xAF", 0).len, 0u);          // overlong '/'
    EXPECT_EQ(utf8::decode("\xED\xA0\x80", 0).len, 0u);      // surrogate U+D800
    EXPECT_EQ(utf8::decode("\xF4\x90\x80\x80", 0).len, 0u);  // past U+10FFFF
    EXPECT_EQ(utf8::decode("\xE2\x82", 0).len, 0u);          // truncated
    EXPECT_EQ(utf8::decode("\x80", 0).len, 0u);              // lone continuation byte
    EXPECT_TRUE(utf8::valid("caf\xC3\xA9"));
    EXPECT_FALSE(utf8::valid("caf\xC3"));
}

TEST(Utf8, XmlChars) {
    EXPECT_TRUE(utf8::is_xml_char(U'\t'));
    EXPECT_FALSE(utf8::is_xml_char(0x01));
    EXPECT_FALSE(utf8::is_xml_char(0xFFFE));
    EXPECT_TRUE(utf8::is_xml_char(0x10000));
}
