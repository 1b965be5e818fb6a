// DigestBytes = Base64(H(nonce + password)), checked against values computed by independent
// programs: `openssl dgst` piped into `base64`, and Python's hashlib. The phone sends it and
// the gateway checks it (model/login_digest.hpp).
#include <gtest/gtest.h>

#include <string>

#include "onesoup/imps/model/login_digest.hpp"
#include "phone_test_support.hpp"

using onesoup::test::run_command;
using onesoup::test::shell_quote;
using onesoup::imps::model::base64;
using onesoup::imps::model::login_digest;

namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// Base64(H(nonce + password)) by the openssl and base64 command-line programs.
std::string openssl_digest(const std::string& algorithm, const std::string& input) {
    const auto run = run_command("printf '%s' " + shell_quote(input) + " | openssl dgst -" +
                                 algorithm + " -binary | base64 -w0");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return trimmed(run.out);
}

// The same by Python's hashlib and base64 modules.
std::string python_digest(const std::string& algorithm, const std::string& nonce,
                          const std::string& password) {
    const std::string program =
        "import base64,hashlib,sys; n=sys.argv[1].encode(); p=sys.argv[2].encode(); "
        "print(base64.b64encode(hashlib.new(sys.argv[3], n + p).digest()).decode())";
    const auto run =
        run_command("/usr/bin/python3 -c " + shell_quote(program) + " " + shell_quote(nonce) + " " +
                    shell_quote(password) + " " + algorithm);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return trimmed(run.out);
}

struct Case {
    std::string nonce;
    std::string password;
};

const Case cases[] = {
    {"4f2a1c9e0b7d", "secret"},
    {"n0nce", ""},
    {"", "password only"},
    {"Zm9vYmFy+/=", "pässwörd ünïcode"},
    {"a-very-long-nonce-0123456789abcdef0123456789abcdef0123456789abcdef", "x y z"},
};

}  // namespace

TEST(LoginDigest, Md5MatchesOpenSslAndPython) {
    for (const auto& c : cases) {
        auto ours = login_digest("MD5", c.nonce, c.password);
        ASSERT_TRUE(ours) << ours.error().message;
        EXPECT_EQ(*ours, openssl_digest("md5", c.nonce + c.password)) << c.nonce;
        EXPECT_EQ(*ours, python_digest("md5", c.nonce, c.password)) << c.nonce;
        EXPECT_EQ(ours->size(), 24u);  // 16 bytes in Base64
    }
}

TEST(LoginDigest, ShaIsSha1AndMatchesOpenSslAndPython) {
    for (const auto& c : cases) {
        auto ours = login_digest("SHA", c.nonce, c.password);
        ASSERT_TRUE(ours) << ours.error().message;
        EXPECT_EQ(*ours, openssl_digest("sha1", c.nonce + c.password)) << c.nonce;
        EXPECT_EQ(*ours, python_digest("sha1", c.nonce, c.password)) << c.nonce;
        EXPECT_EQ(ours->size(), 28u);  // 20 bytes in Base64
    }
}

TEST(LoginDigest, NonceComesFirst) {
    auto a = login_digest("MD5", "abc", "def");
    auto b = login_digest("MD5", "def", "abc");
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_EQ(*a, openssl_digest("md5", "abcdef"));
}

TEST(LoginDigest, SchemaNamesAreCaseInsensitive) {
    auto a = login_digest("md5", "n", "p");
    auto b = login_digest("MD5", "n", "p");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
}

TEST(LoginDigest, OtherSchemasAreRefused) {
    for (const char* schema : {"PWD", "MD4", "MD6", "SHA256", ""}) {
        auto d = login_digest(schema, "n", "p");
        ASSERT_FALSE(d) << schema;
        EXPECT_NE(d.error().message.find("not supported"), std::string::npos);
    }
}

TEST(Base64, Rfc4648TestVectors) {
    // RFC 4648 section 10.
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64("foob"), "Zm9vYg==");
    EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(Base64, NoLineBreaksInLongInput) {
    const std::string long_input(200, 'x');
    const std::string encoded = base64(long_input);
    EXPECT_EQ(encoded.find('\n'), std::string::npos);
    const auto run = run_command("printf '%s' " + shell_quote(long_input) + " | base64 -w0");
    EXPECT_EQ(encoded, trimmed(run.out));
}
