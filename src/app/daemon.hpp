// The onesoup daemon: one event loop running the HTTP data channel, the CSP engine and the
// gateway; the account store on its worker thread.
#pragma once

#include <string>

#include "config.hpp"
#include "logger.hpp"

namespace onesoup::app {

// Runs until SIGINT or SIGTERM, then stops accepting, closes every XMPP session and returns 0;
// returns 1 (after logging why) if it cannot start.
int run_daemon(const Config& config, const Logger& log);

}  // namespace onesoup::app
