// The onesoup config file (TOML): what the daemon listens on, the CSP session settings, where
// the account store lives, the log level, and how each domain's users reach XMPP.
// etc/onesoup.toml is a commented example of every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/core/result.hpp"

namespace onesoup::app {

// [http]: the CSP data channel (CSP Transport Binding 1.2 section 5).
struct HttpSection {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;  // 0 = any free port (tests)
    std::string path = "/wv";   // the URL path phones post to
    // HTTPS when both are set (absolute paths, resolved against the config file's folder).
    std::string tls_certificate;
    std::string tls_private_key;
    std::size_t max_body = 64 * 1024;
    std::size_t max_header = 8 * 1024;
    std::chrono::seconds request_timeout{30};
    std::chrono::seconds idle_timeout{120};
    std::size_t max_connections = 100000;
};

// [imps]: CSP session settings (CSP 1.2 Session and Transactions 6, KeepAlive 7.5).
struct ImpsSection {
    std::string default_domain = "localhost";  // for user ids given without a domain
    std::chrono::seconds keep_alive_default{300};
    std::chrono::seconds keep_alive_min{30};
    std::chrono::seconds keep_alive_max{1800};
    std::chrono::seconds keep_alive_grace{60};
    std::chrono::seconds server_poll_min{30};
};

// [store]: local accounts (absolute paths after loading).
struct StoreSection {
    std::string database = "onesoup.db";
    std::string key_file = "onesoup.key";
};

// [cir.stcp]: the standalone TCP CIR listener (CSP Transport Binding 1.2 section 8.1.3).
struct CirStcpSection {
    std::string address = "127.0.0.1";  // like [http] address: this machine only by default
    std::uint16_t port = 3717;  // 0 = any free port (tests)
    // What phones are told in ClientCapability (TCPAddress, TCPPort) when they must use another
    // address or port than the listener's (NAT, a port forward). "" / 0 = the host the phone
    // used for HTTP, and the listener's own port.
    std::string public_address;
    std::uint16_t public_port = 0;
    std::chrono::seconds helo_timeout{30};    // a socket without a valid HELO is closed after it
    std::chrono::seconds idle_timeout{3600};  // a bound socket silent this long is closed
};

// [cir.http]: the standalone HTTP CIR (SHTTP, CSP 1.2+): held GETs on the [http] server.
struct CirHttpSection {
    std::chrono::seconds hold{50};  // a held GET is answered 204 after this long
    // The CIR URL prefix given to phones (the session id follows it), e.g.
    // "http://im.example.org/cir/". "" = the address the phone used for HTTP + "/cir/".
    std::string public_url;
};

// [cir.udp]: SUDP and WAP push over UDP.
struct CirUdpSection {
    std::string address = "0.0.0.0";  // the address datagrams leave from
    // Resends of a datagram while the phone does not poll, each after this many seconds.
    std::vector<std::chrono::seconds> resend{std::chrono::seconds(2), std::chrono::seconds(4),
                                             std::chrono::seconds(8), std::chrono::seconds(16)};
};

// [cir.sms]: WAPSMS and SSMS through Kannel's sendsms HTTP interface.
struct CirSmsSection {
    std::string sendsms_url;  // "" = the SMS methods are off
    std::string username;
    std::string password;
    std::string from;
    std::string smsc;
    std::chrono::seconds min_interval{60};  // at most one SMS per session per this time
};

// [cir]: waking the phone (Communication Initiation Request; reference notes section 6).
struct CirSection {
    // The methods onesoup offers, by their CSP names, upper case: "STCP", "SHTTP", "SUDP",
    // "WAPUDP", "WAPSMS", "SSMS". Empty = no CIR (phones poll).
    std::vector<std::string> methods{"STCP", "SHTTP", "SUDP", "WAPUDP", "WAPSMS", "SSMS"};
    // ServerPollMin for phones that agreed a CIR method, seconds.
    std::chrono::seconds poll_min_with_cir{300};
    CirStcpSection stcp;
    CirHttpSection http;
    CirUdpSection udp;
    CirSmsSection sms;

    // Whether `method` ("STCP", ...) is in `methods`.
    [[nodiscard]] bool offers(std::string_view method) const;
};

// Log levels, least to most severe.
enum class LogLevel : std::uint8_t { debug, info, warning, error };

// [log]
struct LogSection {
    LogLevel level = LogLevel::info;
};

// One [[domain]] table: how users of a domain reach XMPP.
struct DomainSection {
    enum class Mode : std::uint8_t { pass_through, local };
    enum class Tls : std::uint8_t { required, optional, off };
    std::string name;
    Mode mode = Mode::pass_through;
    std::string xmpp_host;  // "" = DNS SRV, then the domain's A record
    std::uint16_t xmpp_port = 5222;
    std::string tls_name;  // name the server certificate must carry ("" = the domain)
    Tls tls = Tls::required;
    bool tls_verify = true;
    bool allow_plain_without_tls = false;
    bool register_in_band = true;
    int line = 0;  // where the table starts in the file, for messages
};

// The whole file.
struct Config {
    std::string file;  // the file read ("" for defaults)
    HttpSection http;
    ImpsSection imps;
    StoreSection store;
    LogSection log;
    CirSection cir;
    std::vector<DomainSection> domains;

    // The domain section named `name` (case-insensitive), or nullptr.
    [[nodiscard]] const DomainSection* domain(std::string_view name) const;
    // Whether any domain keeps its accounts locally (then the store is opened).
    [[nodiscard]] bool has_local_domain() const;
};

// Parses config text. `source` names it in messages ("onesoup.toml"); relative paths are
// resolved against `base_dir`. Unknown keys and bad values are errors that name the key and the
// line: "onesoup.toml:7: [http] port: 70000 is not a port number (0 to 65535)".
[[nodiscard]] Result<Config> parse_config(std::string_view text, std::string_view source,
                                          std::string_view base_dir);

// Reads and parses the file at `path` (relative paths in it are relative to its folder).
[[nodiscard]] Result<Config> load_config(const std::string& path);

// "debug", "info", "warning", "error".
[[nodiscard]] std::string_view to_string(LogLevel level);

// The bare JID of a local account from what a user typed: "wv:Alice@Example.org" ->
// "alice@example.org"; "alice" -> "alice@<default_domain>". An error for an id that cannot be a
// user (empty parts, spaces, several '@', a '/').
[[nodiscard]] Result<std::string> account_user(std::string_view typed,
                                               std::string_view default_domain);

}  // namespace onesoup::app
