// Heap memory per idle XMPP client session: logs N accounts in (XEP-0077 registration first,
// then TLS + SCRAM, bound, initial presence sent) on one io_context against a real server, lets
// them idle, and reports the heap growth per session from mallinfo2 (bytes in use, so freed
// memory is not counted). One warm-up session runs first so one-time costs (OpenSSL tables,
// libgsasl, the shared read buffer) are not charged to the sessions.
//
// usage: xmpp_memory_bench bench:N HOST PORT DOMAIN CA_FILE [...]
//   run by bench/xmpp/run_memory_bench.sh, which starts a private Prosody
//   (the trailing arguments of prosody_login_test.sh are accepted and ignored).
// With HEAPTRACK_SNAPSHOT=1 in the environment the program ends with _Exit right after the
// measurement, so heaptrack reports what the live sessions hold as "leaked", by call stack.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "onesoup/xmpp/client_connection.hpp"

using namespace onesoup::xmpp;
namespace asio = boost::asio;

namespace {

std::size_t heap_in_use() {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

int fail(const std::string& why) {
    std::fprintf(stderr, "FAIL: %s\n", why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 6) return fail("usage: bench:N HOST PORT DOMAIN CA_FILE");
    const std::string mode = argv[1];
    if (mode.rfind("bench:", 0) != 0) return fail("mode must be bench:N");
    const int sessions = std::stoi(mode.substr(6));
    ConnectionOptions options;
    options.host = argv[2];
    options.port = static_cast<std::uint16_t>(std::stoi(argv[3]));
    const std::string domain = argv[4];

    auto sasl = SaslContext::create();
    if (!sasl) return fail(sasl.error().message);
    auto tls = TlsContext::create(true, argv[5]);
    if (!tls) return fail(tls.error().message);
    asio::io_context io;
    ClientContext context(io, **tls, **sasl);

    std::vector<std::shared_ptr<ClientConnection>> conns;
    int bound = 0;
    int failed = 0;
    int target = 1;  // sessions wanted so far (the warm-up first)
    auto start_one = [&](int index) {
        ClientConfig c;
        c.jid = *Jid::make("bench" + std::to_string(index), domain, "bench");
        c.password = "pw" + std::to_string(index);
        c.register_first = true;
        c.negotiation_timeout = std::chrono::seconds(30);
        ConnectionHandler h;
        std::size_t slot = conns.size();
        h.on_bound = [&, slot](const Jid&) {
            ++bound;
            conns[slot]->send(Element("presence", ns::client));
        };
        h.on_failed = [&](const std::string& why) {
            ++failed;
            std::fprintf(stderr, "session failed: %s\n", why.c_str());
        };
        conns.push_back(ClientConnection::create(context, std::move(c), options, std::move(h)));
        conns.back()->start();
    };
    auto wait_until = [&](auto done, std::chrono::seconds limit) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (!done() && failed == 0 && std::chrono::steady_clock::now() < end) {
            io.run_for(std::chrono::milliseconds(20));
            io.restart();
        }
        return done();
    };

    start_one(0);
    if (!wait_until([&] { return bound == 1; }, std::chrono::seconds(20))) {
        return fail("the warm-up session did not log in");
    }
    // Let the presence and roster traffic settle before the baseline.
    wait_until([] { return false; }, std::chrono::seconds(1));
    malloc_trim(0);
    const std::size_t before = heap_in_use();
    target += sessions;
    // Ramp: Prosody's listen backlog is small, and logins are CPU-bound on both sides.
    for (int i = 1; i < target; ++i) {
        start_one(i);
        if (i % 20 == 0) {
            if (!wait_until([&] { return bound == i + 1; }, std::chrono::seconds(60))) {
                return fail("sessions did not log in (" + std::to_string(bound) + " bound)");
            }
        }
    }
    if (!wait_until([&] { return bound == target; }, std::chrono::seconds(60))) {
        return fail("sessions did not log in (" + std::to_string(bound) + " bound)");
    }
    wait_until([] { return false; }, std::chrono::seconds(2));  // idle
    const std::size_t after = heap_in_use();
    std::uint64_t in = 0;
    std::uint64_t out = 0;
    for (const auto& c : conns) {
        in += c->stats().bytes_in;
        out += c->stats().bytes_out;
    }
    std::printf("sessions %d  heap before %zu  after %zu  per idle session %.0f bytes (%.1f KiB)\n",
                sessions, before, after, double(after - before) / sessions,
                double(after - before) / sessions / 1024.0);
    std::printf("bytes per session: in %.0f out %.0f (registration, TLS, SASL, bind, presence)\n",
                double(in) / target, double(out) / target);
    std::fflush(stdout);
    if (std::getenv("HEAPTRACK_SNAPSHOT") != nullptr) std::_Exit(0);
    for (auto& c : conns) c->close();
    wait_until([] { return false; }, std::chrono::seconds(1));
    return 0;
}
