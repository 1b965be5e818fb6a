#include "service_functions.hpp"

#include <array>
#include <initializer_list>
#include <string_view>

namespace onesoup::imps::engine {
namespace {

using model::FunctionList;

// One function group of the CSP 1.2 service tree with every flag it can hold (CSP 1.2
// Service-Request; S60 ImpsCspDtd.h), and the flags onesoup grants.
struct GroupSpec {
    std::string_view feature;  // FundamentalFeat, PresenceFeat, IMFeat, GroupFeat
    std::string_view name;
    std::initializer_list<std::string_view> all;
    std::initializer_list<std::string_view> granted;
};

// What onesoup grants. Groups and search wait for a later issue (issue 3: "refused for now");
// blocking and attribute lists have no XMPP mapping yet; delivery is push only (NEWM), so the
// notify/get flags (NOTIF, GETM, GETLM, REJCM) are refused.
const std::array<GroupSpec, 14> kTree{{
    {"FundamentalFeat", "ServiceFunc", {"GETSPI"}, {"GETSPI"}},
    {"FundamentalFeat", "SearchFunc", {"SRCH", "STSRC"}, {}},
    {"FundamentalFeat", "InviteFunc", {"INVIT", "CAINV"}, {}},
    {"PresenceFeat",
     "ContListFunc",
     {"GCLI", "CCLI", "DCLI", "MCLS"},
     {"GCLI", "CCLI", "DCLI", "MCLS"}},
    {"PresenceFeat", "PresenceAuthFunc", {"GETWL", "REACT", "CAAUT"}, {"REACT", "CAAUT"}},
    {"PresenceFeat", "PresenceDeliverFunc", {"GETPR", "UPDPR"}, {"GETPR", "UPDPR"}},
    {"PresenceFeat", "AttListFunc", {"CALI", "DALI", "GALS"}, {}},
    {"IMFeat", "IMSendFunc", {"MDELIV", "FWMSG"}, {"MDELIV"}},
    {"IMFeat",
     "IMReceiveFunc",
     {"SETD", "GETLM", "GETM", "REJCM", "NOTIF", "NEWM"},
     {"SETD", "NEWM"}},
    {"IMFeat", "IMAuthFunc", {"GLBLU", "BLENT"}, {}},
    {"GroupFeat", "GroupMgmtFunc", {"CREAG", "DELGR", "GETGP", "SETGP"}, {}},
    {"GroupFeat", "GroupUseFunc", {"SUBGCN", "GRCHN"}, {}},
    {"GroupFeat", "GroupAuthFunc", {"GETGM", "ADDGM", "RMVGM", "MBRAC", "REJEC"}, {}},
    // CSP 1.1's JoinGroup sits under GroupUseFunc too; it is refused with the rest of groups.
    {"GroupFeat", "GroupUseFunc", {"JOING", "LEAVG"}, {}},
}};

// The FundamentalFeat, PresenceFeat, IMFeat or GroupFeat member of `feat` (const or not).
template <class Feat>
auto& feature_of(Feat& feat, std::string_view name) {
    if (name == "FundamentalFeat") return feat.fundamental;
    if (name == "PresenceFeat") return feat.presence;
    if (name == "IMFeat") return feat.im;
    return feat.group;
}

bool contains(std::initializer_list<std::string_view> list, std::string_view s) {
    for (std::string_view x : list)
        if (x == s) return true;
    return false;
}

FunctionList::Function& function_in(FunctionList& list, std::string_view name) {
    for (auto& f : list.functions)
        if (f.name == name) return f;
    list.functions.push_back(FunctionList::Function{std::string(name), {}});
    return list.functions.back();
}

}  // namespace

model::Functions supported_functions() {
    model::Functions out;
    for (const GroupSpec& g : kTree) {
        if (g.granted.size() == 0) continue;
        auto& feature = feature_of(out.features, g.feature);
        if (!feature) feature.emplace();
        auto& function = function_in(*feature, g.name);
        for (std::string_view flag : g.granted) function.flags.emplace_back(flag);
    }
    return out;
}

std::optional<model::Functions> refused_functions(const model::Functions& requested) {
    model::Functions out;
    bool any = false;
    for (std::string_view feature_name :
         {"FundamentalFeat", "PresenceFeat", "IMFeat", "GroupFeat"}) {
        const auto& asked = feature_of(requested.features, feature_name);
        if (!asked) continue;
        for (const auto& function : asked->functions) {
            std::vector<std::string> refused;
            bool known = false;
            for (const GroupSpec& g : kTree) {
                if (g.feature != feature_name || g.name != function.name) continue;
                known = true;
                if (function.flags.empty()) {
                    for (std::string_view flag : g.all)
                        if (!contains(g.granted, flag)) refused.emplace_back(flag);
                } else {
                    for (const std::string& flag : function.flags)
                        if (contains(g.all, flag) && !contains(g.granted, flag))
                            refused.push_back(flag);
                }
            }
            if (known) {
                // Flags we have never heard of are refused too: we cannot provide them.
                for (const std::string& flag : function.flags) {
                    bool listed = false;
                    for (const GroupSpec& g : kTree)
                        if (g.feature == feature_name && g.name == function.name &&
                            contains(g.all, flag))
                            listed = true;
                    if (!listed) refused.push_back(flag);
                }
            }
            if (!known) refused = function.flags;
            if (refused.empty() && known) continue;
            auto& feature = feature_of(out.features, feature_name);
            if (!feature) feature.emplace();
            auto& f = function_in(*feature, function.name);
            for (auto& flag : refused) f.flags.push_back(std::move(flag));
            any = true;
        }
    }
    if (!any) return std::nullopt;
    return out;
}

}  // namespace onesoup::imps::engine
