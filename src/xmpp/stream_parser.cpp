#include "onesoup/xmpp/stream_parser.hpp"

#include <expat.h>

#include <algorithm>
#include <random>
#include <string>

namespace onesoup::xmpp {
namespace {

// Expat reports a namespaced name as "uri<sep>local"; a space can be in neither a local name nor
// (unescaped) a namespace URI.
constexpr char ns_separator = ' ';

// Feeding expat at most this much at a time lets the size limits be checked between slices
// before expat buffers an unbounded token.
constexpr std::size_t slice_bytes = 2048;

void split_name(const char* qname, std::string& name, std::string& ns) {
    std::string_view q(qname);
    auto sep = q.rfind(ns_separator);
    if (sep == std::string_view::npos) {
        name.assign(q);
        ns.clear();
    } else {
        name.assign(q.substr(sep + 1));
        ns.assign(q.substr(0, sep));
    }
}

std::string attribute_name(const char* qname) {
    std::string name;
    std::string uri;
    split_name(qname, name, uri);
    if (uri.empty()) return name;
    if (uri == ns::xml) return "xml:" + name;
    return "{" + uri + "}" + name;
}

// XML 1.0 white space (production S): what may stand between stanzas.
bool all_blank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

StreamParser::StreamParser(ParserLimits limits) : limits_(limits) {
    // One salt for the stream's hash tables (expat's defence against hash flooding), drawn
    // once: release_idle() rebuilds reuse it instead of drawing again.
    std::random_device random;
    hash_salt_ = static_cast<unsigned long>((std::uint64_t{random()} << 32) | random());
    create_parser();
}

void StreamParser::create_parser() {
    const char sep[] = {ns_separator, '\0'};
    parser_ = XML_ParserCreateNS("UTF-8", sep[0]);
    if (parser_ == nullptr) return;
    XML_SetHashSalt(parser_, hash_salt_);
    install_handlers();
}

StreamParser::~StreamParser() {
    if (parser_ != nullptr) XML_ParserFree(parser_);
}

bool StreamParser::release_idle() {
    if (parser_ == nullptr) return true;
    if (!opened_ || failed_ || paused_ || closed_ || !stack_.empty() || !blank_tail_) {
        return false;
    }
    XML_ParserFree(parser_);
    parser_ = nullptr;
    // The tree and the stack are empty between stanzas; drop their capacity too.
    stanza_ = Element();
    std::vector<Element*>().swap(stack_);
    return true;
}

bool StreamParser::recreate() {
    create_parser();
    if (parser_ == nullptr) return false;
    // The stream's header again, without events: expat needs it for the open <stream:stream>
    // and its namespace declarations. It parsed before, so it parses now.
    replaying_ = true;
    auto status =
        XML_Parse(parser_, header_bytes_.data(), static_cast<int>(header_bytes_.size()), XML_FALSE);
    replaying_ = false;
    if (status != XML_STATUS_OK) return false;
    index_base_ = fed_ - header_bytes_.size();
    return true;
}

void StreamParser::install_handlers() {
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &StreamParser::on_start, &StreamParser::on_end);
    XML_SetCharacterDataHandler(parser_, &StreamParser::on_text);
    XML_SetStartDoctypeDeclHandler(parser_, &StreamParser::on_doctype);
    XML_SetEntityDeclHandler(parser_, &StreamParser::on_entity);
    XML_SetProcessingInstructionHandler(parser_, &StreamParser::on_pi);
    XML_SetCommentHandler(parser_, &StreamParser::on_comment);
    XML_SetParamEntityParsing(parser_, XML_PARAM_ENTITY_PARSING_NEVER);
}

void StreamParser::restart() {
    if (parser_ == nullptr) {
        create_parser();
    } else {
        XML_ParserReset(parser_, "UTF-8");
        XML_SetHashSalt(parser_, hash_salt_);
        install_handlers();
    }
    std::string().swap(header_bytes_);
    index_base_ = 0;
    replaying_ = false;
    blank_tail_ = true;
    stanza_ = Element();
    stack_.clear();
    elements_ = 0;
    fed_ = 0;
    unit_start_ = 0;
    stop_at_ = 0;
    error_ = Error();
    failed_ = limit_exceeded_ = opened_ = paused_ = closed_ = false;
}

void StreamParser::fail(std::string message, bool limit) {
    if (failed_) return;
    failed_ = true;
    limit_exceeded_ = limit;
    error_ = make_error(std::move(message), current_index());
    XML_StopParser(parser_, XML_FALSE);
}

std::size_t StreamParser::current_index() const {
    auto index = XML_GetCurrentByteIndex(parser_);
    return index < 0 ? Error::npos : static_cast<std::size_t>(index) + index_base_;
}

std::size_t StreamParser::event_end() const {
    auto index = XML_GetCurrentByteIndex(parser_);
    auto count = XML_GetCurrentByteCount(parser_);
    return static_cast<std::size_t>(std::max<XML_Index>(index, 0)) +
           static_cast<std::size_t>(std::max(count, 0)) + index_base_;
}

Result<std::size_t> StreamParser::feed(std::string_view data, std::vector<StreamEvent>& out) {
    if (failed_) return error_;
    if (paused_) return make_error("stream must be restarted before more input", fed_);
    if (closed_) return make_error("input after the end of the stream", fed_);
    if (data.empty()) return std::size_t{0};
    if (parser_ == nullptr && !recreate()) {
        failed_ = true;
        error_ = make_error("cannot rebuild the XML parser", fed_);
        return error_;
    }
    const std::size_t base = fed_;
    out_ = &out;
    std::size_t pos = 0;
    while (pos < data.size()) {
        std::size_t n = std::min(slice_bytes, data.size() - pos);
        // Until the header is read, its bytes are kept (on_start cuts them at its end).
        if (!opened_) header_bytes_.append(data.substr(pos, n));
        // The slice is at most slice_bytes, so the int conversion cannot overflow.
        auto status = XML_Parse(parser_, data.data() + pos, static_cast<int>(n), XML_FALSE);
        fed_ += n;
        pos += n;
        if (status != XML_STATUS_OK) {
            out_ = nullptr;
            if (failed_) return error_;
            if (paused_ || closed_) return stop_at_ - base;
            failed_ = true;
            error_ = make_error(
                std::string("malformed XML: ") + XML_ErrorString(XML_GetErrorCode(parser_)),
                current_index());
            return error_;
        }
        // Bytes since the last complete unit are what expat and the tree are holding.
        std::size_t limit = opened_ ? limits_.max_stanza_bytes : limits_.max_header_bytes;
        if (fed_ - unit_start_ > limit) {
            out_ = nullptr;
            failed_ = true;
            limit_exceeded_ = true;
            error_ = make_error((opened_ ? "stanza exceeds the size limit of "
                                         : "stream header exceeds the size limit of ") +
                                    std::to_string(limit) + " bytes",
                                unit_start_);
            return error_;
        }
    }
    out_ = nullptr;
    if (unit_start_ >= base) {
        blank_tail_ = all_blank(data.substr(unit_start_ - base));
    } else {
        blank_tail_ = blank_tail_ && all_blank(data);
    }
    return data.size();
}

void StreamParser::on_start(void* self_ptr, const char* name, const char** attrs) {
    auto* self = static_cast<StreamParser*>(self_ptr);
    if (self->failed_ || self->replaying_) return;
    if (!self->opened_) {
        StreamEvent ev;
        ev.kind = StreamEvent::Kind::open;
        split_name(name, ev.element.name, ev.element.ns);
        if (!ev.element.is("stream", ns::streams)) {
            self->fail("stream does not start with <stream:stream>");
            return;
        }
        for (const char** a = attrs; a[0] != nullptr; a += 2) {
            ev.element.attributes.emplace_back(attribute_name(a[0]), a[1]);
        }
        self->opened_ = true;
        self->unit_start_ = self->event_end();
        // The header is all a rebuilt parser needs (release_idle); the rest of the slice is
        // parsed from the caller's bytes.
        self->header_bytes_.resize(self->unit_start_);
        self->header_bytes_.shrink_to_fit();
        self->out_->push_back(std::move(ev));
        return;
    }
    if (self->stack_.size() >= self->limits_.max_depth) {
        self->fail(
            "stanza nesting exceeds the depth limit of " + std::to_string(self->limits_.max_depth),
            true);
        return;
    }
    if (++self->elements_ > self->limits_.max_elements) {
        self->fail("stanza has more elements than the limit of " +
                       std::to_string(self->limits_.max_elements),
                   true);
        return;
    }
    Element* el = nullptr;
    if (self->stack_.empty()) {
        self->stanza_ = Element();
        el = &self->stanza_;
    } else {
        // Only the innermost open element gains children, so pointers to its ancestors stay
        // valid while it is open.
        el = &self->stack_.back()->children.emplace_back();
    }
    split_name(name, el->name, el->ns);
    for (const char** a = attrs; a[0] != nullptr; a += 2) {
        el->attributes.emplace_back(attribute_name(a[0]), a[1]);
    }
    self->stack_.push_back(el);
}

void StreamParser::on_end(void* self_ptr, const char* /*name*/) {
    auto* self = static_cast<StreamParser*>(self_ptr);
    if (self->failed_) return;
    if (self->stack_.empty()) {
        // Expat checks that tags match, so this is </stream:stream>.
        self->closed_ = true;
        self->stop_at_ = self->event_end();
        self->out_->push_back(StreamEvent{StreamEvent::Kind::close, Element()});
        XML_StopParser(self->parser_, XML_FALSE);
        return;
    }
    self->stack_.pop_back();
    if (!self->stack_.empty()) return;
    StreamEvent ev{StreamEvent::Kind::stanza, std::move(self->stanza_)};
    self->stanza_ = Element();
    self->elements_ = 0;
    self->unit_start_ = self->event_end();
    bool pause = ev.element.is("proceed", ns::tls) || ev.element.is("success", ns::sasl);
    self->out_->push_back(std::move(ev));
    if (pause) {
        self->paused_ = true;
        self->stop_at_ = self->unit_start_;
        XML_StopParser(self->parser_, XML_FALSE);
    }
}

void StreamParser::on_text(void* self_ptr, const char* text, int len) {
    auto* self = static_cast<StreamParser*>(self_ptr);
    if (self->failed_ || self->stack_.empty()) return;  // whitespace between stanzas
    self->stack_.back()->text.append(text, static_cast<std::size_t>(len));
}

void StreamParser::on_doctype(void* self, const char*, const char*, const char*, int) {
    static_cast<StreamParser*>(self)->fail("a DTD is not allowed in XMPP (RFC 6120 11.1)");
}

void StreamParser::on_entity(void* self, const char*, int, const char*, int, const char*,
                             const char*, const char*, const char*) {
    static_cast<StreamParser*>(self)->fail(
        "an entity declaration is not allowed in XMPP (RFC 6120 11.1)");
}

void StreamParser::on_pi(void* self, const char*, const char*) {
    static_cast<StreamParser*>(self)->fail(
        "a processing instruction is not allowed in XMPP (RFC 6120 11.1)");
}

void StreamParser::on_comment(void* self, const char*) {
    static_cast<StreamParser*>(self)->fail("a comment is not allowed in XMPP (RFC 6120 11.1)");
}

}  // namespace onesoup::xmpp
