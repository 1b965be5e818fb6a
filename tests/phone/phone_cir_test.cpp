// `imps phone --cir`: the built tool against a real HttpServer + Engine with the real CIR
// channels (StcpListener, HttpCirHolder, UdpSender, Waker) wired as the daemon wires them. The
// buddy (wv:slow@test) answers a second after the phone's message, while the phone is idle and
// polls only every 30 s: the answer can only arrive in time through a wake-up. Also the
// fake-SMS inbox parser and the CIR steps' script syntax.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include "cir_channel.hpp"
#include "onesoup/transport/cir/wsp_push.hpp"
#include "phone_script.hpp"
#include "phone_test_server.hpp"
#include "phone_test_support.hpp"

using namespace onesoup::test;  // NOLINT: the test server's names
using onesoup::tools::parse_fake_sms;
using onesoup::tools::parse_phone_script;
using onesoup::tools::same_msisdn;

namespace {

// Runs `imps phone` against `server` with `args` and `script` (a file); slow polling, so that
// only a wake-up brings news in time.
CommandRun phone(const CirServer& server, const std::string& args, const std::string& script) {
    TempFile file(script);
    const std::string poll =
        args.find("--poll-interval") == std::string::npos ? " --poll-interval 30" : "";
    return run_command(shell_quote(ONESOUP_IMPS_TOOL) + " phone --url " + server.url() +
                       " --user alice@test --password secret" + poll + " " + args + " " +
                       shell_quote(file.path()));
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// The script every method runs: the buddy answers while the phone waits for a wake-up.
const char* const woken_script = R"(login
send slow@test are you there
expect-message from=slow@test late: are you there timeout=6
logout
)";

void expect_woken(const CommandRun& run, const std::string& method) {
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("CIR " + method + " agreed"), std::string::npos) << run.out;
    const std::regex wake("<< CIR " + method +
                          " WVCI 1\\.[123] wv:imps\\.[0-9a-f]+  \\([0-9]+ bytes\\)");
    EXPECT_TRUE(std::regex_search(run.out, wake)) << run.out;
    // Woken, the phone polled once, and the message came with that poll: no timer polling.
    EXPECT_EQ(count(run.out, "<Polling-Request"), 1u) << run.out;
    const std::regex totals("CIR " + method +
                            ": sent [0-9]+ bytes, received [1-9][0-9]* bytes; wake-ups 1\n");
    EXPECT_TRUE(std::regex_search(run.out, totals)) << run.out;
}

TEST(PhoneCir, StcpWakesTheIdlePhone) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto start = std::chrono::steady_clock::now();
    const auto run = phone(server, "--cir stcp --encoding xml", woken_script);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    expect_woken(run, "STCP");
    EXPECT_NE(run.out.find("STCP: HELO answered OK"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("<SupportedCIRMethod>STCP</SupportedCIRMethod>"), std::string::npos);
    const auto stats = server.stcp_stats();
    EXPECT_EQ(stats.helo_ok, 1u);
    EXPECT_EQ(stats.wakes_sent, 1u);
}

// A `ping` step while the phone's socket has no OK to its HELO (just after login, or while it
// connects again) waits for that OK instead of failing (a CI run failed on that race). Here the
// phone's socket is replaced by `helo current`, and the phone connects again after 1 s: the
// second `ping` comes in that second.
TEST(PhoneCir, StcpPingWaitsForTheHeloOfTheNextSocket) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir stcp --quiet",
                           "login\nping\nhelo current\nsleep 0.3\nping timeout=5\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("step 2 (ping): PING answered OK"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("step 5 (ping): PING answered OK"), std::string::npos) << run.out;
    const auto stats = server.stcp_stats();
    EXPECT_EQ(stats.helo_ok, 3u);  // login's, `helo current`'s, the reconnected socket's
    EXPECT_GE(stats.pings, 2u);
    // With no socket at all (cir-drop), the step fails when its timeout is over.
    const auto start = std::chrono::steady_clock::now();
    const auto dropped = phone(server, "--cir stcp --quiet", "login\ncir-drop\nping timeout=0.5\n");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
    EXPECT_EQ(dropped.exit_code, 1);
    EXPECT_NE(dropped.err.find("step 3 (ping): no STCP socket is open"), std::string::npos)
        << dropped.err;
}

TEST(PhoneCir, StcpPingsAndHelo) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir stcp --quiet --ping-interval 0.3",
                           "login\nping\nsleep 1\nhelo 0123456789abcdef0123456789abcdef "
                           "expect=closed\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("step 2 (ping): PING answered OK"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("step 4 (helo): HELO 0123456789abcdef0123456789abcdef: closed "
                           "without OK"),
              std::string::npos)
        << run.out;
    const auto stats = server.stcp_stats();
    EXPECT_GE(stats.pings, 3u);  // the step's, and the timer's every 0.3 s
    EXPECT_GE(stats.helo_rejected, 1u);
    // A wrong expectation fails the step.
    const auto wrong = phone(server, "--cir stcp --quiet", "login\nhelo nosuchsession\n");
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("step 2 (helo): HELO nosuchsession: expected ok, got closed"),
              std::string::npos)
        << wrong.err;
}

TEST(PhoneCir, StcpNewHeloReplacesTheSocketAndThePhoneComesBack) {
    CirServer server;
    ASSERT_TRUE(server.started());
    // The extra socket's HELO replaces the channel's; the server closes the channel's socket,
    // the phone connects again (1 s) and HELOs, and wake-ups work again.
    const auto run = phone(server, "--cir stcp",
                           "login\nhelo current\nsleep 1.5\nsend slow@test again\n"
                           "expect-message from=slow@test again timeout=6\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("connecting again in 1 s"), std::string::npos) << run.out;
    EXPECT_GE(server.stcp_stats().replaced, 2u);
}

TEST(PhoneCir, ShttpWakesTheIdlePhone) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir shttp --csp 1.3", woken_script);
    expect_woken(run, "SHTTP");
    EXPECT_NE(run.out.find("<CIRHTTPAddress>"), std::string::npos) << run.out;
    EXPECT_GE(server.http_cir_stats().woken, 1u);
}

TEST(PhoneCir, SudpWakesTheIdlePhone) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir sudp --encoding wbxml", woken_script);
    expect_woken(run, "SUDP");
    EXPECT_TRUE(std::regex_search(run.out, std::regex("<UDPPort>[1-9][0-9]*</UDPPort>")))
        << run.out;
}

TEST(PhoneCir, WapUdpWakesTheIdlePhoneWithAWspPush) {
    CirServer server;
    ASSERT_TRUE(server.started());
    // WAP push goes to port 2948: the phone takes an address of its own so that it may listen
    // there without meeting another test.
    const auto run =
        phone(server, "--cir wapudp --local-address 127.0.0.77 --encoding xml", woken_script);
    expect_woken(run, "WAPUDP");
    EXPECT_NE(run.out.find("<UDPPort>2948</UDPPort>"), std::string::npos) << run.out;
}

TEST(PhoneCir, SudpFollowsThePhoneToItsNewAddress) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir sudp --quiet",
                           "login\nnew-address\npoll\nsend slow@test moved\n"
                           "expect-message from=slow@test moved timeout=6\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("step 2 (new-address): moved to 127.0.0.2"), std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("<< CIR SUDP WVCI"), std::string::npos) << run.out;
    EXPECT_EQ(server.remote_address_of_only_session(), "127.0.0.2");
}

TEST(PhoneCir, StcpLostAndRecovered) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir stcp",
                           "login\ncir-drop\nexpect-cir-failed timeout=8\ncir-restore\n"
                           "send slow@test back\nexpect-message from=slow@test back timeout=6\n"
                           "logout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("!! CIR=F"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("<< CIR STCP WVCI"), std::string::npos) << run.out;
}

TEST(PhoneCir, ExpectWakeAndNoWake) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir stcp --quiet",
                           "login\nexpect-no-wake timeout=0.5\nsend slow@test wake me\n"
                           "expect-wake timeout=6\nexpect-message from=slow@test timeout=3\n"
                           "logout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("step 4 (expect-wake): woken: CIR STCP WVCI"), std::string::npos)
        << run.out;
    const auto failing = phone(server, "--cir stcp --quiet",
                               "login\nsend slow@test wake me\nexpect-no-wake timeout=4\n");
    EXPECT_EQ(failing.exit_code, 1);
    EXPECT_NE(failing.err.find("step 3 (expect-no-wake): a wake-up arrived: << CIR STCP WVCI"),
              std::string::npos)
        << failing.err;
}

TEST(PhoneCir, NoCirAgreedFallsBackToPolling) {
    CirServer server(std::vector<model::CirMethod>{});
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--cir stcp --poll-interval 0.1",
                           "login\nsend bob@test hi\nexpect-message from=bob@test hi\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_NE(run.out.find("!! no CIR method agreed (STCP was offered): polling every 0.1 s"),
              std::string::npos)
        << run.out;
}

TEST(PhoneCir, CirStepsNeedACirMethod) {
    CirServer server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "", "login\nexpect-wake\n");
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("line 2: expect-wake: needs a CIR method"), std::string::npos)
        << run.err;
    const auto sms = phone(server, "--cir ssms", "login\n");
    EXPECT_EQ(sms.exit_code, 2);
    EXPECT_NE(sms.err.find("needs --sms-inbox"), std::string::npos) << sms.err;
}

TEST(PhoneCirScript, ParsesTheCirSteps) {
    auto script = parse_phone_script(
        "cir-drop; cir-restore; expect-wake timeout=2; expect-no-wake; expect-cir-failed; "
        "helo current expect=closed; ping expect=ok; new-address",
        true);
    ASSERT_TRUE(script) << script.error().message;
    ASSERT_EQ(script->steps.size(), 8u);
    EXPECT_EQ(script->steps[5].args[0], "current");
    EXPECT_EQ(script->steps[5].get("expect"), "closed");
    auto bad = parse_phone_script("helo x expect=maybe", true);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("expect=maybe is not ok or closed"), std::string::npos);
    EXPECT_FALSE(parse_phone_script("helo", true));
    EXPECT_FALSE(parse_phone_script("new-address 127.0.0.2", true));
    EXPECT_FALSE(parse_phone_script("ping expect=200", true));
}

TEST(PhoneCirSms, ParsesTheFakeSmscLines) {
    // Kannel's smsc_fake line: SENDER RECEIVER text TEXT.
    auto text = parse_fake_sms("12345 +4412345 text WVCI 1.2 wv:imps.ab\n");
    ASSERT_TRUE(text);
    EXPECT_EQ(text->sender, "12345");
    EXPECT_EQ(text->receiver, "+4412345");
    EXPECT_EQ(text->data, "WVCI 1.2 wv:imps.ab");
    EXPECT_TRUE(text->udh.empty());
    // Binary with a UDH, URL-encoded; inside fakesmsc's own log line (Kannel 1.4.5).
    auto push = parse_fake_sms(
        "2026-11-26 19:10:40 [27989] [0] DEBUG: Got message 3: <4321 +4412345 udh "
        "%06%05%04%0B%84%23%F0 data %01%06%02%C6%AFWVCI+1.2+c>");
    ASSERT_TRUE(push);
    EXPECT_EQ(push->udh, onesoup::transport::cir::kWapPushUdh);
    EXPECT_EQ(push->data, std::string("\x01\x06\x02\xC6\xAFWVCI 1.2 c"));
    auto old = parse_fake_sms("0 4412345 udh %06%05%04%0B%84%23%F0 %01%06");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->data, std::string("\x01\x06"));
    auto text_in_log = parse_fake_sms(
        "2026-11-26 19:10:40 [27989] [0] DEBUG: Got message 1: <4321 +49151 text WVCI 1.2 a<b>");
    ASSERT_TRUE(text_in_log);
    EXPECT_EQ(text_in_log->data, "WVCI 1.2 a<b");
    auto data = parse_fake_sms("a b data %41%42");
    ASSERT_TRUE(data);
    EXPECT_EQ(data->data, "AB");
    EXPECT_FALSE(parse_fake_sms("INFO: Connected to the bearerbox"));
    EXPECT_FALSE(parse_fake_sms("a b data %4"));
    EXPECT_FALSE(parse_fake_sms(""));
    EXPECT_TRUE(same_msisdn("+4412345", "004412345"));
    EXPECT_TRUE(same_msisdn("+44 123 45", "4412345"));
    EXPECT_FALSE(same_msisdn("+4412345", "+4412346"));
    EXPECT_FALSE(same_msisdn("", ""));
}

}  // namespace
