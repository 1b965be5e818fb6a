// UdpSender: the datagram CIRs (SUDP and WAPUDP) through one UDP socket on the io_context.
#include "onesoup/transport/cir/udp_sender.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>

#include <memory>
#include <string>
#include <utility>

namespace onesoup::transport::cir {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;

struct UdpSender::Impl {
    Impl(asio::io_context& context, UdpOptions opts) : options(std::move(opts)), socket(context) {}

    UdpOptions options;
    udp::socket socket;
    bool v6 = false;
    UdpStats stats;
};

UdpSender::UdpSender(asio::io_context& io, UdpOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

UdpSender::~UdpSender() {
    stop();
}

Result<void> UdpSender::start() {
    auto& impl = *impl_;
    if (impl.socket.is_open()) return {};
    error_code ec;
    const auto address = asio::ip::make_address(impl.options.address, ec);
    if (ec) {
        return make_error("CIR UDP: bad local address '" + impl.options.address +
                          "': " + ec.message());
    }
    const udp::endpoint local(address, impl.options.port);
    impl.socket.open(local.protocol(), ec);
    if (ec) return make_error("CIR UDP: cannot open a socket: " + ec.message());
    impl.v6 = address.is_v6();
    if (impl.v6 && address.to_v6().is_unspecified()) {
        // "::" serves IPv4 phones too, through v4-mapped addresses (RFC 4291 2.5.5.2).
        impl.socket.set_option(asio::ip::v6_only(false), ec);
        ec.clear();
    }
    impl.socket.bind(local, ec);
    if (ec) {
        error_code ignored;
        impl.socket.close(ignored);
        return make_error("CIR UDP: cannot bind " + impl.options.address + ":" +
                          std::to_string(impl.options.port) + ": " + ec.message());
    }
    return {};
}

std::uint16_t UdpSender::port() const {
    error_code ec;
    const auto local = impl_->socket.local_endpoint(ec);
    return ec ? 0 : local.port();
}

void UdpSender::stop() {
    error_code ignored;
    // Pending sends complete with operation_aborted and count as failed.
    impl_->socket.close(ignored);
}

bool UdpSender::send(const std::string& address, std::uint16_t port, std::string payload) {
    auto& impl = *impl_;
    if (!impl.socket.is_open()) {
        ++impl.stats.failed;
        return false;
    }
    error_code ec;
    auto destination = asio::ip::make_address(address, ec);
    if (ec || destination.is_unspecified() || port == 0) {
        ++impl.stats.failed;
        return false;
    }
    if (impl.v6 && destination.is_v4()) {
        destination = asio::ip::make_address_v6(asio::ip::v4_mapped, destination.to_v4());
    } else if (!impl.v6 && destination.is_v6()) {
        const auto v6 = destination.to_v6();
        if (!v6.is_v4_mapped()) {
            // An IPv4 socket cannot reach an IPv6 phone.
            ++impl.stats.failed;
            return false;
        }
        destination = asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
    }
    // The datagram's bytes must outlive the asynchronous send; the string's heap buffer (or the
    // unique_ptr's object) does not move when the handler is moved.
    auto data = std::make_unique<std::string>(std::move(payload));
    const auto buffer = asio::buffer(*data);
    impl.socket.async_send_to(
        buffer, udp::endpoint(destination, port),
        [impl = impl_, data = std::move(data)](const error_code& error, std::size_t) {
            if (error) {
                ++impl->stats.failed;
            } else {
                ++impl->stats.sent;
            }
        });
    return true;
}

const UdpStats& UdpSender::stats() const {
    return impl_->stats;
}

}  // namespace onesoup::transport::cir
