#include "config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

namespace onesoup::app {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Reads one table's keys into settings, with the file name, line, section and key in every
// message. The first error wins.
class TableReader {
  public:
    TableReader(std::string_view source, std::string section, const toml::table& table,
                std::string_view base_dir)
        : source_(source), section_(std::move(section)), table_(table), base_dir_(base_dir) {}

    // Registers a key with the function that reads its value (which returns "" or a problem).
    void key(std::string name, std::function<std::string(const toml::node&)> read) {
        readers_.emplace(std::move(name), std::move(read));
    }

    // Integers within [min, max].
    template <typename T>
    void integer(std::string name, T& out, std::int64_t min, std::int64_t max) {
        key(std::move(name), [&out, min, max](const toml::node& node) -> std::string {
            const auto v = node.value_exact<std::int64_t>();
            if (!v) return "must be a whole number";
            if (*v < min || *v > max) {
                return std::to_string(*v) + " is out of range (" + std::to_string(min) + " to " +
                       std::to_string(max) + ")";
            }
            out = static_cast<T>(*v);
            return {};
        });
    }

    void seconds(std::string name, std::chrono::seconds& out, std::int64_t min, std::int64_t max) {
        key(std::move(name), [&out, min, max](const toml::node& node) -> std::string {
            const auto v = node.value_exact<std::int64_t>();
            if (!v) return "must be a whole number of seconds";
            if (*v < min || *v > max) {
                return std::to_string(*v) + " is out of range (" + std::to_string(min) + " to " +
                       std::to_string(max) + " seconds)";
            }
            out = std::chrono::seconds(*v);
            return {};
        });
    }

    void string(std::string name, std::string& out) {
        key(std::move(name), [&out](const toml::node& node) -> std::string {
            const auto v = node.value_exact<std::string>();
            if (!v) return "must be a string (in double quotes)";
            out = *v;
            return {};
        });
    }

    // A file path: relative paths are taken from the config file's folder.
    void path(std::string name, std::string& out) {
        key(std::move(name), [this, &out](const toml::node& node) -> std::string {
            const auto v = node.value_exact<std::string>();
            if (!v) return "must be a string (a file path in double quotes)";
            if (v->empty()) {
                out.clear();
                return {};
            }
            std::filesystem::path p(*v);
            if (p.is_relative()) p = std::filesystem::path(base_dir_) / p;
            out = p.lexically_normal().string();
            return {};
        });
    }

    void boolean(std::string name, bool& out) {
        key(std::move(name), [&out](const toml::node& node) -> std::string {
            const auto v = node.value_exact<bool>();
            if (!v) return "must be true or false";
            out = *v;
            return {};
        });
    }

    // One of a fixed set of words.
    template <typename E>
    void choice(std::string name, E& out, std::vector<std::pair<std::string, E>> words) {
        key(std::move(name), [&out, words = std::move(words)](const toml::node& node) {
            const auto v = node.value_exact<std::string>();
            std::string list;
            for (const auto& [word, value] : words) {
                if (v && *v == word) {
                    out = value;
                    return std::string();
                }
                list += (list.empty() ? "\"" : ", \"") + word + "\"";
            }
            return (v ? "\"" + *v + "\" is not one of " : std::string("must be one of ")) + list;
        });
    }

    // Reads every key of the table; an error for the first unknown or bad one.
    Result<void> read() {
        for (auto&& [name, node] : table_) {
            const std::string key_name(name.str());
            const auto it = readers_.find(key_name);
            if (it == readers_.end()) {
                std::string known;
                for (const auto& [k, r] : readers_) known += (known.empty() ? "" : ", ") + k;
                return error(line_of(name, node), key_name,
                             "unknown key (known here: " + known + ")");
            }
            if (std::string problem = it->second(node); !problem.empty()) {
                return error(line_of(name, node), key_name, problem);
            }
        }
        return {};
    }

    // An error about this table as a whole.
    [[nodiscard]] Error error(int line, std::string_view key_name, std::string_view problem) const {
        std::string where(source_);
        if (line > 0) where += ":" + std::to_string(line);
        std::string what = "[" + section_ + "]";
        if (!key_name.empty()) what += " " + std::string(key_name);
        return make_error(where + ": " + what + ": " + std::string(problem));
    }

    [[nodiscard]] int table_line() const { return static_cast<int>(table_.source().begin.line); }

  private:
    static int line_of(const toml::key& name, const toml::node& node) {
        auto line = name.source().begin.line;
        if (line == 0) line = node.source().begin.line;
        return static_cast<int>(line);
    }

    std::string_view source_;
    std::string section_;
    const toml::table& table_;
    std::string_view base_dir_;
    std::map<std::string, std::function<std::string(const toml::node&)>> readers_;
};

constexpr std::int64_t max_seconds = 7 * 24 * 3600;

Result<void> read_http(TableReader& r, HttpSection& http) {
    r.string("address", http.address);
    r.integer("port", http.port, 0, 65535);
    r.string("path", http.path);
    r.path("tls_certificate", http.tls_certificate);
    r.path("tls_private_key", http.tls_private_key);
    r.integer("max_body", http.max_body, 1024, 64 * 1024 * 1024);
    r.integer("max_header", http.max_header, 1024, 1024 * 1024);
    r.seconds("request_timeout", http.request_timeout, 1, 3600);
    r.seconds("idle_timeout", http.idle_timeout, 1, max_seconds);
    r.integer("max_connections", http.max_connections, 1, 10'000'000);
    if (auto ok = r.read(); !ok) return ok;
    if (http.address.empty()) return r.error(r.table_line(), "address", "must not be empty");
    if (http.path.empty() || http.path.front() != '/') {
        return r.error(r.table_line(), "path", "must start with \"/\" (e.g. \"/wv\")");
    }
    if (http.tls_certificate.empty() != http.tls_private_key.empty()) {
        return r.error(r.table_line(), "",
                       "tls_certificate and tls_private_key go together: set both for HTTPS, "
                       "or neither");
    }
    return {};
}

Result<void> read_imps(TableReader& r, ImpsSection& imps) {
    r.string("default_domain", imps.default_domain);
    r.seconds("keep_alive_default", imps.keep_alive_default, 1, max_seconds);
    r.seconds("keep_alive_min", imps.keep_alive_min, 1, max_seconds);
    r.seconds("keep_alive_max", imps.keep_alive_max, 1, max_seconds);
    r.seconds("keep_alive_grace", imps.keep_alive_grace, 0, max_seconds);
    r.seconds("server_poll_min", imps.server_poll_min, 1, max_seconds);
    if (auto ok = r.read(); !ok) return ok;
    imps.default_domain = lower(imps.default_domain);
    if (imps.default_domain.empty() ||
        imps.default_domain.find_first_of(" @/") != std::string::npos) {
        return r.error(r.table_line(), "default_domain", "must be a domain name");
    }
    if (!(imps.keep_alive_min <= imps.keep_alive_default &&
          imps.keep_alive_default <= imps.keep_alive_max)) {
        return r.error(r.table_line(), "keep_alive_default",
                       "keep_alive_min <= keep_alive_default <= keep_alive_max does not hold (" +
                           std::to_string(imps.keep_alive_min.count()) + ", " +
                           std::to_string(imps.keep_alive_default.count()) + ", " +
                           std::to_string(imps.keep_alive_max.count()) + ")");
    }
    return {};
}

Result<void> read_store(TableReader& r, StoreSection& store) {
    r.path("database", store.database);
    r.path("key_file", store.key_file);
    if (auto ok = r.read(); !ok) return ok;
    if (store.database.empty()) return r.error(r.table_line(), "database", "must not be empty");
    if (store.key_file.empty()) return r.error(r.table_line(), "key_file", "must not be empty");
    return {};
}

Result<void> read_log(TableReader& r, LogSection& log) {
    r.choice("level", log.level,
             {{"debug", LogLevel::debug},
              {"info", LogLevel::info},
              {"warning", LogLevel::warning},
              {"error", LogLevel::error}});
    return r.read();
}

Result<void> read_domain(TableReader& r, DomainSection& d) {
    using Mode = DomainSection::Mode;
    using Tls = DomainSection::Tls;
    r.string("name", d.name);
    r.choice("mode", d.mode, {{"pass-through", Mode::pass_through}, {"local", Mode::local}});
    r.string("xmpp_host", d.xmpp_host);
    r.integer("xmpp_port", d.xmpp_port, 1, 65535);
    r.string("tls_name", d.tls_name);
    r.choice("tls", d.tls,
             {{"required", Tls::required}, {"optional", Tls::optional}, {"off", Tls::off}});
    r.boolean("tls_verify", d.tls_verify);
    r.boolean("allow_plain_without_tls", d.allow_plain_without_tls);
    r.boolean("register_in_band", d.register_in_band);
    if (auto ok = r.read(); !ok) return ok;
    d.line = r.table_line();
    d.name = lower(d.name);
    if (d.name.empty()) return r.error(d.line, "name", "every [[domain]] needs a name");
    if (d.name.find_first_of(" @/") != std::string::npos) {
        return r.error(d.line, "name", "\"" + d.name + "\" is not a domain name");
    }
    return {};
}

// The CIR method names of CSP 1.2 (Transport Binding 1.2 section 8).
constexpr std::array<std::string_view, 6> cir_method_names{"STCP",   "SHTTP",  "SUDP",
                                                           "WAPUDP", "WAPSMS", "SSMS"};

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

Result<void> read_cir_stcp(TableReader& r, CirStcpSection& stcp) {
    r.string("address", stcp.address);
    r.integer("port", stcp.port, 0, 65535);
    r.string("public_address", stcp.public_address);
    r.integer("public_port", stcp.public_port, 0, 65535);
    r.seconds("helo_timeout", stcp.helo_timeout, 1, 3600);
    r.seconds("idle_timeout", stcp.idle_timeout, 1, max_seconds);
    if (auto ok = r.read(); !ok) return ok;
    if (stcp.address.empty()) return r.error(r.table_line(), "address", "must not be empty");
    if (stcp.public_address.find_first_of(" /") != std::string::npos) {
        return r.error(r.table_line(), "public_address",
                       "\"" + stcp.public_address + "\" is not a host name or IP address");
    }
    return {};
}

Result<void> read_cir_http(TableReader& r, CirHttpSection& http) {
    r.seconds("hold", http.hold, 1, 3600);
    r.string("public_url", http.public_url);
    if (auto ok = r.read(); !ok) return ok;
    if (!http.public_url.empty() && http.public_url.rfind("http://", 0) != 0 &&
        http.public_url.rfind("https://", 0) != 0) {
        return r.error(r.table_line(), "public_url",
                       "must start with http:// or https:// (e.g. "
                       "\"http://im.example.org/cir/\")");
    }
    return {};
}

Result<void> read_cir_udp(TableReader& r, CirUdpSection& udp) {
    r.string("address", udp.address);
    r.key("resend", [&udp](const toml::node& node) -> std::string {
        const toml::array* list = node.as_array();
        if (!list) return "must be a list of seconds, like [2, 4, 8, 16]";
        if (list->size() > 32) return "has more than 32 entries";
        std::vector<std::chrono::seconds> out;
        for (const toml::node& entry : *list) {
            const auto v = entry.value_exact<std::int64_t>();
            if (!v || *v < 1 || *v > 3600) {
                return "each entry must be a whole number of seconds from 1 to 3600";
            }
            out.emplace_back(*v);
        }
        udp.resend = std::move(out);
        return {};
    });
    if (auto ok = r.read(); !ok) return ok;
    if (udp.address.empty()) return r.error(r.table_line(), "address", "must not be empty");
    return {};
}

Result<void> read_cir_sms(TableReader& r, CirSmsSection& sms) {
    r.string("sendsms_url", sms.sendsms_url);
    r.string("username", sms.username);
    r.string("password", sms.password);
    r.string("from", sms.from);
    r.string("smsc", sms.smsc);
    r.seconds("min_interval", sms.min_interval, 0, max_seconds);
    if (auto ok = r.read(); !ok) return ok;
    if (!sms.sendsms_url.empty() && sms.sendsms_url.rfind("http://", 0) != 0) {
        return r.error(r.table_line(), "sendsms_url",
                       "must start with http:// (Kannel's smsbox, e.g. "
                       "\"http://127.0.0.1:13013/cgi-bin/sendsms\")");
    }
    return {};
}

// [cir] and its tables [cir.stcp], [cir.http], [cir.udp], [cir.sms].
Result<void> read_cir(TableReader& r, const toml::table& table, CirSection& cir,
                      std::string_view source, std::string_view base_dir) {
    r.key("methods", [&cir](const toml::node& node) -> std::string {
        const toml::array* list = node.as_array();
        std::string known;
        for (const auto name : cir_method_names) {
            known += (known.empty() ? "\"" : ", \"") + std::string(name) + "\"";
        }
        if (!list) return "must be a list of CIR methods out of " + known;
        std::vector<std::string> out;
        for (const toml::node& entry : *list) {
            const auto v = entry.value_exact<std::string>();
            if (!v) return "must be a list of strings out of " + known;
            const std::string name = upper(*v);
            if (std::find(cir_method_names.begin(), cir_method_names.end(), name) ==
                cir_method_names.end()) {
                return "\"" + *v + "\" is not a CIR method (known: " + known + ")";
            }
            if (std::find(out.begin(), out.end(), name) != out.end()) {
                return "\"" + name + "\" appears twice";
            }
            out.push_back(name);
        }
        cir.methods = std::move(out);
        return {};
    });
    r.seconds("poll_min_with_cir", cir.poll_min_with_cir, 1, max_seconds);
    using SubReader = std::function<Result<void>(TableReader&)>;
    const std::vector<std::pair<std::string, SubReader>> subsections{
        {"stcp", [&cir](TableReader& sub) { return read_cir_stcp(sub, cir.stcp); }},
        {"http", [&cir](TableReader& sub) { return read_cir_http(sub, cir.http); }},
        {"udp", [&cir](TableReader& sub) { return read_cir_udp(sub, cir.udp); }},
        {"sms", [&cir](TableReader& sub) { return read_cir_sms(sub, cir.sms); }},
    };
    for (const auto& [name, read] : subsections) {
        // Read below, each with the name of its own table in messages.
        r.key(name, [name = name](const toml::node& node) -> std::string {
            if (!node.is_table()) return "must be a [cir." + name + "] table";
            return {};
        });
    }
    if (auto ok = r.read(); !ok) return ok;
    for (const auto& [name, read] : subsections) {
        const toml::table* sub = table.get_as<toml::table>(name);
        if (!sub) continue;
        TableReader sub_reader(source, "cir." + name, *sub, base_dir);
        if (auto ok = read(sub_reader); !ok) return ok;
    }
    return {};
}

// The section reader for one top-level key.
using SectionReader = Result<void> (*)(TableReader&, Config&);

}  // namespace

const DomainSection* Config::domain(std::string_view name) const {
    const std::string wanted = lower(name);
    for (const auto& d : domains) {
        if (d.name == wanted) return &d;
    }
    return nullptr;
}

bool CirSection::offers(std::string_view method) const {
    return std::find(methods.begin(), methods.end(), upper(method)) != methods.end();
}

bool Config::has_local_domain() const {
    return std::any_of(domains.begin(), domains.end(),
                       [](const DomainSection& d) { return d.mode == DomainSection::Mode::local; });
}

Result<Config> parse_config(std::string_view text, std::string_view source,
                            std::string_view base_dir) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        return make_error(std::string(source) + ":" + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description()));
    }

    Config config;
    config.file = std::string(source);
    StoreSection& store = config.store;
    // Defaults are relative to the config file's folder too.
    store.database = (std::filesystem::path(base_dir) / store.database).lexically_normal();
    store.key_file = (std::filesystem::path(base_dir) / store.key_file).lexically_normal();

    auto where = [&](const toml::key& key) {
        return std::string(source) + ":" + std::to_string(key.source().begin.line) + ": ";
    };
    for (auto&& [key, node] : root) {
        const std::string name(key.str());
        if (name == "domain") {
            const toml::array* domains = node.as_array();
            if (!domains) {
                return make_error(where(key) + "domain must be written as [[domain]] tables");
            }
            for (const toml::node& entry : *domains) {
                const toml::table* table = entry.as_table();
                if (!table) {
                    return make_error(where(key) + "domain must be written as [[domain]] tables");
                }
                DomainSection d;
                TableReader r(source, "domain", *table, base_dir);
                if (auto ok = read_domain(r, d); !ok) return ok.error();
                if (config.domain(d.name)) {
                    return r.error(d.line, "name", "domain " + d.name + " appears twice");
                }
                config.domains.push_back(std::move(d));
            }
            continue;
        }
        const toml::table* table = node.as_table();
        Result<void> ok;
        if (name == "cir") {
            if (!table) return make_error(where(key) + "cir must be a [cir] table");
            TableReader r(source, name, *table, base_dir);
            ok = read_cir(r, *table, config.cir, source, base_dir);
        } else if (name == "http" || name == "imps" || name == "store" || name == "log") {
            if (!table) return make_error(where(key) + name + " must be a [" + name + "] table");
            TableReader r(source, name, *table, base_dir);
            if (name == "http") ok = read_http(r, config.http);
            if (name == "imps") ok = read_imps(r, config.imps);
            if (name == "store") ok = read_store(r, config.store);
            if (name == "log") ok = read_log(r, config.log);
        } else {
            ok = make_error(where(key) + "unknown section or key \"" + name +
                            "\" (known: [http], [imps], [cir], [store], [log], [[domain]])");
        }
        if (!ok) return ok.error();
    }
    return config;
}

Result<Config> load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cannot read config file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error("cannot read config file " + path);
    const std::filesystem::path absolute = std::filesystem::absolute(path);
    return parse_config(text.str(), path, absolute.parent_path().string());
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warning:
            return "warning";
        case LogLevel::error:
            return "error";
    }
    return "?";
}

Result<std::string> account_user(std::string_view typed, std::string_view default_domain) {
    std::string id = lower(typed);
    if (id.rfind("wv:", 0) == 0) id.erase(0, 3);
    const auto at = id.find('@');
    if (at == std::string::npos) id += "@" + lower(default_domain);
    const auto at2 = id.find('@');
    const bool bad = id.empty() || at2 == 0 || at2 + 1 == id.size() ||
                     id.find('@', at2 + 1) != std::string::npos ||
                     std::any_of(id.begin(), id.end(), [](unsigned char c) {
                         return c <= ' ' || c == '/' || c == '"' || c == '\'' || c == '<' ||
                                c == '>' || c == '&' || c == ':' || c == 0x7f;
                     });
    if (bad) {
        return make_error("\"" + std::string(typed) +
                          "\" is not a user id (write it as alice@example.org or "
                          "wv:alice@example.org)");
    }
    return id;
}

}  // namespace onesoup::app
