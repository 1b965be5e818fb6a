// `imps phone`: a scriptable phone that logs into a CSP server and runs a script of steps
// (docs/phone.md).
#pragma once

#include <string>

#include "phone_runner.hpp"

namespace CLI {
class App;
}

namespace onesoup::tools {

struct PhoneCommandOptions {
    PhoneOptions phone;
    std::string encoding = "wbxml";
    std::string csp = "1.2";
    std::string script_file;  // "-" reads standard input
    std::string steps;        // --steps "step; step"
    std::string cir = "none";  // --cir
};

// Adds the `phone` verb to the command line; `options` receives its arguments.
void add_phone_command(CLI::App& app, PhoneCommandOptions& options);

// Reads and checks the script (syntax errors exit 2 before anything is sent), then runs it.
// Returns the process exit code: 0 all steps passed, 1 a step failed, 2 usage or syntax error.
[[nodiscard]] int run_phone_command(PhoneCommandOptions& options);

}  // namespace onesoup::tools
