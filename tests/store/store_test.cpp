// The account store against a real SQLite file in a temporary folder, the key file, and the
// StoreWorker handing results back to the loop thread.
#include <utility>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "onesoup/store/account_store.hpp"
#include "onesoup/store/store_worker.hpp"

namespace fs = std::filesystem;
using onesoup::store::Account;
using onesoup::store::AccountStore;
using onesoup::store::SecretKey;
using onesoup::store::StoreWorker;

namespace {

// A fresh temporary folder per test, removed afterwards.
class StoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "onesoup-store.XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    [[nodiscard]] std::string path(const char* name) const { return (dir_ / name).string(); }

    std::unique_ptr<AccountStore> open_store(const std::string& key_file = "key") {
        auto key = SecretKey::load_or_create(path(key_file.c_str()));
        EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
        auto store = onesoup::store::open_sqlite_account_store(path("accounts.db"), *key);
        EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
        return std::move(*store);
    }

    static std::string read_all(const std::string& file) {
        std::ifstream in(file, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    fs::path dir_;
};

TEST_F(StoreTest, KeyFileIsCreatedPrivateAndReused) {
    auto first = SecretKey::load_or_create(path("key"));
    ASSERT_TRUE(first.ok()) << first.error().message;
    struct stat info {};
    ASSERT_EQ(stat(path("key").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_EQ(info.st_size, 32);

    auto second = SecretKey::load_or_create(path("key"));
    ASSERT_TRUE(second.ok());
    // The same key opens what the first one sealed.
    auto opened = second->open(first->seal("secret"));
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, "secret");
}

TEST_F(StoreTest, KeyFileReadableByOthersIsRefused) {
    ASSERT_TRUE(SecretKey::load_or_create(path("key")).ok());
    ASSERT_EQ(chmod(path("key").c_str(), 0644), 0);
    auto key = SecretKey::load_or_create(path("key"));
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("chmod 600"), std::string::npos) << key.error().message;
}

TEST_F(StoreTest, KeyFileOfWrongSizeIsRefused) {
    std::ofstream(path("key"), std::ios::binary) << "short";
    ASSERT_EQ(chmod(path("key").c_str(), 0600), 0);
    auto key = SecretKey::load_or_create(path("key"));
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("32 bytes"), std::string::npos) << key.error().message;
}

TEST_F(StoreTest, SealIsRandomisedAndOpensBack) {
    auto key = SecretKey::load_or_create(path("key"));
    ASSERT_TRUE(key.ok());
    const std::string a = key->seal("pw"), b = key->seal("pw");
    EXPECT_NE(a, b);  // a fresh nonce each time
    EXPECT_EQ(a.find("pw"), std::string::npos);
    EXPECT_EQ(*key->open(a), "pw");
    EXPECT_EQ(*key->open(key->seal("")), "");
    EXPECT_FALSE(key->open("").ok());
    EXPECT_FALSE(key->open(a.substr(0, 20)).ok());
}

TEST_F(StoreTest, TamperedCiphertextIsRefused) {
    auto key = SecretKey::load_or_create(path("key"));
    ASSERT_TRUE(key.ok());
    std::string sealed = key->seal("password");
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        std::string bad = sealed;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        EXPECT_FALSE(key->open(bad).ok()) << "byte " << i;
    }
}

TEST_F(StoreTest, WrongKeyIsRefused) {
    auto one = SecretKey::load_or_create(path("key1"));
    auto two = SecretKey::load_or_create(path("key2"));
    ASSERT_TRUE(one.ok() && two.ok());
    EXPECT_FALSE(two->open(one->seal("password")).ok());
}

TEST_F(StoreTest, AddFindRemoveList) {
    auto store = open_store();
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->find("alice@chat.example")->has_value());

    ASSERT_TRUE(store->add({"alice@chat.example", "alice secret", 1700000000}).ok());
    ASSERT_TRUE(store->add({"Bob@Chat.Example", "bob pw", 0}).ok());

    auto alice = store->find("alice@chat.example");
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE(alice->has_value());
    EXPECT_EQ((*alice)->user, "alice@chat.example");
    EXPECT_EQ((*alice)->password, "alice secret");
    EXPECT_EQ((*alice)->created_unix, 1700000000);

    // User names are kept in lower case and found in any case.
    auto bob = store->find("BOB@chat.example");
    ASSERT_TRUE(bob.ok() && bob->has_value());
    EXPECT_EQ((*bob)->user, "bob@chat.example");
    EXPECT_EQ((*bob)->password, "bob pw");
    EXPECT_GT((*bob)->created_unix, 1700000000);

    auto all = store->list();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].user, "alice@chat.example");
    EXPECT_EQ((*all)[1].user, "bob@chat.example");
    EXPECT_EQ((*all)[1].password, "bob pw");

    auto removed = store->remove("alice@chat.example");
    ASSERT_TRUE(removed.ok());
    EXPECT_TRUE(*removed);
    removed = store->remove("alice@chat.example");
    ASSERT_TRUE(removed.ok());
    EXPECT_FALSE(*removed);
    EXPECT_FALSE(store->find("alice@chat.example")->has_value());
    EXPECT_EQ(store->list()->size(), 1u);
}

TEST_F(StoreTest, DuplicateAddIsRefused) {
    auto store = open_store();
    ASSERT_TRUE(store->add({"alice@chat.example", "one", 0}).ok());
    auto again = store->add({"ALICE@chat.example", "two", 0});
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("exists"), std::string::npos) << again.error().message;
    EXPECT_EQ((*store->find("alice@chat.example"))->password, "one");
}

TEST_F(StoreTest, SetPassword) {
    auto store = open_store();
    ASSERT_TRUE(store->add({"alice@chat.example", "old", 0}).ok());
    ASSERT_TRUE(store->set_password("alice@chat.example", "new one").ok());
    EXPECT_EQ((*store->find("alice@chat.example"))->password, "new one");
    EXPECT_FALSE(store->set_password("nobody@chat.example", "x").ok());
}

TEST_F(StoreTest, AccountsSurviveReopening) {
    {
        auto store = open_store();
        ASSERT_TRUE(store->add({"alice@chat.example", "persisted", 0}).ok());
    }
    auto store = open_store();
    EXPECT_EQ((*store->find("alice@chat.example"))->password, "persisted");
}

TEST_F(StoreTest, ReopeningWithAnotherKeyCannotReadPasswords) {
    {
        auto store = open_store("key1");
        ASSERT_TRUE(store->add({"alice@chat.example", "persisted", 0}).ok());
    }
    auto store = open_store("key2");
    EXPECT_FALSE(store->find("alice@chat.example").ok());
    EXPECT_FALSE(store->list().ok());
}

TEST_F(StoreTest, DatabaseHoldsNoClearPassword) {
    const std::string password = "very-distinctive-password-4711";
    {
        auto store = open_store();
        ASSERT_TRUE(store->add({"alice@chat.example", password, 0}).ok());
        ASSERT_TRUE(store->add({"bob@chat.example", "x", 0}).ok());
        ASSERT_TRUE(store->set_password("bob@chat.example", password + "-bob").ok());
    }
    // Every file SQLite wrote (the database, and WAL or journal files if left).
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir_)) {
        if (entry.path().filename().string().rfind("accounts.db", 0) != 0) continue;
        ++files;
        const std::string bytes = read_all(entry.path().string());
        EXPECT_EQ(bytes.find(password), std::string::npos) << entry.path();
        EXPECT_EQ(bytes.find("4711"), std::string::npos) << entry.path();
    }
    EXPECT_GE(files, 1u);
    // The user names are there in clear (so the search above looked at the right bytes).
    EXPECT_NE(read_all(path("accounts.db")).find("alice@chat.example"), std::string::npos);
}

TEST_F(StoreTest, TamperedRowIsRefused) {
    {
        auto store = open_store();
        ASSERT_TRUE(store->add({"alice@chat.example", "secret", 0}).ok());
    }
    // Flip one byte of the sealed password with SQLite itself (an attacker with the file).
    const std::string cmd = "sqlite3 '" + path("accounts.db") +
                            "' \"UPDATE accounts SET password = "
                            "substr(password,1,30) || CASE WHEN substr(password,31,1) = X'00' "
                            "THEN X'01' ELSE X'00' END || substr(password,32)\"";
    if (std::system("command -v sqlite3 >/dev/null") != 0) GTEST_SKIP() << "no sqlite3 tool";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    auto store = open_store();
    auto found = store->find("alice@chat.example");
    EXPECT_FALSE(found.ok());
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
    { open_store(); }
    const std::string cmd =
        "sqlite3 '" + path("accounts.db") + "' 'UPDATE schema_version SET version = 99'";
    if (std::system("command -v sqlite3 >/dev/null") != 0) GTEST_SKIP() << "no sqlite3 tool";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    auto key = SecretKey::load_or_create(path("key"));
    auto store = onesoup::store::open_sqlite_account_store(path("accounts.db"), *key);
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
}

// The phone number for SMS CIR (issue 4): kept with the account, changed, cleared (NULL).
TEST_F(StoreTest, MsisdnIsKeptChangedAndCleared) {
    auto store = open_store();
    Account alice{"alice@chat.example", "pw", 0};
    alice.msisdn = "+4915112345678";
    ASSERT_TRUE(store->add(alice).ok());
    ASSERT_TRUE(store->add({"bob@chat.example", "pw", 0}).ok());
    EXPECT_EQ((*store->find("alice@chat.example"))->msisdn, "+4915112345678");
    EXPECT_EQ((*store->find("bob@chat.example"))->msisdn, "");

    ASSERT_TRUE(store->set_msisdn("BOB@chat.example", "+4917099999999").ok());
    ASSERT_TRUE(store->set_msisdn("alice@chat.example", "").ok());
    auto all = store->list();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].msisdn, "");
    EXPECT_EQ((*all)[1].msisdn, "+4917099999999");
    // The password is untouched by it.
    EXPECT_EQ((*all)[1].password, "pw");

    auto missing = store->set_msisdn("nobody@chat.example", "+4915100000000");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no account"), std::string::npos)
        << missing.error().message;

    if (std::system("command -v sqlite3 >/dev/null") != 0) GTEST_SKIP() << "no sqlite3 tool";
    store.reset();
    // A cleared number is NULL, not an empty string.
    const std::string cmd = "test \"$(sqlite3 '" + path("accounts.db") +
                            "' \"SELECT count(*) FROM accounts WHERE msisdn IS NULL\")\" = 1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// A database of schema 1 (before issue 4) gains the msisdn column and keeps its accounts.
TEST_F(StoreTest, SchemaOneIsUpgraded) {
    if (std::system("command -v sqlite3 >/dev/null") != 0) GTEST_SKIP() << "no sqlite3 tool";
    auto key = SecretKey::load_or_create(path("key"));
    ASSERT_TRUE(key.ok());
    std::string sealed_hex;
    for (const char ch : key->seal("old password")) {
        static constexpr char digits[] = "0123456789ABCDEF";
        const auto c = static_cast<unsigned char>(ch);
        sealed_hex += digits[c >> 4];
        sealed_hex += digits[c & 0x0F];
    }
    const std::string cmd =
        "sqlite3 '" + path("accounts.db") +
        "' \"CREATE TABLE schema_version (version INTEGER NOT NULL);"
        " INSERT INTO schema_version (version) VALUES (1);"
        " CREATE TABLE accounts (user TEXT PRIMARY KEY NOT NULL, password BLOB NOT NULL,"
        " created INTEGER NOT NULL) WITHOUT ROWID;"
        " INSERT INTO accounts VALUES ('old@chat.example', X'" +
        sealed_hex + "', 1600000000);\"";
    ASSERT_EQ(std::system(cmd.c_str()), 0);

    auto store = open_store();
    ASSERT_TRUE(store);
    auto old = store->find("old@chat.example");
    ASSERT_TRUE(old.ok() && old->has_value());
    EXPECT_EQ((*old)->password, "old password");
    EXPECT_EQ((*old)->created_unix, 1600000000);
    EXPECT_EQ((*old)->msisdn, "");
    ASSERT_TRUE(store->set_msisdn("old@chat.example", "+4915100000001").ok());
    store.reset();

    // Opening again finds schema 2 (no second ALTER) and the number.
    store = open_store();
    ASSERT_TRUE(store);
    EXPECT_EQ((*store->find("old@chat.example"))->msisdn, "+4915100000001");
    store.reset();
    const std::string version = "test \"$(sqlite3 '" + path("accounts.db") +
                                "' 'SELECT version FROM schema_version')\" = 2";
    EXPECT_EQ(std::system(version.c_str()), 0);
}

TEST_F(StoreTest, UnopenableDatabaseIsAnError) {
    auto key = SecretKey::load_or_create(path("key"));
    auto store = onesoup::store::open_sqlite_account_store(path("no/such/dir/a.db"), *key);
    EXPECT_FALSE(store.ok());
}

TEST_F(StoreTest, WorkerRunsJobsOffTheLoopAndDeliversOnIt) {
    auto store = open_store();
    ASSERT_TRUE(store->add({"alice@chat.example", "pw", 0}).ok());

    boost::asio::io_context loop;
    auto guard = boost::asio::make_work_guard(loop);
    const auto loop_thread = std::this_thread::get_id();
    std::thread::id job_thread;
    std::thread::id done_thread;
    std::string found_password;
    int delivered = 0;
    {
        StoreWorker worker(loop);
        AccountStore* s = store.get();
        worker.run(
            [&job_thread, s] {
                job_thread = std::this_thread::get_id();
                return s->find("alice@chat.example");
            },
            [&](onesoup::Result<std::optional<Account>> result) {
                done_thread = std::this_thread::get_id();
                ASSERT_TRUE(result.ok());
                found_password = (*result)->password;
                ++delivered;
            });
        // A move-only result and a move-only callback.
        auto token = std::make_unique<int>(7);
        worker.run([] { return std::make_unique<int>(35); },
                   [&, token = std::move(token)](std::unique_ptr<int> value) {
                       EXPECT_EQ(*value + *token, 42);
                       ++delivered;
                       guard.reset();
                   });
        loop.run();
    }
    EXPECT_EQ(delivered, 2);
    EXPECT_EQ(found_password, "pw");
    EXPECT_NE(job_thread, loop_thread);
    EXPECT_EQ(done_thread, loop_thread);
}

TEST_F(StoreTest, WorkerFinishesQueuedJobsWhenDestroyed) {
    boost::asio::io_context loop;
    int ran = 0;
    {
        StoreWorker worker(loop);
        for (int i = 0; i < 100; ++i) {
            worker.run([&ran] { return ++ran; }, [](int) {});
        }
    }
    EXPECT_EQ(ran, 100);
    // The results were posted to the loop; running it delivers them without the worker.
    EXPECT_EQ(loop.run(), 100u);
}

}  // namespace
