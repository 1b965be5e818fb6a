// HttpCirHolder: SHTTP, the phone's GET to its CIR URL held open until a wake-up or the hold
// time (CSP Transport Binding 1.2 section 8; reference notes section 6).
#include "onesoup/transport/cir/http_cir.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace onesoup::transport::cir {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

using Respond = std::function<void(HttpResponse)>;

// Every answer: a CIR must never come from a cache, and an old one must never be replayed.
HttpResponse answer(int status, std::string content_type = {}, std::string body = {}) {
    HttpResponse response;
    response.status = status;
    response.content_type = std::move(content_type);
    response.body = std::move(body);
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The path of a request target: an absolute-form target ("http://host/cir/x") loses its scheme
// and authority, any target its query and fragment.
std::string_view target_path(std::string_view target) {
    const auto scheme = target.find("://");
    if (scheme != std::string_view::npos && target.find('/') > scheme) {
        const auto path = target.find('/', scheme + 3);
        target = path == std::string_view::npos ? std::string_view{} : target.substr(path);
    }
    const auto end = target.find_first_of("?#");
    return end == std::string_view::npos ? target : target.substr(0, end);
}

// %XX escapes decoded (a session id is ours and plain, but a phone's HTTP stack may escape it);
// a malformed escape is kept as it is.
std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int high = hex_digit(text[i + 1]);
            const int low = hex_digit(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

}  // namespace

struct HttpCirHolder::Impl : std::enable_shared_from_this<HttpCirHolder::Impl> {
    Impl(asio::io_context& io, HttpCirOptions opts, Validate validate_fn, Held held_fn)
        : options(std::move(opts)),
          validate(std::move(validate_fn)),
          held(std::move(held_fn)),
          timer(io) {}

    // What is known of one session that sent a valid GET.
    struct Entry {
        Respond respond;               // empty unless a GET is held
        std::uint64_t generation = 0;  // of the held GET, to tell stale deadlines apart
        Clock::time_point last_get;
    };

    // A held GET's expiry. The hold time is the same for all, so deadlines arrive in order and
    // a FIFO replaces a heap; entries whose GET was answered otherwise are skipped as stale.
    struct Deadline {
        Clock::time_point when;
        std::string session_id;
        std::uint64_t generation;
    };

    void on_request(HttpRequest request, Respond respond) {
        ++stats.gets;
        if (request.method != "GET") {
            ++stats.rejected;
            HttpResponse response = answer(405, "text/plain", "Method Not Allowed");
            response.headers.emplace_back("Allow", "GET");
            respond(std::move(response));
            return;
        }
        if (stopped) {
            ++stats.rejected;
            respond(answer(503, "text/plain", "Shutting down"));
            return;
        }
        const std::string_view path = target_path(request.target);
        const std::string session_id = path.size() > options.path.size()
                                           ? percent_decode(path.substr(options.path.size()))
                                           : std::string{};
        if (session_id.empty() || !validate || !validate(session_id)) {
            ++stats.rejected;
            respond(answer(404, "text/plain", "No such session"));
            return;
        }
        auto found = sessions.find(session_id);
        const bool replacing = found != sessions.end() && found->second.respond;
        if (!replacing && held_count >= options.max_held) {
            ++stats.rejected;
            respond(answer(503, "text/plain", "Too many held requests"));
            return;
        }
        const auto now = Clock::now();
        if (found == sessions.end()) found = sessions.try_emplace(session_id).first;
        Entry& entry = found->second;
        entry.last_get = now;
        if (replacing) {
            // The phone gave up on its old GET (or opened a second one): the newest counts.
            ++stats.replaced;
            auto old = std::exchange(entry.respond, Respond{});
            old(answer(204));
        } else {
            ++held_count;
        }
        entry.respond = std::move(respond);
        entry.generation = ++generation;
        deadlines.push_back(Deadline{now + options.hold, session_id, entry.generation});
        stats.held = held_count;
        arm_timer();
        // A phone that closes its connection is no longer listening: a wake-up written to it
        // would be lost, so the GET is forgotten and the Waker waits for the next one.
        if (request.on_gone) {
            request.on_gone([weak = weak_from_this(), session_id, held_generation = generation] {
                if (auto self = weak.lock()) self->forget_gone(session_id, held_generation);
            });
        }
        // Last, so that a wake-up sent from inside the callback finds the GET in place.
        if (held) held(session_id);
    }

    // The client of the held GET `held_generation` closed its connection.
    void forget_gone(const std::string& session_id, std::uint64_t held_generation) {
        auto found = sessions.find(session_id);
        if (found == sessions.end() || !found->second.respond ||
            found->second.generation != held_generation) {
            return;
        }
        found->second.respond = Respond{};
        ++stats.gone;
        release_one();
    }

    // Answers the held GET of `session_id` (if any) and releases it.
    bool answer_held(const std::string& session_id, HttpResponse response) {
        auto found = sessions.find(session_id);
        if (found == sessions.end() || !found->second.respond) return false;
        auto respond = std::exchange(found->second.respond, Respond{});
        release_one();
        respond(std::move(response));
        return true;
    }

    void release_one() {
        --held_count;
        stats.held = held_count;
        if (held_count == 0) {
            // Nothing left to expire: drop the stale deadlines and stop ticking.
            deadlines.clear();
            timer.cancel();
            ticking = false;
        }
    }

    void arm_timer() {
        if (ticking) return;
        ticking = true;
        timer.expires_after(std::chrono::seconds(1));
        timer.async_wait([weak = weak_from_this()](const error_code& ec) {
            if (ec) return;
            if (auto self = weak.lock()) self->tick();
        });
    }

    void tick() {
        ticking = false;
        const auto now = Clock::now();
        while (!deadlines.empty() && deadlines.front().when <= now) {
            Deadline due = std::move(deadlines.front());
            deadlines.pop_front();
            auto found = sessions.find(due.session_id);
            if (found == sessions.end() || !found->second.respond ||
                found->second.generation != due.generation) {
                continue;
            }
            ++stats.expired;
            answer_held(due.session_id, answer(204));
        }
        if (held_count > 0) arm_timer();
    }

    void stop() {
        stopped = true;
        // Answer from a detached list: a respond may run code that calls back into us.
        std::deque<Respond> pending;
        for (auto& [id, entry] : sessions) {
            if (entry.respond) pending.push_back(std::exchange(entry.respond, Respond{}));
        }
        sessions.clear();
        deadlines.clear();
        held_count = 0;
        stats.held = 0;
        timer.cancel();
        ticking = false;
        for (auto& respond : pending) {
            ++stats.rejected;
            respond(answer(503, "text/plain", "Shutting down"));
        }
    }

    HttpCirOptions options;
    Validate validate;
    Held held;
    asio::steady_timer timer;
    bool ticking = false;
    bool stopped = false;
    std::unordered_map<std::string, Entry> sessions;
    std::deque<Deadline> deadlines;
    std::size_t held_count = 0;
    std::uint64_t generation = 0;
    HttpCirStats stats;
};

HttpCirHolder::HttpCirHolder(asio::io_context& io, HttpServer& server, HttpCirOptions options,
                             Validate validate, Held held)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(validate), std::move(held))) {
    // The server may outlive the holder: requests after that are refused, not dangling.
    server.route(impl_->options.path,
                 [weak = std::weak_ptr<Impl>(impl_)](HttpRequest request, Respond respond) {
                     if (auto impl = weak.lock()) {
                         impl->on_request(std::move(request), std::move(respond));
                     } else {
                         respond(answer(503, "text/plain", "Shutting down"));
                     }
                 });
}

HttpCirHolder::~HttpCirHolder() {
    impl_->stop();
}

bool HttpCirHolder::send(const std::string& session_id, std::string_view line) {
    if (!impl_->answer_held(session_id, answer(200, "text/plain", std::string(line)))) {
        return false;
    }
    ++impl_->stats.woken;
    return true;
}

bool HttpCirHolder::is_held(const std::string& session_id) const {
    const auto found = impl_->sessions.find(session_id);
    return found != impl_->sessions.end() && static_cast<bool>(found->second.respond);
}

std::optional<Clock::time_point> HttpCirHolder::last_get(const std::string& session_id) const {
    const auto found = impl_->sessions.find(session_id);
    if (found == impl_->sessions.end()) return std::nullopt;
    return found->second.last_get;
}

void HttpCirHolder::forget(const std::string& session_id) {
    impl_->answer_held(session_id, answer(404, "text/plain", "No such session"));
    impl_->sessions.erase(session_id);
}

void HttpCirHolder::stop() {
    impl_->stop();
}

const HttpCirStats& HttpCirHolder::stats() const {
    return impl_->stats;
}

}  // namespace onesoup::transport::cir
