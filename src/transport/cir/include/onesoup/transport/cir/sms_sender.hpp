// SmsSender: sends SMS through Kannel's sendsms HTTP interface (Kannel user guide, "Sending
// SMS messages": GET /cgi-bin/sendsms?username=&password=&to=&text=[&udh=&coding=]). Used for
// the SSMS CIR (a text SMS with the WVCI line) and WAPSMS (a binary SMS: the WAP push UDH and
// the WSP push PDU). Kannel answers 202 "Accepted for delivery" (or 200 "Sent"); anything else,
// or no answer within the timeout, is a failure with Kannel's words.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "onesoup/core/result.hpp"

namespace onesoup::transport::cir {

struct SmsOptions {
    // The sendsms URL (http only; Kannel's smsbox listens on sendsms-port).
    std::string sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms";
    std::string username;  // sendsms-user group in kannel.conf
    std::string password;
    std::string from;      // sender number or name; "" = Kannel's default
    std::string smsc;      // smsc-id to route through; "" = any
    std::chrono::seconds timeout{10};
    std::size_t max_in_flight = 1000;  // more at once fail at once ("too many SMS waiting")
};

struct SmsStats {
    std::uint64_t sent = 0;     // accepted by Kannel
    std::uint64_t failed = 0;   // refused, unreachable or timed out
};

class SmsSender {
  public:
    using Done = std::function<void(Result<void>)>;

    SmsSender(boost::asio::io_context& io, SmsOptions options);
    ~SmsSender();
    SmsSender(const SmsSender&) = delete;
    SmsSender& operator=(const SmsSender&) = delete;

    // Checks the options (the URL must be http://host[:port]/path). Call once before sending.
    [[nodiscard]] Result<void> start();

    // A text SMS (GSM default alphabet: Kannel converts from UTF-8). `done` is called once.
    void send_text(const std::string& msisdn, const std::string& text, Done done);
    // A binary SMS: 8-bit data (coding=1) with the user data header `udh`.
    void send_binary(const std::string& msisdn, const std::string& udh, const std::string& data,
                     Done done);
    // Cancels what is in flight (their `done` are called with an error) and refuses more.
    void stop();

    [[nodiscard]] const SmsStats& stats() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace onesoup::transport::cir
