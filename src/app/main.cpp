// onesoup: the IMPS (Wireless Village) server that makes phones' built-in chat clients talk to
// XMPP. `onesoup` runs the daemon; `onesoup account ...` manages local accounts.
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "account_command.hpp"
#include "config.hpp"
#include "daemon.hpp"
#include "logger.hpp"

namespace {

// The config file: the one given, else ./onesoup.toml, else /etc/onesoup/onesoup.toml.
std::string find_config(const std::string& given) {
    if (!given.empty()) return given;
    for (const char* candidate : {"onesoup.toml", "/etc/onesoup/onesoup.toml"}) {
        std::error_code ec;
        if (std::filesystem::exists(candidate, ec)) return candidate;
    }
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    using namespace onesoup::app;

    CLI::App app{
        "onesoup lets the chat client built into older phones (IMPS / Wireless Village) talk to\n"
        "people on XMPP. Run without a command, it starts the server: phones send their chat\n"
        "requests to its web address, and onesoup logs each of them into XMPP.",
        "onesoup"};
    app.set_version_flag("--version", std::string("onesoup ") + ONESOUP_VERSION);
    app.require_subcommand(0, 1);

    std::string config_option;
    app.add_option("-c,--config", config_option, "The config file to read")->option_text("FILE");

    auto* account = app.add_subcommand(
        "account",
        "Add, list, remove local accounts or change their password (domains in local "
        "mode). The server may be running meanwhile.");
    account->require_subcommand(1);

    std::string user;
    PasswordSource password;
    auto add_password_options = [&password](CLI::App* cmd) {
        auto* p = cmd->add_option("--password", password.value,
                                  "The password (visible to other users of this machine in the "
                                  "process list: prefer --password-stdin or the prompt)")
                      ->option_text("P");
        cmd->add_flag("--password-stdin", password.from_stdin,
                      "Read the password from the first line of standard input")
            ->excludes(p);
    };
    const char* user_help = "The user, like alice@chat.example or wv:alice@chat.example";

    std::optional<std::string> msisdn;
    const char* msisdn_help =
        "The account's phone number in international form (+4915112345678), for waking the "
        "phone by SMS (docs/cir.md)";

    auto* add = account->add_subcommand("add", "Create an account; asks for its password");
    add->add_option("USER", user, user_help)->required();
    add_password_options(add);
    add->add_option("--msisdn", msisdn, msisdn_help)->option_text("NUMBER");

    auto* passwd = account->add_subcommand("passwd", "Change the password of an account");
    passwd->add_option("USER", user, user_help)->required();
    add_password_options(passwd);

    auto* remove = account->add_subcommand("remove", "Delete an account");
    remove->add_option("USER", user, user_help)->required();

    auto* list = account->add_subcommand("list", "Show every account (never its password)");

    bool clear_msisdn = false;
    auto* number = account->add_subcommand(
        "msisdn", "Show, set or clear the phone number of an account (for SMS wake-ups)");
    number->add_option("USER", user, user_help)->required();
    auto* number_value = number->add_option("NUMBER", msisdn, msisdn_help);
    number->add_flag("--clear", clear_msisdn, "Forget the account's phone number")
        ->excludes(number_value);

    // After the subcommands, which would otherwise repeat it.
    app.footer(
        "\nThe config file says where to listen, which domains to serve and where accounts are\n"
        "kept; etc/onesoup.toml in the source tree is an example with every setting explained.\n"
        "Without --config, onesoup reads ./onesoup.toml, or else /etc/onesoup/onesoup.toml.\n"
        "\nExamples:\n"
        "  onesoup --config /etc/onesoup/onesoup.toml\n"
        "  onesoup account add alice@chat.example          (asks for the password)\n"
        "  echo 'secret' | onesoup account add wv:bob@chat.example --password-stdin\n"
        "  onesoup account add alice@chat.example --msisdn +4915112345678\n"
        "  onesoup account list\n");

    CLI11_PARSE(app, argc, argv);

    // The database and the key file hold secrets: nothing onesoup creates is for other users.
    ::umask(0077);

    const std::string config_path = find_config(config_option);
    if (config_path.empty()) {
        std::cerr << "onesoup: no config file: give one with --config FILE (etc/onesoup.toml in "
                     "the source tree is an example), or run ./scripts/run to try onesoup\n";
        return 2;
    }
    auto config = load_config(config_path);
    if (!config) {
        std::cerr << "onesoup: " << config.error().message << "\n";
        return 2;
    }

    if (add->parsed()) return account_add(*config, user, password, msisdn);
    if (passwd->parsed()) return account_passwd(*config, user, password);
    if (remove->parsed()) return account_remove(*config, user);
    if (list->parsed()) return account_list(*config);
    if (number->parsed()) {
        return account_msisdn(*config, user,
                              clear_msisdn ? std::optional<std::string>("") : msisdn);
    }

    const Logger log(config->log.level);
    return run_daemon(*config, log);
}
