// HttpClient: the phone's side of the CSP data channel (CSP Transport Binding 1.2 section 5):
// POSTs request bodies to one URL over HTTP/1.1 or HTTPS on Boost.Beast, on one keep-alive
// connection that is reused and opened again when the server has closed it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onesoup/core/result.hpp"
#include "url.hpp"

namespace onesoup::tools {

struct HttpClientOptions {
    std::chrono::milliseconds timeout{30000};  // per step: connect, TLS handshake, write, read
    bool insecure = false;  // HTTPS: accept any certificate (self-signed test servers)
    std::string user_agent = "onesoup-imps-phone/0.1";
    // Extra header fields sent with every request (X-Network-MSISDN: the number an operator's
    // proxy would add).
    std::vector<std::pair<std::string, std::string>> headers;
    // The local address connections are bound to ("" = the system's choice).
    std::string local_address;
};

// One answer, with what crossed the wire.
struct HttpReply {
    int status = 0;
    std::string content_type;  // "" if the server sent none
    std::string body;
    std::size_t request_header_bytes = 0;   // request line and header fields as sent
    std::size_t response_header_bytes = 0;  // status line and header fields as received
};

// A synchronous client: each call blocks until the answer came, the timeout passed or the
// connection failed. Not thread-safe; one per phone.
class HttpClient {
  public:
    HttpClient(Url url, HttpClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // POSTs `body` with `content_type` to the URL. A request on a reused connection that the
    // server had closed is sent again once on a new connection. Errors: cannot resolve or
    // connect, TLS handshake or certificate refused, timeout, connection closed mid-answer.
    [[nodiscard]] Result<HttpReply> post(std::string_view content_type, std::string body);

    // Closes the connection (the next post opens a new one).
    void close();
    // Binds later connections to `address` (closes the current one): the phone moved.
    void set_local_address(std::string address);
    // Connections opened so far.
    [[nodiscard]] std::size_t connections_opened() const;
    [[nodiscard]] const Url& url() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace onesoup::tools
