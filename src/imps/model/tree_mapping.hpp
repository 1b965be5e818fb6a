// Generic element tree <-> struct conversion driven by the field tables (field.hpp). Private to
// the model module: the only code that knows how a member type maps to an element.
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "onesoup/core/result.hpp"
#include "onesoup/imps/codec/element.hpp"
#include "onesoup/imps/codec/version.hpp"
#include "onesoup/imps/model/enums.hpp"
#include "onesoup/imps/model/field.hpp"

namespace onesoup::imps::model::detail {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// Required = neither optional nor repeated.
template <class M>
inline constexpr bool is_required_v = !IsOptional<M>::value && !IsVector<M>::value;

// A struct whose element carries an xmlns of the target version (PresenceSubList).
template <class S>
concept HasXmlns = requires {
    S::xmlns_kind;
};

inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Shortens a value quoted in an error message (input is untrusted and may be large).
inline std::string quote(std::string_view s) {
    constexpr std::size_t max = 40;
    std::string q = "\"";
    q += s.substr(0, max);
    if (s.size() > max) q += "...";
    q += "\"";
    return q;
}

// Where an element is: a chain of names kept on the stack while reading, rendered only when an
// error needs it ("WV-CSP-Message/Session/Transaction[2]/...").
struct Path {
    const Path* parent = nullptr;
    std::string_view name;
    std::size_t index = 0;  // 1-based position among repeated siblings; 0 if not repeated

    [[nodiscard]] std::string str() const {
        std::string s = parent ? parent->str() : std::string();
        if (name.empty()) return s;
        if (!s.empty()) s += '/';
        s += name;
        if (index > 0) s += "[" + std::to_string(index) + "]";
        return s;
    }
};

inline Error path_error(const Path& path, std::string_view what) {
    return make_error(path.str() + ": " + std::string(what));
}

// Calls f(field, index) for each table row until one returns true; true if one did.
template <class Tuple, class F>
bool any_field(const Tuple& fields, F&& f) {
    return std::apply(
        [&](const auto&... fs) {
            std::size_t i = 0;
            return (f(fs, i++) || ...);
        },
        fields);
}

// Calls f(field, index) for every table row.
template <class Tuple, class F>
void each_field(const Tuple& fields, F&& f) {
    std::apply(
        [&](const auto&... fs) {
            std::size_t i = 0;
            (f(fs, i++), ...);
        },
        fields);
}

// Whether a value exists in a version (CIR methods SSMS/SHTTP came with 1.2); values that do
// not are not written into that version.
template <class T>
bool value_exists_in(const T& value, CspVersion v) {
    if constexpr (std::is_same_v<T, CirMethod>) {
        return first_version_of(value) <= v;
    } else {
        (void)value;
        (void)v;
        return true;
    }
}

// False if the child holds an enum value that its version does not define (e.g. SSMS in 1.1):
// such an element is treated like an element of another version, i.e. kept as unknown.
template <class M>
bool value_in_version(const codec::Element& child, CspVersion v) {
    using T = typename std::conditional_t<IsOptional<M>::value || IsVector<M>::value, M,
                                          std::optional<M>>::value_type;
    if constexpr (NamedEnum<T>) {
        if (auto value = parse_enum<T>(trim(child.text))) return value_exists_in(*value, v);
    }
    return true;
}

template <class T>
Result<void> read_value(const codec::Element& e, T& out, CspVersion v, const Path& path);

template <Described S>
Result<void> read_struct(const codec::Element& e, S& out, CspVersion v, const Path& path);

inline Result<void> expect_leaf(const codec::Element& e, const Path& path) {
    if (!e.children.empty())
        return path_error(path, "expected text, found element <" + e.children.front().name + ">");
    return {};
}

inline Result<void> read_function_list(const codec::Element& e, FunctionList& out,
                                       const Path& path) {
    for (const auto& fn : e.children) {
        FunctionList::Function f{fn.name, {}};
        for (const auto& flag : fn.children) {
            if (!flag.children.empty() || !trim(flag.text).empty()) {
                const Path fn_path{&path, fn.name, 0};
                return path_error(Path{&fn_path, flag.name, 0}, "expected an empty feature flag");
            }
            f.flags.push_back(flag.name);
        }
        out.functions.push_back(std::move(f));
    }
    return {};
}

template <class T>
Result<void> read_value(const codec::Element& e, T& out, CspVersion v, const Path& path) {
    if constexpr (Described<T>) {
        return read_struct(e, out, v, path);
    } else if constexpr (std::is_same_v<T, codec::Element>) {
        out = e;
        return {};
    } else if constexpr (std::is_same_v<T, FunctionList>) {
        return read_function_list(e, out, path);
    } else if constexpr (std::is_same_v<T, Present>) {
        // An EMPTY element: whatever it holds carries no meaning.
        return {};
    } else {
        if (auto r = expect_leaf(e, path); !r) return r;
        const std::string_view text = trim(e.text);
        if constexpr (std::is_same_v<T, std::string>) {
            // Kept byte for byte: message bodies and ids are opaque.
            out = e.text;
        } else if constexpr (std::is_same_v<T, bool>) {
            if (text == "T") {
                out = true;
            } else if (text == "F") {
                out = false;
            } else {
                return path_error(path, "expected T or F, got " + quote(text));
            }
        } else if constexpr (std::is_same_v<T, Integer>) {
            Integer value = 0;
            const char* first = text.data();
            const char* last = text.data() + text.size();
            if (!text.empty() && text.front() == '+') ++first;
            auto [ptr, ec] = std::from_chars(first, last, value);
            if (text.empty() || ec != std::errc{} || ptr != last)
                return path_error(path, "expected an integer, got " + quote(text));
            out = value;
        } else if constexpr (NamedEnum<T>) {
            auto value = parse_enum<T>(text);
            if (!value) return path_error(path, "unknown value " + quote(text));
            out = *value;
        } else {
            static_assert(sizeof(T) == 0, "no element mapping for this member type");
        }
        return {};
    }
}

// Reads a struct: each child goes to the first table row of this version that names it (a
// second occurrence of a non-repeated element, and any element no row names, go to extras);
// then every required row of this version must have been seen.
template <Described S>
Result<void> read_struct(const codec::Element& e, S& out, CspVersion v, const Path& path) {
    constexpr auto fields = S::fields();
    constexpr std::size_t n = std::tuple_size_v<std::remove_const_t<decltype(fields)>>;
    std::array<std::size_t, n> seen{};
    std::optional<Error> error;

    for (const auto& child : e.children) {
        const bool taken = any_field(fields, [&](const auto& f, std::size_t i) {
            using M = std::remove_cvref_t<decltype(out.*(f.member))>;
            if (f.name != child.name || !f.versions.contains(v)) return false;
            if (!IsVector<M>::value && seen[i] > 0) return false;
            if (!value_in_version<M>(child, v)) return false;
            M& member = out.*(f.member);
            Path child_path{&path, child.name, 0};
            Result<void> r;
            if constexpr (IsOptional<M>::value) {
                r = read_value(child, member.emplace(), v, child_path);
            } else if constexpr (IsVector<M>::value) {
                child_path.index = member.size() + 1;
                r = read_value(child, member.emplace_back(), v, child_path);
            } else {
                r = read_value(child, member, v, child_path);
            }
            ++seen[i];
            if (!r && !error) error = r.error();
            return true;
        });
        if (error) return *error;
        if (!taken) out.extras.unknown.push_back(child);
    }

    each_field(fields, [&](const auto& f, std::size_t i) {
        using M = std::remove_cvref_t<decltype(out.*(f.member))>;
        if constexpr (is_required_v<M>) {
            if (f.versions.contains(v) && seen[i] == 0 && !error)
                error = path_error(path, "missing required element <" + std::string(f.name) + ">");
        }
    });
    if (error) return *error;

    if (!trim(e.text).empty()) out.extras.text = e.text;
    if (!out.extras.empty()) out.extras.version = v;
    return {};
}

template <Described S>
void write_struct(const S& in, codec::Element& out, CspVersion v);

template <class T>
void write_value(codec::Element& parent, std::string_view name, const T& value, CspVersion v) {
    if (!value_exists_in(value, v)) return;
    if constexpr (Described<T>) {
        codec::Element child{std::string(name)};
        if constexpr (HasXmlns<T>)
            child.set_attribute("xmlns", std::string(codec::namespace_uri(v, T::xmlns_kind)));
        write_struct(value, child, v);
        parent.add(std::move(child));
    } else if constexpr (std::is_same_v<T, codec::Element>) {
        parent.add(value);
    } else if constexpr (std::is_same_v<T, FunctionList>) {
        codec::Element& list = parent.add(codec::Element{std::string(name)});
        for (const auto& fn : value.functions) {
            codec::Element& f = list.add(codec::Element{fn.name});
            for (const auto& flag : fn.flags) f.add(codec::Element{flag});
        }
    } else if constexpr (std::is_same_v<T, Present>) {
        parent.add(codec::Element{std::string(name)});
    } else if constexpr (std::is_same_v<T, std::string>) {
        parent.add(std::string(name), value);
    } else if constexpr (std::is_same_v<T, bool>) {
        parent.add(std::string(name), value ? "T" : "F");
    } else if constexpr (std::is_same_v<T, Integer>) {
        parent.add(std::string(name), std::to_string(value));
    } else if constexpr (NamedEnum<T>) {
        parent.add(std::string(name), std::string(enum_name(value)));
    } else {
        static_assert(sizeof(T) == 0, "no element mapping for this member type");
    }
}

template <Described S>
void write_struct(const S& in, codec::Element& out, CspVersion v) {
    each_field(S::fields(), [&](const auto& f, std::size_t) {
        if (!f.versions.contains(v)) return;
        using M = std::remove_cvref_t<decltype(in.*(f.member))>;
        const M& member = in.*(f.member);
        if constexpr (IsOptional<M>::value) {
            if (member) write_value(out, f.name, *member, v);
        } else if constexpr (IsVector<M>::value) {
            for (const auto& item : member) write_value(out, f.name, item, v);
        } else {
            write_value(out, f.name, member, v);
        }
    });
    if (in.extras.version == v) {
        for (const auto& unknown : in.extras.unknown) out.add(unknown);
        out.text = in.extras.text;
    }
}

// The path of the first unknown element below a struct ("" if none). Stray text is kept but does
// not count: the spec examples carry page footers from the PDF they were cut from.
template <class T>
std::string find_unknown(const T& value, const std::string& path);

template <Described S>
std::string find_unknown_struct(const S& in, const std::string& path) {
    if (!in.extras.unknown.empty()) return path + "/" + in.extras.unknown.front().name;
    std::string found;
    any_field(S::fields(), [&](const auto& f, std::size_t) {
        using M = std::remove_cvref_t<decltype(in.*(f.member))>;
        const M& member = in.*(f.member);
        const std::string child_path = path + "/" + std::string(f.name);
        if constexpr (IsOptional<M>::value) {
            if (member) found = find_unknown(*member, child_path);
        } else if constexpr (IsVector<M>::value) {
            for (const auto& item : member) {
                found = find_unknown(item, child_path);
                if (!found.empty()) break;
            }
        } else {
            found = find_unknown(member, child_path);
        }
        return !found.empty();
    });
    return found;
}

template <class T>
std::string find_unknown(const T& value, const std::string& path) {
    if constexpr (Described<T>) {
        return find_unknown_struct(value, path);
    } else {
        (void)value;
        (void)path;
        return {};
    }
}

}  // namespace onesoup::imps::model::detail
