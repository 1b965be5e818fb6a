// Codec benchmark: encode and decode per second for typical CSP 1.2 documents, in XML and WBXML,
// next to libwbxml's converters on the same documents in the same run.
//
//   codec_bench [Google Benchmark options]   the timings
//   codec_bench --sizes                      encoded size of every corpus document: XML, our
//                                            WBXML, libwbxml's xml2wbxml output
//
// The documents are generated from templates (below): a Login-Request, a SendMessage-Request,
// a GetList-Response with 50 contact lists, a ListManage-Response with a 50-contact NickList
// (what a phone's roster really comes in) and a PresenceNotification-Request with 20 users.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"

#if ONESOUP_HAVE_LIBWBXML
#include <wbxml.h>
#endif

namespace {

using namespace onesoup::imps::codec;

const char* const doctype12 =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE WV-CSP-Message PUBLIC \"-//OMA//DTD WV-CSP 1.2//EN\" "
    "\"http://www.openmobilealliance.org/DTD/WV-CSP.XML\">\n";

// A CSP 1.2 message around one primitive (the DOCTYPE tells libwbxml the language; our reader
// ignores it).
std::string message(const std::string& mode, const std::string& primitive) {
    return std::string(doctype12) +
           "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\">"
           "<Session><SessionDescriptor><SessionType>Inband</SessionType>"
           "<SessionID>a3f9c2d1-5e7b-4c1a-9d2e-0f1b2c3d4e5f</SessionID></SessionDescriptor>"
           "<Transaction><TransactionDescriptor><TransactionMode>" +
           mode +
           "</TransactionMode><TransactionID>nok17</TransactionID></TransactionDescriptor>"
           "<TransactionContent xmlns=\"http://www.openmobilealliance.org/DTD/WV-TRC1.2\">" +
           primitive + "</TransactionContent></Transaction></Session></WV-CSP-Message>";
}

std::string login_request() {
    return std::string(doctype12) +
           "<WV-CSP-Message xmlns=\"http://www.openmobilealliance.org/DTD/WV-CSP1.2\">"
           "<Session><SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor>"
           "<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>"
           "<TransactionID>nok1</TransactionID></TransactionDescriptor>"
           "<TransactionContent xmlns=\"http://www.openmobilealliance.org/DTD/WV-TRC1.2\">"
           "<Login-Request><UserID>wv:alice@example.org</UserID>"
           "<ClientID><URL>http://www.nokia.com/wv/6630/3.01</URL></ClientID>"
           "<Password>correct horse</Password><TimeToLive>1800</TimeToLive>"
           "<SessionCookie>wv:nokia.1143203429</SessionCookie></Login-Request>"
           "</TransactionContent></Transaction></Session></WV-CSP-Message>";
}

std::string send_message_request() {
    return message("Request",
                   "<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo>"
                   "<ContentType>text/plain</ContentType><ContentSize>44</ContentSize>"
                   "<Recipient><User><UserID>wv:bob@example.org</UserID></User></Recipient>"
                   "<Sender><User><UserID>wv:alice@example.org</UserID></User></Sender>"
                   "</MessageInfo><ContentData>Are we still on for lunch tomorrow at noon?"
                   "</ContentData></SendMessage-Request>");
}

std::string get_list_response(int lists) {
    std::string p = "<GetList-Response><Result><Code>200</Code></Result>";
    for (int i = 0; i < lists; ++i)
        p += "<ContactList>wv:alice/list" + std::to_string(i) + "@example.org</ContactList>";
    p += "<DefaultContactList>wv:alice/list0@example.org</DefaultContactList></GetList-Response>";
    return message("Response", p);
}

std::string list_manage_response(int contacts) {
    std::string p = "<ListManage-Response><Result><Code>200</Code></Result><NickList>";
    for (int i = 0; i < contacts; ++i)
        p += "<NickName><Name>Friend number " + std::to_string(i) + "</Name><UserID>wv:friend" +
             std::to_string(i) + "@example.org</UserID></NickName>";
    p += "</NickList></ListManage-Response>";
    return message("Response", p);
}

std::string presence_notification_request(int users) {
    std::string p = "<PresenceNotification-Request>";
    for (int i = 0; i < users; ++i)
        p += "<Presence><UserID>wv:friend" + std::to_string(i) +
             "@example.org</UserID><PresenceSubList "
             "xmlns=\"http://www.openmobilealliance.org/DTD/WV-PA1.2\">"
             "<OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue>"
             "</OnlineStatus><UserAvailability><Qualifier>T</Qualifier>"
             "<PresenceValue>AVAILABLE</PresenceValue></UserAvailability>"
             "<StatusText><Qualifier>T</Qualifier><PresenceValue>At the office until 6"
             "</PresenceValue></StatusText></PresenceSubList></Presence>";
    p += "</PresenceNotification-Request>";
    return message("Request", p);
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "codec_bench: %s\n", what.c_str());
    std::exit(1);
}

Document must_decode(std::string_view bytes, const std::string& name) {
    auto doc = decode(bytes);
    if (!doc) die(name + ": " + doc.error().describe());
    return std::move(*doc);
}

std::string must_encode_wbxml(const Element& root, CspVersion v, const std::string& name) {
    auto wbxml = encode_wbxml(root, v);
    if (!wbxml) die(name + ": " + wbxml.error().describe());
    return std::move(*wbxml);
}

#if ONESOUP_HAVE_LIBWBXML
// libwbxml's XML -> WBXML (WBXML 1.3, string table on, as its xml2wbxml tool does). Empty on
// failure.
std::string libwbxml_xml2wbxml(const std::string& xml) {
    WBXMLConvXML2WBXML* conv = nullptr;
    if (wbxml_conv_xml2wbxml_create(&conv) != WBXML_OK) return {};
    wbxml_conv_xml2wbxml_set_version(conv, WBXML_VERSION_13);
    WB_UTINY* out = nullptr;
    WB_ULONG out_len = 0;
    std::string input = xml;  // libwbxml takes a non-const buffer
    const WBXMLError err =
        wbxml_conv_xml2wbxml_run(conv, reinterpret_cast<WB_UTINY*>(input.data()),
                                 static_cast<WB_ULONG>(input.size()), &out, &out_len);
    wbxml_conv_xml2wbxml_destroy(conv);
    std::string result;
    if (err == WBXML_OK) result.assign(reinterpret_cast<const char*>(out), out_len);
    std::free(out);
    return result;
}

// libwbxml's WBXML -> compact XML, language forced to `lang`. Empty on failure.
std::string libwbxml_wbxml2xml(const std::string& wbxml, WBXMLLanguage lang) {
    WBXMLConvWBXML2XML* conv = nullptr;
    if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK) return {};
    wbxml_conv_wbxml2xml_set_gen_type(conv, WBXML_GEN_XML_COMPACT);
    wbxml_conv_wbxml2xml_set_language(conv, lang);
    WB_UTINY* out = nullptr;
    WB_ULONG out_len = 0;
    std::string input = wbxml;
    const WBXMLError err =
        wbxml_conv_wbxml2xml_run(conv, reinterpret_cast<WB_UTINY*>(input.data()),
                                 static_cast<WB_ULONG>(input.size()), &out, &out_len);
    wbxml_conv_wbxml2xml_destroy(conv);
    std::string result;
    if (err == WBXML_OK) result.assign(reinterpret_cast<const char*>(out), out_len);
    std::free(out);
    return result;
}
#endif

struct Sample {
    std::string name;
    std::string xml;    // as generated (with DOCTYPE)
    Element tree;       // decoded
    std::string wbxml;  // ours
};

std::vector<Sample> samples() {
    const std::pair<std::string, std::string> docs[] = {
        {"Login-Request", login_request()},
        {"SendMessage-Request", send_message_request()},
        {"GetList-Response/50", get_list_response(50)},
        {"ListManage-Response/50", list_manage_response(50)},
        {"PresenceNotification-Request/20", presence_notification_request(20)},
    };
    std::vector<Sample> out;
    for (const auto& [name, xml] : docs) {
        Sample s{name, xml, must_decode(xml, name).root, {}};
        s.wbxml = must_encode_wbxml(s.tree, CspVersion::v1_2, name);
        // The generated documents must survive both paths, or the timings mean nothing.
        const auto back = must_decode(s.wbxml, name);
        if (!same_tree(back.root, s.tree))
            die(name + ": WBXML round trip: " + first_difference(back.root, s.tree));
        out.push_back(std::move(s));
    }
    return out;
}

void register_benchmarks(const std::vector<Sample>& all) {
    for (const Sample& s : all) {
        const std::string compact_xml = encode_xml(s.tree);
        auto reg = [&](const std::string& what, auto fn, std::size_t bytes) {
            benchmark::RegisterBenchmark(
                (what + "/" + s.name).c_str(), [fn, bytes](benchmark::State& state) {
                    for (auto _ : state) fn();
                    state.SetItemsProcessed(state.iterations());
                    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
                });
        };
        const Element* tree = &s.tree;
        reg(
            "ours_xml_encode", [tree] { benchmark::DoNotOptimize(encode_xml(*tree)); },
            compact_xml.size());
        reg(
            "ours_xml_decode", [compact_xml] { benchmark::DoNotOptimize(decode_xml(compact_xml)); },
            compact_xml.size());
        reg(
            "ours_wbxml_encode",
            [tree] { benchmark::DoNotOptimize(encode_wbxml(*tree, CspVersion::v1_2)); },
            s.wbxml.size());
        const std::string wbxml = s.wbxml;
        reg(
            "ours_wbxml_decode", [wbxml] { benchmark::DoNotOptimize(decode_wbxml(wbxml)); },
            wbxml.size());
        // Whole conversions, comparable with libwbxml's converters.
        const std::string xml = s.xml;
        reg(
            "ours_xml2wbxml",
            [xml] {
                auto d = decode_xml(xml);
                benchmark::DoNotOptimize(encode_wbxml(d->root, d->version));
            },
            xml.size());
        reg(
            "ours_wbxml2xml",
            [wbxml] {
                auto d = decode_wbxml(wbxml);
                benchmark::DoNotOptimize(encode_xml(d->root));
            },
            wbxml.size());
#if ONESOUP_HAVE_LIBWBXML
        const std::string theirs = libwbxml_xml2wbxml(xml);
        if (theirs.empty()) die(s.name + ": libwbxml xml2wbxml failed");
        reg(
            "libwbxml_xml2wbxml", [xml] { benchmark::DoNotOptimize(libwbxml_xml2wbxml(xml)); },
            xml.size());
        if (libwbxml_wbxml2xml(theirs, WBXML_LANG_WV_CSP12).empty())
            die(s.name + ": libwbxml wbxml2xml failed");
        reg(
            "libwbxml_wbxml2xml",
            [theirs] { benchmark::DoNotOptimize(libwbxml_wbxml2xml(theirs, WBXML_LANG_WV_CSP12)); },
            theirs.size());
#endif
    }
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// --sizes: one line per corpus document and the generated samples.
int print_sizes() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(ONESOUP_CORPUS_DIR))
        if (e.path().extension() == ".xml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::printf("%-40s %8s %8s %8s %8s\n", "document", "xml", "compact", "ours", "libwbxml");
    std::size_t total_xml = 0, total_compact = 0, total_ours = 0, total_theirs = 0;
    std::size_t theirs_failed = 0;
    auto line = [&](const std::string& name, const std::string& xml) {
        const Document doc = must_decode(xml, name);
        const std::string compact = encode_xml(doc.root, {.declaration = false});
        const std::string ours = must_encode_wbxml(doc.root, doc.version, name);
        std::string theirs_text = "-";
#if ONESOUP_HAVE_LIBWBXML
        const std::string theirs = libwbxml_xml2wbxml(xml);
        if (theirs.empty()) {
            ++theirs_failed;
            theirs_text = "failed";
        } else {
            theirs_text = std::to_string(theirs.size());
            total_theirs += theirs.size();
        }
#endif
        total_xml += xml.size();
        total_compact += compact.size();
        total_ours += ours.size();
        std::printf("%-40s %8zu %8zu %8zu %8s\n", name.c_str(), xml.size(), compact.size(),
                    ours.size(), theirs_text.c_str());
    };
    for (const auto& f : files) line(f.filename().string(), read_file(f));
    for (const auto& s : samples()) line(s.name + " (1.2)", s.xml);
    std::printf("%-40s %8zu %8zu %8zu %8zu\n", "total", total_xml, total_compact, total_ours,
                total_theirs);
    if (theirs_failed != 0) std::printf("libwbxml failed on %zu documents\n", theirs_failed);
    std::printf(
        "xml: the file as stored; compact: our encode_xml without declaration; "
        "ours: encode_wbxml; libwbxml: wbxml_conv_xml2wbxml (WBXML 1.3, string table; "
        "it drops the xmlns attributes)\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--sizes") == 0) return print_sizes();
    const auto all = samples();
    register_benchmarks(all);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
