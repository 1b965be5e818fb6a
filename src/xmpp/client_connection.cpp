#include "onesoup/xmpp/client_connection.hpp"

#include <boost/asio/write.hpp>

#include <random>

namespace onesoup::xmpp {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {
// A write buffer that grew past this is freed once written, so an idle connection holds no
// write buffer (the strings' inline capacity aside).
constexpr std::size_t keep_write_capacity = 0;
}  // namespace

std::shared_ptr<ClientConnection> ClientConnection::create(ClientContext& context,
                                                           ClientConfig config,
                                                           ConnectionOptions options,
                                                           ConnectionHandler handler) {
    return std::make_shared<ClientConnection>(Token{}, context, std::move(config),
                                              std::move(options), std::move(handler));
}

ClientConnection::ClientConnection(Token, ClientContext& context, ClientConfig config,
                                   ConnectionOptions options, ConnectionHandler handler)
    : context_(context),
      socket_(context.io()),
      timer_(context.io()),
      stream_(std::move(config), context.sasl()),
      options_(std::move(options)),
      handler_(std::move(handler)) {
    if (options_.tls_name.empty()) options_.tls_name = stream_.config().jid.domain();
}

// Where a connection may go, tried in order; lives only while connecting.
struct ClientConnection::Attempt {
    struct Target {
        std::string host;
        std::uint16_t port = 0;
    };
    std::vector<Target> targets;
    std::size_t next_target = 0;
    // The endpoints of the target being tried, and the next one to try.
    tcp::resolver::results_type endpoints;
    tcp::resolver::results_type::iterator next_endpoint;
    std::unique_ptr<tcp::resolver> resolver;
    std::string last_error;
};

void ClientConnection::start() {
    // Until the stream takes the timer over, it bounds resolving and connecting.
    arm_timer(stream_.config().negotiation_timeout);
    auto attempt = std::make_shared<Attempt>();
    if (!options_.host.empty()) {
        attempt->targets.push_back({options_.host, options_.port});
        try_next_target(std::move(attempt));
        return;
    }
    context_.dns().lookup_srv(
        xmpp_client_srv_name(stream_.config().jid.domain()),
        [self = shared_from_this(), attempt](Result<SrvAnswer> answer) mutable {
            if (self->closed_) return;
            const std::string& domain = self->stream_.config().jid.domain();
            if (answer && answer->service_unavailable) {
                self->connect_failed(domain + " offers no XMPP client service (SRV target \".\")");
                return;
            }
            if (answer && !answer->targets.empty()) {
                // Each connection draws its own order, so load spreads as the weights say.
                std::random_device random;
                std::uint64_t seed = (std::uint64_t{random()} << 32) | random();
                for (auto& t : order_srv_targets(std::move(answer->targets), seed)) {
                    attempt->targets.push_back({std::move(t.host), t.port});
                }
            } else {
                // RFC 6120 3.2.2: without SRV records, the domain itself on the default port.
                attempt->targets.push_back({domain, self->options_.port});
            }
            self->try_next_target(std::move(attempt));
        });
}

void ClientConnection::try_next_target(std::shared_ptr<Attempt> attempt) {
    if (attempt->next_target == attempt->targets.size()) {
        connect_failed(attempt->last_error.empty() ? "no server to connect to"
                                                   : attempt->last_error);
        return;
    }
    const auto& target = attempt->targets[attempt->next_target++];
    error_code ec;
    auto address = asio::ip::make_address(target.host, ec);
    if (!ec) {
        attempt->endpoints = tcp::resolver::results_type::create(
            tcp::endpoint(address, target.port), target.host, std::to_string(target.port));
        attempt->next_endpoint = attempt->endpoints.begin();
        try_next_endpoint(std::move(attempt));
        return;
    }
    // The resolver lives only while resolving, so connected sessions do not carry one.
    if (!attempt->resolver) attempt->resolver = std::make_unique<tcp::resolver>(context_.io());
    auto* resolver = attempt->resolver.get();
    resolver->async_resolve(
        target.host, std::to_string(target.port),
        [self = shared_from_this(), attempt](const error_code& error,
                                             tcp::resolver::results_type results) mutable {
            if (self->closed_) return;
            const auto& t = attempt->targets[attempt->next_target - 1];
            if (error || results.empty()) {
                attempt->last_error = "cannot resolve " + t.host;
                self->try_next_target(std::move(attempt));
                return;
            }
            attempt->endpoints = std::move(results);
            attempt->next_endpoint = attempt->endpoints.begin();
            self->try_next_endpoint(std::move(attempt));
        });
}

void ClientConnection::try_next_endpoint(std::shared_ptr<Attempt> attempt) {
    if (attempt->next_endpoint == attempt->endpoints.end()) {
        try_next_target(std::move(attempt));
        return;
    }
    tcp::endpoint endpoint = (attempt->next_endpoint++)->endpoint();
    error_code ignored;
    socket_.close(ignored);  // a failed attempt leaves the socket open
    socket_.async_connect(endpoint, [self = shared_from_this(), attempt,
                                     endpoint](const error_code& ec) mutable {
        if (self->closed_) return;
        if (ec) {
            attempt->last_error = "cannot connect to " + endpoint.address().to_string() + " port " +
                                  std::to_string(endpoint.port()) + ": " + ec.message();
            self->try_next_endpoint(std::move(attempt));
            return;
        }
        attempt.reset();  // frees the resolver and the addresses before the session starts
        self->on_connected();
    });
}

void ClientConnection::on_connected() {
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // Reads happen only when the socket is readable, so they must never block.
    socket_.non_blocking(true, ignored);
    std::vector<ClientAction> actions;
    stream_.connected(actions);
    apply(actions);
    wait_readable();
}

void ClientConnection::connect_failed(const std::string& reason) {
    if (handler_.on_failed) handler_.on_failed(reason);
    closing_ = true;
    shut_down();
}

void ClientConnection::wait_readable() {
    if (closed_ || closing_) return;
    // Waiting for readiness instead of reading into a buffer of our own: the bytes are read
    // into the context's shared buffer only when they are there.
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
        if (self->closed_) return;
        if (ec) {
            std::vector<ClientAction> actions;
            self->stream_.transport_closed(ec.message(), actions);
            self->apply(actions);
            return;
        }
        self->on_readable();
    });
}

void ClientConnection::on_readable() {
    auto& buffer = context_.read_buffer();
    error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    stats_.bytes_in += n;
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        wait_readable();
        return;
    }
    std::vector<ClientAction> actions;
    if (ec) {
        stream_.transport_closed(ec == asio::error::eof ? "closed by the server" : ec.message(),
                                 actions);
        apply(actions);
        return;
    }
    std::string_view bytes(buffer.data(), n);
    if (!tls_) {
        stream_.received(bytes, actions);
    } else {
        bool was_done = tls_->handshake_done();
        std::string plain;
        auto r = tls_->receive(bytes, plain, pending_);
        flush();
        if (!r) {
            if (!was_done) {
                stream_.tls_failed(r.error().message, actions);
            } else {
                stream_.transport_closed(r.error().message, actions);
            }
        } else {
            if (!was_done && tls_->handshake_done()) stream_.tls_established(actions);
            // The stream header the restart sends must be encrypted before anything else.
            apply(actions);
            actions.clear();
            if (!plain.empty()) stream_.received(plain, actions);
            if (tls_->peer_closed()) stream_.transport_closed("TLS closed by the server", actions);
        }
    }
    apply(actions);
    wait_readable();
}

void ClientConnection::apply(std::vector<ClientAction>& actions) {
    for (auto& a : actions) {
        switch (a.kind) {
            case ClientAction::Kind::send:
                if (closing_ || closed_) break;
                if (!tls_) {
                    pending_ += a.data;
                } else if (tls_->handshake_done()) {
                    if (auto r = tls_->send(a.data, pending_); !r) {
                        std::vector<ClientAction> more;
                        stream_.transport_closed(r.error().message, more);
                        apply(more);
                        return;
                    }
                }  // else: nothing can be sent during the handshake; ClientStream sends nothing
                flush();
                break;
            case ClientAction::Kind::start_tls:
                start_tls(actions);
                break;
            case ClientAction::Kind::set_timer:
                arm_timer(a.delay);
                break;
            case ClientAction::Kind::bound:
                if (handler_.on_bound) handler_.on_bound(a.jid);
                break;
            case ClientAction::Kind::stanza:
                if (handler_.on_stanza) handler_.on_stanza(a.stanza);
                break;
            case ClientAction::Kind::failed:
                if (handler_.on_failed) handler_.on_failed(a.data);
                break;
            case ClientAction::Kind::close:
                closing_ = true;
                if (inflight_.empty() && pending_.empty()) shut_down();
                break;
        }
    }
}

void ClientConnection::start_tls(std::vector<ClientAction>&) {
    auto engine = TlsEngine::create(context_.tls(), options_.tls_name);
    std::vector<ClientAction> more;
    if (!engine) {
        stream_.tls_failed(engine.error().message, more);
        apply(more);
        return;
    }
    tls_ = std::move(*engine);
    if (auto r = tls_->start(pending_); !r) {
        stream_.tls_failed(r.error().message, more);
        apply(more);
        return;
    }
    flush();
}

void ClientConnection::flush() {
    if (!inflight_.empty() || pending_.empty() || closed_) return;
    inflight_.swap(pending_);
    asio::async_write(socket_, asio::buffer(inflight_),
                      [self = shared_from_this()](const error_code& ec, std::size_t written) {
                          self->stats_.bytes_out += written;
                          if (self->closed_) return;
                          if (self->inflight_.capacity() > keep_write_capacity) {
                              std::string().swap(self->inflight_);
                          } else {
                              self->inflight_.clear();
                          }
                          if (ec) {
                              std::vector<ClientAction> actions;
                              self->stream_.transport_closed(ec.message(), actions);
                              self->apply(actions);
                              self->shut_down();
                              return;
                          }
                          if (self->pending_.empty() && self->closing_) {
                              self->shut_down();
                              return;
                          }
                          self->flush();
                      });
}

void ClientConnection::arm_timer(std::chrono::milliseconds delay) {
    timer_.cancel();
    if (delay.count() <= 0 || closed_) return;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || self->closed_) return;  // cancelled or re-armed
        if (self->stream_.state() == ClientStream::State::idle) {
            self->connect_failed("timed out connecting to the server");
            return;
        }
        std::vector<ClientAction> actions;
        self->stream_.timer_fired(actions);
        self->apply(actions);
    });
}

bool ClientConnection::send(const Element& stanza) {
    // A handler run from here may drop the owner's last reference.
    auto keep = shared_from_this();
    std::vector<ClientAction> actions;
    bool ok = stream_.send(stanza, actions);
    apply(actions);
    return ok;
}

void ClientConnection::close() {
    auto keep = shared_from_this();  // on_closed may drop the owner's last reference
    std::vector<ClientAction> actions;
    stream_.close(actions);
    apply(actions);
    if (!closing_ && !closed_) {
        // Not connected yet: just drop the socket.
        closing_ = true;
        shut_down();
    }
}

void ClientConnection::shut_down() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    error_code ignored;
    // No TLS close_notify: the stream footer already ended the session, and waiting for the
    // peer's close_notify could hold the connection open.
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    std::string().swap(pending_);
    tls_.reset();
    if (handler_.on_closed) handler_.on_closed();
}

}  // namespace onesoup::xmpp
