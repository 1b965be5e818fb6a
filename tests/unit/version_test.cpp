#include <gtest/gtest.h>

#include "onesoup/imps/codec/version.hpp"

using namespace onesoup::imps::codec;

TEST(Version, NamespacesRoundTrip) {
    for (auto v : {CspVersion::v1_1, CspVersion::v1_2, CspVersion::v1_3}) {
        for (auto k : {NamespaceKind::csp, NamespaceKind::trc, NamespaceKind::pa}) {
            auto uri = namespace_uri(v, k);
            EXPECT_EQ(version_of_namespace(uri), v) << uri;
            EXPECT_EQ(kind_of_namespace(uri), k) << uri;
        }
        EXPECT_EQ(version_of_public_id(wbxml_public_id(v)), v);
        EXPECT_EQ(parse_version_text(version_text(v)), v);
    }
    EXPECT_FALSE(version_of_namespace("http://www.wireless-village.org/CSP1.0"));
    EXPECT_FALSE(version_of_public_id(0x0f));
}

TEST(Version, ContentTypes) {
    EXPECT_EQ(encoding_of_content_type("application/vnd.wv.csp.wbxml"), Encoding::wbxml);
    EXPECT_EQ(encoding_of_content_type("Application/VND.wv.csp+xml; charset=utf-8"), Encoding::xml);
    EXPECT_FALSE(encoding_of_content_type("text/xml"));
    EXPECT_EQ(content_type(CspVersion::v1_3, Encoding::wbxml), "application/vnd.wv.csp+wbxml");
    EXPECT_EQ(content_type(CspVersion::v1_1, Encoding::xml), "application/vnd.wv.csp.xml");
}
