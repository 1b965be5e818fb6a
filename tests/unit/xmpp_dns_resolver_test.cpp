#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "onesoup/xmpp/dns_resolver.hpp"

using namespace onesoup::xmpp;

namespace {

// Builds DNS response messages (RFC 1035 4.1) byte by byte, as a server would send them.
class DnsMessage {
  public:
    explicit DnsMessage(const std::string& question) {
        put16(0x1234);  // id
        put16(0x8180);  // response, recursion desired and available, no error
        put16(1);       // one question
        put16(0);       // answers: patched by answer()
        put16(0);
        put16(0);
        put_name(question);
        put16(33);  // SRV
        put16(1);   // IN
    }
    // An SRV record for the question's name (a pointer to offset 12); `target` is written as
    // labels, or, if `target_pointer` is set, as that compression pointer.
    DnsMessage& srv(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
                    const std::string& target, std::optional<std::uint16_t> target_pointer = {}) {
        std::vector<unsigned char> rdata;
        std::swap(rdata, bytes_);
        put16(priority);
        put16(weight);
        put16(port);
        if (target_pointer) {
            put16(static_cast<std::uint16_t>(0xC000 | *target_pointer));
        } else {
            put_name(target);
        }
        std::swap(rdata, bytes_);
        return record(33, rdata);
    }
    // Any record for the question's name.
    DnsMessage& record(std::uint16_t type, const std::vector<unsigned char>& rdata) {
        put16(0xC00C);
        put16(type);
        put16(1);
        put16(0);
        put16(300);  // TTL
        put16(static_cast<std::uint16_t>(rdata.size()));
        bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
        ++answers_;
        bytes_[6] = static_cast<unsigned char>(answers_ >> 8);
        bytes_[7] = static_cast<unsigned char>(answers_ & 0xFF);
        return *this;
    }
    [[nodiscard]] const std::vector<unsigned char>& bytes() const { return bytes_; }
    [[nodiscard]] std::vector<unsigned char>& bytes() { return bytes_; }

  private:
    void put16(std::uint16_t v) {
        bytes_.push_back(static_cast<unsigned char>(v >> 8));
        bytes_.push_back(static_cast<unsigned char>(v & 0xFF));
    }
    void put_name(const std::string& name) {
        std::size_t start = 0;
        while (start < name.size()) {
            auto dot = name.find('.', start);
            if (dot == std::string::npos) dot = name.size();
            bytes_.push_back(static_cast<unsigned char>(dot - start));
            bytes_.insert(bytes_.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
                          name.begin() + static_cast<std::ptrdiff_t>(dot));
            start = dot + 1;
        }
        bytes_.push_back(0);
    }

    std::vector<unsigned char> bytes_;
    std::uint16_t answers_ = 0;
};

}  // namespace

TEST(XmppDnsResolver, SrvQueryName) {
    EXPECT_EQ(xmpp_client_srv_name("example.org"), "_xmpp-client._tcp.example.org");
}

TEST(XmppDnsResolver, ParsesSrvRecords) {
    DnsMessage m("_xmpp-client._tcp.example.org");
    m.srv(10, 60, 5222, "xmpp1.example.org.")
        .record(5, {0})  // a CNAME (to the root, never mind): skipped
        .srv(20, 0, 5223, "xmpp2.example.org")
        // "_tcp.example.org" is at offset 12 + 1 + 12 = 25: the target is a pointer into the
        // question, as servers compress it.
        .srv(10, 40, 443, "", std::uint16_t{25});
    auto r = parse_srv_answer(m.bytes());
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_FALSE(r->service_unavailable);
    std::vector<SrvTarget> expected = {{"xmpp1.example.org", 5222, 10, 60},
                                       {"xmpp2.example.org", 5223, 20, 0},
                                       {"_tcp.example.org", 443, 10, 40}};
    EXPECT_EQ(r->targets, expected);
}

TEST(XmppDnsResolver, RootTargetMeansNoService) {
    DnsMessage m("_xmpp-client._tcp.example.org");
    m.srv(0, 0, 0, "");
    auto r = parse_srv_answer(m.bytes());
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_TRUE(r->service_unavailable);
    EXPECT_TRUE(r->targets.empty());

    // No answers at all is simply empty (the caller falls back to the A record).
    DnsMessage none("_xmpp-client._tcp.example.org");
    auto n = parse_srv_answer(none.bytes());
    ASSERT_TRUE(n);
    EXPECT_FALSE(n->service_unavailable);
    EXPECT_TRUE(n->targets.empty());
}

TEST(XmppDnsResolver, MalformedAnswersAreErrors) {
    DnsMessage m("_xmpp-client._tcp.example.org");
    m.srv(10, 0, 5222, "xmpp.example.org");
    const auto& good = m.bytes();
    // Every truncation of a valid message is refused, never read past its end.
    for (std::size_t len = 0; len < good.size(); ++len) {
        EXPECT_FALSE(parse_srv_answer(std::span(good.data(), len))) << len;
    }
    // An SRV record too short for its fixed fields.
    DnsMessage shorty("_xmpp-client._tcp.example.org");
    shorty.record(33, {0, 1, 0, 2, 0x14});
    EXPECT_FALSE(parse_srv_answer(shorty.bytes()));
    // A target name that runs past its record (into the next) is refused.
    DnsMessage overrun("_xmpp-client._tcp.example.org");
    overrun.record(33, {0, 1, 0, 2, 0x14, 0x66, 4, 'x', 'm'});
    overrun.record(1, {'p', 'p', 0, 1});
    EXPECT_FALSE(parse_srv_answer(overrun.bytes()));
    // A compression pointer that loops on itself.
    DnsMessage loop("_xmpp-client._tcp.example.org");
    std::size_t rdata_at = loop.bytes().size() + 12;
    loop.srv(1, 1, 1, "", static_cast<std::uint16_t>(rdata_at + 6));
    EXPECT_FALSE(parse_srv_answer(loop.bytes()));
}

TEST(XmppDnsResolver, OrdersByPriorityThenWeight) {
    std::vector<SrvTarget> records = {
        {"c", 1, 20, 5}, {"a1", 1, 10, 0}, {"b", 1, 30, 1}, {"a2", 1, 10, 0}};
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        auto ordered = order_srv_targets(records, seed);
        ASSERT_EQ(ordered.size(), 4u);
        EXPECT_EQ(ordered[0].priority, 10);
        EXPECT_EQ(ordered[1].priority, 10);
        EXPECT_EQ(ordered[2].host, "c");
        EXPECT_EQ(ordered[3].host, "b");
    }
    // The same seed gives the same order.
    EXPECT_EQ(order_srv_targets(records, 7), order_srv_targets(records, 7));
    EXPECT_TRUE(order_srv_targets({}, 1).empty());
}

TEST(XmppDnsResolver, WeightsShareTheFirstChoice) {
    // RFC 2782: a record's chance to be first is its weight over the group's total; weight 0
    // is chosen first only when the random pick is 0.
    std::vector<SrvTarget> records = {
        {"heavy", 1, 0, 60}, {"light", 1, 0, 30}, {"tiny", 1, 0, 10}, {"zero", 1, 0, 0}};
    std::map<std::string, int> first;
    const int runs = 20000;
    for (int i = 0; i < runs; ++i) {
        ++first[order_srv_targets(records, static_cast<std::uint64_t>(i) * 7919)[0].host];
    }
    auto share = [&](const std::string& host) { return double(first[host]) / runs; };
    EXPECT_NEAR(share("heavy"), 0.60, 0.03);
    EXPECT_NEAR(share("light"), 0.30, 0.03);
    EXPECT_NEAR(share("tiny"), 0.10, 0.02);
    EXPECT_LT(share("zero"), 0.03);
}

TEST(XmppDnsResolver, LookupOfAMissingNameFailsOnTheLoop) {
    boost::asio::io_context io;
    std::optional<onesoup::Result<SrvAnswer>> got;
    {
        DnsResolver resolver(io);
        resolver.lookup_srv(xmpp_client_srv_name("no-such-domain.invalid"),
                            [&](onesoup::Result<SrvAnswer> r) { got = std::move(r); });
        EXPECT_FALSE(got);  // never from inside the call
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!got && std::chrono::steady_clock::now() < deadline) {
            io.run_for(std::chrono::milliseconds(50));
            io.restart();
        }
    }
    ASSERT_TRUE(got.has_value());
    // Either no such name or no DNS server here: a failure or an empty answer, never a crash.
    if (*got) {
        EXPECT_TRUE((*got)->targets.empty());
    } else {
        EXPECT_NE(got->error().message.find("no-such-domain.invalid"), std::string::npos);
    }
}
