// libFuzzer target for the XMPP stream parser: the first bytes of the input choose how the rest
// is split into chunks, so chunk boundaries fall everywhere; pauses (<proceed/>, <success/>)
// restart the stream as the client would. The parser must never crash, hang or grow unbounded.
// A second parser gets the same chunks and is released between stanzas whenever it can be
// (StreamParser::release_idle, as ClientStream does): it must find exactly what the first finds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/xmpp/stream_parser.hpp"
#include "onesoup/xmpp/xml_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    // Four bytes of chunk sizes, used round-robin (1..256 bytes each).
    const std::uint8_t* sizes = data;
    std::string_view input(reinterpret_cast<const char*>(data + 4), size - 4);
    onesoup::xmpp::ParserLimits limits;
    limits.max_stanza_bytes = 64 * 1024;
    onesoup::xmpp::StreamParser parser(limits);
    onesoup::xmpp::StreamParser released(limits);
    std::vector<onesoup::xmpp::StreamEvent> events;
    std::vector<onesoup::xmpp::StreamEvent> released_events;
    std::size_t pos = 0;
    std::size_t turn = 0;
    while (pos < input.size()) {
        std::size_t chunk = static_cast<std::size_t>(sizes[turn++ % 4]) + 1;
        auto piece = input.substr(pos, chunk);
        auto used = parser.feed(piece, events);
        auto used2 = released.feed(piece, released_events);
        if (used.ok() != used2.ok()) __builtin_trap();
        if (!used) {
            if (used.error().describe() != used2.error().describe()) __builtin_trap();
            break;
        }
        if (*used != *used2 || events.size() != released_events.size()) __builtin_trap();
        pos += *used;
        if (parser.paused()) {
            parser.restart();
            released.restart();
        }
        if (parser.closed()) break;
        // Writing what was parsed exercises the writer on arbitrary trees.
        for (std::size_t i = 0; i < events.size(); ++i) {
            std::string xml = onesoup::xmpp::to_xml(events[i].element);
            if (events[i].kind != released_events[i].kind ||
                xml != onesoup::xmpp::to_xml(released_events[i].element)) {
                __builtin_trap();
            }
        }
        events.clear();
        released_events.clear();
        released.release_idle();
    }
    return 0;
}
