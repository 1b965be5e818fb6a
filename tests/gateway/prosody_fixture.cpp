#include "prosody_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

extern char** environ;

namespace onesoup::gateway::test {

namespace {

bool run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

bool port_open(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::string ProsodyServer::as_prosody() const {
    // Prosody refuses to run as root (and then hangs); setpriv keeps the caller's ulimit -n.
    return root_ ? "setpriv --reuid=prosody --regid=prosody --init-groups " : "";
}

std::unique_ptr<ProsodyServer> ProsodyServer::start(const std::string& domain,
                                                    bool in_band_registration,
                                                    std::string& why_not) {
    if (!run("command -v prosody") || !run("command -v prosodyctl")) {
        why_not = "prosody is not installed (apt-get install -y prosody lua-unbound)";
        return nullptr;
    }
    std::unique_ptr<ProsodyServer> s(new ProsodyServer);
    s->domain_ = domain;
    s->root_ = ::geteuid() == 0;
    std::string tmpl = "/tmp/onesoup-gw-prosody.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        why_not = "mkdtemp failed";
        return nullptr;
    }
    s->dir_ = tmpl;
    s->port_ = free_port();
    const std::string& d = s->dir_;
    run("mkdir -p " + d + "/data " + d + "/certs");
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + domain +
        " -addext subjectAltName=DNS:" + domain + " -keyout " + d + "/certs/" + domain +
        ".key -out " + d + "/certs/" + domain + ".crt");
    {
        std::ofstream cfg(d + "/prosody.cfg.lua");
        cfg << "data_path = \"" << d << "/data\"\n"
            << "pidfile = \"" << d << "/prosody.pid\"\n"
            << "log = { { levels = { min = \"debug\" }, to = \"file\", filename = \"" << d
            << "/prosody.log\" } }\n"
            << "interfaces = { \"127.0.0.1\" }\n"
            << "c2s_ports = { " << s->port_ << " }\n"
            << "c2s_interfaces = { \"127.0.0.1\" }\n"
            << "modules_enabled = { \"roster\", \"saslauth\", \"tls\", \"disco\", \"ping\", "
               "\"presence\", \"message\""
            << (in_band_registration ? ", \"register\"" : "") << " }\n"
            << "modules_disabled = { \"s2s\", \"offline\" }\n"
            << "allow_registration = " << (in_band_registration ? "true" : "false") << "\n"
            << "c2s_require_encryption = false\n"
            << "allow_unencrypted_plain_auth = true\n"
            << "authentication = \"internal_hashed\"\n"
            << "certificates = \"" << d << "/certs\"\n"
            << "VirtualHost \"" << domain << "\"\n"
            << "    ssl = { key = \"" << d << "/certs/" << domain << ".key\", certificate = \"" << d
            << "/certs/" << domain << ".crt\" }\n";
    }
    if (s->root_) run("chown -R prosody:prosody " + d);

    std::vector<std::string> args;
    if (s->root_)
        args = {"setsid",  "setpriv", "--reuid=prosody", "--regid=prosody",     "--init-groups",
                "prosody", "-F",      "--config",        d + "/prosody.cfg.lua"};
    else
        args = {"setsid", "prosody", "-F", "--config", d + "/prosody.cfg.lua"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string out = d + "/stdout.log";
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, "setsid", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        why_not = "cannot start prosody";
        return nullptr;
    }
    s->pid_ = pid;
    for (int i = 0; i < 100; ++i) {
        if (port_open(s->port_)) return s;
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            s->pid_ = -1;
            why_not = "prosody exited early (see " + out + ")";
            return nullptr;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    why_not = "prosody did not open its port";
    return nullptr;
}

bool ProsodyServer::register_user(const std::string& user, const std::string& password) {
    return run(as_prosody() + "prosodyctl --config " + dir_ + "/prosody.cfg.lua register " + user +
               " " + domain_ + " " + password);
}

void ProsodyServer::stop() {
    if (pid_ <= 0) return;
    // setsid made Prosody (same pid: setsid and setpriv exec) the leader of its own group.
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

ProsodyServer::~ProsodyServer() {
    stop();
    if (!dir_.empty() && std::getenv("KEEP_PROSODY_DIR") == nullptr) run("rm -rf " + dir_);
}

}  // namespace onesoup::gateway::test
