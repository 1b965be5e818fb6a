// StreamParser: the incremental parser of an incoming XMPP stream (RFC 6120 section 4), on expat.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onesoup/core/result.hpp"
#include "onesoup/xmpp/element.hpp"

struct XML_ParserStruct;

namespace onesoup::xmpp {

// Bounds on what one stream may make the parser hold. Exceeding one is a parse error, so memory
// per connection stays bounded whatever the peer sends.
struct ParserLimits {
    std::size_t max_header_bytes = 4096;        // bytes before the end of <stream:stream ...>
    std::size_t max_stanza_bytes = 256 * 1024;  // bytes of one stanza (Prosody's default limit)
    std::size_t max_depth = 32;                 // element nesting inside a stanza
    std::size_t max_elements = 4096;            // elements in one stanza
};

// One thing the parser found in the stream.
struct StreamEvent {
    enum class Kind : std::uint8_t {
        open,    // <stream:stream ...> read; `element` holds its name and attributes
        stanza,  // one complete top-level element (a stanza, <stream:features>, <success/>, ...)
        close,   // </stream:stream> read
    };
    Kind kind = Kind::stanza;
    Element element;
};

// Parses an XMPP stream fed in arbitrary chunks and reports the stream header, each complete
// top-level element as an Element tree, and the stream's end. Following RFC 6120 section 11.1,
// a DTD, entity declarations, processing instructions and comments are refused, and input is
// read as UTF-8 only. After <proceed/> (STARTTLS, RFC 6120 5.4.2.3) or <success/> (SASL, RFC 6120
// 6.4.6) the parser pauses: the bytes that follow belong to TLS or to a restarted stream, and
// restart() must be called before feeding them. Between stanzas, release_idle() frees expat's
// state (about 10 KB); the next feed() rebuilds it by replaying the stream header, so an idle
// stream costs only its header bytes. Not copyable or movable (expat holds `this`).
class StreamParser {
  public:
    explicit StreamParser(ParserLimits limits = {});
    ~StreamParser();
    StreamParser(const StreamParser&) = delete;
    StreamParser& operator=(const StreamParser&) = delete;

    // Parses `data`, appending every event found to `out`. Returns how many bytes of `data` were
    // used: all of them, unless the parser paused (see above) or the stream closed, in which
    // case the rest is left to the caller. An error (malformed XML, a limit, a forbidden
    // construct) names the problem and the byte offset from the start of the current stream; the
    // parser then stays failed until restart(). Feeding a paused or closed parser is an error.
    Result<std::size_t> feed(std::string_view data, std::vector<StreamEvent>& out);

    // Forgets the current stream; the next bytes must start a new one (RFC 6120 4.3.3).
    void restart();

    // Frees the XML parser's memory if the stream is between stanzas (the header read, no
    // stanza begun, nothing but whitespace since the last one); returns whether it did. The
    // next feed() makes a new parser and replays the stream header into it first, so the
    // namespace prefixes the header declared still apply. Parsing is unchanged either way.
    bool release_idle();
    // True while the parser's memory is released.
    [[nodiscard]] bool released() const { return parser_ == nullptr; }

    // True after <proceed/> or <success/> until restart().
    [[nodiscard]] bool paused() const { return paused_; }
    // True after </stream:stream>.
    [[nodiscard]] bool closed() const { return closed_; }
    // True if the parser failed because the peer went over one of the ParserLimits (as opposed
    // to malformed or forbidden XML): the stream error for it is policy-violation (RFC 6120
    // 4.9.3.14), not not-well-formed.
    [[nodiscard]] bool limit_exceeded() const { return limit_exceeded_; }

  private:
    static void on_start(void* self, const char* name, const char** attrs);
    static void on_end(void* self, const char* name);
    static void on_text(void* self, const char* text, int len);
    static void on_doctype(void* self, const char*, const char*, const char*, int);
    static void on_entity(void* self, const char*, int, const char*, int, const char*, const char*,
                          const char*, const char*);
    static void on_pi(void* self, const char*, const char*);
    static void on_comment(void* self, const char*);

    void create_parser();
    void install_handlers();
    [[nodiscard]] bool recreate();
    void fail(std::string message, bool limit = false);
    // Expat's current byte index in stream offsets (Error::npos if unknown).
    [[nodiscard]] std::size_t current_index() const;
    [[nodiscard]] std::size_t event_end() const;

    ParserLimits limits_;
    XML_ParserStruct* parser_ = nullptr;
    unsigned long hash_salt_ = 0;
    std::vector<StreamEvent>* out_ = nullptr;  // set during feed()
    Element stanza_;                           // the top-level element being built
    std::vector<Element*> stack_;              // open elements of stanza_, outermost first
    std::size_t elements_ = 0;                 // elements in stanza_
    std::size_t fed_ = 0;                      // bytes fed since the stream started
    std::size_t unit_start_ = 0;               // where the header or the current stanza began
    std::size_t stop_at_ = 0;                  // stream offset just after a pause or close
    // The bytes of this stream up to the end of its header, replayed into a new parser after
    // release_idle().
    std::string header_bytes_;
    // Stream offset minus expat's byte index: 0 for the stream's first parser, and for a
    // recreated one where it started less the replayed header's length.
    std::size_t index_base_ = 0;
    bool replaying_ = false;  // the header is being replayed: no events
    bool blank_tail_ = true;  // only whitespace since the end of the last unit
    Error error_;
    bool failed_ = false;
    bool limit_exceeded_ = false;
    bool opened_ = false;
    bool paused_ = false;
    bool closed_ = false;
};

}  // namespace onesoup::xmpp
