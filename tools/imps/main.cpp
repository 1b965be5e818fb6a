// `imps`: a command-line tool for OMA IMPS / Wireless Village CSP documents. Each verb lives in
// its own file (decode_command.cpp, encode_command.cpp, ...); main only parses and dispatches.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "decode_command.hpp"
#include "encode_command.hpp"
#include "phone_command.hpp"
#include "tool_io.hpp"

int main(int argc, char** argv) {
    using namespace onesoup::tools;
    CLI::App app{
        "imps: work with OMA IMPS / Wireless Village CSP documents (the XML or WBXML bodies that "
        "phones' built-in chat clients send).\n"
        "Examples:\n"
        "  imps decode request.wbxml          show a document as readable XML\n"
        "  imps encode --to wbxml a.xml > a.wbxml\n"
        "  imps encode --to xml --csp 1.1 a.wbxml\n"
        "  imps phone --url http://127.0.0.1:8080/wv --user alice --password pw --steps login\n"
        "Exit status: 0 done, 1 the input could not be read or decoded (one line on standard "
        "error says what and where), 2 the command line was wrong.",
        "imps"};
    app.require_subcommand(1);

    DecodeOptions decode_options;
    EncodeOptions encode_options;
    PhoneCommandOptions phone_options;
    add_decode_command(app, decode_options);
    add_encode_command(app, encode_options);
    add_phone_command(app, phone_options);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "imps: %s (see imps --help)\n", e.what());
        return exit_usage;
    }

    if (app.got_subcommand("decode")) return run_decode(decode_options);
    if (app.got_subcommand("encode")) return run_encode(encode_options);
    if (app.got_subcommand("phone")) return run_phone_command(phone_options);
    return exit_usage;  // unreachable: require_subcommand(1)
}
