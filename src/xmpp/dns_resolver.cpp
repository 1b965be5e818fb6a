#include "onesoup/xmpp/dns_resolver.hpp"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace onesoup::xmpp {
namespace {

// SplitMix64: a small, good enough generator for shuffling a handful of records; no state
// outside the call.
std::uint64_t next_random(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

std::string h_errno_text(int code) {
    switch (code) {
        case HOST_NOT_FOUND:
            return "no such domain";
        case NO_DATA:
            return "no SRV records";
        case TRY_AGAIN:
            return "no answer from the DNS server";
        default:
            return "DNS lookup failed";
    }
}

}  // namespace

std::string xmpp_client_srv_name(std::string_view domain) {
    std::string name = "_xmpp-client._tcp.";
    name += domain;
    return name;
}

Result<SrvAnswer> parse_srv_answer(std::span<const unsigned char> message) {
    // ns_initparse takes an int length; a DNS message over TCP is at most 65535 bytes.
    if (message.size() > 65535) return make_error("DNS message too long");
    ns_msg msg;
    if (ns_initparse(message.data(), static_cast<int>(message.size()), &msg) != 0) {
        return make_error("malformed DNS message");
    }
    SrvAnswer answer;
    int count = ns_msg_count(msg, ns_s_an);
    bool saw_dot = false;
    for (int i = 0; i < count; ++i) {
        ns_rr rr;
        if (ns_parserr(&msg, ns_s_an, i, &rr) != 0) return make_error("malformed DNS record");
        if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in) continue;
        const unsigned char* rdata = ns_rr_rdata(rr);
        // priority, weight, port (16 bits each), then the target name (at least one byte).
        if (ns_rr_rdlen(rr) < 7) return make_error("SRV record too short");
        SrvTarget t;
        t.priority = static_cast<std::uint16_t>(ns_get16(rdata));
        t.weight = static_cast<std::uint16_t>(ns_get16(rdata + 2));
        t.port = static_cast<std::uint16_t>(ns_get16(rdata + 4));
        std::array<char, NS_MAXDNAME> name{};
        // The name must end inside the record; dn_expand checks it stays inside the message.
        int used = dn_expand(ns_msg_base(msg), ns_msg_end(msg), rdata + 6, name.data(),
                             static_cast<int>(name.size()));
        if (used < 1 || used > static_cast<int>(ns_rr_rdlen(rr)) - 6) {
            return make_error("malformed SRV target name");
        }
        t.host = name.data();
        if (!t.host.empty() && t.host.back() == '.') t.host.pop_back();
        if (t.host.empty()) {
            // RFC 2782: the root as target means "no such service here".
            saw_dot = true;
            continue;
        }
        answer.targets.push_back(std::move(t));
    }
    answer.service_unavailable = saw_dot && answer.targets.empty();
    return answer;
}

std::vector<SrvTarget> order_srv_targets(std::vector<SrvTarget> targets, std::uint64_t seed) {
    // Weight 0 first within each priority, as RFC 2782 asks before the running sums.
    std::stable_sort(targets.begin(), targets.end(), [](const SrvTarget& a, const SrvTarget& b) {
        if (a.priority != b.priority) return a.priority < b.priority;
        return (a.weight == 0) > (b.weight == 0);
    });
    std::vector<SrvTarget> ordered;
    ordered.reserve(targets.size());
    std::uint64_t state = seed;
    auto group = targets.begin();
    while (group != targets.end()) {
        auto end = std::find_if(group, targets.end(),
                                [&](const SrvTarget& t) { return t.priority != group->priority; });
        std::vector<SrvTarget> left(std::make_move_iterator(group), std::make_move_iterator(end));
        while (!left.empty()) {
            std::uint64_t total = 0;
            for (const auto& t : left) total += t.weight;
            std::uint64_t pick = next_random(state) % (total + 1);
            std::uint64_t running = 0;
            std::size_t chosen = left.size() - 1;
            for (std::size_t i = 0; i < left.size(); ++i) {
                running += left[i].weight;
                if (running >= pick) {
                    chosen = i;
                    break;
                }
            }
            ordered.push_back(std::move(left[chosen]));
            left.erase(left.begin() + static_cast<std::ptrdiff_t>(chosen));
        }
        group = end;
    }
    return ordered;
}

DnsResolver::~DnsResolver() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        jobs_.clear();
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void DnsResolver::lookup_srv(std::string name, SrvCallback done) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(Job{std::move(name), std::move(done)});
        if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
    }
    wake_.notify_one();
}

void DnsResolver::run() {
    // The resolver state is the worker's own (res_nquery, not the global res_query).
    struct __res_state state;
    std::memset(&state, 0, sizeof state);
    bool initialised = res_ninit(&state) == 0;
    if (initialised) {
        // Connections wait for this: a dead DNS server should not hold them for long.
        state.retrans = 2;
        state.retry = 2;
    }
    // Large enough for any answer over TCP, so an answer is never cut off.
    std::vector<unsigned char> buffer(65535);
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) break;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        Result<SrvAnswer> result = make_error("DNS resolver could not be initialised");
        if (initialised) {
            int n = res_nquery(&state, job.name.c_str(), ns_c_in, ns_t_srv, buffer.data(),
                               static_cast<int>(buffer.size()));
            if (n < 0) {
                result = make_error(job.name + ": " + h_errno_text(state.res_h_errno));
            } else {
                auto size = std::min(static_cast<std::size_t>(n), buffer.size());
                result = parse_srv_answer(std::span(buffer.data(), size));
            }
        }
        boost::asio::post(io_, [done = std::move(job.done), r = std::move(result)]() mutable {
            done(std::move(r));
        });
    }
    if (initialised) res_nclose(&state);
}

}  // namespace onesoup::xmpp
