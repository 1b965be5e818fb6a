// Local community accounts (onesoup 2009 mode): kept by onesoup, passwords encrypted at rest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/core/result.hpp"

namespace onesoup::store {

// One local account.
struct Account {
    std::string user;      // "alice@chat.example": the XMPP bare JID, lower case (no "wv:")
    std::string password;  // in clear in memory only; encrypted in the database
    std::int64_t created_unix = 0;
    // The phone's number (E.164, "+4915112345678") for SMS CIR (issue 4), "" if none is known.
    std::string msisdn{};
};

// The key that encrypts passwords at rest (libsodium secretbox, XSalsa20-Poly1305). It lives in
// a file outside the database (mode 0600), so a stolen database alone reveals no password.
class SecretKey {
  public:
    // Reads the key file, or creates it with a fresh random key if it does not exist.
    [[nodiscard]] static Result<SecretKey> load_or_create(const std::string& path);
    // Encrypts: nonce || ciphertext.
    [[nodiscard]] std::string seal(std::string_view plain) const;
    // Decrypts what seal produced; an error if it was tampered with or the key is another.
    [[nodiscard]] Result<std::string> open(std::string_view sealed) const;

  private:
    std::string key_;  // crypto_secretbox_KEYBYTES bytes
};

// Storage of local accounts. Blocking calls: run them off the event loop (StoreWorker).
class AccountStore {
  public:
    virtual ~AccountStore() = default;
    // The account, std::nullopt if there is none, or an error (database unreadable).
    [[nodiscard]] virtual Result<std::optional<Account>> find(std::string_view user) = 0;
    // Adds an account; an error if it exists already.
    [[nodiscard]] virtual Result<void> add(const Account& account) = 0;
    // Changes the password of an account; an error if there is none.
    [[nodiscard]] virtual Result<void> set_password(std::string_view user,
                                                    std::string_view password) = 0;
    // Sets the account's phone number ("" clears it); an error if there is no such account.
    [[nodiscard]] virtual Result<void> set_msisdn(std::string_view user,
                                                  std::string_view msisdn) = 0;
    // Removes an account; false if there was none.
    [[nodiscard]] virtual Result<bool> remove(std::string_view user) = 0;
    // Every account, sorted by user (passwords included).
    [[nodiscard]] virtual Result<std::vector<Account>> list() = 0;
};

// Opens (creating if needed) the SQLite database at `path` (WAL mode, schema versioned).
[[nodiscard]] Result<std::unique_ptr<AccountStore>> open_sqlite_account_store(
    const std::string& path, SecretKey key);

}  // namespace onesoup::store
