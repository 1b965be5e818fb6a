// TlsStream: OpenSSL driven through a BIO of our own that reads and writes two vectors.
#include "tls_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace onesoup::transport {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// OpenSSL writes ciphertext: keep it for the next send.
int tls_bio_write(BIO* bio, const char* data, int length) {
    auto* stream = static_cast<TlsStream*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (length <= 0) return 0;
    stream->output_.insert(stream->output_.end(), data, data + length);
    return length;
}

// OpenSSL wants ciphertext: give what was received, or ask it to retry later.
int tls_bio_read(BIO* bio, char* data, int length) {
    auto* stream = static_cast<TlsStream*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    const std::size_t available = stream->input_.size() - stream->input_read_;
    if (available == 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    if (length <= 0) return 0;
    const std::size_t n = std::min(available, static_cast<std::size_t>(length));
    std::memcpy(data, stream->input_.data() + stream->input_read_, n);
    stream->input_read_ += n;
    if (stream->input_read_ == stream->input_.size()) {
        // All consumed: give the memory back while the connection waits.
        stream->input_ = {};
        stream->input_read_ = 0;
    }
    return static_cast<int>(n);
}

long tls_bio_ctrl(BIO* bio, int command, long, void*) {
    auto* stream = static_cast<TlsStream*>(BIO_get_data(bio));
    switch (command) {
        case BIO_CTRL_FLUSH:
            return 1;
        case BIO_CTRL_PENDING:
            return static_cast<long>(stream->input_.size() - stream->input_read_);
        case BIO_CTRL_WPENDING:
            return static_cast<long>(stream->output_.size());
        default:
            return 0;
    }
}

namespace {

int tls_bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

int tls_bio_destroy(BIO*) {
    return 1;
}

}  // namespace

TlsBioMethod::TlsBioMethod() {
    method_ = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "onesoup-tls");
    if (method_ != nullptr) {
        BIO_meth_set_write(method_, tls_bio_write);
        BIO_meth_set_read(method_, tls_bio_read);
        BIO_meth_set_ctrl(method_, tls_bio_ctrl);
        BIO_meth_set_create(method_, tls_bio_create);
        BIO_meth_set_destroy(method_, tls_bio_destroy);
    }
}

TlsBioMethod::~TlsBioMethod() {
    if (method_ != nullptr) BIO_meth_free(method_);
}

TlsStream::TlsStream(asio::ip::tcp::socket socket, SSL_CTX* context, const TlsBioMethod& method)
    : socket_(std::move(socket)) {
    error_code ignored;
    // fill_input reads only what is there.
    socket_.non_blocking(true, ignored);
    ssl_ = SSL_new(context);
    BIO* bio = method.get() != nullptr ? BIO_new(method.get()) : nullptr;
    if (ssl_ != nullptr && bio != nullptr) {
        BIO_set_data(bio, this);
        SSL_set_bio(ssl_, bio, bio);  // one BIO both ways; the SSL owns it
        SSL_set_accept_state(ssl_);
    } else if (bio != nullptr) {
        BIO_free(bio);
    }
}

TlsStream::~TlsStream() {
    if (ssl_ != nullptr) SSL_free(ssl_);
}

TlsStream::Outcome TlsStream::outcome_of(int result, std::size_t bytes) {
    if (result > 0) return {Status::Done, bytes, {}};
    switch (SSL_get_error(ssl_, result)) {
        case SSL_ERROR_WANT_READ:
            return {Status::WantRead, 0, {}};
        case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
            return {Status::Failed, 0, asio::error::eof};
        case SSL_ERROR_SSL: {
            const unsigned long code = ERR_get_error();
            ERR_clear_error();
            return {Status::Failed, 0,
                    error_code(static_cast<int>(code), asio::error::get_ssl_category())};
        }
        default:
            ERR_clear_error();
            return {Status::Failed, 0, asio::ssl::error::stream_truncated};
    }
}

TlsStream::Outcome TlsStream::handshake_step() {
    if (ssl_ == nullptr) return {Status::Failed, 0, asio::error::no_memory};
    ERR_clear_error();
    return outcome_of(SSL_do_handshake(ssl_), 0);
}

TlsStream::Outcome TlsStream::shutdown_step() {
    if (ssl_ == nullptr) return {Status::Done, 0, {}};
    ERR_clear_error();
    const int result = SSL_shutdown(ssl_);
    ERR_clear_error();
    // 0 means our close_notify is written and the peer's has not come: enough for us.
    return {Status::Done, 0, result < 0 ? error_code(asio::error::shut_down) : error_code()};
}

TlsStream::Outcome TlsStream::read_step(asio::mutable_buffer into) {
    if (ssl_ == nullptr) return {Status::Failed, 0, asio::error::no_memory};
    ERR_clear_error();
    std::size_t got = 0;
    const int result = SSL_read_ex(ssl_, into.data(), into.size(), &got);
    return outcome_of(result, got);
}

TlsStream::Outcome TlsStream::write_step(asio::const_buffer from) {
    if (ssl_ == nullptr) return {Status::Failed, 0, asio::error::no_memory};
    if (from.size() == 0) return {Status::Done, 0, {}};
    ERR_clear_error();
    std::size_t written = 0;
    const int result = SSL_write_ex(ssl_, from.data(), from.size(), &written);
    return outcome_of(result, written);
}

bool TlsStream::has_buffered_input() const {
    return input_.size() > input_read_ || (ssl_ != nullptr && SSL_has_pending(ssl_) == 1);
}

error_code TlsStream::fill_input() {
    error_code ec;
    std::size_t available = socket_.available(ec);
    if (ec) return ec;
    // Readable with nothing available: end of stream or an error, which a read tells.
    available = std::clamp<std::size_t>(available, 1, 64 * 1024);
    if (input_read_ > 0) {
        // Drop what OpenSSL already read so the vector holds only what is still to come.
        input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(input_read_));
        input_read_ = 0;
    }
    const std::size_t old_size = input_.size();
    input_.resize(old_size + available);
    const std::size_t n = socket_.read_some(asio::buffer(input_.data() + old_size, available), ec);
    input_.resize(old_size + n);
    if (input_.empty()) input_ = {};
    return ec;
}

void TlsStream::take_output(std::vector<char>& into) {
    into = std::move(output_);
    output_ = {};
}

}  // namespace onesoup::transport
