// DnsResolver: DNS SRV lookups for XMPP servers (RFC 6120 3.2.1, RFC 2782) without blocking
// the event loop, and the pure functions that read and order an SRV answer.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "onesoup/core/result.hpp"

namespace onesoup::xmpp {

// One SRV record (RFC 2782): where the service runs and how to choose among records.
struct SrvTarget {
    std::string host;  // the target's name, without the trailing dot
    std::uint16_t port = 0;
    std::uint16_t priority = 0;  // lower is tried first
    std::uint16_t weight = 0;    // share of the choice among records of equal priority

    bool operator==(const SrvTarget&) const = default;
};

// The SRV records of one answer.
struct SrvAnswer {
    std::vector<SrvTarget> targets;  // in the order of the answer; see order_srv_targets
    // The only record's target is "." (RFC 2782): the domain says it offers no such service,
    // so no fallback to the A record is made (RFC 6120 3.2.1 step 3).
    bool service_unavailable = false;
};

// The SRV query name for a domain's c2s service: "_xmpp-client._tcp.<domain>".
[[nodiscard]] std::string xmpp_client_srv_name(std::string_view domain);

// Reads the SRV records (type 33, class IN) of a DNS response message (RFC 1035 4.1, with name
// compression) from its answer section; other records (e.g. a CNAME) are skipped. A truncated
// or malformed message is an error, a response with no SRV records is an empty answer.
[[nodiscard]] Result<SrvAnswer> parse_srv_answer(std::span<const unsigned char> message);

// The targets in the order to try them (RFC 2782 "Usage rules"): by priority, lowest first;
// within one priority a weighted random order in which a record's chance to come next is its
// weight over the remaining total (records of weight 0 come first in the running sum, so they
// are seldom chosen early). `seed` drives the choice, so a test can repeat it.
[[nodiscard]] std::vector<SrvTarget> order_srv_targets(std::vector<SrvTarget> targets,
                                                       std::uint64_t seed);

// Runs SRV queries (res_nquery from libresolv, which blocks) on one worker thread of its own,
// started at the first lookup, and posts each result back to the io_context. One per
// ClientContext, not per connection. The destructor stops the worker (waiting for a query in
// progress, bounded by the resolver's timeout) and drops queries not started.
class DnsResolver {
  public:
    // The answer, or why the lookup failed (no such name, no SRV records, no server).
    using SrvCallback = std::function<void(Result<SrvAnswer>)>;

    explicit DnsResolver(boost::asio::io_context& io) : io_(io) {}
    ~DnsResolver();
    DnsResolver(const DnsResolver&) = delete;
    DnsResolver& operator=(const DnsResolver&) = delete;

    // Looks up the SRV records of `name`; `done` runs later on the io_context's thread (never
    // from inside this call).
    void lookup_srv(std::string name, SrvCallback done);

  private:
    struct Job {
        std::string name;
        SrvCallback done;
    };
    void run();

    boost::asio::io_context& io_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace onesoup::xmpp
