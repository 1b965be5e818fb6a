// The Waker (waker.hpp). State lives only while a wake is out: one entry per session from the
// wake until the phone's next request, with a timer only while something is scheduled (a
// datagram resend, the give-up after the last resend, a choice made again when an SHTTP GET did
// not come or an SMS may go). Datagram timing with udp_resend = {d1, ..., dn}: sent at t0,
// resent at t0+d1, t0+d1+d2, ...; Failed when dn passes after the last resend without a request.
#include "onesoup/transport/cir/waker.hpp"

#include <boost/asio/steady_timer.hpp>

#include <unordered_map>

#include "onesoup/transport/cir/http_cir.hpp"
#include "onesoup/transport/cir/sms_sender.hpp"
#include "onesoup/transport/cir/stcp_listener.hpp"
#include "onesoup/transport/cir/udp_sender.hpp"
#include "onesoup/transport/cir/wsp_push.hpp"

namespace onesoup::transport::cir {
namespace {

std::size_t index_of(Method method) {
    return static_cast<std::size_t>(method);
}

}  // namespace

struct Waker::Impl : std::enable_shared_from_this<Waker::Impl> {
    // What the timer of a pending wake does when it fires.
    enum class Next : std::uint8_t {
        none,
        resend,     // send the datagram again to the phone's latest address
        give_up,    // the resends ran out without a request: Failed
        redeliver,  // choose again (an SHTTP GET did not come, an SMS may go now)
    };

    // A wake that is out and has had no request from the phone since. Exists only then.
    struct Pending {
        Clock::time_point since{};
        std::uint64_t burst = 0;         // tells a late SMS answer or timer from an older burst
        bool failed = false;             // Failed was reported in this burst (at most once)
        std::optional<Method> datagram;  // SUDP or WAPUDP being resent
        bool shttp_answered = false;     // a held GET was answered 200 in this burst
        std::size_t resends = 0;         // resends done of `datagram`
        Next next = Next::none;
        // Tells the wait scheduled last from one that had already fired when it was replaced.
        std::uint64_t wait_seq = 0;
        std::unique_ptr<boost::asio::steady_timer> timer;  // only while `next` is scheduled
    };

    // What trying one method gave.
    enum class Outcome : std::uint8_t { sent, waiting, unusable };

    Impl(boost::asio::io_context& io_, WakerOptions options_, Channels channels_, Lookup lookup_,
         Failed failed_)
        : io(io_),
          options(std::move(options_)),
          channels(channels_),
          lookup(std::move(lookup_)),
          failed(std::move(failed_)) {}

    boost::asio::io_context& io;
    WakerOptions options;
    Channels channels;
    Lookup lookup;
    Failed failed;
    WakerStats stats;
    std::unordered_map<std::string, Pending> pending;
    // When each session last had an SMS sent; entries older than sms_min_interval are dropped
    // now and then, so the map holds only sessions that had an SMS lately.
    std::unordered_map<std::string, Clock::time_point> last_sms;
    std::size_t last_sms_swept_size = 0;
    std::uint64_t next_burst = 1;
    std::uint8_t next_tid = 0;
    bool stopped = false;

    void update_pending_stat() { stats.pending = pending.size(); }

    Pending& begin_burst(const std::string& id) {
        Pending& p = pending[id];
        if (p.timer) p.timer->cancel();
        p = Pending{};
        p.since = Clock::now();
        p.burst = next_burst++;
        update_pending_stat();
        return p;
    }

    void end_burst(const std::string& id) {
        const auto it = pending.find(id);
        if (it == pending.end()) return;
        if (it->second.timer) it->second.timer->cancel();
        pending.erase(it);
        update_pending_stat();
    }

    // Reports a failure once per burst (`id` need not have a burst: a lost socket).
    void report_failure(const std::string& id, std::string why) {
        if (const auto it = pending.find(id); it != pending.end()) {
            if (it->second.failed) return;
            it->second.failed = true;
        }
        ++stats.failed;
        // Last: the callback may call back into the Waker.
        if (failed) failed(id, std::move(why));
    }

    void schedule(const std::string& id, Pending& p, Next next, Clock::time_point at) {
        if (!p.timer) p.timer = std::make_unique<boost::asio::steady_timer>(io);
        p.next = next;
        p.timer->expires_at(at);
        p.timer->async_wait([weak = weak_from_this(), id, burst = p.burst,
                             seq = ++p.wait_seq](const boost::system::error_code& ec) {
            if (ec) return;
            if (auto self = weak.lock()) self->on_timer(id, burst, seq);
        });
    }

    void cancel_timer(Pending& p) {
        p.next = Next::none;
        ++p.wait_seq;
        if (p.timer) {
            p.timer->cancel();
            p.timer.reset();
        }
    }

    void on_timer(const std::string& id, std::uint64_t burst, std::uint64_t seq) {
        if (stopped) return;
        const auto it = pending.find(id);
        if (it == pending.end() || it->second.burst != burst) return;
        if (it->second.wait_seq != seq || it->second.next == Next::none) return;
        Pending& p = it->second;
        const Next next = p.next;
        p.next = Next::none;
        if (next == Next::give_up) {
            p.timer.reset();
            report_failure(
                id, "no request from the phone after " + std::to_string(p.resends + 1) + " " +
                        std::string(method_name(p.datagram.value_or(Method::sudp))) + " datagrams");
            return;
        }
        // The phone may have moved (a new address) or fetched its news another way.
        const std::optional<WakeTarget> target = lookup ? lookup(id) : std::nullopt;
        if (!target) {
            forget(id);
            return;
        }
        if (!target->has_queued) {
            end_burst(id);
            return;
        }
        if (next == Next::resend && p.datagram) {
            ++p.resends;
            ++stats.resent;
            send_datagram(*target, *p.datagram);
            schedule_resend(id, p);
            return;
        }
        if (next == Next::redeliver) deliver(*target, p);
    }

    // After a datagram (or a resend): the next resend, or the wait before giving up.
    void schedule_resend(const std::string& id, Pending& p) {
        const auto& delays = options.udp_resend;
        if (delays.empty()) {
            cancel_timer(p);
            return;
        }
        if (p.resends < delays.size()) {
            schedule(id, p, Next::resend, Clock::now() + delays[p.resends]);
        } else {
            // The phone gets as long to answer the last resend as the resend before it had.
            schedule(id, p, Next::give_up, Clock::now() + delays.back());
        }
    }

    bool send_datagram(const WakeTarget& target, Method method) {
        const std::string line = wake_line(target.version, target.cookie);
        if (method == Method::sudp)
            return channels.udp->send(target.address, target.udp_port, line);
        return channels.udp->send(target.address, kWapPushPort, wsp_cir_push(line, next_tid++));
    }

    void sweep_last_sms(Clock::time_point now) {
        // Amortised: a sweep only when the map has doubled since the last one.
        if (last_sms.size() < 2 * last_sms_swept_size + 64) return;
        for (auto it = last_sms.begin(); it != last_sms.end();) {
            if (now - it->second >= options.sms_min_interval) {
                it = last_sms.erase(it);
            } else {
                ++it;
            }
        }
        last_sms_swept_size = last_sms.size();
    }

    Outcome try_sms(const WakeTarget& target, Pending& p, Method method) {
        if (!channels.sms || target.msisdn.empty()) return Outcome::unusable;
        const auto now = Clock::now();
        if (const auto it = last_sms.find(target.session_id); it != last_sms.end()) {
            const auto allowed = it->second + options.sms_min_interval;
            if (now < allowed) {
                // SMS cost money: this one waits until the interval has passed, unless the
                // phone makes a request first.
                schedule(target.session_id, p, Next::redeliver, allowed);
                return Outcome::waiting;
            }
        }
        sweep_last_sms(now);
        last_sms[target.session_id] = now;
        ++stats.sent[index_of(method)];
        const std::string line = wake_line(target.version, target.cookie);
        auto done = [weak = weak_from_this(), id = target.session_id, burst = p.burst,
                     method](Result<void> result) {
            if (result) return;
            auto self = weak.lock();
            if (!self || self->stopped) return;
            const auto it = self->pending.find(id);
            if (it == self->pending.end() || it->second.burst != burst) return;
            self->report_failure(
                id, std::string(method_name(method)) + " not sent: " + result.error().message);
        };
        if (method == Method::ssms) {
            channels.sms->send_text(target.msisdn, line, std::move(done));
        } else {
            channels.sms->send_binary(target.msisdn, std::string(kWapPushUdh),
                                      wsp_cir_push(line, next_tid++), std::move(done));
        }
        return Outcome::sent;
    }

    Outcome try_method(const WakeTarget& target, Pending& p, Method method) {
        const std::string& id = target.session_id;
        switch (method) {
            case Method::stcp:
                if (channels.stcp && channels.stcp->is_bound(id) &&
                    channels.stcp->send(id, wake_line(target.version, target.cookie))) {
                    ++stats.sent[index_of(method)];
                    return Outcome::sent;
                }
                return Outcome::unusable;
            case Method::shttp: {
                if (!channels.shttp) return Outcome::unusable;
                if (channels.shttp->send(id, wake_line(target.version, target.cookie))) {
                    ++stats.sent[index_of(method)];
                    p.shttp_answered = true;
                    return Outcome::sent;
                }
                const auto last = channels.shttp->last_get(id);
                const auto now = Clock::now();
                if (last && now - *last < options.shttp_grace) {
                    // Between two GETs (Android GETs again about every 10 s): channel_ready
                    // wakes it when the next one is held; if none comes within the grace,
                    // choose again without SHTTP.
                    schedule(id, p, Next::redeliver, *last + options.shttp_grace);
                    return Outcome::waiting;
                }
                return Outcome::unusable;
            }
            case Method::sudp:
            case Method::wap_udp:
                if (!channels.udp || target.address.empty()) return Outcome::unusable;
                if (!send_datagram(target, method)) return Outcome::unusable;
                ++stats.sent[index_of(method)];
                p.datagram = method;
                p.resends = 0;
                schedule_resend(id, p);
                return Outcome::sent;
            case Method::wap_sms:
            case Method::ssms:
                return try_sms(target, p, method);
        }
        return Outcome::unusable;
    }

    // Tries the target's methods in its order until one sends or waits.
    void deliver(const WakeTarget& target, Pending& p) {
        cancel_timer(p);
        p.datagram.reset();
        std::string tried;
        for (const Method method : target.methods) {
            const Outcome outcome = try_method(target, p, method);
            if (outcome != Outcome::unusable) return;
            tried += (tried.empty() ? "" : ", ") + std::string(method_name(method));
        }
        report_failure(target.session_id, target.methods.empty()
                                              ? std::string("no CIR method agreed")
                                              : "no CIR method usable now (tried " + tried + ")");
    }

    void wake(const WakeTarget& target) {
        if (stopped) return;
        // A phone that agreed no CIR method polls by itself: nothing to do, nothing failed.
        if (target.methods.empty()) return;
        ++stats.wakes;
        if (const auto it = pending.find(target.session_id); it != pending.end()) {
            if (Clock::now() - it->second.since < options.rewake_after) {
                ++stats.coalesced;
                return;
            }
        }
        Pending& p = begin_burst(target.session_id);
        deliver(target, p);
    }

    void channel_ready(const std::string& id) {
        if (stopped || !lookup) return;
        const std::optional<WakeTarget> target = lookup(id);
        if (!target || !target->has_queued) return;
        // The ready channel is the first of the phone's STCP / SHTTP that can take the line now.
        // A wake already out is sent again on a new STCP socket (the phone may have missed it
        // while reconnecting). The GET that follows a 200 of this burst is different: a phone
        // that read the 200 polls at once, and its GET may come first; one whose connection
        // died never read it. So that GET is answered only if no request came within
        // shttp_recheck.
        const auto out = pending.find(id);
        const bool answered = out != pending.end() && out->second.shttp_answered;
        for (const Method method : target->methods) {
            const bool ready =
                (method == Method::stcp && channels.stcp && channels.stcp->is_bound(id)) ||
                (method == Method::shttp && channels.shttp && channels.shttp->is_held(id));
            if (!ready) continue;
            if (method == Method::shttp && answered) {
                schedule(id, out->second, Next::redeliver, Clock::now() + options.shttp_recheck);
                return;
            }
            const auto it = pending.find(id);
            Pending& p = it != pending.end() ? it->second : begin_burst(id);
            if (try_method(*target, p, method) == Outcome::sent) {
                cancel_timer(p);
                p.datagram.reset();
                return;
            }
            if (it == pending.end()) end_burst(id);
        }
    }

    void forget(const std::string& id) {
        end_burst(id);
        last_sms.erase(id);
        if (channels.stcp) channels.stcp->unbind(id);
        if (channels.shttp) channels.shttp->forget(id);
    }

    void stop() {
        stopped = true;
        for (auto& [id, p] : pending) {
            if (p.timer) p.timer->cancel();
        }
        pending.clear();
        last_sms.clear();
        update_pending_stat();
    }
};

Waker::Waker(boost::asio::io_context& io, WakerOptions options, Channels channels, Lookup lookup,
             Failed failed)
    : impl_(std::make_shared<Impl>(io, std::move(options), channels, std::move(lookup),
                                   std::move(failed))) {}

Waker::~Waker() {
    impl_->stop();
}

void Waker::wake(const WakeTarget& target) {
    impl_->wake(target);
}

void Waker::on_request(const std::string& session_id) {
    impl_->end_burst(session_id);
}

void Waker::channel_ready(const std::string& session_id) {
    impl_->channel_ready(session_id);
}

void Waker::channel_lost(const std::string& session_id) {
    if (impl_->stopped) return;
    impl_->report_failure(session_id, "the STCP socket was closed by the phone or the network");
}

void Waker::forget(const std::string& session_id) {
    impl_->forget(session_id);
}

void Waker::stop() {
    impl_->stop();
}

const WakerStats& Waker::stats() const {
    return impl_->stats;
}

}  // namespace onesoup::transport::cir
