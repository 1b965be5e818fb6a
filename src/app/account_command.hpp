// `onesoup account ...`: the admin command for local accounts (issue 3 item 4). It opens the
// same database and key file as the daemon; SQLite's WAL lets both use them at once.
#pragma once

#include <optional>
#include <string>

#include "config.hpp"

namespace onesoup::app {

// How the password of `account add` / `account passwd` is given.
struct PasswordSource {
    std::optional<std::string> value;  // --password P
    bool from_stdin = false;           // --password-stdin: the first line of standard input
};

// Each returns the process exit status after printing what happened (errors on stderr).
int account_add(const Config& config, const std::string& user, const PasswordSource& password);
int account_passwd(const Config& config, const std::string& user, const PasswordSource& password);
int account_remove(const Config& config, const std::string& user);
int account_list(const Config& config);

}  // namespace onesoup::app
