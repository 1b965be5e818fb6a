#include "encode_command.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include "onesoup/imps/codec/codec.hpp"
#include "tool_io.hpp"

namespace onesoup::tools {

void add_encode_command(CLI::App& app, EncodeOptions& options) {
    auto* cmd = app.add_subcommand(
        "encode",
        "Read a CSP document (XML or WBXML) and write it in the encoding you ask for: compact "
        "XML, or binary WBXML (redirect it to a file). With --csp, the namespaces are changed "
        "to that CSP version first; the elements themselves are not translated.");
    cmd->add_option("--to", options.to, "Encoding to write: xml or wbxml")
        ->required()
        ->check(CLI::IsMember({"xml", "wbxml"}));
    cmd->add_option("--csp", options.csp,
                    "CSP version to write: 1.1, 1.2 or 1.3 (default: the input's version)")
        ->check(CLI::IsMember({"1.1", "1.2", "1.3"}));
    cmd->add_option("file", options.input, "File to read; - or nothing reads standard input")
        ->capture_default_str();
}

int run_encode(const EncodeOptions& options) {
    namespace codec = imps::codec;
    if (options.to == "wbxml" && isatty(STDOUT_FILENO) == 1) {
        // Binary on a terminal garbles it and helps nobody.
        report_error(make_error("WBXML is binary: redirect the output to a file or a pipe"));
        return exit_usage;
    }
    auto bytes = read_input(options.input);
    if (!bytes) {
        report_error(bytes.error());
        return exit_bad_input;
    }
    auto doc = codec::decode(*bytes);
    if (!doc) {
        report_error(doc.error());
        return exit_bad_input;
    }
    codec::CspVersion version = doc->version;
    if (!options.csp.empty()) {
        // The option's check already limited it to the three versions.
        version = codec::parse_version_text(options.csp).value_or(version);
        codec::set_namespaces(doc->root, version);
    }

    std::string out;
    if (options.to == "xml") {
        out = codec::encode_xml(doc->root);
    } else {
        auto wbxml = codec::encode_wbxml(doc->root, version);
        if (!wbxml) {
            report_error(wbxml.error());
            return exit_bad_input;
        }
        out = std::move(*wbxml);
    }
    if (!write_output(out)) {
        report_error(make_error("cannot write to standard output"));
        return exit_bad_input;
    }
    return exit_ok;
}

}  // namespace onesoup::tools
