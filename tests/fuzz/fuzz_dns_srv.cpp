// libFuzzer target for the DNS SRV answer parser (the bytes come from the network, through the
// system resolver): any input must give an answer or an error, never a crash or a hang; the
// ordering of whatever targets come out must keep every target exactly once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "onesoup/xmpp/dns_resolver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto answer = onesoup::xmpp::parse_srv_answer(std::span<const unsigned char>(data, size));
    if (!answer) return 0;
    auto count = answer->targets.size();
    auto ordered = onesoup::xmpp::order_srv_targets(answer->targets, size);
    if (ordered.size() != count) std::abort();
    return 0;
}
