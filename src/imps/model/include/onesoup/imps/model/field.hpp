// The vocabulary of the field tables that describe every CSP structure once.
//
// A model structure is a plain struct whose static `fields()` returns a tuple of Field entries:
// {element name, member pointer, CSP versions the element exists in}. Generic code
// (tree_mapping.hpp, private to the module) reads and writes any such struct. What a member's
// type means:
//   std::string            text element (kept byte for byte, whitespace included)
//   Integer                decimal integer text (CSP "integer" elements: Code, ContentSize, ...)
//   bool                   "T" / "F" (CSP boolean)
//   an enum with EnumNames its name table
//   Present                an EMPTY element whose presence is the information (e.g. <GETSPI/>)
//   codec::Element         a known element kept as a tree (not typed yet)
//   FunctionList           a service tree level (FundamentalFeat, ...): functions and their flags
//   a struct with fields() a nested structure
//   std::optional<T>       element may be absent
//   std::vector<T>         element repeated zero or more times
//   plain T                element required (in the versions of its field)
// Two entries may share a member with disjoint version ranges: that is how an element renamed
// between versions (CapabilityList / AgreedCapabilityList, CIRURL / CIRHTTPAddress) is one member.
//
// Unknown input rule: an element that no field of the version names is kept verbatim in the
// struct's `extras` and written back after the known children when the same version is written
// (never into another version, whose peer would not know it either).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "onesoup/imps/codec/element.hpp"
#include "onesoup/imps/codec/version.hpp"

namespace onesoup::imps::model {

using codec::CspVersion;

// CSP integers (Code, ContentSize, TimeToLive, ...): 64 bits hold every value CSP defines.
using Integer = std::int64_t;

// The CSP versions in which an element exists, both ends included.
struct VersionRange {
    CspVersion min = CspVersion::v1_1;
    CspVersion max = CspVersion::v1_3;

    // True if `v` lies in the range.
    [[nodiscard]] constexpr bool contains(CspVersion v) const { return min <= v && v <= max; }
};

// One row of a field table: the element `name` maps to `member` in the versions `versions`.
template <class S, class M>
struct Field {
    std::string_view name;
    M S::*member;
    VersionRange versions;
};

// Makes a field table row (S and M are deduced from the member pointer).
template <class S, class M>
constexpr Field<S, M> field(std::string_view name, M S::*member, VersionRange versions = {}) {
    return Field<S, M>{name, member, versions};
}

// An EMPTY element that is there or not: std::optional<Present>.
struct Present {
    bool operator==(const Present&) const = default;
};

// What a known structure held that the model does not know: unknown child elements (in
// document order), stray non-whitespace text, and the version they were read in. Written back
// only into that same version.
struct Extras {
    std::vector<codec::Element> unknown;
    std::string text;
    std::optional<CspVersion> version;

    // True if nothing unknown was kept.
    [[nodiscard]] bool empty() const { return unknown.empty() && text.empty(); }
    bool operator==(const Extras&) const = default;
};

// One level of the service tree (FundamentalFeat, PresenceFeat, IMFeat, GroupFeat; CSP 1.2
// Service-Request): each child is a function group (ServiceFunc, ContListFunc, ...) holding EMPTY
// flags (GETSPI, GCLI, ...). Kept as names so the engine can ask has("ContListFunc", "GCLI").
struct FunctionList {
    struct Function {
        std::string name;                // e.g. "ContListFunc"
        std::vector<std::string> flags;  // e.g. {"GCLI", "CCLI"}
        bool operator==(const Function&) const = default;
    };
    std::vector<Function> functions;

    // True if the function group is listed (with any flags).
    [[nodiscard]] bool has(std::string_view function) const;
    // True if the function group lists the flag.
    [[nodiscard]] bool has(std::string_view function, std::string_view flag) const;
    bool operator==(const FunctionList&) const = default;
};

// Name table of an enum used as an element value: specialise with
// `static constexpr std::array<std::pair<E, std::string_view>, N> values{...}`.
template <class E>
struct EnumNames;

// An enum with a name table.
template <class E>
concept NamedEnum = std::is_enum_v<E> && requires {
    EnumNames<E>::values;
};

// The CSP text of an enum value ("" if the value is outside the table).
template <NamedEnum E>
constexpr std::string_view enum_name(E value) {
    for (const auto& [v, name] : EnumNames<E>::values)
        if (v == value) return name;
    return {};
}

// The enum value a CSP text names, if any (exact, case-sensitive as CSP defines them).
template <NamedEnum E>
constexpr std::optional<E> parse_enum(std::string_view text) {
    for (const auto& [v, name] : EnumNames<E>::values)
        if (name == text) return v;
    return std::nullopt;
}

// A struct described by a field table.
template <class S>
concept Described = requires {
    S::fields();
};

}  // namespace onesoup::imps::model
