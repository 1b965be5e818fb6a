// decode_xml: CSP XML -> element tree, on expat.
//
// Security stance (reference notes §1, codec.hpp): the reader never expands a user-defined
// entity and never loads anything from outside the body. Any <!ENTITY> or <!ATTLIST>
// declaration is refused (an entity declaration is what billion-laughs and XXE attacks need; an
// attribute-list default would silently change the tree), a reference to an entity that an
// unread external DTD might declare is refused, and parameter-entity parsing is off, so the
// external DTD named by a DOCTYPE is never fetched. The DOCTYPE itself is accepted and ignored:
// real S60 phones send a CSP 1.2 DOCTYPE on a CSP 1.1 document.
//
// expat 2.5 also has its own billion-laughs protection (XML_SetBillionLaughsAttackProtection*,
// on by default since 2.4) and seeds its hash tables from getrandom() (hash flooding; we do not
// call XML_SetHashSalt, since a fixed salt would undo that). Both stay at their defaults as a
// second line of defence; the refusals above are the first.
#include <expat.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onesoup/imps/codec/codec.hpp"
#include "tree_assembler.hpp"

namespace onesoup::imps::codec {
namespace {

// Joins a namespace URI and a local name in the names expat reports. XML 1.0 forbids U+0001
// everywhere (even as a character reference), so it cannot occur in a URI.
constexpr char ns_separator = '\x01';
constexpr std::string_view root_name = "WV-CSP-Message";

struct ParserDeleter {
    void operator()(XML_Parser p) const { XML_ParserFree(p); }
};
using ParserPtr = std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserDeleter>;

// Joins message parts. (Also sidesteps GCC 12's false -Wrestrict on "literal" + std::string at
// -O3, GCC bug 105329.)
std::string cat(std::initializer_list<std::string_view> parts) {
    std::string s;
    for (auto p : parts) s += p;
    return s;
}

bool is_xml_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool all_space(std::string_view s) {
    for (char c : s)
        if (!is_xml_space(c)) return false;
    return true;
}

void trim(std::string& s) {
    std::size_t end = s.size();
    while (end > 0 && is_xml_space(s[end - 1])) --end;
    std::size_t begin = 0;
    while (begin < end && is_xml_space(s[begin])) ++begin;
    // In place: no temporary copy.
    s.erase(end);
    s.erase(0, begin);
}

// The namespace an open element (of the same depth in the TreeAssembler) is in, which decides
// whether its children need an xmlns attribute of their own. The URI is copied only where it
// differs from the parent's; otherwise ns_frame points at the ancestor frame holding it, which
// spares an allocation per element.
struct Frame {
    std::string ns_copy;
    std::size_t ns_frame = 0;  // index in the stack of the frame whose ns_copy is this one's
    bool has_children = false;
};

class XmlReader {
  public:
    XmlReader(std::string_view bytes, const Limits& limits) : bytes_(bytes), limits_(limits) {}

    Result<Document> run() {
        if (bytes_.size() > limits_.max_body_bytes)
            return make_error(
                "body of " + std::to_string(bytes_.size()) + " bytes is larger than the limit of " +
                    std::to_string(limits_.max_body_bytes) + " bytes (max_body_bytes)",
                limits_.max_body_bytes);

        ParserPtr parser(XML_ParserCreateNS(nullptr, ns_separator));
        if (!parser) return make_error("out of memory creating the XML parser");
        parser_ = parser.get();
        XML_SetUserData(parser_, this);
        XML_SetParamEntityParsing(parser_, XML_PARAM_ENTITY_PARSING_NEVER);
        XML_SetElementHandler(parser_, &XmlReader::on_start, &XmlReader::on_end);
        XML_SetCharacterDataHandler(parser_, &XmlReader::on_text);
        XML_SetStartNamespaceDeclHandler(parser_, &XmlReader::on_namespace);
        XML_SetEntityDeclHandler(parser_, &XmlReader::on_entity_decl);
        XML_SetAttlistDeclHandler(parser_, &XmlReader::on_attlist_decl);
        XML_SetSkippedEntityHandler(parser_, &XmlReader::on_skipped_entity);
        stack_.reserve(limits_.max_depth < 32 ? limits_.max_depth : 32);

        // XML_Parse takes an int length; feed in pieces so any max_body_bytes works.
        constexpr std::size_t chunk = std::size_t{1} << 30;
        std::string_view rest = bytes_;
        do {
            const std::size_t n = rest.size() < chunk ? rest.size() : chunk;
            const bool last = n == rest.size();
            const auto status = XML_Parse(parser_, rest.data(), static_cast<int>(n), last);
            if (error_) return std::move(*error_);
            if (status != XML_STATUS_OK)
                return error_here(XML_ErrorString(XML_GetErrorCode(parser_)));
            rest.remove_prefix(n);
        } while (!rest.empty());

        if (!tree_.has_root()) return error_here("no element found");
        return Document{tree_.take_root(), version_, Encoding::xml};
    }

  private:
    static XmlReader& self(void* user_data) { return *static_cast<XmlReader*>(user_data); }

    // An error at expat's current position: "line L, column C (byte B): what".
    Error error_here(std::string_view what) const {
        const auto line = XML_GetCurrentLineNumber(parser_);
        // expat counts columns from 0; people and editors count from 1.
        const auto column = XML_GetCurrentColumnNumber(parser_) + 1;
        const auto index = XML_GetCurrentByteIndex(parser_);
        const std::size_t offset = index < 0 ? Error::npos : static_cast<std::size_t>(index);
        std::string message = "line " + std::to_string(line) + ", column " + std::to_string(column);
        if (offset != Error::npos) message += " (byte " + std::to_string(offset) + ")";
        message += ": ";
        message += what;
        return make_error(std::move(message), offset);
    }

    // Records the first error and stops expat; handlers that expat still calls afterwards see
    // error_ and do nothing.
    void fail(std::string_view what) {
        if (error_) return;
        error_ = error_here(what);
        XML_StopParser(parser_, XML_FALSE);
    }

    static void XMLCALL on_namespace(void* user_data, const XML_Char* prefix,
                                     const XML_Char* /*uri*/) {
        auto& r = self(user_data);
        if (r.error_) return;
        ++r.pending_ns_decls_;
        // expat resolves the namespaces itself; on_start only needs to know whether the element
        // declares a default one.
        if (prefix == nullptr) r.pending_default_decl_ = true;
    }

    static void XMLCALL on_start(void* user_data, const XML_Char* name, const XML_Char** atts) {
        auto& r = self(user_data);
        if (r.error_) return;
        r.start(name, atts);
    }

    void start(std::string_view qname, const XML_Char** atts) {
        const bool declared = pending_default_decl_;
        pending_default_decl_ = false;
        const std::size_t ns_decls = pending_ns_decls_;
        pending_ns_decls_ = 0;

        if (++element_count_ > limits_.max_elements)
            return fail("more than " + std::to_string(limits_.max_elements) +
                        " elements (limit max_elements)");
        if (stack_.size() + 1 > limits_.max_depth)
            return fail("elements nested deeper than " + std::to_string(limits_.max_depth) +
                        " levels (limit max_depth)");

        std::size_t attr_count = ns_decls;
        for (const XML_Char** a = atts; *a != nullptr; a += 2) ++attr_count;
        auto [ns, local] = split(qname);
        if (attr_count > limits_.max_attributes)
            return fail(cat({"<", local, "> has ", std::to_string(attr_count),
                             " attributes, more than the limit of ",
                             std::to_string(limits_.max_attributes), " (max_attributes)"}));
        if (!stack_.empty()) {
            stack_.back().has_children = true;
            // Indentation before a child is layout: drop it now, so that a long indented list
            // does not add up to max_text_bytes.
            auto& parent_text = tree_.current().text;
            if (all_space(parent_text)) parent_text.clear();
        }
        Element* element = &tree_.open(local);
        // Compared before the push, which may move the frames (and parent_ns with them).
        const std::size_t parent_ns_frame = stack_.empty() ? 0 : stack_.back().ns_frame;
        const bool same_ns_as_parent =
            !stack_.empty() && ns == std::string_view(stack_[parent_ns_frame].ns_copy);
        const bool write_xmlns = declared || (stack_.empty() ? !ns.empty() : !same_ns_as_parent);
        Frame& frame = stack_.emplace_back();
        if (same_ns_as_parent) {
            frame.ns_frame = parent_ns_frame;
        } else {
            frame.ns_copy.assign(ns);
            frame.ns_frame = stack_.size() - 1;
        }

        // The xmlns in the tree is always the namespace the element is really in, written where
        // the element declares a default namespace or where its namespace differs from its
        // parent's. For CSP (no prefixes) that is exactly the declarations in the document; a
        // prefixed element (<p:X xmlns:p="...">) keeps its local name and gets a plain xmlns, so
        // encoding the tree without prefixes gives every element the same namespace again.
        if (write_xmlns) element->attributes.push_back(Attribute{"xmlns", std::string(ns)});
        for (const XML_Char** a = atts; *a != nullptr; a += 2) {
            const std::string_view value = a[1];
            if (value.size() > limits_.max_text_bytes)
                return fail("attribute value in <" + element->name + "> is longer than " +
                            std::to_string(limits_.max_text_bytes) +
                            " bytes (limit max_text_bytes)");
            // Prefixes are dropped, so two prefixed attributes can share a local name, and
            // p:xmlns would read as a namespace declaration: keep the first, drop the rest.
            const std::string_view attr_name = split(a[0]).second;
            if (element->attribute(attr_name) != nullptr || attr_name == "xmlns") continue;
            element->attributes.push_back(Attribute{std::string(attr_name), std::string(value)});
        }
        // Checked last, as before the reader built the tree in place: of several faults in the
        // root start tag, the same one is reported.
        if (stack_.size() == 1) check_root(local, ns);
    }

    // Fails unless the root is <WV-CSP-Message> in a CSP namespace; sets version_.
    bool check_root(std::string_view name, std::string_view ns_view) {
        if (name != root_name) {
            fail(cat({"root element is <", name, ">, expected <WV-CSP-Message>"}));
            return false;
        }
        const std::string ns(ns_view);
        if (ns.empty()) {
            fail(
                "<WV-CSP-Message> has no xmlns, so its CSP version is unknown (expected e.g. "
                "xmlns=\"" +
                std::string(namespace_uri(CspVersion::v1_2, NamespaceKind::csp)) + "\")");
            return false;
        }
        const auto version = version_of_namespace(ns);
        if (!version) {
            fail("<WV-CSP-Message> has an unknown namespace \"" + ns +
                 "\" (not CSP 1.1, 1.2 or 1.3)");
            return false;
        }
        if (kind_of_namespace(ns) != NamespaceKind::csp) {
            fail("<WV-CSP-Message> has namespace \"" + ns +
                 "\", which is not a CSP message namespace (expected \"" +
                 std::string(namespace_uri(*version, NamespaceKind::csp)) + "\")");
            return false;
        }
        version_ = *version;
        return true;
    }

    static void XMLCALL on_end(void* user_data, const XML_Char* /*name*/) {
        auto& r = self(user_data);
        if (r.error_ || r.stack_.empty()) return;
        // The text of a leaf is content and stays byte for byte. Around children, whitespace is
        // layout: whitespace-only text goes, and stray text (CSP has no mixed content, but the
        // spec example wv-002 has some) keeps only what is between its first and last
        // non-space characters, so indenting the tree again does not change it.
        if (r.stack_.back().has_children) trim(r.tree_.current().text);
        r.tree_.close();
        r.stack_.pop_back();
    }

    static void XMLCALL on_text(void* user_data, const XML_Char* s, int len) {
        auto& r = self(user_data);
        if (r.error_ || r.stack_.empty() || len <= 0) return;
        auto& e = r.tree_.current();
        const auto n = static_cast<std::size_t>(len);
        if (e.text.size() + n > r.limits_.max_text_bytes)
            return r.fail("text of <" + e.name + "> is longer than " +
                          std::to_string(r.limits_.max_text_bytes) +
                          " bytes (limit max_text_bytes)");
        e.text.append(s, n);
    }

    static void XMLCALL on_entity_decl(void* user_data, const XML_Char* entity_name,
                                       int is_parameter_entity, const XML_Char* /*value*/,
                                       int /*value_length*/, const XML_Char* /*base*/,
                                       const XML_Char* /*system_id*/, const XML_Char* /*public_id*/,
                                       const XML_Char* /*notation_name*/) {
        auto& r = self(user_data);
        r.fail(std::string("entity declaration <!ENTITY ") + (is_parameter_entity ? "% " : "") +
               entity_name + "> refused (entities are never expanded)");
    }

    static void XMLCALL on_attlist_decl(void* user_data, const XML_Char* element_name,
                                        const XML_Char* attribute_name, const XML_Char* /*type*/,
                                        const XML_Char* /*dflt*/, int /*is_required*/) {
        auto& r = self(user_data);
        r.fail(std::string("attribute-list declaration <!ATTLIST ") + element_name + " " +
               attribute_name + "> refused (DTD defaults are not applied)");
    }

    static void XMLCALL on_skipped_entity(void* user_data, const XML_Char* entity_name,
                                          int is_parameter_entity) {
        auto& r = self(user_data);
        r.fail(std::string("reference to undeclared entity ") + (is_parameter_entity ? "%" : "&") +
               entity_name + "; (external DTDs are never loaded)");
    }

    // "uri\x01local" -> (uri, local); a name without a namespace -> ("", name).
    static std::pair<std::string_view, std::string_view> split(std::string_view qname) {
        const auto sep = qname.find(ns_separator);
        if (sep == std::string_view::npos) return {{}, qname};
        return {qname.substr(0, sep), qname.substr(sep + 1)};
    }

    std::string_view bytes_;
    const Limits& limits_;
    XML_Parser parser_ = nullptr;
    std::optional<Error> error_;
    std::vector<Frame> stack_;
    detail::TreeAssembler tree_;
    CspVersion version_ = CspVersion::v1_2;
    std::size_t element_count_ = 0;
    bool pending_default_decl_ = false;
    std::size_t pending_ns_decls_ = 0;
};

}  // namespace

Result<Document> decode_xml(std::string_view bytes, const Limits& limits) {
    return XmlReader(bytes, limits).run();
}

}  // namespace onesoup::imps::codec
