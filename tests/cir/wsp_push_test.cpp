// The WSP push PDU: our encoder's exact bytes, and the decoder against PDUs written by hand in
// the forms WAP-230-WSP 8.4 allows (text and general-form content types, well-known and
// textual headers, long integers, code page shifts) and against every truncation.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "onesoup/transport/cir/wsp_push.hpp"

using namespace onesoup::transport::cir;

namespace {

using namespace std::string_literals;

// tid, Push, HeadersLen (one-octet uintvar), then the headers and the body.
std::string push_pdu(std::uint8_t tid, const std::string& headers, const std::string& body) {
    EXPECT_LT(headers.size(), 128u);
    std::string pdu;
    pdu.push_back(static_cast<char>(tid));
    pdu.push_back('\x06');
    pdu.push_back(static_cast<char>(headers.size()));
    return pdu + headers + body;
}

TEST(WspPush, ExactBytesOfTheNotesLayout) {
    // Reference notes section 6: TID, 0x06, HeadersLen 3, 0xC6 (application/vnd.wv.csp.cir),
    // 0xAF 0x8A (X-Wap-Application-Id: x-wap-application:wv.ua), the WVCI line.
    const std::string pdu = wsp_cir_push("WVCI 1.2 c00kie", 0x2A);
    EXPECT_EQ(pdu, "\x2A\x06\x03\xC6\xAF\x8A"s + "WVCI 1.2 c00kie");
}

TEST(WspPush, RoundTrip) {
    for (const std::string& body : {"WVCI 1.1 abc"s, "WVCI 1.3 " + std::string(300, 'x'), ""s}) {
        for (int tid : {0, 1, 0x7F, 0xFF}) {
            const auto pdu = wsp_cir_push(body, static_cast<std::uint8_t>(tid));
            const auto parsed = parse_wsp_push(pdu);
            ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
            EXPECT_EQ(parsed->tid, tid);
            EXPECT_EQ(parsed->content_type_code, 0x46u);
            EXPECT_TRUE(parsed->content_type_text.empty());
            EXPECT_EQ(parsed->application_id_code, 0x0Au);
            EXPECT_TRUE(parsed->application_id_text.empty());
            EXPECT_EQ(parsed->body, body);
        }
    }
}

TEST(WspPush, TextContentTypeAndExtraHeaders) {
    // Content type as Extension-media text; then a textual header, Push-Flag (0x34, short
    // integer), Content-Length as a Long-integer (0x0D: 02 01 00), Date (0x12) as a long
    // integer too, X-Wap-Application-Id as a Uri-value text, and an unknown well-known field
    // with a Value-length value.
    const std::string headers = "application/vnd.wv.csp.cir\0"s           //
                                + "X-Operator\0"s + "Example Net\0"s      //
                                + "\xB4\x81"s                             // Push-Flag: 1
                                + "\x8D\x02\x01\x00"s                     // Content-Length: 256
                                + "\x92\x04\x5F\x00\x00\x01"s             // Date
                                + "\xAF"s + "x-wap-application:wv.ua\0"s  //
                                + "\xE0\x03\x01\x02\x03"s;                // field 0x60, 3 octets
    const auto parsed = parse_wsp_push(push_pdu(7, headers, "WVCI 1.2 xyz"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->tid, 7);
    EXPECT_FALSE(parsed->content_type_code.has_value());
    EXPECT_EQ(parsed->content_type_text, "application/vnd.wv.csp.cir");
    EXPECT_FALSE(parsed->application_id_code.has_value());
    EXPECT_EQ(parsed->application_id_text, "x-wap-application:wv.ua");
    EXPECT_EQ(parsed->body, "WVCI 1.2 xyz");
}

TEST(WspPush, GeneralFormContentTypeWithParameters) {
    // Value-length 3: 0xC6, then the parameter Charset (0x81) = utf-8 (0xEA).
    auto parsed = parse_wsp_push(push_pdu(1, "\x03\xC6\x81\xEA\xAF\x8A"s, "WVCI 1.2 a"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->content_type_code, 0x46u);
    EXPECT_EQ(parsed->application_id_code, 0x0Au);
    EXPECT_EQ(parsed->body, "WVCI 1.2 a");

    // Text media type with an untyped parameter (Token-text name, Text-string value); 35
    // octets, more than a Short-length holds, so Length-quote (31) and a uintvar.
    const std::string general = "application/vnd.wv.csp.cir\0"s + "level\0"s + "1\0"s;
    ASSERT_EQ(general.size(), 35u);
    parsed = parse_wsp_push(push_pdu(1, "\x1F\x23"s + general, "B"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->content_type_text, "application/vnd.wv.csp.cir");
    EXPECT_FALSE(parsed->application_id_code.has_value());
    EXPECT_EQ(parsed->body, "B");

    // Media type as a Long-integer (0x0201) in the general form.
    parsed = parse_wsp_push(push_pdu(1, "\x03\x02\x02\x01"s, "C"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->content_type_code, 0x0201u);

    // Length-quote (31) and a uintvar length.
    parsed = parse_wsp_push(push_pdu(1, "\x1F\x01\xC6"s, "D"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->content_type_code, 0x46u);
}

TEST(WspPush, ApplicationIdForms) {
    // Long-integer app id (WINA registers numbers beyond 127, e.g. 0x8002).
    auto parsed = parse_wsp_push(push_pdu(1, "\xC6\xAF\x02\x80\x02"s, "x"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->application_id_code, 0x8002u);

    // Text with the Quote (127) that a text starting at 128+ needs: the quote is not kept.
    parsed = parse_wsp_push(push_pdu(1, "\xC6\xAF\x7F\xE9t\0"s, "x"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->application_id_text, "\xE9t");

    // The application id as a textual header name.
    parsed =
        parse_wsp_push(push_pdu(1, "\xC6x-wap-application-id\0x-wap-application:wv.ua\0"s, ""));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->application_id_text, "x-wap-application:wv.ua");
    EXPECT_EQ(parsed->body, "");

    // A Long-integer beyond 32 bits is refused.
    EXPECT_FALSE(parse_wsp_push(push_pdu(1, "\xC6\xAF\x05\x01\x00\x00\x00\x00"s, "")).ok());
}

TEST(WspPush, CodePageShifts) {
    // 0xAF on page 2 (Shift-delimiter 0x7F 0x02) is not X-Wap-Application-Id; a short-cut
    // shift (0x01) back to page 1 makes it so again.
    auto parsed = parse_wsp_push(push_pdu(1, "\xC6\x7F\x02\xAF\x85"s, "x"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_FALSE(parsed->application_id_code.has_value());
    parsed = parse_wsp_push(push_pdu(1, "\xC6\x7F\x02\xAF\x85\x01\xAF\x8A"s, "x"));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->application_id_code, 0x0Au);
}

TEST(WspPush, TwoOctetHeadersLength) {
    // Headers of 200 octets: HeadersLen is the uintvar 0x81 0x48.
    const std::string filler = "X-Pad\0"s + std::string(200 - 1 - 6 - 1 - 2, 'p') + "\0"s;
    const std::string headers = "\xC6"s + filler + "\xAF\x8A"s;
    ASSERT_EQ(headers.size(), 200u);
    const std::string pdu = "\x05\x06\x81\x48"s + headers + "WVCI 1.2 k";
    const auto parsed = parse_wsp_push(pdu);
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed->application_id_code, 0x0Au);
    EXPECT_EQ(parsed->body, "WVCI 1.2 k");
}

TEST(WspPush, Errors) {
    EXPECT_FALSE(parse_wsp_push("").ok());
    // Not a Push: ConfirmedPush (0x07) and Reply (0x04).
    EXPECT_FALSE(parse_wsp_push("\x01\x07\x03\xC6\xAF\x8Ax"s).ok());
    const auto reply = parse_wsp_push("\x01\x04\x03\xC6\xAF\x8Ax"s);
    ASSERT_FALSE(reply.ok());
    EXPECT_NE(reply.error().message.find("0x04"), std::string::npos);
    // A uintvar of six octets, and one of five that exceeds 32 bits.
    EXPECT_FALSE(parse_wsp_push("\x01\x06\x80\x80\x80\x80\x80\x03\xC6"s).ok());
    EXPECT_FALSE(parse_wsp_push("\x01\x06\x90\x80\x80\x80\x03\xC6\xAF\x8A"s).ok());
    // Headers longer than the PDU.
    EXPECT_FALSE(parse_wsp_push("\x01\x06\x09\xC6\xAF\x8A"s).ok());
    // No content type at all.
    EXPECT_FALSE(parse_wsp_push("\x01\x06\x00WVCI"s).ok());
    // A text content type without its NUL inside the headers.
    EXPECT_FALSE(parse_wsp_push(push_pdu(1, "application/x"s, "\0"s)).ok());
    // A general form whose length runs past the headers.
    EXPECT_FALSE(parse_wsp_push(push_pdu(1, "\x05\xC6"s, "WVCI 1.2 x")).ok());
    // A header value cut off by the headers' end; an empty field name.
    EXPECT_FALSE(parse_wsp_push(push_pdu(1, "\xC6\xAF"s, "\x8A")).ok());
    EXPECT_FALSE(parse_wsp_push(push_pdu(1, "\xC6\x92\x04\x00"s, "x")).ok());
    EXPECT_FALSE(parse_wsp_push(push_pdu(1, "\xC6\x00x\0y\0"s, "x")).ok());
    // A shift without its page.
    EXPECT_FALSE(parse_wsp_push(push_pdu(1, "\xC6\x7F"s, "x")).ok());
}

TEST(WspPush, TruncatedAtEveryLength) {
    const std::string textual = push_pdu(3,
                                         "\x1F\x1D"s + "application/vnd.wv.csp.cir\0"s +
                                             "\x81\xEA"s + "X-A\0b\0"s + "\xAF\x02\x80\x02"s,
                                         "WVCI 1.2 cookie");
    for (const std::string& pdu : {wsp_cir_push("WVCI 1.2 cookie", 9), textual}) {
        ASSERT_TRUE(parse_wsp_push(pdu).ok()) << parse_wsp_push(pdu).error().describe();
        const std::size_t headers_end = 3 + static_cast<std::uint8_t>(pdu[2]);
        for (std::size_t n = 0; n < pdu.size(); ++n) {
            const auto parsed = parse_wsp_push(std::string_view(pdu).substr(0, n));
            if (n < headers_end) {
                EXPECT_FALSE(parsed.ok()) << "prefix of " << n << " octets";
            } else {
                // Past the headers a shorter PDU only has a shorter body.
                ASSERT_TRUE(parsed.ok()) << n << ": " << parsed.error().describe();
                EXPECT_EQ(parsed->body, pdu.substr(headers_end, n - headers_end));
            }
        }
    }
}

}  // namespace
