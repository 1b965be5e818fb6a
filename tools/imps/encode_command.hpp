// `imps encode`: convert a CSP document between XML and WBXML, optionally to another version.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace onesoup::tools {

struct EncodeOptions {
    std::string to;           // "xml" or "wbxml"
    std::string csp;          // "1.1", "1.2", "1.3", or empty to keep the input's version
    std::string input = "-";  // file name, or "-" for standard input
};

// Adds the `encode` verb to the command line; `options` receives its arguments.
void add_encode_command(CLI::App& app, EncodeOptions& options);

// Reads and decodes the input (either encoding), moves it to another CSP version's namespaces
// if asked, and writes it in the requested encoding to standard output (compact XML, or binary
// WBXML). Returns the process exit code.
[[nodiscard]] int run_encode(const EncodeOptions& options);

}  // namespace onesoup::tools
