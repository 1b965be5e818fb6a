#include <gtest/gtest.h>

#include <string>

#include "onesoup/xmpp/jid.hpp"

using onesoup::xmpp::Jid;

TEST(XmppJid, ParsesAllForms) {
    auto full = Jid::parse("Juliet@Example.COM/Balcony Phone");
    ASSERT_TRUE(full) << full.error().describe();
    EXPECT_EQ(full->local(), "juliet");
    EXPECT_EQ(full->domain(), "example.com");
    EXPECT_EQ(full->resource(), "Balcony Phone");  // resources keep case and spaces
    EXPECT_EQ(full->str(), "juliet@example.com/Balcony Phone");
    EXPECT_EQ(full->bare_str(), "juliet@example.com");
    EXPECT_FALSE(full->is_bare());
    EXPECT_TRUE(full->bare().is_bare());

    auto domain_only = Jid::parse("example.com");
    ASSERT_TRUE(domain_only);
    EXPECT_TRUE(domain_only->local().empty());
    EXPECT_EQ(domain_only->str(), "example.com");

    auto domain_res = Jid::parse("example.com/a@b/c");
    ASSERT_TRUE(domain_res);
    EXPECT_TRUE(domain_res->local().empty());  // '@' after the first '/' is in the resource
    EXPECT_EQ(domain_res->resource(), "a@b/c");
}

TEST(XmppJid, NormalizesForComparison) {
    EXPECT_EQ(*Jid::parse("ROMEO@montague.LIT."), *Jid::parse("romeo@montague.lit"));
    EXPECT_NE(*Jid::parse("romeo@montague.lit/A"), *Jid::parse("romeo@montague.lit/a"));
    EXPECT_LT(*Jid::parse("a@x"), *Jid::parse("b@x"));
    auto with = Jid::parse("romeo@montague.lit")->with_resource("orchard");
    ASSERT_TRUE(with);
    EXPECT_EQ(with->str(), "romeo@montague.lit/orchard");
}

TEST(XmppJid, AcceptsUnicodeAndIpLiterals) {
    EXPECT_TRUE(Jid::parse("\xC3\xA9lodie@\xC3\xA9xample.fr/\xE2\x99\x9A"));
    EXPECT_TRUE(Jid::parse("user@[::1]/r"));
    EXPECT_TRUE(Jid::parse("user@127.0.0.1"));
}

TEST(XmppJid, RejectsWhatRfc7622Forbids) {
    for (const char* bad : {"",
                            "@example.com",
                            "user@",
                            "user@example.com/",
                            "us er@example.com",
                            "us\"er@example.com",
                            "us&er@x",
                            "us'er@x",
                            "us:er@x",
                            "us<er@x",
                            "us>er@x",
                            "a@b@c",
                            "user@exa mple.com",
                            "user@-bad.com",
                            "user@bad..com",
                            "user@.",
                            "user@x/res\x01",
                            "user\x7f@x",
                            "user@[zz]",
                            "\xC3(@x",
                            "x@\xE0\x80\x80",
                            "x@y/\xED\xA0\x80"}) {
        auto r = Jid::parse(bad);
        EXPECT_FALSE(r) << "accepted: " << bad;
    }
}

TEST(XmppJid, EnforcesLengthLimits) {
    std::string local(1023, 'a');
    EXPECT_TRUE(Jid::parse(local + "@x"));
    EXPECT_FALSE(Jid::parse(local + "a@x"));
    std::string res(1024, 'r');
    EXPECT_FALSE(Jid::parse("a@x/" + res));
    EXPECT_FALSE(Jid::parse("a@" + std::string(64, 'd') + ".com"));  // label over 63
    EXPECT_FALSE(Jid::parse(std::string(5000, 'a')));
}

TEST(XmppJid, ErrorOffsetPointsIntoText) {
    auto r = Jid::parse("user@exa mple.com");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().offset, 8u);
    auto r2 = Jid::parse("us er@example.com");
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().offset, 2u);
}
