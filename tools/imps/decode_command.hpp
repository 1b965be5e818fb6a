// `imps decode`: show a CSP document (XML or WBXML) as indented XML.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace onesoup::tools {

struct DecodeOptions {
    std::string input = "-";  // file name, or "-" for standard input
};

// Adds the `decode` verb to the command line; `options` receives its arguments.
void add_decode_command(CLI::App& app, DecodeOptions& options);

// Reads the input, detects its encoding, decodes it and prints the tree as indented XML with
// its namespaces. Returns the process exit code.
[[nodiscard]] int run_decode(const DecodeOptions& options);

}  // namespace onesoup::tools
