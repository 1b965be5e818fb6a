// Writes our WBXML for documents so that independent decoders (libwbxml's wbxml2xml, tshark) can
// be checked against it: for each input XML file and each requested CSP version, <out>/<stem>.<v>
// .wbxml (our encoding) and <out>/<stem>.<v>.xml (the tree it must decode to, as XML).
//
// Usage: wbxml_crosscheck_gen OUTDIR VERSION[,VERSION...] FILE.xml...
//   VERSION is 1.1, 1.2 or 1.3. Exit status 1 on any failure.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"

using namespace onesoup::imps::codec;

namespace {

bool write_file(const std::filesystem::path& p, const std::string& data) {
    std::ofstream out(p, std::ios::binary);
    out << data;
    return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: wbxml_crosscheck_gen OUTDIR VERSIONS FILE.xml...\n";
        return 2;
    }
    const std::filesystem::path outdir = argv[1];
    std::vector<CspVersion> versions;
    std::stringstream list(argv[2]);
    for (std::string v; std::getline(list, v, ',');) {
        const auto parsed = parse_version_text(v);
        if (!parsed) {
            std::cerr << "unknown CSP version " << v << "\n";
            return 2;
        }
        versions.push_back(*parsed);
    }
    std::filesystem::create_directories(outdir);
    int failures = 0;
    for (int i = 3; i < argc; ++i) {
        const std::filesystem::path in = argv[i];
        std::ifstream f(in, std::ios::binary);
        std::stringstream buf;
        buf << f.rdbuf();
        auto doc = decode_xml(buf.str());
        if (!doc) {
            std::cerr << in << ": " << doc.error().describe() << "\n";
            ++failures;
            continue;
        }
        for (const auto v : versions) {
            Element tree = doc->root;
            set_namespaces(tree, v);
            auto bytes = encode_wbxml(tree, v);
            if (!bytes) {
                std::cerr << in << ": " << bytes.error().describe() << "\n";
                ++failures;
                continue;
            }
            const std::string stem = in.stem().string() + "." + std::string(version_text(v));
            if (!write_file(outdir / (stem + ".wbxml"), *bytes) ||
                !write_file(outdir / (stem + ".xml"), encode_xml(tree, {.indent = true}))) {
                std::cerr << "cannot write " << (outdir / stem) << "\n";
                ++failures;
            }
        }
    }
    return failures == 0 ? 0 : 1;
}
