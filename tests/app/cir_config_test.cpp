// The [cir] sections of the config file: defaults, every key, and an error naming the table, the
// key and the line for each kind of mistake.
#include <gtest/gtest.h>

#include <string>

#include "config.hpp"
#include "config_test_support.hpp"

using onesoup::app::Config;
using onesoup::app::load_config;
using onesoup::app::parse_config;

namespace {

using onesoup::app::test::parse_error;
using onesoup::app::test::parse_ok;

TEST(CirConfig, Defaults) {
    const Config c = parse_ok("");
    const std::vector<std::string> all{"STCP", "SHTTP", "SUDP", "WAPUDP", "WAPSMS", "SSMS"};
    EXPECT_EQ(c.cir.methods, all);
    EXPECT_EQ(c.cir.poll_min_with_cir.count(), 300);
    EXPECT_EQ(c.cir.stcp.address, "127.0.0.1");
    EXPECT_EQ(c.cir.stcp.port, 3717);
    EXPECT_EQ(c.cir.stcp.public_address, "");
    EXPECT_EQ(c.cir.stcp.public_port, 0);
    EXPECT_EQ(c.cir.stcp.helo_timeout.count(), 30);
    EXPECT_EQ(c.cir.stcp.idle_timeout.count(), 3600);
    EXPECT_EQ(c.cir.http.hold.count(), 50);
    EXPECT_EQ(c.cir.http.public_url, "");
    EXPECT_EQ(c.cir.udp.address, "0.0.0.0");
    ASSERT_EQ(c.cir.udp.resend.size(), 4u);
    EXPECT_EQ(c.cir.udp.resend[0].count(), 2);
    EXPECT_EQ(c.cir.udp.resend[3].count(), 16);
    EXPECT_EQ(c.cir.sms.sendsms_url, "");
    EXPECT_EQ(c.cir.sms.min_interval.count(), 60);
    EXPECT_TRUE(c.cir.offers("STCP"));
    EXPECT_TRUE(c.cir.offers("wapsms"));
}

TEST(CirConfig, EveryKey) {
    const Config c = parse_ok(R"(
[cir]
methods = ["shttp", "STCP"]
poll_min_with_cir = 600

[cir.stcp]
address = "127.0.0.1"
port = 0
public_address = "im.example.org"
public_port = 4000
helo_timeout = 10
idle_timeout = 1800

[cir.http]
hold = 25
public_url = "https://im.example.org/cir/"

[cir.udp]
address = "::"
resend = [1, 3]

[cir.sms]
sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms"
username = "onesoup"
password = "pw"
from = "12345"
smsc = "fake"
min_interval = 120
)");
    const std::vector<std::string> methods{"SHTTP", "STCP"};
    EXPECT_EQ(c.cir.methods, methods);
    EXPECT_EQ(c.cir.poll_min_with_cir.count(), 600);
    EXPECT_EQ(c.cir.stcp.address, "127.0.0.1");
    EXPECT_EQ(c.cir.stcp.port, 0);
    EXPECT_EQ(c.cir.stcp.public_address, "im.example.org");
    EXPECT_EQ(c.cir.stcp.public_port, 4000);
    EXPECT_EQ(c.cir.stcp.helo_timeout.count(), 10);
    EXPECT_EQ(c.cir.stcp.idle_timeout.count(), 1800);
    EXPECT_EQ(c.cir.http.hold.count(), 25);
    EXPECT_EQ(c.cir.http.public_url, "https://im.example.org/cir/");
    EXPECT_EQ(c.cir.udp.address, "::");
    ASSERT_EQ(c.cir.udp.resend.size(), 2u);
    EXPECT_EQ(c.cir.udp.resend[1].count(), 3);
    EXPECT_EQ(c.cir.sms.sendsms_url, "http://127.0.0.1:13013/cgi-bin/sendsms");
    EXPECT_EQ(c.cir.sms.username, "onesoup");
    EXPECT_EQ(c.cir.sms.password, "pw");
    EXPECT_EQ(c.cir.sms.from, "12345");
    EXPECT_EQ(c.cir.sms.smsc, "fake");
    EXPECT_EQ(c.cir.sms.min_interval.count(), 120);
    EXPECT_FALSE(c.cir.offers("SUDP"));
}

TEST(CirConfig, DottedKeysWork) {
    const Config c = parse_ok("[cir]\nstcp.port = 5000\nudp.resend = []\n");
    EXPECT_EQ(c.cir.stcp.port, 5000);
    EXPECT_TRUE(c.cir.udp.resend.empty());
}

TEST(CirConfig, EmptyMethodsTurnCirOff) {
    const Config c = parse_ok("[cir]\nmethods = []\n");
    EXPECT_TRUE(c.cir.methods.empty());
    EXPECT_FALSE(c.cir.offers("STCP"));
}

TEST(CirConfig, BadValuesNameTableKeyAndLine) {
    struct Case {
        const char* text;
        const char* where;
        const char* says;
    };
    const Case cases[] = {
        {"[cir]\nmethods = [\"STCP\", \"FAX\"]\n", "test.toml:2: [cir] methods",
         "\"FAX\" is not a CIR method"},
        {"[cir]\nmethods = [\"STCP\", \"stcp\"]\n", "test.toml:2: [cir] methods", "appears twice"},
        {"[cir]\nmethods = \"STCP\"\n", "test.toml:2: [cir] methods", "must be a list"},
        {"[cir]\nmethods = [1]\n", "test.toml:2: [cir] methods", "list of strings"},
        {"[cir]\npoll_min_with_cir = 0\n", "test.toml:2: [cir] poll_min_with_cir", "out of range"},
        {"[cir]\nstcp = 5\n", "test.toml:2: [cir] stcp", "must be a [cir.stcp] table"},
        {"[cir]\nwhat = 1\n", "test.toml:2: [cir] what", "unknown key"},
        {"[cir.stcp]\nport = 70000\n", "test.toml:2: [cir.stcp] port", "out of range"},
        {"[cir.stcp]\n\nprot = 1\n", "test.toml:3: [cir.stcp] prot", "unknown key"},
        {"[cir.stcp]\naddress = \"\"\n", "[cir.stcp] address", "must not be empty"},
        {"[cir.stcp]\npublic_address = \"a b\"\n", "[cir.stcp] public_address", "not a host name"},
        {"[cir.stcp]\nhelo_timeout = 0\n", "test.toml:2: [cir.stcp] helo_timeout", "out of range"},
        {"[cir.http]\nhold = 0\n", "test.toml:2: [cir.http] hold", "out of range"},
        {"[cir.http]\npublic_url = \"im.example.org/cir/\"\n", "[cir.http] public_url",
         "must start with http://"},
        {"[cir.udp]\nresend = [2, 0]\n", "test.toml:2: [cir.udp] resend", "from 1 to 3600"},
        {"[cir.udp]\nresend = 2\n", "test.toml:2: [cir.udp] resend", "list of seconds"},
        {"[cir.sms]\nsendsms_url = \"https://kannel/cgi-bin/sendsms\"\n", "[cir.sms] sendsms_url",
         "must start with http://"},
        {"[cir.sms]\nmin_interval = -1\n", "test.toml:2: [cir.sms] min_interval", "out of range"},
        {"[cir.sms]\nuser = \"x\"\n", "test.toml:2: [cir.sms] user", "unknown key"},
    };
    for (const Case& c : cases) {
        const std::string e = parse_error(c.text);
        EXPECT_NE(e.find(c.where), std::string::npos) << c.text << "\n-> " << e;
        EXPECT_NE(e.find(c.says), std::string::npos) << c.text << "\n-> " << e;
    }
}

TEST(CirConfig, UnknownSectionListsCir) {
    const std::string e = parse_error("[cri]\n");
    EXPECT_NE(e.find("[cir]"), std::string::npos) << e;
}

TEST(CirConfig, ExampleFileHasEveryDefault) {
    // etc/onesoup.toml documents the defaults: reading it gives what no file gives.
    auto example = load_config(ONESOUP_EXAMPLE_CONFIG);
    ASSERT_TRUE(example.ok()) << example.error().message;
    const Config defaults = parse_ok("");
    EXPECT_EQ(example->cir.methods, defaults.cir.methods);
    EXPECT_EQ(example->cir.poll_min_with_cir, defaults.cir.poll_min_with_cir);
    EXPECT_EQ(example->cir.stcp.address, defaults.cir.stcp.address);
    EXPECT_EQ(example->cir.stcp.port, defaults.cir.stcp.port);
    EXPECT_EQ(example->cir.stcp.public_address, defaults.cir.stcp.public_address);
    EXPECT_EQ(example->cir.stcp.public_port, defaults.cir.stcp.public_port);
    EXPECT_EQ(example->cir.stcp.helo_timeout, defaults.cir.stcp.helo_timeout);
    EXPECT_EQ(example->cir.stcp.idle_timeout, defaults.cir.stcp.idle_timeout);
    EXPECT_EQ(example->cir.http.hold, defaults.cir.http.hold);
    EXPECT_EQ(example->cir.http.public_url, defaults.cir.http.public_url);
    EXPECT_EQ(example->cir.udp.address, defaults.cir.udp.address);
    EXPECT_EQ(example->cir.udp.resend, defaults.cir.udp.resend);
    EXPECT_EQ(example->cir.sms.sendsms_url, defaults.cir.sms.sendsms_url);
    EXPECT_EQ(example->cir.sms.min_interval, defaults.cir.sms.min_interval);
}

}  // namespace
