// libFuzzer target for the WSP push PDU decoder (a phone's WAP stack or the `imps` phone reads
// what arrives on port 2948): any input gives a push or an error, never a crash or a hang. A
// decoded push re-encoded by our encoder (with its id and body) must decode to the same body
// and transaction id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "onesoup/transport/cir/wsp_push.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace onesoup::transport::cir;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto push = parse_wsp_push(input);
    if (!push) return 0;
    if (push->body.size() > size) std::abort();
    const auto again = parse_wsp_push(wsp_cir_push(push->body, push->tid));
    if (!again || again->body != push->body || again->tid != push->tid ||
        again->content_type_code != 0x46u || again->application_id_code != 0x0Au) {
        std::abort();
    }
    return 0;
}
