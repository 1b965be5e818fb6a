// The one element tree that both CSP encodings (XML and WBXML) decode to and encode from.
// CSP documents have no mixed content: an element holds either children or text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace onesoup::imps::codec {

struct Attribute {
    std::string name;   // "xmlns" for namespace declarations
    std::string value;

    bool operator==(const Attribute&) const = default;
};

// One element: local name (CSP uses no prefixes), attributes in document order, its text (the
// concatenated character data, as bytes: UTF-8 text, or raw bytes from a WBXML OPAQUE that is not
// an integer or a DateTime), and its child elements in order.
struct Element {
    std::string name;
    std::vector<Attribute> attributes;
    std::string text;
    std::vector<Element> children;

    Element() = default;
    explicit Element(std::string n) : name(std::move(n)) {}
    Element(std::string n, std::string t) : name(std::move(n)), text(std::move(t)) {}

    // The first child with this name, or nullptr.
    [[nodiscard]] const Element* child(std::string_view child_name) const;
    [[nodiscard]] Element* child(std::string_view child_name);
    // The value of an attribute, or nullptr.
    [[nodiscard]] const std::string* attribute(std::string_view attr_name) const;
    // Appends a child and returns it.
    Element& add(Element e);
    Element& add(std::string child_name, std::string child_text);
    // Sets (or replaces) an attribute.
    void set_attribute(std::string_view attr_name, std::string value);

    // Structural equality: names, attributes, text and children, all in order.
    bool operator==(const Element&) const = default;
};

// Equality that ignores whitespace-only text and leading/trailing whitespace of text, as used to
// compare documents that went through different encoders ("the same element tree").
[[nodiscard]] bool same_tree(const Element& a, const Element& b);

// A readable description of the first difference between two trees (empty if same_tree), for
// test failure messages.
[[nodiscard]] std::string first_difference(const Element& a, const Element& b);

}  // namespace onesoup::imps::codec
