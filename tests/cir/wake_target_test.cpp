// The CIR method names and the WVCI line (CSP 1.2 Transport Binding section 8; reference notes
// section 6).
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "onesoup/transport/cir/wake_target.hpp"

using namespace onesoup::transport::cir;

namespace {

constexpr std::array<Method, 6> kAll{Method::stcp,    Method::shttp,   Method::sudp,
                                     Method::wap_udp, Method::wap_sms, Method::ssms};

TEST(WakeTarget, MethodNamesAreTheSupportedCirMethodSpellings) {
    EXPECT_EQ(method_name(Method::stcp), "STCP");
    EXPECT_EQ(method_name(Method::shttp), "SHTTP");
    EXPECT_EQ(method_name(Method::sudp), "SUDP");
    EXPECT_EQ(method_name(Method::wap_udp), "WAPUDP");
    EXPECT_EQ(method_name(Method::wap_sms), "WAPSMS");
    EXPECT_EQ(method_name(Method::ssms), "SSMS");
}

TEST(WakeTarget, EveryNameReadsBackAsItsMethod) {
    for (Method m : kAll) {
        const auto back = method_from_name(method_name(m));
        ASSERT_TRUE(back.has_value()) << method_name(m);
        EXPECT_EQ(*back, m);
    }
}

TEST(WakeTarget, MethodNamesAreCaseInsensitive) {
    EXPECT_EQ(method_from_name("stcp"), Method::stcp);
    EXPECT_EQ(method_from_name("Shttp"), Method::shttp);
    EXPECT_EQ(method_from_name("wapSMS"), Method::wap_sms);
    EXPECT_EQ(method_from_name("sSmS"), Method::ssms);
}

TEST(WakeTarget, UnknownNamesAreRefused) {
    EXPECT_FALSE(method_from_name("").has_value());
    EXPECT_FALSE(method_from_name("TCP").has_value());
    EXPECT_FALSE(method_from_name("STCP ").has_value());
    EXPECT_FALSE(method_from_name(" STCP").has_value());
    EXPECT_FALSE(method_from_name("STCPX").has_value());
    EXPECT_FALSE(method_from_name("WAP-UDP").has_value());
    EXPECT_FALSE(method_from_name("SMS").has_value());
    // Not a fold of some other byte onto a letter.
    const std::string folded{'S', '\xD4', 'C', 'P'};
    EXPECT_FALSE(method_from_name(folded).has_value());
}

TEST(WakeTarget, WakeLineIsWvciVersionCookie) {
    EXPECT_EQ(wake_line("1.2", "abc123"), "WVCI 1.2 abc123");
    EXPECT_EQ(wake_line("1.1", "wv:user@example.org#42"), "WVCI 1.1 wv:user@example.org#42");
    EXPECT_EQ(wake_line("1.3", "C"), "WVCI 1.3 C");
}

TEST(WakeTarget, WakeLineSplitsIntoThreeFieldsAsAndroidReadsIt) {
    // Android's SmsCirChannel splits the text on spaces and wants exactly three fields.
    const std::string line = wake_line("1.2", "Cookie-7");
    ASSERT_EQ(line.rfind("WVCI", 0), 0U);  // S60 wants WVCI at offset 0
    const auto first = line.find(' ');
    const auto second = line.find(' ', first + 1);
    ASSERT_NE(second, std::string::npos);
    EXPECT_EQ(line.find(' ', second + 1), std::string::npos);
    EXPECT_EQ(line.substr(first + 1, second - first - 1), "1.2");
    EXPECT_EQ(line.substr(second + 1), "Cookie-7");
    EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos);
}

TEST(WakeTarget, DefaultsAreCspDefaults) {
    const WakeTarget target;
    EXPECT_EQ(target.version, "1.2");
    EXPECT_EQ(target.udp_port, 3717);  // CSP 1.2 default UDPPort
    EXPECT_FALSE(target.has_queued);
    EXPECT_TRUE(target.methods.empty());
}

}  // namespace
