// The service tree onesoup supports (CSP 1.2 Service-Request, reference notes section 5) and
// the computation of what a Service-Request asked for that is refused. Private to the engine.
#pragma once

#include "onesoup/imps/model/common.hpp"

namespace onesoup::imps::engine {

// Every function onesoup supports, as the AllFunctions tree of Service-Response: session
// handling, IM (send, push delivery, delivery report), presence and contact lists. Groups,
// search, invitations, blocking, attribute lists and notify/get delivery are left out.
[[nodiscard]] model::Functions supported_functions();

// The part of `requested` that onesoup refuses, as the Functions of Service-Response (which
// lists what is refused, not what is granted: notes section 5). A function group named with no
// flags asks for all of its flags. Returns nullopt when nothing requested is refused, since an
// empty <Functions><WVCSPFeat/></Functions> makes S60 believe everything is denied (S60
// CImpsCSPSession hands the Functions of Service-Response to DiscardServicesL).
[[nodiscard]] std::optional<model::Functions> refused_functions(const model::Functions& requested);

}  // namespace onesoup::imps::engine
