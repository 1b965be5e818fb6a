#include "onesoup/xmpp/client_connection.hpp"

#include <boost/asio/write.hpp>

namespace onesoup::xmpp {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {
// A write buffer that grew past this is freed once written, so a burst does not leave an idle
// connection holding memory.
constexpr std::size_t keep_write_capacity = 1024;
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

void ClientConnection::start() {
    error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (!ec) {
        connect(tcp::endpoint(address, options_.port), nullptr, {});
        return;
    }
    // The resolver lives only while resolving, so connected sessions do not carry one.
    auto resolver = std::make_shared<tcp::resolver>(context_.io());
    resolver->async_resolve(options_.host, std::to_string(options_.port),
                            [self = shared_from_this(), resolver](
                                const error_code& error, tcp::resolver::results_type results) {
                                if (self->closed_) return;
                                if (error || results.empty()) {
                                    self->connect_failed("cannot resolve " + self->options_.host);
                                    return;
                                }
                                self->connect(results.begin()->endpoint(), resolver,
                                              ++results.begin());
                            });
}

void ClientConnection::connect(const tcp::endpoint& endpoint,
                               std::shared_ptr<tcp::resolver> resolver,
                               tcp::resolver::results_type::iterator next) {
    socket_.async_connect(
        endpoint, [self = shared_from_this(), endpoint, resolver, next](const error_code& ec) {
            if (self->closed_) return;
            if (ec) {
                if (resolver && next != tcp::resolver::results_type::iterator()) {
                    error_code ignored;
                    self->socket_.close(ignored);
                    auto after = next;
                    self->connect(next->endpoint(), resolver, ++after);
                    return;
                }
                self->connect_failed("cannot connect to " + endpoint.address().to_string() + ": " +
                                     ec.message());
                return;
            }
            error_code ignored;
            self->socket_.set_option(tcp::no_delay(true), ignored);
            // Reads happen only when the socket is readable, so they must never block.
            self->socket_.non_blocking(true, ignored);
            std::vector<ClientAction> actions;
            self->stream_.connected(actions);
            self->apply(actions);
            self->wait_readable();
        });
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
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
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
