// The WSP Push PDU (WAP-230-WSP 8.2.4.1) and the encodings it is made of (WAP-230-WSP 8.1.2
// uintvar, 8.4.1 header encoding, 8.4.2 basic rules).
#include "onesoup/transport/cir/wsp_push.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace onesoup::transport::cir {

namespace {

// WAP-230 table 34 (PDU types) and table 39 (header field names), table 40 (content types),
// and the WINA registry of push application ids.
constexpr std::uint8_t kPduPush = 0x06;
constexpr std::uint8_t kFieldXWapApplicationId = 0x2F;
constexpr std::uint8_t kContentTypeWvCspCir = 0x46;  // application/vnd.wv.csp.cir
constexpr std::uint8_t kAppIdWvUa = 0x0A;            // x-wap-application:wv.ua

// 8.4.2.1: octets 0-30 are a Short-length, 31 the Length-quote, 32-127 start a text, 128-255
// are a Short-integer (the value in the low 7 bits).
constexpr std::uint8_t kLengthQuote = 31;
constexpr std::uint8_t kQuote = 127;  // Text-string quote; Shift-delimiter in a header name

// A uintvar has at most 5 octets (a 32-bit value in 7-bit groups).
constexpr std::size_t kMaxUintvarOctets = 5;

void append_uintvar(std::string& out, std::uint32_t value) {
    char groups[kMaxUintvarOctets];
    std::size_t n = 0;
    do {
        groups[n++] = static_cast<char>(value & 0x7F);
        value >>= 7;
    } while (value != 0);
    while (n > 1) out.push_back(static_cast<char>(groups[--n] | static_cast<char>(0x80)));
    out.push_back(groups[0]);
}

// A cursor over the PDU; every read checks the bounds and reports the offset of the problem.
class Reader {
  public:
    Reader(std::string_view data, std::size_t base) : data_(data), base_(base) {}

    [[nodiscard]] bool empty() const { return pos_ >= data_.size(); }
    [[nodiscard]] std::size_t left() const { return data_.size() - pos_; }
    [[nodiscard]] std::size_t offset() const { return base_ + pos_; }

    Result<std::uint8_t> peek(std::string_view what) const {
        if (empty()) return truncated(what);
        return static_cast<std::uint8_t>(data_[pos_]);
    }

    Result<std::uint8_t> octet(std::string_view what) {
        auto value = peek(what);
        if (value) ++pos_;
        return value;
    }

    // WAP-230 8.1.2: 7 bits per octet, the high bit set on all but the last.
    Result<std::uint32_t> uintvar(std::string_view what) {
        const std::size_t start = offset();
        std::uint32_t value = 0;
        for (std::size_t i = 0; i < kMaxUintvarOctets; ++i) {
            auto next = octet(what);
            if (!next) return next.error();
            // The fifth octet may carry only the 4 bits left of 32.
            if (i == kMaxUintvarOctets - 1 && (value >> 25) != 0) {
                return make_error(std::string(what) + ": uintvar exceeds 32 bits", start);
            }
            value = (value << 7) | (*next & 0x7Fu);
            if ((*next & 0x80) == 0) return value;
        }
        return make_error(std::string(what) + ": uintvar longer than 5 octets", start);
    }

    Result<std::string_view> take(std::size_t n, std::string_view what) {
        if (n > left()) return truncated(what);
        auto part = data_.substr(pos_, n);
        pos_ += n;
        return part;
    }

    // A sub-reader over the next n octets, which this one skips.
    Result<Reader> sub(std::size_t n, std::string_view what) {
        const std::size_t start = offset();
        auto part = take(n, what);
        if (!part) return part.error();
        return Reader(*part, start);
    }

    // Text up to and without its End-of-string (0); the terminator is consumed.
    Result<std::string_view> text(std::string_view what) {
        const auto end = data_.find('\0', pos_);
        if (end == std::string_view::npos) {
            return make_error(std::string(what) + ": text without its terminating NUL",
                              base_ + data_.size());
        }
        auto part = data_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return part;
    }

    // 8.4.2.1 Text-string: [Quote] *TEXT End-of-string; the quote comes before text whose first
    // octet is 128 or above, so it is not part of the value.
    Result<std::string_view> text_string(std::string_view what) {
        auto first = peek(what);
        if (!first) return first.error();
        if (*first == kQuote) ++pos_;
        return text(what);
    }

    // 8.4.2.2 Value-length: Short-length (0-30) | Length-quote Length (uintvar).
    Result<std::size_t> value_length(std::string_view what) {
        auto first = octet(what);
        if (!first) return first.error();
        if (*first < kLengthQuote) return std::size_t{*first};
        if (*first == kLengthQuote) {
            auto length = uintvar(what);
            if (!length) return length.error();
            return std::size_t{*length};
        }
        return make_error(std::string(what) + ": expected a value length", offset() - 1);
    }

    // 8.4.2.1 Integer-value: Short-integer | Long-integer (Short-length, then that many
    // octets, big-endian). Values beyond 32 bits are refused.
    Result<std::uint32_t> integer_value(std::string_view what) {
        const std::size_t start = offset();
        auto first = octet(what);
        if (!first) return first.error();
        if (*first >= 0x80) return std::uint32_t{*first & 0x7Fu};
        if (*first >= kLengthQuote || *first == 0) {
            return make_error(std::string(what) + ": expected an integer value", start);
        }
        auto octets = take(*first, what);
        if (!octets) return octets.error();
        std::uint32_t value = 0;
        for (char c : *octets) {
            if ((value >> 24) != 0) {
                return make_error(std::string(what) + ": integer exceeds 32 bits", start);
            }
            value = (value << 8) | static_cast<std::uint8_t>(c);
        }
        return value;
    }

    // 8.4.1.2: any field value, skipped by its own encoding: a Short-integer (one octet), a
    // text up to its NUL, or a Value-length and that many octets.
    Result<void> skip_value(std::string_view what) {
        auto first = peek(what);
        if (!first) return first.error();
        if (*first >= 0x80) {
            ++pos_;
            return {};
        }
        if (*first > kLengthQuote) {
            auto skipped = text(what);
            if (!skipped) return skipped.error();
            return {};
        }
        auto length = value_length(what);
        if (!length) return length.error();
        auto skipped = take(*length, what);
        if (!skipped) return skipped.error();
        return {};
    }

  private:
    Error truncated(std::string_view what) const {
        return make_error(std::string(what) + ": PDU truncated", base_ + data_.size());
    }

    std::string_view data_;
    std::size_t base_;
    std::size_t pos_ = 0;
};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// 8.4.2.24 Content-type-value: Constrained-media (Short-integer or Extension-media text) or
// Content-general-form (Value-length, Media-type, parameters; the parameters are skipped).
Result<void> read_content_type(Reader& in, WspPush& push) {
    constexpr std::string_view what = "content type";
    auto first = in.peek(what);
    if (!first) return first.error();
    if (*first >= 0x80) {
        static_cast<void>(in.octet(what));
        push.content_type_code = *first & 0x7Fu;
        return {};
    }
    if (*first > kLengthQuote) {
        auto text = in.text(what);
        if (!text) return text.error();
        push.content_type_text = std::string(*text);
        return {};
    }
    auto length = in.value_length(what);
    if (!length) return length.error();
    auto general = in.sub(*length, what);
    if (!general) return general.error();
    auto media = general->peek(what);
    if (!media) return media.error();
    if (*media > kLengthQuote && *media < 0x80) {
        auto text = general->text(what);
        if (!text) return text.error();
        push.content_type_text = std::string(*text);
    } else {
        auto code = general->integer_value(what);
        if (!code) return code.error();
        push.content_type_code = *code;
    }
    // 8.4.2.4 parameters (typed or untyped) follow; nothing of them matters for a CIR.
    return {};
}

// 8.4.2.54 X-Wap-Application-Id: Application-id-value = Uri-value (text) | App-assigned-code
// (Integer-value).
Result<void> read_application_id(Reader& in, WspPush& push) {
    constexpr std::string_view what = "X-Wap-Application-Id";
    auto first = in.peek(what);
    if (!first) return first.error();
    if (*first > kLengthQuote && *first < 0x80) {
        auto text = in.text_string(what);
        if (!text) return text.error();
        push.application_id_text = std::string(*text);
        push.application_id_code.reset();
        return {};
    }
    auto code = in.integer_value(what);
    if (!code) return code.error();
    push.application_id_code = *code;
    push.application_id_text.clear();
    return {};
}

// 8.4.2.6 Headers: well-known fields (Short-integer name, then its value), application
// headers (Token-text name, Text-string value) and shift sequences to other code pages.
Result<void> read_headers(Reader& in, WspPush& push) {
    constexpr std::string_view what = "header";
    // Code page 1 holds the WSP-defined headers; fields on other pages are skipped.
    std::uint8_t page = 1;
    while (!in.empty()) {
        auto first = in.octet(what);
        if (!first) return first.error();
        if (*first >= 0x80) {
            const auto field = static_cast<std::uint8_t>(*first & 0x7F);
            if (page == 1 && field == kFieldXWapApplicationId) {
                auto done = read_application_id(in, push);
                if (!done) return done;
            } else {
                auto done = in.skip_value(what);
                if (!done) return done;
            }
        } else if (*first == kQuote) {
            // Shift-delimiter, then the Page-identity.
            auto target = in.octet("header page shift");
            if (!target) return target.error();
            page = *target;
        } else if (*first >= 1 && *first <= 31) {
            // Short-cut-shift-delimiter: the page is the octet itself.
            page = *first;
        } else if (*first == 0) {
            return make_error("header: empty field name", in.offset() - 1);
        } else {
            // Token-text: the name began with the octet just read.
            auto rest = in.text(what);
            if (!rest) return rest.error();
            std::string name(1, static_cast<char>(*first));
            name.append(*rest);
            auto value = in.text_string(what);
            if (!value) return value.error();
            if (iequals(name, "X-Wap-Application-Id")) {
                push.application_id_text = std::string(*value);
                push.application_id_code.reset();
            }
        }
    }
    return {};
}

}  // namespace

std::string wsp_cir_push(std::string_view body, std::uint8_t tid) {
    const char headers[] = {static_cast<char>(0x80 | kContentTypeWvCspCir),
                            static_cast<char>(0x80 | kFieldXWapApplicationId),
                            static_cast<char>(0x80 | kAppIdWvUa)};
    std::string pdu;
    pdu.reserve(2 + 1 + sizeof headers + body.size());
    pdu.push_back(static_cast<char>(tid));
    pdu.push_back(static_cast<char>(kPduPush));
    append_uintvar(pdu, static_cast<std::uint32_t>(sizeof headers));
    pdu.append(headers, sizeof headers);
    pdu.append(body);
    return pdu;
}

Result<WspPush> parse_wsp_push(std::string_view pdu) {
    Reader in(pdu, 0);
    WspPush push;
    auto tid = in.octet("transaction id");
    if (!tid) return tid.error();
    push.tid = *tid;
    auto type = in.octet("PDU type");
    if (!type) return type.error();
    if (*type != kPduPush) {
        return make_error("not a WSP Push PDU (type 0x" +
                              std::string(1, "0123456789ABCDEF"[*type >> 4]) +
                              std::string(1, "0123456789ABCDEF"[*type & 0x0F]) + ")",
                          1);
    }
    auto headers_length = in.uintvar("headers length");
    if (!headers_length) return headers_length.error();
    auto headers = in.sub(*headers_length, "headers");
    if (!headers) return headers.error();
    auto content_type = read_content_type(*headers, push);
    if (!content_type) return content_type.error();
    auto rest = read_headers(*headers, push);
    if (!rest) return rest.error();
    auto body = in.take(in.left(), "body");
    push.body = std::string(*body);
    return push;
}

}  // namespace onesoup::transport::cir
