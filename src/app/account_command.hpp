// `onesoup account ...`: the admin command for local accounts (issue 3 item 4). It opens the
// same database and key file as the daemon; SQLite's WAL lets both use them at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config.hpp"

namespace onesoup::app {

// How the password of `account add` / `account passwd` is given.
struct PasswordSource {
    std::optional<std::string> value;  // --password P
    bool from_stdin = false;           // --password-stdin: the first line of standard input
};

// The phone number as typed ("+49 151 1234-5678") made canonical ("+4915112345678"): an
// optional '+' and 3 to 15 digits (E.164), spaces and dashes dropped; an error otherwise. It
// becomes Kannel's `to` for SMS CIR (issue 4).
[[nodiscard]] Result<std::string> normalise_msisdn(std::string_view typed);

// Each returns the process exit status after printing what happened (errors on stderr).
// `msisdn`: the account's phone number (--msisdn), for SMS CIR.
int account_add(const Config& config, const std::string& user, const PasswordSource& password,
                const std::optional<std::string>& msisdn = std::nullopt);
int account_passwd(const Config& config, const std::string& user, const PasswordSource& password);
int account_remove(const Config& config, const std::string& user);
// Every account with its phone number, if it has one.
int account_list(const Config& config);
// `onesoup account msisdn USER [NUMBER | --clear]`: sets the phone number (a NUMBER), clears it
// (an empty string), or prints it (std::nullopt).
int account_msisdn(const Config& config, const std::string& user,
                   const std::optional<std::string>& msisdn);

}  // namespace onesoup::app
