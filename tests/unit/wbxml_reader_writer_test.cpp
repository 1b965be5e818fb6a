// The generic WBXML reader and writer (onesoup::wbxml) with a small made-up token table: every
// token kind, every error path with its byte offset, the limits, and the writer's string table.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "onesoup/wbxml/reader.hpp"
#include "onesoup/wbxml/writer.hpp"

using namespace onesoup;
using namespace onesoup::wbxml;

namespace {

constexpr TagToken test_tags[] = {
    {0, 0x05, "A"}, {0, 0x06, "B"}, {0, 0x07, "Old", true}, {1, 0x05, "C"}, {1, 0x06, "B"},
};
constexpr auto test_tags_by_code = sorted_by_code(test_tags);
constexpr auto test_tags_by_name = sorted_by_name(test_tags);
constexpr AttrStartToken test_attr_starts[] = {
    {0, 0x05, "href", "http://"},
    {0, 0x06, "href", "http://www."},
    {0, 0x07, "id", ""},
    {1, 0x05, "lang", ""},
};
constexpr AttrValueToken test_attr_values[] = {{0, 0x85, ".com"}};
constexpr ExtValue test_ext[] = {{0, "T"}, {1, "F"}, {5, "Hello"}, {6, "T"}};
constexpr auto test_ext_by_index = sorted_by_index(test_ext);
constexpr auto test_ext_by_value = sorted_by_value(test_ext);

// Without hash indexes: the name lookups binary-search the sorted tables.
const TokenTable test_table{test_tags_by_code,
                            test_tags_by_name,
                            test_attr_starts,
                            test_attr_values,
                            test_ext_by_index,
                            test_ext_by_value,
                            {},
                            {},
                            {}};

// The same table with hash indexes: every lookup must answer as the binary search does.
constexpr auto test_tag_index = name_index<name_index_slots(test_tags_by_name.size())>(
    test_tags_by_name, [](const TagToken& t) { return t.name; });
constexpr auto test_ext_index = name_index<name_index_slots(test_ext_by_value.size())>(
    test_ext_by_value, [](const ExtValue& e) { return e.value; });
// Code pages 0 only: page 1 stays a binary search.
constexpr auto test_code_index = code_index<1>(test_tags_by_code);
const TokenTable hashed_table{test_tags_by_code, test_tags_by_name, test_attr_starts,
                              test_attr_values,  test_ext_by_index, test_ext_by_value,
                              test_tag_index,    test_ext_index,    test_code_index};

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

// Writes every event as a line, so a test states the whole event sequence.
class LogSink : public Sink {
  public:
    std::string log;
    Header seen;
    const TokenTable* table = &test_table;

    Result<const TokenTable*> header(const Header& h) override {
        seen = h;
        return table;
    }
    Result<void> start_element(std::string_view name, std::size_t offset) override {
        log += "<" + std::string(name) + "@" + std::to_string(offset) + ">";
        return {};
    }
    Result<void> attribute(std::string_view name, std::string_view value, std::size_t) override {
        log += "[" + std::string(name) + "=" + std::string(value) + "]";
        return {};
    }
    Result<void> text(std::string_view text, std::size_t) override {
        log += "'" + std::string(text) + "'";
        return {};
    }
    Result<void> opaque(std::string_view b, std::size_t) override {
        log += "#" + std::to_string(b.size());
        return {};
    }
    Result<void> ext_value(std::uint32_t index, std::string_view value, std::size_t) override {
        log += "{" + std::to_string(index) + ":" + std::string(value) + "}";
        return {};
    }
    Result<void> end_element(std::size_t) override {
        log += "</>";
        return {};
    }
};

// Header: WBXML 1.3, public id 0x10, UTF-8, given string table.
std::string head(const std::string& table = {}) {
    std::string s = bytes({0x03, 0x10, 0x6A});
    Writer::append_mb_u_int32(s, static_cast<std::uint32_t>(table.size()));
    return s + table;
}

Error read_error(const std::string& doc, const Limits& limits = {}) {
    LogSink sink;
    auto r = read(doc, sink, limits);
    EXPECT_FALSE(r) << "decoded: " << sink.log;
    return r ? Error{} : r.error();
}

std::string read_log(const std::string& doc) {
    LogSink sink;
    auto r = read(doc, sink);
    EXPECT_TRUE(r) << r.error().describe();
    return sink.log;
}

}  // namespace

TEST(TokenTable, HashIndexAnswersAsBinarySearch) {
    // Present, duplicated over code pages (lowest page wins), read-only, absent, empty.
    for (std::string_view name : {"A", "B", "C", "Old", "D", "", "AA"}) {
        SCOPED_TRACE(std::string(name));
        EXPECT_EQ(hashed_table.find_tag(name), test_table.find_tag(name));
    }
    EXPECT_EQ(hashed_table.find_tag("B")->page, 0);
    EXPECT_EQ(hashed_table.find_tag("Old"), nullptr);
    // "T" twice: the lowest index wins.
    for (std::string_view value : {"T", "F", "Hello", "Hell", "", "X"}) {
        SCOPED_TRACE(std::string(value));
        EXPECT_EQ(hashed_table.find_ext(value), test_table.find_ext(value));
    }
    EXPECT_EQ(hashed_table.find_ext("T")->index, 0u);
    for (int page = 0; page < 3; ++page) {
        for (int token = 0; token < 0x100; ++token) {
            const auto p = static_cast<std::uint8_t>(page);
            const auto t = static_cast<std::uint8_t>(token);
            EXPECT_EQ(hashed_table.find_tag(p, t), test_table.find_tag(p, t))
                << page << " " << token;
        }
    }
    ASSERT_NE(hashed_table.find_tag(1, 0x06), nullptr);
    EXPECT_EQ(hashed_table.find_tag(1, 0x06)->name, "B");
}

TEST(WbxmlReader, MbUInt32) {
    std::size_t pos = 0;
    EXPECT_EQ(*read_mb_u_int32(bytes({0x81, 0x20}), pos), 0xA0u);
    EXPECT_EQ(pos, 2u);
    pos = 0;
    EXPECT_EQ(*read_mb_u_int32(bytes({0x8F, 0xFF, 0xFF, 0xFF, 0x7F}), pos), 0xFFFFFFFFu);
    pos = 0;
    auto over = read_mb_u_int32(bytes({0x90, 0x80, 0x80, 0x80, 0x00}), pos);
    ASSERT_FALSE(over);
    EXPECT_NE(over.error().message.find("overflows"), std::string::npos);
    pos = 1;
    auto too_long = read_mb_u_int32(bytes({0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}), pos);
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error().offset, 1u);
    pos = 0;
    auto truncated = read_mb_u_int32(bytes({0x81}), pos);
    ASSERT_FALSE(truncated);
    EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);
}

TEST(WbxmlReader, HeaderFields) {
    const std::string doc = bytes({0x03, 0x81, 0x01, 0x6A, 0x02, 'x', 0x00, 0x05});
    LogSink sink;
    ASSERT_TRUE(read(doc, sink));
    EXPECT_EQ(sink.seen.version, 0x03);
    EXPECT_EQ(sink.seen.public_id, 0x81u);
    EXPECT_EQ(sink.seen.charset, 106u);
    EXPECT_EQ(sink.seen.string_table, std::string_view("x\0", 2));
    EXPECT_EQ(sink.log, "<A@7></>");
}

TEST(WbxmlReader, PublicIdAsStringTableIndex) {
    const std::string table = std::string("ab\0-//X//DTD Y 1.0//EN\0", 23);
    const std::string doc = bytes({0x03, 0x00, 0x03, 0x6A, 0x17}) + table + bytes({0x05});
    LogSink sink;
    ASSERT_TRUE(read(doc, sink));
    EXPECT_EQ(sink.seen.public_id, 0u);
    EXPECT_EQ(sink.seen.public_id_text, "-//X//DTD Y 1.0//EN");
    auto e = read_error(bytes({0x03, 0x00, 0x30, 0x6A, 0x17}) + table + bytes({0x05}));
    EXPECT_NE(e.message.find("outside the string table"), std::string::npos);
    EXPECT_EQ(e.offset, 1u);
}

TEST(WbxmlReader, Wbxml10HasNoCharset) {
    LogSink sink;
    ASSERT_TRUE(read(bytes({0x00, 0x10, 0x00, 0x05}), sink));
    EXPECT_EQ(sink.seen.version, 0x00);
    EXPECT_EQ(sink.seen.charset, 106u);
}

TEST(WbxmlReader, EveryContentToken) {
    const std::string table = std::string("shared\0Lit\0", 11);
    const std::string doc =
        head(table) + bytes({0x45,                       // <A> with content
                             0x03, 'h',  'i',  0x00,     // STR_I
                             0x83, 0x00,                 // STR_T "shared"
                             0x02, 0x81, 0x69,           // ENTITY U+00E9
                             0x80, 0x05,                 // EXT_T_0 5
                             0xC3, 0x03, 1,    2,    3,  // OPAQUE 3 bytes
                             0x06,                       // <B/> on page 0
                             0x00, 0x01, 0x46,           // page 1, <B> with content
                             0x05,                       // <C/>
                             0x01,                       // </B>
                             0x04, 0x07,                 // LITERAL "Lit", no content
                             0x44, 0x07, 0x01,           // LITERAL_C "Lit" with content, END
                             0x01});                     // </A>
    EXPECT_EQ(read_log(doc),
              "<A@15>'hi''shared''\xC3\xA9'{5:Hello}#3<B@32></><B@35><C@36></></>"
              "<Lit@38></><Lit@40></></>");
}

TEST(WbxmlReader, Attributes) {
    const std::string table = std::string("example\0data-x\0", 15);
    const std::string doc =
        head(table) + bytes({0xC5,                          // <A> with attributes and content
                             0x06, 0x83, 0x00,              // href="http://www." + "example"
                             0x85,                          // + ".com"
                             0x07,                          // id=""
                             0x80, 0x00,                    // + EXT_T_0 "T"
                             0x03, '7',  0x00,              // + "7"
                             0x04, 0x08,                    // LITERAL attribute "data-x"
                             0xC3, 0x02, 'o',  'k',         // = OPAQUE "ok"
                             0x00, 0x01, 0x05,              // attr page 1: lang
                             0x03, 'e',  'n',  0x00,        // = "en"
                             0x01,                          // end of attributes
                             0x84, 0x08,                    // LITERAL_A "data-x", no content
                             0x00, 0x00,                    // attribute code page 0 again
                             0x07, 0x03, '1',  0x00, 0x01,  // id="1", end of attributes
                             0x01});                        // </A>
    EXPECT_EQ(read_log(doc),
              "<A@19>[href=http://www.example.com][id=T7][data-x=ok][lang=en]"
              "<data-x@44>[id=1]</></>");
}

TEST(WbxmlReader, ReadOnlyTagsAreRead) {
    EXPECT_EQ(read_log(head() + bytes({0x07})), "<Old@4></>");
}

TEST(WbxmlReader, StructureErrorsCarryOffsets) {
    struct Case {
        std::string doc;
        std::string message;
        std::size_t offset;
    };
    const std::vector<Case> cases = {
        {"", "empty document", 0},
        {bytes({0x04, 0x10, 0x6A, 0x00, 0x05}), "unsupported WBXML version", 0},
        {bytes({0x03, 0x10}), "truncated multi-byte integer", 2},
        {bytes({0x03, 0x10, 0x6A, 0x05, 'a'}), "runs past the end", 3},
        {head(), "no root element", 4},
        {head() + bytes({0x45}), "document ends inside an element", 5},
        {head() + bytes({0x05, 0x01}), "data after the end of the root element", 5},
        {head() + bytes({0x45, 0x01, 0x01}), "data after the end of the root element", 6},
        {head() + bytes({0x45, 0x03, 'a', 'b'}), "unterminated inline string", 5},
        {head(std::string("ab\0", 3)) + bytes({0x45, 0x83, 0x05, 0x01}), "outside the string table",
         8},
        {head("ab") + bytes({0x45, 0x83, 0x00, 0x01}), "not NUL-terminated", 7},
        {head() + bytes({0x45, 0xC3, 0x05, 1, 2, 0x01}), "runs past the end", 5},
        {head() + bytes({0x45, 0xC3, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F}), "exceeds the text limit", 5},
        {head() + bytes({0x08}), "unknown tag 0x08 on code page 0", 4},
        {head() + bytes({0x00, 0x07, 0x05}), "unknown tag 0x05 on code page 7", 6},
        {head() + bytes({0x00}), "truncated SWITCH_PAGE", 4},
        {head() + bytes({0x45, 0x80, 0x02, 0x01}), "unknown EXT_T_0 value 0x02", 5},
        {head() + bytes({0x45, 0x40, 'a', 0x00, 0x01}), "only EXT_T_0 is legal", 5},
        {head() + bytes({0x45, 0x81, 0x00, 0x01}), "only EXT_T_0 is legal", 5},
        {head() + bytes({0x45, 0xC0, 0x01}), "only EXT_T_0 is legal", 5},
        {head() + bytes({0x45, 0x43, 0x05, 0x01, 0x01}), "processing instructions", 5},
        {head() + bytes({0x45, 0x02, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F, 0x01}),
         "not a Unicode character", 5},
        {head() + bytes({0x45, 0x02, 0x00, 0x01}), "not a Unicode character", 5},
        {head() + bytes({0x85, 0x08, 0x01}), "unknown attribute start 0x08", 5},
        {head() + bytes({0x85, 0x03, 'a', 0x00, 0x01}), "before any attribute name", 5},
        {head() + bytes({0x85, 0x07, 0x86, 0x01}), "unknown attribute value 0x86", 6},
        {head() + bytes({0x85, 0x07, 0x41, 0x01}), "only EXT_T_0 is legal", 6},
        {head() + bytes({0x85, 0x07}), "truncated attribute list", 6},
        {head() + bytes({0x45, 0x02, 0x83, 0xB0, 0x00, 0x01}), "not a Unicode character", 5},
        {head() + bytes({0x45, 0x01, 0x45}), "data after the end", 6},
        {head() + bytes({0x44, 0x00, 0x01}), "outside the string table", 4},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(testing::PrintToString(c.doc));
        const auto e = read_error(c.doc);
        EXPECT_NE(e.message.find(c.message), std::string::npos) << e.message;
        EXPECT_EQ(e.offset, c.offset) << e.message;
    }
}

TEST(WbxmlReader, Limits) {
    Limits limits;
    limits.max_depth = 2;
    LogSink sink;
    EXPECT_TRUE(read(head() + bytes({0x45, 0x45, 0x01, 0x01}), sink, limits));
    auto deep = read_error(head() + bytes({0x45, 0x45, 0x45, 0x01, 0x01, 0x01}), limits);
    EXPECT_NE(deep.message.find("nested deeper than 2"), std::string::npos);
    EXPECT_EQ(deep.offset, 6u);

    limits = {};
    limits.max_elements = 3;
    auto many = read_error(head() + bytes({0x45, 0x05, 0x05, 0x05, 0x01}), limits);
    EXPECT_NE(many.message.find("more than 3 elements"), std::string::npos);
    EXPECT_EQ(many.offset, 7u);

    limits = {};
    limits.max_attributes = 2;
    auto attrs = read_error(head() + bytes({0x85, 0x07, 0x07, 0x07, 0x01}), limits);
    EXPECT_NE(attrs.message.find("more than 2 attributes"), std::string::npos);
    EXPECT_EQ(attrs.offset, 7u);

    limits = {};
    limits.max_text_bytes = 3;
    auto text = read_error(head() + bytes({0x45, 0x03, 'a', 'b', 'c', 'd', 0x00, 0x01}), limits);
    EXPECT_NE(text.message.find("exceeds the text limit"), std::string::npos);
    EXPECT_EQ(text.offset, 5u);
    auto value = read_error(
        head() + bytes({0x85, 0x07, 0x03, 'a', 'b', 0x00, 0x03, 'c', 'd', 0x00, 0x01}), limits);
    EXPECT_NE(value.message.find("attribute value exceeds"), std::string::npos);
    EXPECT_EQ(value.offset, 10u);

    limits = {};
    limits.max_string_table_bytes = 4;
    auto table = read_error(head("abcde") + bytes({0x05}), limits);
    EXPECT_NE(table.message.find("exceeds the limit of 4"), std::string::npos);
    EXPECT_EQ(table.offset, 3u);
}

TEST(WbxmlReader, SinkErrorsStopTheReader) {
    class Refuse : public LogSink {
        Result<const TokenTable*> header(const Header&) override {
            return make_error("no thanks", 1);
        }
    } refuse;
    auto r = read(head() + bytes({0x05}), refuse);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "no thanks");
}

TEST(WbxmlWriter, TokensPagesAndLiterals) {
    Writer w(test_table);
    const AttributeView attrs[] = {{"href", "http://www.example.com"}, {"lang", "en"}, {"zz", "1"}};
    ASSERT_TRUE(w.start_element("A", attrs, true));
    ASSERT_TRUE(w.start_element("C", {}, false));  // page 1
    ASSERT_TRUE(w.start_element("B", {}, true));   // page 0 (lowest page of the two)
    ASSERT_TRUE(w.text("x"));
    w.end_element();
    ASSERT_TRUE(w.start_element("Old", {}, false));  // read-only: LITERAL
    w.ext_t0(5);
    w.opaque(std::string("\x01\x00", 2));
    w.end_element();
    const std::string out = w.finish(0x10);
    const std::string expected =
        bytes({0x03, 0x10, 0x6A, 0x07}) + std::string("zz\0Old\0", 7) + bytes({0xC5, 0x06, 0x03}) +
        "example.com" + bytes({0x00, 0x00, 0x01, 0x05, 0x03, 'e',  'n',  0x00, 0x04, 0x00, 0x03,
                               '1',  0x00, 0x01, 0x00, 0x01, 0x05, 0x00, 0x00, 0x46, 0x03, 'x',
                               0x00, 0x01, 0x04, 0x03, 0x80, 0x05, 0xC3, 0x02, 0x01, 0x00, 0x01});
    EXPECT_EQ(testing::PrintToString(out), testing::PrintToString(expected));
    LogSink sink;
    ASSERT_TRUE(read(out, sink)) << read(out, sink).error().describe();
    EXPECT_EQ(sink.log,
              "<A@11>[href=http://www.example.com][lang=en][zz=1]<C@41></><B@44>'x'</>"
              "<Old@49></>{5:Hello}#2</>");
}

TEST(WbxmlWriter, StringTableOnlyWhereItSavesBytes) {
    // Twice "ab": inline 2 x 4 = 8 bytes; table 3 + 2 x 2 = 7 bytes: table.
    {
        Writer w(test_table);
        ASSERT_TRUE(w.start_element("A", {}, true));
        for (int i = 0; i < 2; ++i) {
            ASSERT_TRUE(w.start_element("B", {}, true));
            ASSERT_TRUE(w.text("ab"));
            w.end_element();
        }
        w.end_element();
        const auto out = w.finish(0x10);
        EXPECT_EQ(out, bytes({0x03, 0x10, 0x6A, 0x03, 'a', 'b', 0x00, 0x45, 0x46, 0x83, 0x00, 0x01,
                              0x46, 0x83, 0x00, 0x01, 0x01}));
    }
    // Once "abcdef" and single characters many times: all inline.
    {
        Writer w(test_table);
        ASSERT_TRUE(w.start_element("A", {}, true));
        ASSERT_TRUE(w.text("abcdef"));
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(w.text("z"));
        w.end_element();
        const auto out = w.finish(0x10);
        EXPECT_EQ(out.substr(0, 5), bytes({0x03, 0x10, 0x6A, 0x00, 0x45}));
        EXPECT_EQ(out.find('\x83'), std::string::npos);
    }
    // A long string three times, a literal name, and a string used both ways share the table.
    {
        Writer w(test_table);
        const std::string long_text(200, 'q');
        ASSERT_TRUE(w.start_element("A", {}, true));
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.text(long_text));
        ASSERT_TRUE(w.start_element("Lit", {}, true));
        ASSERT_TRUE(w.text("Lit"));
        w.end_element();
        w.end_element();
        const auto out = w.finish(0x10);
        // Table: 201 bytes + "Lit\0" = 205 = mb 0x81 0x4D.
        EXPECT_EQ(out.substr(0, 5), bytes({0x03, 0x10, 0x6A, 0x81, 0x4D}));
        LogSink sink;
        ASSERT_TRUE(read(out, sink));
        EXPECT_EQ(sink.log, "<A@210>'" + long_text + "''" + long_text + "''" + long_text +
                                "'<Lit@217>'Lit'</></>");
        EXPECT_LT(out.size(), 3 * long_text.size());
    }
}

TEST(WbxmlWriter, RefusesWhatCannotBeWritten) {
    Writer w(test_table);
    EXPECT_FALSE(w.start_element("", {}, false));
    EXPECT_FALSE(w.start_element(std::string_view("a\0b", 3), {}, false));
    ASSERT_TRUE(w.start_element("A", {}, true));
    EXPECT_FALSE(w.text(std::string_view("a\0b", 3)));
    const AttributeView bad[] = {{std::string_view("n\0", 2), "v"}};
    EXPECT_FALSE(w.start_element("B", bad, false));
}

TEST(WbxmlWriter, MbUInt32) {
    std::string s;
    Writer::append_mb_u_int32(s, 0);
    Writer::append_mb_u_int32(s, 0x7F);
    Writer::append_mb_u_int32(s, 0xA0);
    Writer::append_mb_u_int32(s, 0xFFFFFFFF);
    EXPECT_EQ(s, bytes({0x00, 0x7F, 0x81, 0x20, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F}));
}
