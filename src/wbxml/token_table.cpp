#include "onesoup/wbxml/token_table.hpp"

namespace onesoup::wbxml {

namespace {

template <class T>
const T* find_code(std::span<const T> entries, std::uint8_t page, std::uint8_t token) {
    auto it = std::lower_bound(entries.begin(), entries.end(), std::pair{page, token},
                               [](const T& e, const std::pair<std::uint8_t, std::uint8_t>& k) {
                                   return e.page != k.first ? e.page < k.first : e.token < k.second;
                               });
    if (it == entries.end() || it->page != page || it->token != token) return nullptr;
    return &*it;
}

// A lookup in a name_index(): the entry whose key is `name`, or nullptr.
template <class T, class Key>
const T* find_hashed(std::span<const std::uint16_t> slots, std::span<const T> entries,
                     std::string_view name, Key key) {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t s = name_hash(name) & mask;; s = (s + 1) & mask) {
        const std::uint16_t v = slots[s];
        if (v == 0) return nullptr;
        const T& e = entries[v - 1u];
        if (key(e) == name) return &e;
    }
}

}  // namespace

const TagToken* TokenTable::find_tag(std::uint8_t page, std::uint8_t token) const {
    const std::size_t slot = page * std::size_t{64} + token;
    if (token < 64 && slot < tags_code_index.size()) {
        const std::uint16_t v = tags_code_index[slot];
        return v == 0 ? nullptr : &tags[v - 1u];
    }
    return find_code(tags, page, token);
}

const TagToken* TokenTable::find_tag(std::string_view name) const {
    if (!tags_name_index.empty())
        return find_hashed(tags_name_index, tags_by_name, name,
                           [](const TagToken& t) { return t.name; });
    auto it = std::lower_bound(
        tags_by_name.begin(), tags_by_name.end(), name,
        [](const TagToken& e, std::string_view n) { return name_less(e.name, n); });
    if (it == tags_by_name.end() || it->name != name || it->read_only) return nullptr;
    return &*it;
}

const AttrStartToken* TokenTable::find_attr_start(std::uint8_t page, std::uint8_t token) const {
    return find_code(attr_starts, page, token);
}

const AttrStartToken* TokenTable::find_attr_start(std::string_view name,
                                                  std::string_view value) const {
    const AttrStartToken* best = nullptr;
    for (const auto& a : attr_starts) {
        if (a.read_only || a.name != name || !value.starts_with(a.value_prefix)) continue;
        if (best == nullptr || a.value_prefix.size() > best->value_prefix.size()) best = &a;
    }
    return best;
}

const AttrValueToken* TokenTable::find_attr_value(std::uint8_t page, std::uint8_t token) const {
    return find_code(attr_values, page, token);
}

const ExtValue* TokenTable::find_ext(std::uint32_t index) const {
    auto it = std::lower_bound(ext_values.begin(), ext_values.end(), index,
                               [](const ExtValue& e, std::uint32_t i) { return e.index < i; });
    if (it == ext_values.end() || it->index != index) return nullptr;
    return &*it;
}

const ExtValue* TokenTable::find_ext(std::string_view value) const {
    if (!ext_value_index.empty())
        return find_hashed(ext_value_index, ext_by_value, value,
                           [](const ExtValue& e) { return e.value; });
    auto it = std::lower_bound(
        ext_by_value.begin(), ext_by_value.end(), value,
        [](const ExtValue& e, std::string_view v) { return name_less(e.value, v); });
    if (it == ext_by_value.end() || it->value != value || it->read_only) return nullptr;
    return &*it;
}

}  // namespace onesoup::wbxml
