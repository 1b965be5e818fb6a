#include "decode_command.hpp"

#include <CLI/CLI.hpp>

#include "onesoup/imps/codec/codec.hpp"
#include "tool_io.hpp"

namespace onesoup::tools {

void add_decode_command(CLI::App& app, DecodeOptions& options) {
    auto* cmd = app.add_subcommand(
        "decode",
        "Read a CSP document (XML or WBXML, detected from its first bytes) and print it as "
        "indented XML, with the namespaces it carries (so a WBXML document shows its xmlns "
        "and CSP version).");
    cmd->add_option("file", options.input, "File to read; - or nothing reads standard input")
        ->capture_default_str();
}

int run_decode(const DecodeOptions& options) {
    auto bytes = read_input(options.input);
    if (!bytes) {
        report_error(bytes.error());
        return exit_bad_input;
    }
    auto doc = imps::codec::decode(*bytes);
    if (!doc) {
        report_error(doc.error());
        return exit_bad_input;
    }
    const std::string xml = imps::codec::encode_xml(doc->root, {.indent = true});
    if (!write_output(xml)) {
        report_error(make_error("cannot write to standard output"));
        return exit_bad_input;
    }
    return exit_ok;
}

}  // namespace onesoup::tools
