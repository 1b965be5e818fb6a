#include "onesoup/imps/model/message.hpp"

#include <array>
#include <utility>

#include "onesoup/imps/model/version_rules.hpp"
#include "tree_mapping.hpp"

namespace onesoup::imps::model {

namespace {

using codec::Element;

constexpr std::string_view kRoot = "WV-CSP-Message";

// Reads the primitive alternative I of Primitive (alternative 0 is UnknownPrimitive).
template <std::size_t I>
Result<Primitive> read_alternative(const Element& e, CspVersion v, const detail::Path& path) {
    std::variant_alternative_t<I, Primitive> value;
    if (auto r = detail::read_struct(e, value, v, path); !r) return r.error();
    return Primitive{std::in_place_index<I>, std::move(value)};
}

using Reader = Result<Primitive> (*)(const Element&, CspVersion, const detail::Path&);

struct PrimitiveEntry {
    std::string_view name;
    Reader read;
};

// One row per known primitive: its element name and its reader.
template <std::size_t... I>
constexpr auto make_primitive_table(std::index_sequence<I...>) {
    return std::array<PrimitiveEntry, sizeof...(I)>{PrimitiveEntry{
        std::variant_alternative_t<I + 1, Primitive>::element_name, &read_alternative<I + 1>}...};
}

constexpr auto kPrimitives =
    make_primitive_table(std::make_index_sequence<std::variant_size_v<Primitive> - 1>{});

Result<Primitive> read_primitive(const Element& element, CspVersion version,
                                 const detail::Path& parent) {
    const detail::Path here{&parent, element.name, 0};
    for (const auto& entry : kPrimitives)
        if (entry.name == element.name) return entry.read(element, version, here);
    return Primitive{UnknownPrimitive{element}};
}

Result<Transaction> read_transaction(const Element& e, CspVersion v, const detail::Path& path) {
    Transaction t;
    const Element* descriptor = nullptr;
    const Element* content = nullptr;
    for (const auto& child : e.children) {
        if (child.name == "TransactionDescriptor" && !descriptor) {
            descriptor = &child;
        } else if (child.name == "TransactionContent" && !content) {
            content = &child;
        } else {
            t.extras.unknown.push_back(child);
        }
    }
    if (!detail::trim(e.text).empty()) t.extras.text = e.text;
    if (!t.extras.empty()) t.extras.version = v;
    if (!descriptor)
        return detail::path_error(path, "missing required element <TransactionDescriptor>");
    if (!content) return detail::path_error(path, "missing required element <TransactionContent>");

    const detail::Path descriptor_path{&path, "TransactionDescriptor", 0};
    if (auto r = detail::read_struct(*descriptor, t.descriptor, v, descriptor_path); !r)
        return r.error();
    if (transaction_id_required(v) && !t.descriptor.id)
        return detail::path_error(descriptor_path, "missing required element <TransactionID>");

    const detail::Path content_path{&path, "TransactionContent", 0};
    if (content->children.empty()) return detail::path_error(content_path, "no primitive");
    if (content->children.size() > 1)
        return detail::path_error(content_path, "more than one primitive (<" +
                                                    content->children[0].name + ">, <" +
                                                    content->children[1].name + ">)");
    if (!detail::trim(content->text).empty()) {
        t.content_extras.text = content->text;
        t.content_extras.version = v;
    }
    auto primitive = read_primitive(content->children.front(), v, content_path);
    if (!primitive) return primitive.error();
    t.content = std::move(primitive).value();
    return t;
}

Element write_transaction(const Transaction& t, const Message& m, CspVersion v) {
    Element e{"Transaction"};
    TransactionDescriptor descriptor = t.descriptor;
    descriptor.poll =
        poll_in_transaction(v) ? transaction_poll_for(t.descriptor.poll, m.poll) : std::nullopt;
    if (transaction_id_required(v) && !descriptor.id) descriptor.id = std::string();
    detail::write_value(e, "TransactionDescriptor", descriptor, v);

    Element& content = e.add(Element{"TransactionContent"});
    content.set_attribute("xmlns", std::string(codec::namespace_uri(v, codec::NamespaceKind::trc)));
    content.add(primitive_to_tree(t.content, v));
    if (t.content_extras.version == v) content.text = t.content_extras.text;

    if (t.extras.version == v) {
        for (const auto& unknown : t.extras.unknown) e.add(unknown);
        e.text = t.extras.text;
    }
    return e;
}

}  // namespace

std::string_view primitive_name(const Primitive& p) {
    return std::visit(
        [](const auto& value) -> std::string_view {
            using T = std::remove_cvref_t<decltype(value)>;
            if constexpr (std::is_same_v<T, UnknownPrimitive>) {
                return value.element.name;
            } else {
                return T::element_name;
            }
        },
        p);
}

Result<Primitive> primitive_from_tree(const Element& element, CspVersion version,
                                      const std::string& path) {
    const detail::Path base{nullptr, path, 0};
    return read_primitive(element, version, base);
}

Element primitive_to_tree(const Primitive& primitive, CspVersion version) {
    return std::visit(
        [&](const auto& value) -> Element {
            using T = std::remove_cvref_t<decltype(value)>;
            if constexpr (std::is_same_v<T, UnknownPrimitive>) {
                return value.element;
            } else {
                Element e{std::string(T::element_name)};
                detail::write_struct(value, e, version);
                return e;
            }
        },
        primitive);
}

Result<Message> from_tree(const Element& root, CspVersion version) {
    if (root.name != kRoot)
        return make_error("root element is <" + root.name + ">, expected <WV-CSP-Message>");
    Message m;
    m.version = version;
    const detail::Path root_path{nullptr, kRoot, 0};

    const Element* session = nullptr;
    for (const auto& child : root.children) {
        if (child.name == "Session" && !session) {
            session = &child;
        } else {
            m.root_extras.unknown.push_back(child);
        }
    }
    if (!detail::trim(root.text).empty()) m.root_extras.text = root.text;
    if (!m.root_extras.empty()) m.root_extras.version = version;
    if (!session) return detail::path_error(root_path, "missing required element <Session>");

    const detail::Path session_path{&root_path, "Session", 0};
    bool have_descriptor = false;
    for (const auto& child : session->children) {
        if (child.name == "SessionDescriptor" && !have_descriptor) {
            have_descriptor = true;
            if (auto r = detail::read_struct(child, m.session, version,
                                             detail::Path{&session_path, "SessionDescriptor", 0});
                !r)
                return r.error();
        } else if (child.name == "Transaction") {
            const detail::Path path{&session_path, "Transaction", m.transactions.size() + 1};
            auto t = read_transaction(child, version, path);
            if (!t) return t.error();
            m.transactions.push_back(std::move(t).value());
        } else if (child.name == "Poll" && !poll_in_transaction(version) && !m.poll) {
            if (auto r = detail::read_value(child, m.poll.emplace(), version,
                                            detail::Path{&session_path, "Poll", 0});
                !r)
                return r.error();
        } else if (child.name == "CIR" && has_session_cir(version) && !m.cir) {
            if (auto r = detail::read_value(child, m.cir.emplace(), version,
                                            detail::Path{&session_path, "CIR", 0});
                !r)
                return r.error();
        } else {
            m.extras.unknown.push_back(child);
        }
    }
    if (!detail::trim(session->text).empty()) m.extras.text = session->text;
    if (!m.extras.empty()) m.extras.version = version;
    if (!have_descriptor)
        return detail::path_error(session_path, "missing required element <SessionDescriptor>");
    if (m.transactions.empty())
        return detail::path_error(session_path, "missing required element <Transaction>");
    return m;
}

Element to_tree(const Message& m, CspVersion version) {
    Element root{std::string(kRoot)};
    root.set_attribute("xmlns",
                       std::string(codec::namespace_uri(version, codec::NamespaceKind::csp)));
    Element& session = root.add(Element{"Session"});
    detail::write_value(session, "SessionDescriptor", m.session, version);
    for (const auto& t : m.transactions) session.add(write_transaction(t, m, version));
    if (!poll_in_transaction(version)) {
        std::vector<std::optional<bool>> polls;
        polls.reserve(m.transactions.size());
        for (const auto& t : m.transactions) polls.push_back(t.descriptor.poll);
        if (auto poll = session_poll_for(m.poll, polls))
            detail::write_value(session, "Poll", *poll, version);
    }
    if (has_session_cir(version) && m.cir) detail::write_value(session, "CIR", *m.cir, version);
    if (m.extras.version == version) {
        for (const auto& unknown : m.extras.unknown) session.add(unknown);
        session.text = m.extras.text;
    }
    if (m.root_extras.version == version) {
        for (const auto& unknown : m.root_extras.unknown) root.add(unknown);
        root.text = m.root_extras.text;
    }
    return root;
}

std::string first_unknown(const Message& m) {
    const std::string root_path(kRoot);
    if (!m.root_extras.unknown.empty()) return root_path + "/" + m.root_extras.unknown[0].name;
    const std::string session_path = root_path + "/Session";
    if (!m.extras.unknown.empty()) return session_path + "/" + m.extras.unknown[0].name;
    if (auto u = detail::find_unknown(m.session, session_path + "/SessionDescriptor"); !u.empty())
        return u;
    for (std::size_t i = 0; i < m.transactions.size(); ++i) {
        const auto& t = m.transactions[i];
        const std::string path = session_path + "/Transaction[" + std::to_string(i + 1) + "]";
        if (!t.extras.unknown.empty()) return path + "/" + t.extras.unknown[0].name;
        if (auto u = detail::find_unknown(t.descriptor, path + "/TransactionDescriptor");
            !u.empty())
            return u;
        const std::string content_path = path + "/TransactionContent";
        auto u = std::visit(
            [&](const auto& value) -> std::string {
                using T = std::remove_cvref_t<decltype(value)>;
                if constexpr (std::is_same_v<T, UnknownPrimitive>) {
                    return content_path + "/" + value.element.name + " (unknown primitive)";
                } else {
                    return detail::find_unknown(value,
                                                content_path + "/" + std::string(T::element_name));
                }
            },
            t.content);
        if (!u.empty()) return u;
    }
    return {};
}

bool fully_known(const Message& m) {
    return first_unknown(m).empty();
}

}  // namespace onesoup::imps::model
