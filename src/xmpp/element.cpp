#include "onesoup/xmpp/element.hpp"

namespace onesoup::xmpp {

std::string_view Element::attr(std::string_view attr_name) const {
    for (const auto& [k, v] : attributes) {
        if (k == attr_name) return v;
    }
    return {};
}

bool Element::has_attr(std::string_view attr_name) const {
    for (const auto& a : attributes) {
        if (a.first == attr_name) return true;
    }
    return false;
}

Element& Element::set_attr(std::string_view attr_name, std::string_view value) {
    for (auto& [k, v] : attributes) {
        if (k == attr_name) {
            v = value;
            return *this;
        }
    }
    attributes.emplace_back(std::string(attr_name), std::string(value));
    return *this;
}

const Element* Element::child(std::string_view child_name, std::string_view child_ns) const {
    for (const auto& c : children) {
        if (c.name == child_name && (child_ns.empty() || c.ns == child_ns)) return &c;
    }
    return nullptr;
}

Element& Element::add_child(std::string child_name, std::string_view child_ns) {
    return children.emplace_back(std::move(child_name), child_ns);
}

Element& Element::add_text_child(std::string child_name, std::string_view child_ns,
                                 std::string_view child_text) {
    add_child(std::move(child_name), child_ns).text = child_text;
    return *this;
}

}  // namespace onesoup::xmpp
