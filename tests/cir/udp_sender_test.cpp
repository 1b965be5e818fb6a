// UdpSender against real UDP sockets on loopback: the receiver gets exactly the bytes sent; bad
// addresses are refused at once and counted.
#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <poll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "onesoup/transport/cir/udp_sender.hpp"
#include "onesoup/transport/cir/wsp_push.hpp"

using namespace onesoup::transport::cir;
namespace asio = boost::asio;
using udp = asio::ip::udp;
using namespace std::string_literals;

namespace {

// A UDP socket the test reads from, bound to a free port on `address`.
struct Receiver {
    explicit Receiver(const std::string& address)
        : socket(io, udp::endpoint(asio::ip::make_address(address), 0)) {}

    std::uint16_t port() const { return socket.local_endpoint().port(); }

    // The next datagram and its sender, or nullopt after `timeout`.
    std::optional<std::pair<std::string, udp::endpoint>> receive(
        std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
        pollfd fd{socket.native_handle(), POLLIN, 0};
        if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        std::array<char, 65536> data{};
        udp::endpoint from;
        const std::size_t n = socket.receive_from(asio::buffer(data), from);
        return std::make_pair(std::string(data.data(), n), from);
    }

    asio::io_context io;
    udp::socket socket;
};

UdpOptions loopback_options() {
    UdpOptions options;
    options.address = "127.0.0.1";
    return options;
}

// Runs the sender's io_context until its sends have completed.
void drain(asio::io_context& io) {
    io.restart();
    io.run_for(std::chrono::seconds(3));
}

TEST(UdpSender, SendsTheExactBytes) {
    asio::io_context io;
    UdpSender sender(io, loopback_options());
    ASSERT_TRUE(sender.start().ok());
    EXPECT_NE(sender.port(), 0);
    Receiver receiver("127.0.0.1");

    // SUDP: the WVCI line with no line end; WAPUDP: the push PDU, binary with NULs and 0xFF.
    const std::string line = "WVCI 1.2 Cookie-1";
    const std::string pdu = wsp_cir_push(line, 0xFF) + "\0\xFF"s;
    EXPECT_TRUE(sender.send("127.0.0.1", receiver.port(), line));
    EXPECT_TRUE(sender.send("127.0.0.1", receiver.port(), pdu));
    drain(io);
    EXPECT_EQ(sender.stats().sent, 2u);
    EXPECT_EQ(sender.stats().failed, 0u);

    auto first = receiver.receive();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->first, "WVCI 1.2 Cookie-1");
    EXPECT_EQ(first->second.port(), sender.port());
    auto second = receiver.receive();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->first, pdu);
}

TEST(UdpSender, KeepsEveryPayloadUntilSent) {
    asio::io_context io;
    UdpSender sender(io, loopback_options());
    ASSERT_TRUE(sender.start().ok());
    Receiver receiver("127.0.0.1");
    constexpr int kCount = 100;
    for (int i = 0; i < kCount; ++i) {
        // A temporary each time: the sender must keep its own copy until the send completes.
        ASSERT_TRUE(sender.send("127.0.0.1", receiver.port(), "datagram " + std::to_string(i)));
    }
    drain(io);
    EXPECT_EQ(sender.stats().sent, static_cast<std::uint64_t>(kCount));
    for (int i = 0; i < kCount; ++i) {
        auto got = receiver.receive();
        ASSERT_TRUE(got.has_value()) << i;
        EXPECT_EQ(got->first, "datagram " + std::to_string(i));
    }
}

TEST(UdpSender, BadAddressesAreRefusedAtOnce) {
    asio::io_context io;
    UdpSender sender(io, loopback_options());
    ASSERT_TRUE(sender.start().ok());
    EXPECT_FALSE(sender.send("", 3717, "WVCI 1.2 x"));
    EXPECT_FALSE(sender.send("phone.example.net", 3717, "WVCI 1.2 x"));
    EXPECT_FALSE(sender.send("127.0.0.300", 3717, "WVCI 1.2 x"));
    EXPECT_FALSE(sender.send("0.0.0.0", 3717, "WVCI 1.2 x"));
    EXPECT_FALSE(sender.send("127.0.0.1", 0, "WVCI 1.2 x"));
    // An IPv4 socket cannot reach an IPv6 phone.
    EXPECT_FALSE(sender.send("::1", 3717, "WVCI 1.2 x"));
    drain(io);
    EXPECT_EQ(sender.stats().failed, 6u);
    EXPECT_EQ(sender.stats().sent, 0u);
}

TEST(UdpSender, NotStartedOrStoppedRefuses) {
    asio::io_context io;
    UdpSender sender(io, loopback_options());
    EXPECT_FALSE(sender.send("127.0.0.1", 3717, "x"));
    ASSERT_TRUE(sender.start().ok());
    sender.stop();
    EXPECT_FALSE(sender.send("127.0.0.1", 3717, "x"));
    EXPECT_EQ(sender.stats().failed, 2u);
    EXPECT_EQ(sender.port(), 0);
}

TEST(UdpSender, StartErrorsSayWhy) {
    asio::io_context io;
    UdpOptions bad;
    bad.address = "not an address";
    UdpSender sender(io, bad);
    auto started = sender.start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("not an address"), std::string::npos);

    // A port some other socket holds.
    Receiver taken("127.0.0.1");
    UdpOptions busy = loopback_options();
    busy.port = taken.port();
    UdpSender second(io, busy);
    started = second.start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find(std::to_string(busy.port)), std::string::npos);
}

TEST(UdpSender, DualStackReachesIpv4AndIpv6) {
    asio::io_context io;
    UdpOptions options;
    options.address = "::";
    UdpSender sender(io, options);
    if (!sender.start().ok()) GTEST_SKIP() << "no IPv6 on this host";
    Receiver v4("127.0.0.1");
    EXPECT_TRUE(sender.send("127.0.0.1", v4.port(), "to v4"));
    std::optional<Receiver> v6;
    try {
        v6.emplace("::1");
    } catch (const std::exception&) {
        // Loopback without ::1 (some containers): the IPv4 half is still checked.
    }
    if (v6) {
        EXPECT_TRUE(sender.send("::1", v6->port(), "to v6"));
    }
    drain(io);
    auto got = v4.receive();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->first, "to v4");
    if (v6) {
        got = v6->receive();
        ASSERT_TRUE(got.has_value());
        EXPECT_EQ(got->first, "to v6");
    }
    EXPECT_EQ(sender.stats().failed, 0u);
}

}  // namespace
