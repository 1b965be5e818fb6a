// libFuzzer target for the XMPP stream parser: the first bytes of the input choose how the rest
// is split into chunks, so chunk boundaries fall everywhere; pauses (<proceed/>, <success/>)
// restart the stream as the client would. The parser must never crash, hang or grow unbounded.
#include <cstddef>
#include <cstdint>
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
    std::vector<onesoup::xmpp::StreamEvent> events;
    std::size_t pos = 0;
    std::size_t turn = 0;
    while (pos < input.size()) {
        std::size_t chunk = static_cast<std::size_t>(sizes[turn++ % 4]) + 1;
        auto piece = input.substr(pos, chunk);
        auto used = parser.feed(piece, events);
        if (!used) break;
        pos += *used;
        if (parser.paused()) parser.restart();
        if (parser.closed()) break;
        // Writing what was parsed exercises the writer on arbitrary trees.
        for (const auto& ev : events) (void)onesoup::xmpp::to_xml(ev.element);
        events.clear();
    }
    return 0;
}
