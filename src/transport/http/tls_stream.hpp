// TlsStream: server-side TLS over a TCP socket for the HTTP server, lean enough for thousands
// of idle keep-alive connections. Unlike asio::ssl::stream (four 17 KiB buffers per stream, held
// for its whole life), it keeps no buffer of its own between operations: OpenSSL reads the
// ciphertext from a vector that holds only what the socket gave and was not yet consumed, and
// writes into a vector that lives until it is sent; idle OpenSSL buffers are released
// (SSL_MODE_RELEASE_BUFFERS). Private to the transport module.
#pragma once

// GCC 12 needs <utility> before Asio's headers (std::exchange in the awaitable support).
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace onesoup::transport {

// The BIO method that connects OpenSSL to a TlsStream's vectors; one per server, shared by its
// streams, freed after the last of them.
class TlsBioMethod {
  public:
    TlsBioMethod();
    ~TlsBioMethod();
    TlsBioMethod(const TlsBioMethod&) = delete;
    TlsBioMethod& operator=(const TlsBioMethod&) = delete;

    [[nodiscard]] BIO_METHOD* get() const { return method_; }

  private:
    BIO_METHOD* method_ = nullptr;
};

// One server-side TLS connection. Implements Asio's AsyncReadStream and AsyncWriteStream for
// Beast; one read or one write at a time (the HTTP connection never overlaps them).
class TlsStream {
  public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;

    TlsStream(boost::asio::ip::tcp::socket socket, SSL_CTX* context, const TlsBioMethod& method);
    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    executor_type get_executor() { return socket_.get_executor(); }
    // The TCP socket (Beast's get_lowest_layer finds it here).
    boost::asio::ip::tcp::socket& next_layer() { return socket_; }

    // What one step of OpenSSL work came to.
    enum class Status { Done, WantRead, Failed };
    struct Outcome {
        Status status = Status::Failed;
        std::size_t bytes = 0;
        boost::system::error_code error;
    };

    // The server side of the TLS handshake (RFC 8446 4).
    template <class Handler>
    auto async_handshake(Handler&& handler) {
        return start<void(boost::system::error_code)>(
            [](TlsStream& s) { return s.handshake_step(); }, std::forward<Handler>(handler));
    }

    // Sends close_notify (RFC 8446 6.1); does not wait for the peer's.
    template <class Handler>
    auto async_shutdown(Handler&& handler) {
        return start<void(boost::system::error_code)>(
            [](TlsStream& s) { return s.shutdown_step(); }, std::forward<Handler>(handler));
    }

    template <class MutableBuffers, class Handler>
    auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        return start<void(boost::system::error_code, std::size_t)>(
            [buffers](TlsStream& s) {
                for (auto it = boost::asio::buffer_sequence_begin(buffers);
                     it != boost::asio::buffer_sequence_end(buffers); ++it) {
                    boost::asio::mutable_buffer b(*it);
                    if (b.size() > 0) return s.read_step(b);
                }
                return Outcome{Status::Done, 0, {}};
            },
            std::forward<Handler>(handler));
    }

    template <class ConstBuffers, class Handler>
    auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        return start<void(boost::system::error_code, std::size_t)>(
            [buffers](TlsStream& s) {
                // One record for what fits in one (Beast passes header and body apart).
                std::vector<char> joined(
                    std::min<std::size_t>(boost::asio::buffer_size(buffers), kRecordSize));
                boost::asio::buffer_copy(boost::asio::buffer(joined), buffers);
                return s.write_step(boost::asio::const_buffer(joined.data(), joined.size()));
            },
            std::forward<Handler>(handler));
    }

    // Completes when a read could make progress: decrypted or undecrypted bytes are here, or
    // the socket is readable. Holds no buffer meanwhile.
    template <class Handler>
    void async_wait_readable(Handler&& handler) {
        if (has_buffered_input()) {
            boost::asio::post(
                socket_.get_executor(),
                [h = std::forward<Handler>(handler)]() mutable { h(boost::system::error_code{}); });
            return;
        }
        socket_.async_wait(boost::asio::ip::tcp::socket::wait_read, std::forward<Handler>(handler));
    }

  private:
    static constexpr std::size_t kRecordSize = 16 * 1024;  // TLS plaintext record limit

    template <class Step, bool kWithBytes>
    class Op;

    template <class Signature, class Step, class Handler>
    auto start(Step step, Handler&& handler) {
        constexpr bool with_bytes =
            std::is_same_v<Signature, void(boost::system::error_code, std::size_t)>;
        return boost::asio::async_compose<Handler, Signature>(
            Op<Step, with_bytes>(*this, std::move(step)), handler, socket_);
    }

    Outcome handshake_step();
    Outcome shutdown_step();
    Outcome read_step(boost::asio::mutable_buffer into);
    Outcome write_step(boost::asio::const_buffer from);
    Outcome outcome_of(int result, std::size_t bytes);
    [[nodiscard]] bool has_buffered_input() const;
    // Reads what the socket has without blocking; would_block if nothing yet.
    boost::system::error_code fill_input();
    // Moves the ciphertext waiting to go out into `into`.
    void take_output(std::vector<char>& into);

    friend int tls_bio_write(BIO* bio, const char* data, int length);
    friend int tls_bio_read(BIO* bio, char* data, int length);
    friend long tls_bio_ctrl(BIO* bio, int command, long number, void* pointer);

    boost::asio::ip::tcp::socket socket_;
    SSL* ssl_ = nullptr;
    std::vector<char> input_;     // ciphertext received and not yet read by OpenSSL
    std::size_t input_read_ = 0;  // how much of input_ OpenSSL has read
    std::vector<char> output_;    // ciphertext OpenSSL wrote, not yet sent
};

// One asynchronous operation: run the step; send what OpenSSL wrote; if it needs more input,
// wait for the socket and read; repeat until done or failed.
template <class Step, bool kWithBytes>
class TlsStream::Op {
  public:
    Op(TlsStream& stream, Step step) : stream_(&stream), step_(std::move(step)) {}

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t = 0) {
        switch (state_) {
            case State::Stepping:
                break;
            case State::Sending:
                sending_ = {};
                if (ec) return finish(self, ec, 0);
                if (outcome_.status != Status::WantRead) {
                    return finish(self, outcome_.error, outcome_.bytes);
                }
                return wait(self);
            case State::Waiting:
                if (ec) return finish(self, ec, 0);
                ec = stream_->fill_input();
                if (ec == boost::asio::error::would_block) return wait(self);
                if (ec) return finish(self, ec, 0);
                break;
            case State::Posted:
                return complete(self, outcome_.error, outcome_.bytes);
        }
        outcome_ = step_(*stream_);
        stream_->take_output(sending_);
        if (!sending_.empty()) {
            state_ = State::Sending;
            went_async_ = true;
            boost::asio::async_write(stream_->socket_, boost::asio::buffer(sending_),
                                     std::move(self));
            return;
        }
        if (outcome_.status == Status::WantRead) return wait(self);
        finish(self, outcome_.error, outcome_.bytes);
    }

  private:
    enum class State { Stepping, Sending, Waiting, Posted };

    template <class Self>
    void wait(Self& self) {
        state_ = State::Waiting;
        went_async_ = true;
        stream_->socket_.async_wait(boost::asio::ip::tcp::socket::wait_read, std::move(self));
    }

    // Completes, through the executor if nothing asynchronous happened yet (a handler never
    // runs inside the call that started it).
    template <class Self>
    void finish(Self& self, boost::system::error_code ec, std::size_t bytes) {
        if (!went_async_) {
            outcome_.error = ec;
            outcome_.bytes = bytes;
            state_ = State::Posted;
            went_async_ = true;
            boost::asio::post(stream_->socket_.get_executor(), std::move(self));
            return;
        }
        complete(self, ec, bytes);
    }

    template <class Self>
    void complete(Self& self, boost::system::error_code ec, std::size_t bytes) {
        if constexpr (kWithBytes) {
            self.complete(ec, bytes);
        } else {
            (void)bytes;
            self.complete(ec);
        }
    }

    TlsStream* stream_;
    Step step_;
    Outcome outcome_;
    std::vector<char> sending_;  // a vector keeps its storage when the operation moves
    State state_ = State::Stepping;
    bool went_async_ = false;
};

}  // namespace onesoup::transport
