// The phone number headers and the URL the daemon announces.
#include <gtest/gtest.h>

#include "msisdn.hpp"

using onesoup::app::HttpSection;
using onesoup::app::listen_url;
using onesoup::app::msisdn_from_headers;

TEST(Msisdn, FirstPlausibleHeaderInOrder) {
    EXPECT_EQ(msisdn_from_headers("+358401234567", "111", "222"), "+358401234567");
    EXPECT_EQ(msisdn_from_headers("", "358401234567", "222"), "358401234567");
    EXPECT_EQ(msisdn_from_headers("", "", " 4915112345678 "), "4915112345678");
    EXPECT_EQ(msisdn_from_headers("", "", ""), "");
}

TEST(Msisdn, ImplausibleValuesAreIgnored) {
    EXPECT_EQ(msisdn_from_headers("unknown", "12", "1234567890123456"), "");
    EXPECT_EQ(msisdn_from_headers("+", "12a45", "<script>"), "");
    EXPECT_EQ(msisdn_from_headers("123\r\nX: y", "", "5551234"), "5551234");
}

TEST(ListenUrl, Forms) {
    HttpSection http;
    EXPECT_EQ(listen_url(http, 8080), "http://127.0.0.1:8080/wv");
    http.address = "::1";
    http.path = "/imps";
    EXPECT_EQ(listen_url(http, 80), "http://[::1]:80/imps");
    http.address = "0.0.0.0";
    http.tls_certificate = "/c.pem";
    http.tls_private_key = "/k.pem";
    EXPECT_EQ(listen_url(http, 8443), "https://0.0.0.0:8443/imps");
}
