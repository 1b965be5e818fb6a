#include "account_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <memory>

#include "onesoup/store/account_store.hpp"

namespace onesoup::app {
namespace {

// Opens the configured store, or prints why not.
std::unique_ptr<store::AccountStore> open_store(const Config& config) {
    auto key = store::SecretKey::load_or_create(config.store.key_file);
    if (!key) {
        std::cerr << "onesoup: " << key.error().message << "\n";
        return nullptr;
    }
    auto opened = store::open_sqlite_account_store(config.store.database, std::move(*key));
    if (!opened) {
        std::cerr << "onesoup: " << opened.error().message << "\n";
        return nullptr;
    }
    return std::move(*opened);
}

// Reads one line from the terminal without echoing it.
std::optional<std::string> read_hidden(const char* prompt) {
    std::cerr << prompt << std::flush;
    termios old{};
    const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        std::cerr << "\n";
    }
    if (!got) return std::nullopt;
    return line;
}

// The password from the option, standard input, or a prompt (typed twice).
std::optional<std::string> get_password(const PasswordSource& source, const std::string& user) {
    if (source.value) return source.value;
    std::string line;
    if (source.from_stdin || !isatty(STDIN_FILENO)) {
        if (!std::getline(std::cin, line)) {
            std::cerr << "onesoup: no password on standard input\n";
            return std::nullopt;
        }
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }
    auto first = read_hidden(("Password for " + user + ": ").c_str());
    auto second = read_hidden("The same password again: ");
    if (!first || !second) return std::nullopt;
    if (*first != *second) {
        std::cerr << "onesoup: the two passwords differ; nothing changed\n";
        return std::nullopt;
    }
    return first;
}

// The user's bare JID, checked against the config's local domains.
std::optional<std::string> local_user(const Config& config, const std::string& typed) {
    auto user = account_user(typed, config.imps.default_domain);
    if (!user) {
        std::cerr << "onesoup: " << user.error().message << "\n";
        return std::nullopt;
    }
    const std::string domain = user->substr(user->find('@') + 1);
    const DomainSection* d = config.domain(domain);
    if (!d || d->mode != DomainSection::Mode::local) {
        std::cerr << "onesoup: " << domain << " is not a local domain in " << config.file
                  << " (add a [[domain]] with name = \"" << domain << "\" and mode = \"local\")\n";
        return std::nullopt;
    }
    return *user;
}

// The number from --msisdn or `account msisdn`, or nullopt after saying why it is not one.
std::optional<std::string> checked_msisdn(const std::string& typed) {
    auto number = normalise_msisdn(typed);
    if (!number) {
        std::cerr << "onesoup: " << number.error().message << "; nothing changed\n";
        return std::nullopt;
    }
    return *number;
}

bool password_ok(const std::string& password) {
    if (password.empty()) {
        std::cerr << "onesoup: the password is empty; nothing changed\n";
        return false;
    }
    // CSP carries it in XML and XMPP SASL in UTF-8; a control character would break a login.
    for (const char c : password) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            std::cerr << "onesoup: the password contains a control character; nothing changed\n";
            return false;
        }
    }
    return true;
}

}  // namespace

Result<std::string> normalise_msisdn(std::string_view typed) {
    std::string number;
    for (const char c : typed) {
        if (c == ' ' || c == '-') continue;
        number += c;
    }
    std::string_view digits = number;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    // Kannel's `to` takes a list separated by spaces: only a single plain number may pass.
    const bool ok = digits.size() >= 3 && digits.size() <= 15 &&
                    digits.find_first_not_of("0123456789") == std::string_view::npos;
    if (!ok) {
        return make_error("\"" + std::string(typed) +
                          "\" is not a phone number (international form, like +4915112345678)");
    }
    return number;
}

int account_add(const Config& config, const std::string& typed, const PasswordSource& source,
                const std::optional<std::string>& msisdn) {
    auto user = local_user(config, typed);
    if (!user) return 1;
    store::Account account{*user, {}, 0};
    if (msisdn) {
        auto number = checked_msisdn(*msisdn);
        if (!number) return 1;
        account.msisdn = *number;
    }
    auto password = get_password(source, *user);
    if (!password || !password_ok(*password)) return 1;
    account.password = *password;
    auto store = open_store(config);
    if (!store) return 1;
    if (auto ok = store->add(account); !ok) {
        std::cerr << "onesoup: " << ok.error().message << "\n";
        return 1;
    }
    std::cout << "added wv:" << *user;
    if (!account.msisdn.empty()) std::cout << " (phone " << account.msisdn << ")";
    std::cout << "\n";
    return 0;
}

int account_passwd(const Config& config, const std::string& typed, const PasswordSource& source) {
    auto user = account_user(typed, config.imps.default_domain);
    if (!user) {
        std::cerr << "onesoup: " << user.error().message << "\n";
        return 1;
    }
    auto password = get_password(source, *user);
    if (!password || !password_ok(*password)) return 1;
    auto store = open_store(config);
    if (!store) return 1;
    if (auto ok = store->set_password(*user, *password); !ok) {
        std::cerr << "onesoup: " << ok.error().message << "\n";
        return 1;
    }
    std::cout << "changed the password of wv:" << *user << "\n";
    return 0;
}

int account_remove(const Config& config, const std::string& typed) {
    auto user = account_user(typed, config.imps.default_domain);
    if (!user) {
        std::cerr << "onesoup: " << user.error().message << "\n";
        return 1;
    }
    auto store = open_store(config);
    if (!store) return 1;
    auto removed = store->remove(*user);
    if (!removed) {
        std::cerr << "onesoup: " << removed.error().message << "\n";
        return 1;
    }
    if (!*removed) {
        std::cerr << "onesoup: there is no account " << *user << "\n";
        return 1;
    }
    std::cout << "removed wv:" << *user << "\n";
    return 0;
}

int account_list(const Config& config) {
    auto store = open_store(config);
    if (!store) return 1;
    auto accounts = store->list();
    if (!accounts) {
        std::cerr << "onesoup: " << accounts.error().message << "\n";
        return 1;
    }
    for (const auto& a : *accounts) {
        const std::time_t created = static_cast<std::time_t>(a.created_unix);
        std::tm utc{};
        gmtime_r(&created, &utc);
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &utc);
        std::cout << "wv:" << a.user << "  created " << date;
        if (!a.msisdn.empty()) std::cout << "  phone " << a.msisdn;
        std::cout << "\n";
    }
    std::cerr << accounts->size() << (accounts->size() == 1 ? " account\n" : " accounts\n");
    return 0;
}

int account_msisdn(const Config& config, const std::string& typed,
                   const std::optional<std::string>& msisdn) {
    auto user = account_user(typed, config.imps.default_domain);
    if (!user) {
        std::cerr << "onesoup: " << user.error().message << "\n";
        return 1;
    }
    std::string number;
    if (msisdn && !msisdn->empty()) {
        auto checked = checked_msisdn(*msisdn);
        if (!checked) return 1;
        number = *checked;
    }
    auto store = open_store(config);
    if (!store) return 1;
    if (!msisdn) {
        auto found = store->find(*user);
        if (!found) {
            std::cerr << "onesoup: " << found.error().message << "\n";
            return 1;
        }
        if (!*found) {
            std::cerr << "onesoup: there is no account " << *user << "\n";
            return 1;
        }
        if ((*found)->msisdn.empty()) {
            std::cerr << "wv:" << *user << " has no phone number\n";
        } else {
            std::cout << (*found)->msisdn << "\n";
        }
        return 0;
    }
    if (auto ok = store->set_msisdn(*user, number); !ok) {
        std::cerr << "onesoup: " << ok.error().message << "\n";
        return 1;
    }
    if (number.empty()) {
        std::cout << "cleared the phone number of wv:" << *user << "\n";
    } else {
        std::cout << "the phone number of wv:" << *user << " is now " << number << "\n";
    }
    return 0;
}

}  // namespace onesoup::app
