// The CSP 1.1 spec examples go XML -> model -> XML unchanged, with nothing left unknown.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "onesoup/imps/model/message.hpp"
#include "test_support.hpp"

namespace {

using namespace onesoup::imps;

TEST(ModelCorpus, HasAllExamples) {
    EXPECT_EQ(onesoup::test::csp11_corpus().size(), 116u);
}

TEST(ModelCorpus, EveryExampleRoundTripsWithNothingUnknown) {
    int checked = 0;
    for (const auto& path : onesoup::test::csp11_corpus()) {
        SCOPED_TRACE(path.filename().string());
        auto doc = codec::decode_xml(onesoup::test::read_file(path));
        if (!doc) {
            ADD_FAILURE() << doc.error().describe();
            continue;
        }
        auto message = model::from_tree(doc->root, doc->version);
        if (!message) {
            ADD_FAILURE() << message.error().describe();
            continue;
        }
        EXPECT_EQ(model::first_unknown(*message), "");
        for (const auto& t : message->transactions)
            EXPECT_FALSE(std::holds_alternative<model::UnknownPrimitive>(t.content))
                << model::primitive_name(t.content);
        auto tree = model::to_tree(*message, doc->version);
        EXPECT_TRUE(codec::same_tree(doc->root, tree)) << codec::first_difference(doc->root, tree);

        // The tree written converts to the same model again.
        auto again = model::from_tree(tree, doc->version);
        if (!again) {
            ADD_FAILURE() << again.error().describe();
            continue;
        }
        EXPECT_TRUE(*again == *message);
        ++checked;
    }
    EXPECT_EQ(checked, 116);
}

TEST(ModelCorpus, EveryExampleWrittenInEveryVersionReadsBack) {
    for (const auto& path : onesoup::test::csp11_corpus()) {
        SCOPED_TRACE(path.filename().string());
        auto doc = codec::decode_xml(onesoup::test::read_file(path));
        ASSERT_TRUE(doc) << doc.error().describe();
        auto message = model::from_tree(doc->root, doc->version);
        ASSERT_TRUE(message) << message.error().describe();
        for (auto v : {codec::CspVersion::v1_1, codec::CspVersion::v1_2, codec::CspVersion::v1_3}) {
            SCOPED_TRACE(std::string(codec::version_text(v)));
            const auto tree = model::to_tree(*message, v);
            EXPECT_EQ(*tree.attribute("xmlns"), codec::namespace_uri(v, codec::NamespaceKind::csp));
            auto again = model::from_tree(tree, v);
            if (!again) {
                ADD_FAILURE() << again.error().describe();
                continue;
            }
            EXPECT_EQ(model::first_unknown(*again), "");
            const auto tree2 = model::to_tree(*again, v);
            EXPECT_TRUE(codec::same_tree(tree, tree2)) << codec::first_difference(tree, tree2);
            // Every transaction carries a TransactionID from 1.2 on.
            if (v != codec::CspVersion::v1_1) {
                for (const auto& t : again->transactions) EXPECT_TRUE(t.descriptor.id);
            }
        }
    }
}

TEST(ModelCorpus, EveryExampleSurvivesWbxml) {
    for (const auto& path : onesoup::test::csp11_corpus()) {
        SCOPED_TRACE(path.filename().string());
        auto doc = codec::decode_xml(onesoup::test::read_file(path));
        ASSERT_TRUE(doc) << doc.error().describe();
        auto message = model::from_tree(doc->root, doc->version);
        ASSERT_TRUE(message) << message.error().describe();
        auto wbxml = codec::encode_wbxml(model::to_tree(*message, doc->version), doc->version);
        if (!wbxml) {
            ADD_FAILURE() << wbxml.error().describe();
            continue;
        }
        auto back = codec::decode_wbxml(*wbxml);
        if (!back) {
            ADD_FAILURE() << back.error().describe();
            continue;
        }
        auto m2 = model::from_tree(back->root, back->version);
        if (!m2) {
            ADD_FAILURE() << m2.error().describe();
            continue;
        }
        const auto t1 = model::to_tree(*message, doc->version);
        const auto t2 = model::to_tree(*m2, doc->version);
        EXPECT_TRUE(codec::same_tree(t1, t2)) << codec::first_difference(t1, t2);
    }
}

}  // namespace
