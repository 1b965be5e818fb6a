// ProsodyServer: a private Prosody on a free loopback port for one test program (own config,
// data folder and self-signed certificate in a temporary folder), stopped and removed when the
// object goes. Plaintext c2s is allowed (loopback tests); STARTTLS is offered too.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace onesoup::gateway::test {

class ProsodyServer {
  public:
    // Starts Prosody for `domain`; nullptr with `why_not` set if Prosody is not installed or
    // did not start. `in_band_registration` enables XEP-0077.
    static std::unique_ptr<ProsodyServer> start(const std::string& domain,
                                                bool in_band_registration, std::string& why_not);
    ~ProsodyServer();
    ProsodyServer(const ProsodyServer&) = delete;
    ProsodyServer& operator=(const ProsodyServer&) = delete;

    // Creates an account with prosodyctl (password: letters and digits only).
    bool register_user(const std::string& user, const std::string& password);
    // Stops the server now (to test a lost connection).
    void stop();

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] const std::string& domain() const { return domain_; }
    [[nodiscard]] const std::string& dir() const { return dir_; }

  private:
    ProsodyServer() = default;
    std::string as_prosody() const;

    std::string domain_;
    std::string dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    bool root_ = false;
};

// A free TCP port on 127.0.0.1 (the kernel's choice; a small race until the server binds it).
std::uint16_t free_port();

}  // namespace onesoup::gateway::test
