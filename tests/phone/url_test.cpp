// The URL parser of the phone's HTTP client.
#include <gtest/gtest.h>

#include "url.hpp"

using onesoup::tools::parse_url;

TEST(Url, HttpWithPortAndPath) {
    auto u = parse_url("http://127.0.0.1:8080/wv");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_FALSE(u->https);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, 8080);
    EXPECT_EQ(u->target, "/wv");
    EXPECT_EQ(u->host_header(), "127.0.0.1:8080");
    EXPECT_EQ(u->text(), "http://127.0.0.1:8080/wv");
}

TEST(Url, DefaultsPerScheme) {
    auto h = parse_url("http://im.example.org");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->port, 80);
    EXPECT_EQ(h->target, "/");
    EXPECT_EQ(h->host_header(), "im.example.org");
    auto s = parse_url("HTTPS://im.example.org/imps/csp?x=1");
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->https);
    EXPECT_EQ(s->port, 443);
    EXPECT_EQ(s->target, "/imps/csp?x=1");
    EXPECT_EQ(s->host_header(), "im.example.org");
}

TEST(Url, ExplicitDefaultPortIsLeftOutOfHostHeader) {
    auto u = parse_url("https://a.test:443/wv");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host_header(), "a.test");
    auto v = parse_url("https://a.test:8443/wv");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->host_header(), "a.test:8443");
}

TEST(Url, Ipv6Literal) {
    auto u = parse_url("http://[::1]:5280/wv");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, 5280);
    EXPECT_EQ(u->host_header(), "[::1]:5280");
    auto v = parse_url("http://[::1]/");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->port, 80);
}

TEST(Url, QueryWithoutPathAndFragmentDropped) {
    auto u = parse_url("http://h?a=b#frag");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->target, "/?a=b");
    auto v = parse_url("http://h/p#frag");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->target, "/p");
}

TEST(Url, Errors) {
    const char* bad[] = {"127.0.0.1:8080/wv", "ftp://h/",       "http://",         "http://:80/",
                         "http://h:/",        "http://h:0/",    "http://h:65536/", "http://h:12a/",
                         "http://[::1/",      "http://[::1]x/", "http://user@h/",  "http:///path"};
    for (const char* text : bad) {
        auto u = parse_url(text);
        EXPECT_FALSE(u) << text;
        if (!u) {
            EXPECT_FALSE(u.error().message.empty());
        }
    }
}

TEST(Url, ErrorsSayWhat) {
    EXPECT_NE(parse_url("ftp://h/").error().message.find("ftp"), std::string::npos);
    EXPECT_NE(parse_url("http://h:99999/").error().message.find("99999"), std::string::npos);
    EXPECT_NE(parse_url("h/wv").error().message.find("scheme"), std::string::npos);
}
