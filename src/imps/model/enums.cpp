#include "onesoup/imps/model/enums.hpp"

#include <string>
#include <vector>

#include "onesoup/imps/model/primitives.hpp"

namespace onesoup::imps::model {

CspVersion first_version_of(CirMethod method) {
    switch (method) {
        case CirMethod::ssms:
        case CirMethod::shttp:
            return CspVersion::v1_2;
        case CirMethod::wap_sms:
        case CirMethod::wap_udp:
        case CirMethod::sudp:
        case CirMethod::stcp:
            return CspVersion::v1_1;
    }
    return CspVersion::v1_1;
}

bool FunctionList::has(std::string_view function) const {
    for (const auto& f : functions)
        if (f.name == function) return true;
    return false;
}

bool FunctionList::has(std::string_view function, std::string_view flag) const {
    for (const auto& f : functions) {
        if (f.name != function) continue;
        for (const auto& fl : f.flags)
            if (fl == flag) return true;
    }
    return false;
}

std::vector<DigestSchema> parse_digest_schemas(const std::vector<std::string>& texts) {
    std::vector<DigestSchema> schemas;
    for (const auto& text : texts) {
        std::string_view rest(text);
        while (!rest.empty()) {
            const auto end = rest.find_first_of(", \t\r\n");
            const std::string_view token = rest.substr(0, end);
            if (auto schema = parse_enum<DigestSchema>(token)) schemas.push_back(*schema);
            if (end == std::string_view::npos) break;
            rest.remove_prefix(end + 1);
        }
    }
    return schemas;
}

}  // namespace onesoup::imps::model
