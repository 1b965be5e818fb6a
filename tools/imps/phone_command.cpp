#include "phone_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "onesoup/imps/codec/version.hpp"
#include "phone_script.hpp"
#include "tool_io.hpp"

namespace onesoup::tools {

void add_phone_command(CLI::App& app, PhoneCommandOptions& options) {
    auto* cmd = app.add_subcommand(
        "phone",
        "Act as a phone: log into a CSP server at --url and run a script of steps (login, "
        "send, expect-message, ...; see docs/phone.md), printing every request and answer and "
        "the bytes each way. Exit status: 0 every step passed, 1 a step failed (one line "
        "'step N (VERB): why' on standard error), 2 usage or script error (nothing sent).\n"
        "Example:\n"
        "  imps phone --url http://127.0.0.1:8080/wv --user alice@a.test --password secret \\\n"
        "       --steps 'login; send bob@a.test hello; expect-message from=bob@a.test; logout'");
    auto& p = options.phone;
    cmd->add_option("--url", p.url, "The server's CSP URL (http://host:port/path or https://)")
        ->required();
    cmd->add_option("--user", p.user, "User id (wv:alice@a.test, or alice@a.test)")->required();
    cmd->add_option("--password", p.password, "Password")->required();
    cmd->add_option("--auth", p.auth,
                    "Login scheme: pwd (2-way, clear password), md5 or sha (4-way digest)")
        ->check(CLI::IsMember({"pwd", "md5", "sha"}))
        ->capture_default_str();
    cmd->add_option("--encoding", options.encoding, "Request encoding: xml or wbxml")
        ->check(CLI::IsMember({"xml", "wbxml"}))
        ->capture_default_str();
    cmd->add_option("--csp", options.csp, "CSP version: 1.1, 1.2 or 1.3")
        ->check(CLI::IsMember({"1.1", "1.2", "1.3"}))
        ->capture_default_str();
    cmd->add_option("--client-id", p.client_id, "ClientID URL sent at login")
        ->capture_default_str();
    cmd->add_option("--poll-interval", p.poll_interval,
                    "Seconds between Polling-Requests while a step waits")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--timeout", p.http_timeout, "Seconds to wait for each HTTP answer")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--cir", options.cir,
                    "CIR method offered in ClientCapability: stcp, sudp, wapudp, shttp, ssms, "
                    "wapsms or none (poll). With one, waiting steps wait for a wake-up, then poll")
        ->check(CLI::IsMember({"stcp", "sudp", "wapudp", "shttp", "ssms", "wapsms", "none"},
                              CLI::ignore_case))
        ->capture_default_str();
    cmd->add_option("--udp-port", p.udp_port,
                    "SUDP/WAPUDP: UDP port to listen on and offer as UDPPort (0 = a free port; "
                    "WAPUDP: 2948)")
        ->capture_default_str();
    cmd->add_option("--ping-interval", p.ping_interval, "STCP: seconds between PINGs")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--sms-inbox", p.sms_inbox,
                    "SSMS/WAPSMS: the file where the fake SMS centre writes what it receives");
    cmd->add_option("--msisdn", p.msisdn,
                    "The phone's number (+NUMBER): sent as X-Network-MSISDN with each request; "
                    "SMS to other numbers are not for this phone");
    cmd->add_option("--local-address", p.local_address,
                    "Local address of every socket (127.0.0.N: the phone's IP address)");
    cmd->add_flag("--quiet", p.quiet, "Print one line per step instead of every exchange");
    cmd->add_flag("--insecure", p.insecure, "HTTPS: accept any server certificate");
    auto* steps =
        cmd->add_option("--steps", options.steps, "The script inline, steps separated by ';'");
    auto* file = cmd->add_option("script", options.script_file,
                                 "Script file, one step per line ('-' reads standard input)");
    steps->excludes(file);
    file->excludes(steps);
}

int run_phone_command(PhoneCommandOptions& options) {
    if (options.steps.empty() && options.script_file.empty()) {
        std::fputs("imps: phone: give a script file or --steps \"step; step\"\n", stderr);
        return exit_usage;
    }
    std::string text = options.steps;
    const bool inline_steps = !options.steps.empty();
    if (!inline_steps) {
        auto bytes = read_input(options.script_file);
        if (!bytes) {
            report_error(bytes.error());
            return exit_usage;
        }
        text = std::move(*bytes);
    }
    auto script = parse_phone_script(text, inline_steps);
    if (!script) {
        const std::string where = inline_steps ? "--steps" : options.script_file;
        std::cerr << "imps: " << where << ": " << script.error().message << '\n';
        return exit_usage;
    }
    options.phone.encoding =
        options.encoding == "xml" ? imps::codec::Encoding::xml : imps::codec::Encoding::wbxml;
    options.phone.cir = cir_kind_from_text(options.cir).value_or(CirKind::none);
    options.phone.version =
        imps::codec::parse_version_text(options.csp).value_or(imps::codec::CspVersion::v1_2);
    return run_phone(options.phone, *script, std::cout, std::cerr);
}

}  // namespace onesoup::tools
