#include "phone_script.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace onesoup::tools {
namespace {

// What a named argument's value must be.
enum class ValueKind : std::uint8_t { code, seconds, positive, flag, state, text, helo, ping };

struct NamedSpec {
    std::string_view key;
    ValueKind kind;
};

inline constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

// One verb of the language: how many positional words, which named arguments, whether the
// positional words end in free text ("TEXT..."), and what the positional words are called in
// error messages.
struct VerbSpec {
    std::string_view verb;
    std::size_t min_args;
    std::size_t max_args;
    std::vector<NamedSpec> named;
    std::string_view usage;
};

const std::vector<VerbSpec>& verb_table() {
    constexpr NamedSpec expect{"expect", ValueKind::code};
    constexpr NamedSpec timeout{"timeout", ValueKind::seconds};
    static const std::vector<VerbSpec> table{
        {"login",
         0,
         0,
         {expect, {"ttl", ValueKind::positive}, {"max-length", ValueKind::positive}},
         "login [ttl=SECONDS] [max-length=N] [expect=CODE]"},
        {"logout", 0, 0, {expect}, "logout [expect=CODE]"},
        {"keepalive", 0, 1, {expect}, "keepalive [SECONDS] [expect=CODE]"},
        {"poll", 0, 0, {expect}, "poll [expect=CODE]"},
        {"sleep", 1, 1, {}, "sleep SECONDS"},
        {"session-id", 1, 1, {}, "session-id VALUE"},
        {"getlist", 0, 0, {expect}, "getlist [expect=CODE]"},
        {"create-list", 1, unlimited, {expect}, "create-list LIST-ID [DISPLAY NAME...]"},
        {"delete-list", 1, 1, {expect}, "delete-list LIST-ID"},
        {"contacts", 0, 0, {expect, {"list", ValueKind::text}}, "contacts [list=LIST-ID]"},
        {"expect-contact", 1, 1, {{"nick", ValueKind::text}}, "expect-contact USER-ID [nick=NAME]"},
        {"expect-no-contact", 1, 1, {}, "expect-no-contact USER-ID"},
        {"add-contact",
         1,
         unlimited,
         {expect, {"list", ValueKind::text}},
         "add-contact USER-ID [NICKNAME...] [list=LIST-ID]"},
        {"remove-contact",
         1,
         1,
         {expect, {"list", ValueKind::text}},
         "remove-contact USER-ID [list=LIST-ID]"},
        {"send",
         2,
         unlimited,
         {expect, {"receipt", ValueKind::flag}},
         "send USER-ID TEXT... [receipt=T]"},
        {"presence", 1, unlimited, {expect}, "presence available|away|busy|offline [TEXT...]"},
        {"subscribe", 1, 1, {expect}, "subscribe USER-ID"},
        {"unsubscribe", 1, 1, {expect}, "unsubscribe USER-ID"},
        {"get-presence",
         1,
         1,
         {expect, {"state", ValueKind::state}},
         "get-presence USER-ID [state=STATE]"},
        {"authorize", 1, 1, {expect}, "authorize USER-ID"},
        {"deny", 1, 1, {expect}, "deny USER-ID"},
        {"raw", 1, 1, {expect}, "raw FILE [expect=CODE]"},
        {"expect-message",
         0,
         unlimited,
         {timeout, {"from", ValueKind::text}},
         "expect-message [from=USER-ID] [TEXT...] [timeout=SECONDS]"},
        {"expect-no-message", 0, 0, {timeout}, "expect-no-message [timeout=SECONDS]"},
        {"expect-presence",
         2,
         2,
         {timeout, {"text", ValueKind::text}},
         "expect-presence USER-ID STATE [text=TEXT] [timeout=SECONDS]"},
        {"expect-auth-request", 1, 1, {timeout}, "expect-auth-request USER-ID [timeout=SECONDS]"},
        {"expect-delivery-report", 0, 0, {timeout}, "expect-delivery-report [timeout=SECONDS]"},
        {"expect-disconnect",
         0,
         0,
         {timeout, {"code", ValueKind::code}},
         "expect-disconnect [code=CODE] [timeout=SECONDS]"},
        // CIR (reference notes section 6): only with `imps phone --cir METHOD`.
        {"cir-drop", 0, 0, {}, "cir-drop"},
        {"cir-restore", 0, 0, {}, "cir-restore"},
        {"expect-wake", 0, 0, {timeout}, "expect-wake [timeout=SECONDS]"},
        {"expect-no-wake", 0, 0, {timeout}, "expect-no-wake [timeout=SECONDS]"},
        {"expect-cir-failed", 0, 0, {timeout}, "expect-cir-failed [timeout=SECONDS]"},
        {"helo",
         1,
         1,
         {{"expect", ValueKind::helo}, timeout},
         "helo SESSION-ID|current [expect=ok|closed] [timeout=SECONDS]"},
        {"ping",
         0,
         0,
         {{"expect", ValueKind::ping}, timeout},
         "ping [expect=ok] [timeout=SECONDS]"},
        {"new-address", 0, 0, {}, "new-address"},
    };
    return table;
}

bool is_state(std::string_view s) {
    return s == "available" || s == "away" || s == "busy" || s == "offline";
}

// Checks a named value; returns what is wrong, or "" if it is fine.
std::string check_value(ValueKind kind, std::string_view value) {
    switch (kind) {
        case ValueKind::code: {
            const auto v = parse_integer(value);
            if (!v || *v < 100 || *v > 999) return "is not a status code (100-999)";
            return {};
        }
        case ValueKind::seconds:
            if (!parse_seconds(value)) return "is not a number of seconds";
            return {};
        case ValueKind::positive: {
            const auto v = parse_integer(value);
            if (!v || *v <= 0) return "is not a positive whole number";
            return {};
        }
        case ValueKind::flag:
            if (!parse_flag(value)) return "is not T or F";
            return {};
        case ValueKind::state:
            if (!is_state(value)) return "is not available, away, busy or offline";
            return {};
        case ValueKind::text:
            if (value.empty()) return "is empty";
            return {};
        case ValueKind::helo:
            if (value != "ok" && value != "closed") return "is not ok or closed";
            return {};
        case ValueKind::ping:
            if (value != "ok") return "is not ok";
            return {};
    }
    return {};
}

bool takes_text(std::string_view verb) {
    return verb == "create-list" || verb == "add-contact" || verb == "send" || verb == "presence" ||
           verb == "expect-message";
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        std::size_t j = i;
        while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j > i) words.emplace_back(s.substr(i, j - i));
        i = j;
    }
    return words;
}

std::string trim(std::string_view s) {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

Result<Step> parse_step(std::string_view text, std::size_t line) {
    const auto where = [line](const std::string& verb, const std::string& what) {
        return make_error("line " + std::to_string(line) + ": " +
                          (verb.empty() ? std::string() : verb + ": ") + what);
    };
    auto words = split_words(text);
    Step step;
    step.line = line;
    step.source = trim(text);
    step.verb = words.front();
    const auto& table = verb_table();
    const auto spec = std::find_if(table.begin(), table.end(),
                                   [&](const VerbSpec& v) { return v.verb == step.verb; });
    if (spec == table.end()) return where("", "unknown step \"" + step.verb + "\"");
    const std::string usage = " (usage: " + std::string(spec->usage) + ")";

    for (std::size_t i = 1; i < words.size(); ++i) {
        const std::string& w = words[i];
        const auto eq = w.find('=');
        if (eq != std::string::npos && eq > 0) {
            const std::string key = w.substr(0, eq);
            const std::string value = w.substr(eq + 1);
            const auto named = std::find_if(spec->named.begin(), spec->named.end(),
                                            [&](const NamedSpec& n) { return n.key == key; });
            if (named != spec->named.end()) {
                if (step.get(key)) return where(step.verb, key + "= is given twice");
                if (auto wrong = check_value(named->kind, value); !wrong.empty())
                    return where(step.verb, key + "=" + value + " " + wrong + usage);
                step.named.emplace_back(key, value);
                continue;
            }
            // In free text a word with '=' is just a word ("send bob x=1").
            if (!takes_text(step.verb))
                return where(step.verb, "unknown argument " + key + "=" + usage);
        }
        step.args.push_back(w);
    }
    if (step.args.size() < spec->min_args) return where(step.verb, "missing argument" + usage);
    if (step.args.size() > spec->max_args)
        return where(step.verb,
                     "too many arguments (\"" + step.args[spec->max_args] + "\")" + usage);

    // Positional values with a fixed meaning.
    if (step.verb == "sleep" && !parse_seconds(step.args[0]))
        return where(step.verb, "\"" + step.args[0] + "\" is not a number of seconds");
    if (step.verb == "keepalive" && !step.args.empty()) {
        const auto v = parse_integer(step.args[0]);
        if (!v || *v <= 0)
            return where(step.verb, "\"" + step.args[0] + "\" is not a positive whole number");
    }
    if (step.verb == "presence" && !is_state(step.args[0]))
        return where(step.verb,
                     "\"" + step.args[0] + "\" is not a state (available, away, busy, offline)");
    if (step.verb == "expect-presence" && !is_state(step.args[1]))
        return where(step.verb,
                     "\"" + step.args[1] + "\" is not a state (available, away, busy, offline)");
    return step;
}

}  // namespace

std::optional<std::string> Step::get(std::string_view key) const {
    for (const auto& [k, v] : named)
        if (k == key) return v;
    return std::nullopt;
}

std::string Step::text_from(std::size_t first) const {
    std::string out;
    for (std::size_t i = first; i < args.size(); ++i) {
        if (!out.empty()) out += ' ';
        out += args[i];
    }
    return out;
}

std::string phone_user_id(std::string_view id) {
    if (id.size() >= 3 && std::tolower(static_cast<unsigned char>(id[0])) == 'w' &&
        std::tolower(static_cast<unsigned char>(id[1])) == 'v' && id[2] == ':')
        return std::string(id);
    return "wv:" + std::string(id);
}

std::optional<long long> parse_integer(std::string_view text) {
    long long v = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
    return v;
}

std::optional<double> parse_seconds(std::string_view text) {
    if (text.empty() || text.size() > 32) return std::nullopt;
    for (char c : text)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
    if (std::count(text.begin(), text.end(), '.') > 1 || text == ".") return std::nullopt;
    const std::string s(text);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || v > 86400.0 * 365)
        return std::nullopt;
    return v;
}

std::optional<bool> parse_flag(std::string_view text) {
    std::string s(text);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "t" || s == "true" || s == "yes" || s == "1") return true;
    if (s == "f" || s == "false" || s == "no" || s == "0") return false;
    return std::nullopt;
}

Result<PhoneScript> parse_phone_script(std::string_view text, bool semicolons) {
    PhoneScript script;
    std::size_t line = 0;
    std::size_t start = 0;
    const char separator = semicolons ? ';' : '\n';
    while (start <= text.size()) {
        auto end = text.find(separator, start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view piece = text.substr(start, end - start);
        ++line;
        start = end + 1;
        if (const auto hash = piece.find('#'); hash != std::string_view::npos)
            piece = piece.substr(0, hash);
        if (trim(piece).empty()) continue;
        auto step = parse_step(piece, line);
        if (!step) return step.error();
        step->number = script.steps.size() + 1;
        script.steps.push_back(std::move(*step));
    }
    if (script.steps.empty()) return make_error("the script has no steps");
    return script;
}

}  // namespace onesoup::tools
