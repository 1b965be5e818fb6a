// UdpSender: one UDP socket that sends the datagram CIRs: SUDP (the WVCI line to the phone's
// address at its UDPPort) and WAPUDP (a WSP push PDU to port 2948). UDP says nothing about
// delivery; the Waker resends while the phone does not poll.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "onesoup/core/result.hpp"

namespace onesoup::transport::cir {

// WAP push over UDP goes to the connectionless WSP port (WAP-230 WSP, 2948).
inline constexpr std::uint16_t kWapPushPort = 2948;

struct UdpOptions {
    std::string address = "0.0.0.0";  // the address datagrams leave from ("::" for IPv6 too)
    std::uint16_t port = 0;            // 0 = any port
};

struct UdpStats {
    std::uint64_t sent = 0;
    std::uint64_t failed = 0;  // bad address or a local send error
};

class UdpSender {
  public:
    UdpSender(boost::asio::io_context& io, UdpOptions options);
    ~UdpSender();
    UdpSender(const UdpSender&) = delete;
    UdpSender& operator=(const UdpSender&) = delete;

    [[nodiscard]] Result<void> start();
    [[nodiscard]] std::uint16_t port() const;
    void stop();

    // Sends one datagram (asynchronously; the payload is kept until sent). Returns false at once
    // (and counts it as failed) if `address` is not an IP address, is the unspecified address,
    // is IPv6 on an IPv4 socket, if `port` is 0, or if the socket is not open.
    bool send(const std::string& address, std::uint16_t port, std::string payload);

    [[nodiscard]] const UdpStats& stats() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace onesoup::transport::cir
