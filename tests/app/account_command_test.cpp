// `onesoup account ...` against a real store in a temporary folder: the account's phone number
// (--msisdn, `account msisdn`, shown by `account list`) for SMS CIR (issue 4).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "account_command.hpp"
#include "config.hpp"
#include "onesoup/store/account_store.hpp"

namespace {

using namespace onesoup::app;
namespace fs = std::filesystem;

// Collects what a command prints on standard output and standard error.
class Captured {
  public:
    Captured() : out_(std::cout.rdbuf(out_text_.rdbuf())), err_(std::cerr.rdbuf(err_text_.rdbuf())) {}
    ~Captured() {
        std::cout.rdbuf(out_);
        std::cerr.rdbuf(err_);
    }
    Captured(const Captured&) = delete;
    Captured& operator=(const Captured&) = delete;

    [[nodiscard]] std::string out() const { return out_text_.str(); }
    [[nodiscard]] std::string err() const { return err_text_.str(); }

  private:
    std::ostringstream out_text_;
    std::ostringstream err_text_;
    std::streambuf* out_;
    std::streambuf* err_;
};

class AccountCommand : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "onesoup-account.XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        config_.file = (dir_ / "onesoup.toml").string();
        config_.imps.default_domain = "chat.example";
        config_.store.database = (dir_ / "onesoup.db").string();
        config_.store.key_file = (dir_ / "onesoup.key").string();
        DomainSection local;
        local.name = "chat.example";
        local.mode = DomainSection::Mode::local;
        config_.domains.push_back(local);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // The account as the store has it (the command's own store is closed by then).
    std::optional<onesoup::store::Account> stored(const std::string& user) const {
        auto key = onesoup::store::SecretKey::load_or_create(config_.store.key_file);
        EXPECT_TRUE(key.ok());
        auto store = onesoup::store::open_sqlite_account_store(config_.store.database, *key);
        EXPECT_TRUE(store.ok());
        auto found = (*store)->find(user);
        EXPECT_TRUE(found.ok());
        return found.ok() ? *found : std::nullopt;
    }

    static PasswordSource password(const std::string& p) {
        PasswordSource s;
        s.value = p;
        return s;
    }

    fs::path dir_;
    Config config_;
};

TEST(NormaliseMsisdn, AcceptsInternationalNumbersOnly) {
    EXPECT_EQ(*normalise_msisdn("+4915112345678"), "+4915112345678");
    EXPECT_EQ(*normalise_msisdn("+49 151 1234-5678"), "+4915112345678");
    EXPECT_EQ(*normalise_msisdn("015112345678"), "015112345678");
    EXPECT_EQ(*normalise_msisdn("+123456789012345"), "+123456789012345");  // 15 digits
    for (const char* bad : {"", "+", "12", "+12", "+1234567890123456", "+49x151", "+49151,+49152",
                            "+49 151\t1", "++49151", "49151+"}) {
        auto r = normalise_msisdn(bad);
        EXPECT_FALSE(r.ok()) << bad;
    }
    auto r = normalise_msisdn("call me");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not a phone number"), std::string::npos);
}

TEST_F(AccountCommand, AddWithMsisdnAndList) {
    {
        Captured c;
        EXPECT_EQ(account_add(config_, "alice", password("pw"), std::string("+49 151 1111-1111")),
                  0)
            << c.err();
        EXPECT_NE(c.out().find("added wv:alice@chat.example (phone +4915111111111)"),
                  std::string::npos)
            << c.out();
    }
    {
        Captured c;
        EXPECT_EQ(account_add(config_, "bob", password("pw")), 0) << c.err();
    }
    EXPECT_EQ(stored("alice@chat.example")->msisdn, "+4915111111111");
    EXPECT_EQ(stored("bob@chat.example")->msisdn, "");

    Captured c;
    EXPECT_EQ(account_list(config_), 0);
    const std::string out = c.out();
    const auto alice = out.find("wv:alice@chat.example");
    const auto bob = out.find("wv:bob@chat.example");
    ASSERT_NE(alice, std::string::npos) << out;
    ASSERT_NE(bob, std::string::npos) << out;
    EXPECT_NE(out.substr(alice, bob - alice).find("phone +4915111111111"), std::string::npos)
        << out;
    EXPECT_EQ(out.substr(bob).find("phone"), std::string::npos) << out;
}

TEST_F(AccountCommand, AddWithBadMsisdnChangesNothing) {
    Captured c;
    EXPECT_EQ(account_add(config_, "alice", password("pw"), std::string("+49 151 1111 x")), 1);
    EXPECT_NE(c.err().find("not a phone number"), std::string::npos) << c.err();
    EXPECT_FALSE(stored("alice@chat.example").has_value());
}

TEST_F(AccountCommand, MsisdnSetShowClear) {
    {
        Captured c;
        ASSERT_EQ(account_add(config_, "wv:carol@chat.example", password("pw")), 0) << c.err();
    }
    {
        Captured c;
        EXPECT_EQ(account_msisdn(config_, "carol", std::nullopt), 0);
        EXPECT_NE(c.err().find("has no phone number"), std::string::npos) << c.err();
        EXPECT_EQ(c.out(), "");
    }
    {
        Captured c;
        EXPECT_EQ(account_msisdn(config_, "Carol@chat.example", std::string("+44 7700 900123")), 0)
            << c.err();
        EXPECT_NE(c.out().find("+447700900123"), std::string::npos) << c.out();
    }
    EXPECT_EQ(stored("carol@chat.example")->msisdn, "+447700900123");
    // The password is unchanged.
    EXPECT_EQ(stored("carol@chat.example")->password, "pw");
    {
        Captured c;
        EXPECT_EQ(account_msisdn(config_, "carol", std::nullopt), 0);
        EXPECT_EQ(c.out(), "+447700900123\n");
    }
    {
        Captured c;
        EXPECT_EQ(account_msisdn(config_, "carol", std::string("12")), 1);
        EXPECT_NE(c.err().find("not a phone number"), std::string::npos) << c.err();
    }
    EXPECT_EQ(stored("carol@chat.example")->msisdn, "+447700900123");
    {
        Captured c;
        EXPECT_EQ(account_msisdn(config_, "carol", std::string()), 0) << c.err();
        EXPECT_NE(c.out().find("cleared"), std::string::npos) << c.out();
    }
    EXPECT_EQ(stored("carol@chat.example")->msisdn, "");
    {
        Captured c;
        EXPECT_EQ(account_msisdn(config_, "nobody", std::string("+4915100000000")), 1);
        EXPECT_NE(c.err().find("no account"), std::string::npos) << c.err();
        EXPECT_EQ(account_msisdn(config_, "nobody", std::nullopt), 1);
    }
}

}  // namespace
