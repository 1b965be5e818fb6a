// Runs the built `imps` tool (ONESOUP_IMPS_TOOL) as a user would: output, one-line errors,
// exit codes.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "onesoup/imps/codec/codec.hpp"
#include "test_support.hpp"

using namespace onesoup::imps::codec;

namespace {

struct ToolRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string quoted(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// A file in the test's temporary directory holding `bytes`; removed when the test ends.
class TempFile {
  public:
    explicit TempFile(const std::string& bytes) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "imps_tool_XXXXXX").string();
        const int fd = mkstemp(pattern.data());
        EXPECT_GE(fd, 0);
        if (fd >= 0) close(fd);
        path_ = pattern;
        std::ofstream(path_, std::ios::binary) << bytes;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Runs `imps <args>` through the shell, standard input from `stdin_file` if given.
ToolRun imps(const std::string& args, const std::string& stdin_file = "") {
    TempFile err_file("");
    std::string command = quoted(ONESOUP_IMPS_TOOL) + " " + args + " 2>" + quoted(err_file.path());
    command += " <" + (stdin_file.empty() ? std::string("/dev/null") : quoted(stdin_file));
    ToolRun run;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.err = onesoup::test::read_file(err_file.path());
    return run;
}

std::string corpus_path(const char* name) {
    return std::string(ONESOUP_CORPUS_DIR) + "/" + name;
}

std::size_t lines(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace

TEST(ImpsTool, DecodePrintsIndentedXmlOfTheSameTree) {
    const std::string file = corpus_path("wv-038.xml");
    const ToolRun r = imps("decode " + quoted(file));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<WV-CSP-Message "
                          "xmlns=\"http://www.wireless-village.org/CSP1.1\">\n  <Session>\n",
                          0),
              0u)
        << r.out;
    EXPECT_NE(r.out.find("\n          <PresenceSubList "
                         "xmlns=\"http://www.wireless-village.org/PA1.1\">\n"),
              std::string::npos)
        << r.out;
    const auto printed = decode_xml(r.out);
    const auto original = decode_xml(onesoup::test::read_file(file));
    ASSERT_TRUE(printed && original);
    EXPECT_EQ(printed->root, original->root);
}

TEST(ImpsTool, DecodeReadsStandardInput) {
    const std::string file = corpus_path("wv-001.xml");
    const ToolRun dash = imps("decode -", file);
    const ToolRun none = imps("decode", file);
    const ToolRun named = imps("decode " + quoted(file));
    EXPECT_EQ(dash.exit_code, 0) << dash.err;
    EXPECT_EQ(none.exit_code, 0) << none.err;
    EXPECT_EQ(dash.out, named.out);
    EXPECT_EQ(none.out, named.out);
}

TEST(ImpsTool, BadInputIsOneLineOnStderrAndExit1) {
    const TempFile bad(
        "<WV-CSP-Message xmlns=\"http://www.wireless-village.org/CSP1.1\">\n<a>\n"
        "<b></a>");
    const ToolRun r = imps("decode " + quoted(bad.path()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "imps: line 3, column 6 (byte 73): mismatched tag\n");

    const TempFile wrong_root("<Foo/>");
    const ToolRun w = imps("encode --to xml " + quoted(wrong_root.path()));
    EXPECT_EQ(w.exit_code, 1);
    EXPECT_EQ(lines(w.err), 1u) << w.err;
    EXPECT_NE(w.err.find("root element is <Foo>"), std::string::npos) << w.err;

    const TempFile junk("hello");
    const ToolRun j = imps("decode " + quoted(junk.path()));
    EXPECT_EQ(j.exit_code, 1);
    EXPECT_EQ(lines(j.err), 1u) << j.err;
    EXPECT_EQ(j.err.rfind("imps: byte 0: ", 0), 0u) << j.err;

    const ToolRun missing = imps("decode /nonexistent/onesoup.xml");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err,
              "imps: cannot open /nonexistent/onesoup.xml: No such file or directory\n");

    const ToolRun empty = imps("decode -");
    EXPECT_EQ(empty.exit_code, 1);
    EXPECT_EQ(lines(empty.err), 1u) << empty.err;
}

TEST(ImpsTool, UsageErrorsExit2AndHelpExits0) {
    for (const char* args : {"", "frobnicate", "encode ", "encode --to json x.xml",
                             "encode --to xml --csp 1.4 x.xml", "decode a b", "--bogus"}) {
        const ToolRun r = imps(args);
        EXPECT_EQ(r.exit_code, 2) << "imps " << args << ": " << r.err;
        EXPECT_EQ(r.err.rfind("imps: ", 0), 0u) << r.err;
        EXPECT_EQ(r.out, "");
    }
    const ToolRun help = imps("--help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("decode"), std::string::npos);
    EXPECT_NE(help.out.find("encode"), std::string::npos);
    const ToolRun encode_help = imps("encode --help");
    EXPECT_EQ(encode_help.exit_code, 0);
    EXPECT_NE(encode_help.out.find("--csp"), std::string::npos);
}

TEST(ImpsTool, EncodeToXmlChangesTheVersionWhenAsked) {
    const std::string file = corpus_path("wv-038.xml");
    const ToolRun same = imps("encode --to xml " + quoted(file));
    ASSERT_EQ(same.exit_code, 0) << same.err;
    const auto kept = decode_xml(same.out);
    ASSERT_TRUE(kept) << kept.error().describe();
    EXPECT_EQ(kept->version, CspVersion::v1_1);
    EXPECT_EQ(same.out.find('\n'), std::string::npos);  // compact

    const ToolRun moved = imps("encode --to xml --csp 1.3 " + quoted(file));
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    const auto v13 = decode_xml(moved.out);
    ASSERT_TRUE(v13) << v13.error().describe();
    EXPECT_EQ(v13->version, CspVersion::v1_3);
    Element expected = kept->root;
    set_namespaces(expected, CspVersion::v1_3);
    EXPECT_EQ(v13->root, expected);
}

TEST(ImpsTool, EncodeToWbxmlAndBack) {
    const std::string file = corpus_path("wv-001.xml");
    const ToolRun wbxml = imps("encode --to wbxml --csp 1.2 " + quoted(file));
    ASSERT_EQ(wbxml.exit_code, 0) << wbxml.err;
    ASSERT_GE(wbxml.out.size(), 4u);
    EXPECT_EQ(wbxml.out[0], '\x03');  // WBXML 1.3
    EXPECT_EQ(wbxml.out[1], '\x11');  // CSP 1.2 public id
    const auto direct = decode_wbxml(wbxml.out);
    ASSERT_TRUE(direct) << direct.error().describe();
    EXPECT_EQ(direct->version, CspVersion::v1_2);

    const TempFile saved(wbxml.out);
    const ToolRun shown = imps("decode " + quoted(saved.path()));
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_NE(shown.out.find("<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/"
                             "WV-CSP1.2\">"),
              std::string::npos)
        << shown.out;
    const auto original = decode_xml(onesoup::test::read_file(file));
    ASSERT_TRUE(original);
    Element expected = original->root;
    set_namespaces(expected, CspVersion::v1_2);
    const auto printed = decode_xml(shown.out);
    ASSERT_TRUE(printed) << printed.error().describe();
    EXPECT_TRUE(same_tree(printed->root, expected)) << first_difference(printed->root, expected);

    const ToolRun back = imps("encode --to xml " + quoted(saved.path()));
    ASSERT_EQ(back.exit_code, 0) << back.err;
    const auto xml = decode_xml(back.out);
    ASSERT_TRUE(xml);
    EXPECT_TRUE(same_tree(xml->root, expected));

    const TempFile truncated(wbxml.out.substr(0, wbxml.out.size() / 2));
    const ToolRun bad = imps("decode " + quoted(truncated.path()));
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_EQ(lines(bad.err), 1u) << bad.err;
}
