// AccountStore on SQLite: one table of accounts, passwords sealed with the SecretKey.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "onesoup/store/account_store.hpp"

namespace onesoup::store {
namespace {

// The schema this code writes; older databases are upgraded in open(), newer ones refused.
// 1: accounts (user, password, created); 2: + msisdn (issue 4, SMS CIR).
constexpr int schema_version = 2;

// User ids are case-insensitive (CSP 1.2 Data Types 3.1; JID domains too): one spelling is kept.
std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// A prepared statement, finalised when it goes out of scope.
class Statement {
  public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    [[nodiscard]] bool prepared() const { return rc_ == SQLITE_OK; }
    void bind_text(int index, std::string_view text) {
        sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT);
    }
    void bind_blob(int index, std::string_view bytes) {
        sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                          SQLITE_TRANSIENT);
    }
    void bind_int(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
    // An empty string is stored as NULL (an optional column).
    void bind_optional_text(int index, std::string_view text) {
        if (text.empty()) {
            sqlite3_bind_null(stmt_, index);
        } else {
            bind_text(index, text);
        }
    }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return rc_ = sqlite3_step(stmt_); }
    [[nodiscard]] std::string column_text(int index) const {
        const auto* p = sqlite3_column_text(stmt_, index);
        const int n = sqlite3_column_bytes(stmt_, index);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
                 : std::string();
    }
    [[nodiscard]] std::string column_blob(int index) const {
        const void* p = sqlite3_column_blob(stmt_, index);
        const int n = sqlite3_column_bytes(stmt_, index);
        return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n))
                 : std::string();
    }
    [[nodiscard]] std::int64_t column_int(int index) const {
        return sqlite3_column_int64(stmt_, index);
    }
    [[nodiscard]] Error error(std::string_view what) const {
        return make_error(std::string(what) + ": " + sqlite3_errmsg(db_));
    }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    int rc_ = SQLITE_OK;
};

class SqliteAccountStore final : public AccountStore {
  public:
    SqliteAccountStore(sqlite3* db, SecretKey key) : db_(db), key_(std::move(key)) {}
    ~SqliteAccountStore() override { sqlite3_close_v2(db_); }
    SqliteAccountStore(const SqliteAccountStore&) = delete;
    SqliteAccountStore& operator=(const SqliteAccountStore&) = delete;

    Result<std::optional<Account>> find(std::string_view user) override {
        std::lock_guard lock(mutex_);
        Statement st(db_, "SELECT user, password, created, msisdn FROM accounts WHERE user = ?1");
        if (!st.prepared()) return st.error("cannot read accounts");
        st.bind_text(1, lower(user));
        const int rc = st.step();
        if (rc == SQLITE_DONE) return std::optional<Account>{};
        if (rc != SQLITE_ROW) return st.error("cannot read accounts");
        auto account = row_to_account(st);
        if (!account) return account.error();
        return std::optional<Account>(std::move(*account));
    }

    Result<void> add(const Account& account) override {
        std::lock_guard lock(mutex_);
        const std::string user = lower(account.user);
        if (user.empty()) return make_error("an account needs a user name");
        Statement st(db_,
                     "INSERT INTO accounts (user, password, created, msisdn)"
                     " VALUES (?1, ?2, ?3, ?4)");
        if (!st.prepared()) return st.error("cannot add account");
        st.bind_text(1, user);
        st.bind_blob(2, key_.seal(account.password));
        const std::int64_t created = account.created_unix != 0
                                         ? account.created_unix
                                         : std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count();
        st.bind_int(3, created);
        st.bind_optional_text(4, account.msisdn);
        const int rc = st.step();
        if (rc == SQLITE_DONE) return {};
        if (rc == SQLITE_CONSTRAINT) return make_error("account " + user + " exists already");
        return st.error("cannot add account " + user);
    }

    Result<void> set_password(std::string_view user, std::string_view password) override {
        std::lock_guard lock(mutex_);
        const std::string name = lower(user);
        Statement st(db_, "UPDATE accounts SET password = ?2 WHERE user = ?1");
        if (!st.prepared()) return st.error("cannot change password");
        st.bind_text(1, name);
        st.bind_blob(2, key_.seal(password));
        if (st.step() != SQLITE_DONE) return st.error("cannot change the password of " + name);
        if (sqlite3_changes(db_) == 0) return make_error("no account " + name);
        return {};
    }

    Result<void> set_msisdn(std::string_view user, std::string_view msisdn) override {
        std::lock_guard lock(mutex_);
        const std::string name = lower(user);
        Statement st(db_, "UPDATE accounts SET msisdn = ?2 WHERE user = ?1");
        if (!st.prepared()) return st.error("cannot change the phone number");
        st.bind_text(1, name);
        st.bind_optional_text(2, msisdn);
        if (st.step() != SQLITE_DONE) return st.error("cannot change the phone number of " + name);
        if (sqlite3_changes(db_) == 0) return make_error("no account " + name);
        return {};
    }

    Result<bool> remove(std::string_view user) override {
        std::lock_guard lock(mutex_);
        const std::string name = lower(user);
        Statement st(db_, "DELETE FROM accounts WHERE user = ?1");
        if (!st.prepared()) return st.error("cannot remove account");
        st.bind_text(1, name);
        if (st.step() != SQLITE_DONE) return st.error("cannot remove account " + name);
        return sqlite3_changes(db_) > 0;
    }

    Result<std::vector<Account>> list() override {
        std::lock_guard lock(mutex_);
        Statement st(db_, "SELECT user, password, created, msisdn FROM accounts ORDER BY user");
        if (!st.prepared()) return st.error("cannot list accounts");
        std::vector<Account> accounts;
        for (;;) {
            const int rc = st.step();
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return st.error("cannot list accounts");
            auto account = row_to_account(st);
            if (!account) return account.error();
            accounts.push_back(std::move(*account));
        }
        return accounts;
    }

  private:
    Result<Account> row_to_account(const Statement& st) const {
        Account account;
        account.user = st.column_text(0);
        auto password = key_.open(st.column_blob(1));
        if (!password)
            return make_error("account " + account.user + ": " + password.error().message);
        account.password = std::move(*password);
        account.created_unix = st.column_int(2);
        account.msisdn = st.column_text(3);  // NULL reads as ""
        return account;
    }

    // The connection is opened in serialised mode, but a statement sequence (step, then
    // sqlite3_changes) must not interleave with another thread's: one lock per call.
    std::mutex mutex_;
    sqlite3* db_;
    SecretKey key_;
};

// Runs SQL without results.
Result<void> exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        return make_error(text);
    }
    return {};
}

// Creates the schema or checks the version of an existing one.
Result<void> prepare_schema(sqlite3* db) {
    if (auto r = exec(db, "BEGIN IMMEDIATE"); !r) return r;
    auto fail = [db](const Error& e) -> Result<void> {
        (void)exec(db, "ROLLBACK");
        return e;
    };
    if (auto r = exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        !r) {
        return fail(r.error());
    }
    int version = 0;
    {
        Statement st(db, "SELECT version FROM schema_version");
        if (!st.prepared()) return fail(st.error("cannot read the schema version"));
        const int rc = st.step();
        if (rc == SQLITE_ROW) {
            version = static_cast<int>(st.column_int(0));
        } else if (rc != SQLITE_DONE) {
            return fail(st.error("cannot read the schema version"));
        }
    }
    if (version > schema_version) {
        return fail(make_error("the database was written by a newer onesoup (schema " +
                               std::to_string(version) + ", this one knows " +
                               std::to_string(schema_version) + ")"));
    }
    if (version == 0) {
        if (auto r = exec(db,
                          "CREATE TABLE accounts ("
                          " user TEXT PRIMARY KEY NOT NULL,"
                          " password BLOB NOT NULL,"  // SecretKey::seal: nonce || ciphertext
                          " created INTEGER NOT NULL,"
                          " msisdn TEXT)"  // NULL: no number known
                          " WITHOUT ROWID;"
                          "INSERT INTO schema_version (version) VALUES (2)");
            !r) {
            return fail(r.error());
        }
    }
    // One step per version, in order, in this same transaction.
    if (version == 1) {
        if (auto r = exec(db,
                          "ALTER TABLE accounts ADD COLUMN msisdn TEXT;"
                          "UPDATE schema_version SET version = 2");
            !r) {
            return fail(r.error());
        }
    }
    return exec(db, "COMMIT");
}

}  // namespace

Result<std::unique_ptr<AccountStore>> open_sqlite_account_store(const std::string& path,
                                                                SecretKey key) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(
        path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
        nullptr);
    if (rc != SQLITE_OK) {
        std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return make_error("cannot open database " + path + ": " + why);
    }
    // The daemon and the `onesoup account` command may use the file at the same time: WAL lets
    // readers go on during a write, and the timeout waits out the other's short transactions.
    sqlite3_busy_timeout(db, 5000);
    auto setup = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    if (setup) setup = prepare_schema(db);
    if (!setup) {
        sqlite3_close_v2(db);
        return make_error("database " + path + ": " + setup.error().message);
    }
    return std::unique_ptr<AccountStore>(std::make_unique<SqliteAccountStore>(db, std::move(key)));
}

}  // namespace onesoup::store
