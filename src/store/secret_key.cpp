#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>

#include "onesoup/store/account_store.hpp"

namespace onesoup::store {
namespace {

// libsodium must be initialised before use; sodium_init is itself idempotent and thread-safe,
// the static only spares the repeated call.
bool sodium_ready() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

std::string errno_text() {
    return std::strerror(errno);
}

// Reads exactly the key from an open file descriptor.
Result<std::string> read_key(int fd, const std::string& path) {
    struct stat info {};
    if (fstat(fd, &info) != 0)
        return make_error("cannot read key file " + path + ": " + errno_text());
    // The key is as secret as every password it protects: refuse a file others may read.
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        return make_error("key file " + path + " can be read by other users; run: chmod 600 " +
                          path);
    }
    std::string key(crypto_secretbox_KEYBYTES, '\0');
    std::size_t have = 0;
    while (have < key.size()) {
        const ssize_t n = ::read(fd, key.data() + have, key.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error("cannot read key file " + path + ": " + errno_text());
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    char extra = 0;
    if (have != key.size() || ::read(fd, &extra, 1) != 0) {
        return make_error("key file " + path + " is not a onesoup key (it must hold exactly " +
                          std::to_string(crypto_secretbox_KEYBYTES) + " bytes)");
    }
    return key;
}

// Closes a descriptor when it goes out of scope.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

Result<SecretKey> SecretKey::load_or_create(const std::string& path) {
    if (!sodium_ready()) return make_error("libsodium could not be initialised");
    for (int attempt = 0; attempt < 2; ++attempt) {
        Fd existing{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
        if (existing.fd >= 0) {
            auto key = read_key(existing.fd, path);
            if (!key) return key.error();
            SecretKey result;
            result.key_ = std::move(*key);
            return result;
        }
        if (errno != ENOENT)
            return make_error("cannot open key file " + path + ": " + errno_text());

        // O_EXCL: if another process creates the key at the same moment, read theirs instead.
        Fd created{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
        if (created.fd < 0) {
            if (errno == EEXIST) continue;
            return make_error("cannot create key file " + path + ": " + errno_text());
        }
        std::string key(crypto_secretbox_KEYBYTES, '\0');
        crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
        std::size_t done = 0;
        while (done < key.size()) {
            const ssize_t n = ::write(created.fd, key.data() + done, key.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const std::string why = errno_text();
                ::unlink(path.c_str());
                return make_error("cannot write key file " + path + ": " + why);
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(created.fd) != 0) {
            const std::string why = errno_text();
            ::unlink(path.c_str());
            return make_error("cannot write key file " + path + ": " + why);
        }
        SecretKey result;
        result.key_ = std::move(key);
        return result;
    }
    return make_error("key file " + path + " appeared and vanished while being created");
}

std::string SecretKey::seal(std::string_view plain) const {
    assert(key_.size() == crypto_secretbox_KEYBYTES);
    std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(out.data());
    // A random 192-bit nonce per seal: XSalsa20's nonce is long enough for random choice.
    randombytes_buf(bytes, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(bytes + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), bytes,
                          reinterpret_cast<const unsigned char*>(key_.data()));
    return out;
}

Result<std::string> SecretKey::open(std::string_view sealed) const {
    if (key_.size() != crypto_secretbox_KEYBYTES) return make_error("no key loaded");
    if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        return make_error("sealed password is too short");
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
    const std::size_t cipher_size = sealed.size() - crypto_secretbox_NONCEBYTES;
    std::string plain(cipher_size - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                   bytes + crypto_secretbox_NONCEBYTES, cipher_size, bytes,
                                   reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
        return make_error("sealed password does not open with this key (altered, or another key)");
    }
    return plain;
}

}  // namespace onesoup::store
