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

}  // namespace

const TagToken* TokenTable::find_tag(std::uint8_t page, std::uint8_t token) const {
    return find_code(tags, page, token);
}

const TagToken* TokenTable::find_tag(std::string_view name) const {
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
    auto it = std::lower_bound(
        ext_by_value.begin(), ext_by_value.end(), value,
        [](const ExtValue& e, std::string_view v) { return name_less(e.value, v); });
    if (it == ext_by_value.end() || it->value != value || it->read_only) return nullptr;
    return &*it;
}

}  // namespace onesoup::wbxml
