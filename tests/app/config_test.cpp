// The config file: defaults, every key, relative paths, and an error naming the key and the line
// for each kind of mistake.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config.hpp"
#include "config_test_support.hpp"

using onesoup::app::account_user;
using onesoup::app::Config;
using onesoup::app::DomainSection;
using onesoup::app::load_config;
using onesoup::app::LogLevel;
using onesoup::app::parse_config;

namespace {

using onesoup::app::test::parse_error;
using onesoup::app::test::parse_ok;

TEST(Config, EmptyFileGivesDefaults) {
    const Config c = parse_ok("");
    EXPECT_EQ(c.http.address, "127.0.0.1");
    EXPECT_EQ(c.http.port, 8080);
    EXPECT_EQ(c.http.path, "/wv");
    EXPECT_EQ(c.http.max_body, 64u * 1024);
    EXPECT_TRUE(c.http.tls_certificate.empty());
    EXPECT_EQ(c.imps.default_domain, "localhost");
    EXPECT_EQ(c.imps.keep_alive_default.count(), 300);
    EXPECT_EQ(c.store.database, "/etc/onesoup/onesoup.db");
    EXPECT_EQ(c.store.key_file, "/etc/onesoup/onesoup.key");
    EXPECT_EQ(c.log.level, LogLevel::info);
    EXPECT_TRUE(c.domains.empty());
    EXPECT_FALSE(c.has_local_domain());
}

TEST(Config, EveryKey) {
    const Config c = parse_ok(R"(
[http]
address = "0.0.0.0"
port = 8081
path = "/imps/wv"
tls_certificate = "certs/server.pem"
tls_private_key = "/abs/server.key"
max_body = 131072
max_header = 4096
request_timeout = 20
idle_timeout = 300
max_connections = 5000

[imps]
default_domain = "Chat.Example"
keep_alive_default = 600
keep_alive_min = 60
keep_alive_max = 3600
keep_alive_grace = 30
server_poll_min = 15

[store]
database = "var/accounts.db"
key_file = "../keys/onesoup.key"

[log]
level = "debug"

[[domain]]
name = "chat.example"
mode = "local"
xmpp_host = "127.0.0.1"
xmpp_port = 5223
tls = "optional"
tls_verify = false
allow_plain_without_tls = true
register_in_band = false

[[domain]]
name = "example.org"
mode = "pass-through"
tls = "off"
tls_name = "xmpp.example.org"
)");
    EXPECT_EQ(c.http.address, "0.0.0.0");
    EXPECT_EQ(c.http.port, 8081);
    EXPECT_EQ(c.http.path, "/imps/wv");
    EXPECT_EQ(c.http.tls_certificate, "/etc/onesoup/certs/server.pem");
    EXPECT_EQ(c.http.tls_private_key, "/abs/server.key");
    EXPECT_EQ(c.http.max_body, 131072u);
    EXPECT_EQ(c.http.max_header, 4096u);
    EXPECT_EQ(c.http.request_timeout.count(), 20);
    EXPECT_EQ(c.http.idle_timeout.count(), 300);
    EXPECT_EQ(c.http.max_connections, 5000u);
    EXPECT_EQ(c.imps.default_domain, "chat.example");
    EXPECT_EQ(c.imps.keep_alive_default.count(), 600);
    EXPECT_EQ(c.imps.keep_alive_min.count(), 60);
    EXPECT_EQ(c.imps.keep_alive_max.count(), 3600);
    EXPECT_EQ(c.imps.keep_alive_grace.count(), 30);
    EXPECT_EQ(c.imps.server_poll_min.count(), 15);
    EXPECT_EQ(c.store.database, "/etc/onesoup/var/accounts.db");
    EXPECT_EQ(c.store.key_file, "/etc/keys/onesoup.key");
    EXPECT_EQ(c.log.level, LogLevel::debug);
    ASSERT_EQ(c.domains.size(), 2u);
    const DomainSection& a = c.domains[0];
    EXPECT_EQ(a.name, "chat.example");
    EXPECT_EQ(a.mode, DomainSection::Mode::local);
    EXPECT_EQ(a.xmpp_host, "127.0.0.1");
    EXPECT_EQ(a.xmpp_port, 5223);
    EXPECT_EQ(a.tls, DomainSection::Tls::optional);
    EXPECT_FALSE(a.tls_verify);
    EXPECT_TRUE(a.allow_plain_without_tls);
    EXPECT_FALSE(a.register_in_band);
    EXPECT_EQ(a.line, 29);  // the [[domain]] header
    const DomainSection& b = c.domains[1];
    EXPECT_EQ(b.mode, DomainSection::Mode::pass_through);
    EXPECT_EQ(b.tls, DomainSection::Tls::off);
    EXPECT_EQ(b.tls_name, "xmpp.example.org");
    EXPECT_EQ(b.xmpp_port, 5222);
    EXPECT_TRUE(b.tls_verify);
    EXPECT_TRUE(c.has_local_domain());
    EXPECT_EQ(c.domain("CHAT.example"), &c.domains[0]);
    EXPECT_EQ(c.domain("other.example"), nullptr);
}

TEST(Config, DomainDefaults) {
    const Config c = parse_ok("[[domain]]\nname = \"a.test\"\n");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].mode, DomainSection::Mode::pass_through);
    EXPECT_EQ(c.domains[0].tls, DomainSection::Tls::required);
    EXPECT_TRUE(c.domains[0].tls_verify);
    EXPECT_FALSE(c.domains[0].allow_plain_without_tls);
    EXPECT_TRUE(c.domains[0].register_in_band);
    EXPECT_TRUE(c.domains[0].xmpp_host.empty());
}

TEST(Config, PortZeroMeansAnyFreePort) {
    EXPECT_EQ(parse_ok("[http]\nport = 0\n").http.port, 0);
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
    const std::string e = parse_error("[http]\nport = 8080\nprot = 1\n");
    EXPECT_NE(e.find("test.toml:3:"), std::string::npos) << e;
    EXPECT_NE(e.find("[http] prot"), std::string::npos) << e;
    EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
    EXPECT_NE(e.find("port"), std::string::npos) << e;  // the known keys are listed
}

TEST(Config, UnknownKeyInDomain) {
    const std::string e = parse_error(
        "[[domain]]\nname = \"a.test\"\n\n[[domain]]\nname = \"b.test\"\nhost = \"x\"\n");
    EXPECT_NE(e.find("test.toml:6:"), std::string::npos) << e;
    EXPECT_NE(e.find("[domain] host"), std::string::npos) << e;
}

TEST(Config, UnknownSection) {
    const std::string e = parse_error("\n[htpp]\nport = 1\n");
    EXPECT_NE(e.find("test.toml:2:"), std::string::npos) << e;
    EXPECT_NE(e.find("htpp"), std::string::npos) << e;
}

TEST(Config, UnknownTopLevelKey) {
    const std::string e = parse_error("port = 8080\n");
    EXPECT_NE(e.find("test.toml:1:"), std::string::npos) << e;
    EXPECT_NE(e.find("\"port\""), std::string::npos) << e;
}

TEST(Config, SyntaxErrorNamesLine) {
    const std::string e = parse_error("[http]\nport = 80\naddress = \"unterminated\n");
    EXPECT_NE(e.find("test.toml:3:"), std::string::npos) << e;
}

TEST(Config, BadValuesNameKeyAndLine) {
    struct Case {
        const char* text;
        const char* where;  // "line: [section] key"
        const char* says;
    };
    const Case cases[] = {
        {"[http]\nport = 70000\n", "test.toml:2: [http] port", "70000 is out of range"},
        {"[http]\nport = -1\n", "test.toml:2: [http] port", "out of range"},
        {"[http]\nport = \"8080\"\n", "test.toml:2: [http] port", "whole number"},
        {"[http]\nport = 80.5\n", "test.toml:2: [http] port", "whole number"},
        {"[http]\npath = \"wv\"\n", "[http] path", "must start with \"/\""},
        {"[http]\naddress = \"\"\n", "[http] address", "must not be empty"},
        {"[http]\nmax_body = 10\n", "test.toml:2: [http] max_body", "out of range"},
        {"[http]\nrequest_timeout = 0\n", "test.toml:2: [http] request_timeout", "out of range"},
        {"[http]\ntls_certificate = \"a.pem\"\n", "[http]", "go together"},
        {"[imps]\nkeep_alive_min = 600\n", "[imps] keep_alive_default", "keep_alive_min <="},
        {"[imps]\nkeep_alive_max = 10\n", "[imps] keep_alive_default", "does not hold"},
        {"[imps]\ndefault_domain = \"a b\"\n", "[imps] default_domain", "domain name"},
        {"[imps]\nserver_poll_min = true\n", "test.toml:2: [imps] server_poll_min", "seconds"},
        {"[store]\ndatabase = 5\n", "test.toml:2: [store] database", "string"},
        {"[log]\nlevel = \"loud\"\n", "test.toml:2: [log] level",
         "\"loud\" is not one of \"debug\", \"info\", \"warning\", \"error\""},
        {"[[domain]]\nname = \"a.test\"\nmode = \"remote\"\n", "test.toml:3: [domain] mode",
         "\"pass-through\", \"local\""},
        {"[[domain]]\nname = \"a.test\"\ntls = \"maybe\"\n", "test.toml:3: [domain] tls",
         "\"required\", \"optional\", \"off\""},
        {"[[domain]]\nname = \"a.test\"\ntls_verify = \"no\"\n", "test.toml:3: [domain] tls_verify",
         "true or false"},
        {"[[domain]]\nname = \"a.test\"\nxmpp_port = 0\n", "test.toml:3: [domain] xmpp_port",
         "out of range"},
        {"[[domain]]\nmode = \"local\"\n", "test.toml:1: [domain] name", "needs a name"},
        {"[[domain]]\nname = \"a@b\"\n", "[domain] name", "not a domain name"},
        {"[[domain]]\nname = \"a.test\"\n[[domain]]\nname = \"A.test\"\n",
         "test.toml:3: [domain] name", "appears twice"},
        {"[domain]\nname = \"a.test\"\n", "test.toml:1:", "[[domain]]"},
        {"http = 5\n", "test.toml:1:", "[http] table"},
    };
    for (const Case& c : cases) {
        const std::string e = parse_error(c.text);
        EXPECT_NE(e.find(c.where), std::string::npos) << c.text << "\n  -> " << e;
        EXPECT_NE(e.find(c.says), std::string::npos) << c.text << "\n  -> " << e;
    }
}

TEST(Config, ExampleConfigIsValid) {
    auto c = load_config(ONESOUP_EXAMPLE_CONFIG);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_FALSE(c->domains.empty());
    // Relative paths in it are taken from its folder.
    const auto dir = std::filesystem::path(ONESOUP_EXAMPLE_CONFIG).parent_path();
    EXPECT_EQ(std::filesystem::path(c->store.key_file).parent_path(), dir.lexically_normal())
        << c->store.key_file;
}

TEST(Config, LoadResolvesPathsFromTheFilesFolder) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("onesoup-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "o.toml") << "[store]\ndatabase = \"data/a.db\"\n";
    auto c = load_config((dir / "o.toml").string());
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->store.database, (dir / "data/a.db").string());
    EXPECT_EQ(c->store.key_file, (dir / "onesoup.key").string());
}

TEST(Config, MissingFileIsAnError) {
    auto c = load_config("/nonexistent/onesoup.toml");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("/nonexistent/onesoup.toml"), std::string::npos);
}

TEST(AccountUser, Normalises) {
    EXPECT_EQ(*account_user("alice@chat.example", "x"), "alice@chat.example");
    EXPECT_EQ(*account_user("wv:Alice@Chat.Example", "x"), "alice@chat.example");
    EXPECT_EQ(*account_user("WV:bob", "chat.example"), "bob@chat.example");
    EXPECT_EQ(*account_user("bob", "Chat.Example"), "bob@chat.example");
}

TEST(AccountUser, RefusesWhatCannotBeAUser) {
    for (const char* bad : {"", "wv:", "@chat.example", "alice@", "a@b@c", "al ice@x", "a/b@x",
                            "alice@x/res", "a\"b@x", "a:b@x", "a<b@x"}) {
        EXPECT_FALSE(account_user(bad, "chat.example").ok()) << bad;
    }
}

}  // namespace
