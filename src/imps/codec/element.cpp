#include "onesoup/imps/codec/element.hpp"

#include <algorithm>

namespace onesoup::imps::codec {

const Element* Element::child(std::string_view child_name) const {
    for (const auto& c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

Element* Element::child(std::string_view child_name) {
    for (auto& c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

const std::string* Element::attribute(std::string_view attr_name) const {
    for (const auto& a : attributes)
        if (a.name == attr_name) return &a.value;
    return nullptr;
}

Element& Element::add(Element e) {
    children.push_back(std::move(e));
    return children.back();
}

Element& Element::add(std::string child_name, std::string child_text) {
    return add(Element(std::move(child_name), std::move(child_text)));
}

void Element::set_attribute(std::string_view attr_name, std::string value) {
    for (auto& a : attributes) {
        if (a.name == attr_name) {
            a.value = std::move(value);
            return;
        }
    }
    attributes.push_back(Attribute{std::string(attr_name), std::move(value)});
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string difference(const Element& a, const Element& b, const std::string& path) {
    const std::string here = path + "/" + a.name;
    if (a.name != b.name) return path + ": element <" + a.name + "> vs <" + b.name + ">";
    if (a.attributes != b.attributes) {
        auto show = [](const Element& e) {
            std::string s;
            for (const auto& at : e.attributes) s += " " + at.name + "=\"" + at.value + "\"";
            return s.empty() ? std::string(" (none)") : s;
        };
        return here + ": attributes" + show(a) + " vs" + show(b);
    }
    if (trimmed(a.text) != trimmed(b.text))
        return here + ": text \"" + std::string(trimmed(a.text)) + "\" vs \"" +
               std::string(trimmed(b.text)) + "\"";
    if (a.children.size() != b.children.size())
        return here + ": " + std::to_string(a.children.size()) + " children vs " +
               std::to_string(b.children.size());
    for (std::size_t i = 0; i < a.children.size(); ++i) {
        auto d = difference(a.children[i], b.children[i], here);
        if (!d.empty()) return d;
    }
    return {};
}

}  // namespace

bool same_tree(const Element& a, const Element& b) { return first_difference(a, b).empty(); }

std::string first_difference(const Element& a, const Element& b) { return difference(a, b, ""); }

}  // namespace onesoup::imps::codec
