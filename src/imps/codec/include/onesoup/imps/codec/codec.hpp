// Bytes <-> element tree for CSP documents, in both encodings. Pure: no I/O, no clock, no log.
#pragma once

#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"
#include "onesoup/imps/codec/element.hpp"
#include "onesoup/imps/codec/limits.hpp"
#include "onesoup/imps/codec/version.hpp"

namespace onesoup::imps::codec {

// A decoded CSP document: the tree rooted at WV-CSP-Message, the CSP version (from the root
// xmlns or the WBXML public id; the DOCTYPE is ignored, since real clients get it wrong) and the
// encoding it came in.
struct Document {
    Element root;
    CspVersion version = CspVersion::v1_2;
    Encoding encoding = Encoding::xml;
};

// Decodes XML. Entity expansion and external DTDs are off; Limits apply.
[[nodiscard]] Result<Document> decode_xml(std::string_view bytes, const Limits& limits = {});
// Decodes WBXML (WBXML 1.3, public id 0x10/0x11/0x12, UTF-8). Integers come out as decimal
// text and DateTime OPAQUEs as "YYYYMMDDTHHMMSS" plus the zone letter, so the tree is the same
// as the XML one.
[[nodiscard]] Result<Document> decode_wbxml(std::string_view bytes, const Limits& limits = {});
// Detects the encoding (a WBXML document starts with a version byte below 0x10; XML with '<',
// whitespace or a BOM) and decodes.
[[nodiscard]] Result<Document> decode(std::string_view bytes, const Limits& limits = {});

struct XmlWriteOptions {
    bool indent = false;        // pretty-print with two-space indentation (for people)
    bool declaration = true;    // write <?xml version="1.0" encoding="UTF-8"?>
};

// Encodes as XML. Namespace attributes are written as they are in the tree.
[[nodiscard]] std::string encode_xml(const Element& root, const XmlWriteOptions& options = {});

// Encodes as WBXML for a CSP version: xmlns as attribute tokens, integers as OPAQUE
// big-endian, DateTime as the 6-byte OPAQUE where the text is in a form it can carry,
// enumerated values as EXT_T_0, and a string table only where it saves bytes.
// Fails only if the tree names an element or attribute that the version's tables lack and
// cannot be written as a LITERAL.
[[nodiscard]] Result<std::string> encode_wbxml(const Element& root, CspVersion version);

// Sets the xmlns attributes of root, TransactionContent and PresenceSubList elements to the
// namespaces of `version` (used when answering a peer in the version it spoke).
void set_namespaces(Element& root, CspVersion version);

}  // namespace onesoup::imps::codec
