// Prints our WSP push PDU (the WAPUDP/WAPSMS CIR) as a text2pcap hex dump, so that tshark's WSP
// dissector can be checked against it (wsp_push_crosscheck.sh).
//
// Usage: wsp_push_gen TID BODY
//   TID is the transaction id (0-255), BODY the WVCI line. Exit status 2 on bad arguments.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "onesoup/transport/cir/wsp_push.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: wsp_push_gen TID BODY\n");
        return 2;
    }
    char* end = nullptr;
    const long tid = std::strtol(argv[1], &end, 0);
    if (end == argv[1] || *end != '\0' || tid < 0 || tid > 255) {
        std::fprintf(stderr, "wsp_push_gen: bad transaction id %s\n", argv[1]);
        return 2;
    }
    const std::string pdu =
        onesoup::transport::cir::wsp_cir_push(argv[2], static_cast<std::uint8_t>(tid));
    // text2pcap's input: an offset, then up to 16 octets in hex, one line each.
    for (std::size_t i = 0; i < pdu.size(); ++i) {
        if (i % 16 == 0) std::printf(i == 0 ? "%06zx" : "\n%06zx", i);
        std::printf(" %02x", static_cast<unsigned>(static_cast<unsigned char>(pdu[i])));
    }
    std::printf("\n");
    return 0;
}
