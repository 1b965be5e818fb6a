// The `imps phone` script language: every step parses, every mistake is refused with its line
// number, and the tool exits 2 before sending anything.
#include <gtest/gtest.h>

#include <string>

#include "phone_script.hpp"
#include "phone_test_support.hpp"

using onesoup::test::run_command;
using onesoup::test::shell_quote;
using onesoup::test::TempFile;
using onesoup::tools::parse_flag;
using onesoup::tools::parse_phone_script;
using onesoup::tools::parse_seconds;
using onesoup::tools::phone_user_id;
using onesoup::tools::PhoneScript;

namespace {

PhoneScript parse_ok(const std::string& text, bool semicolons = false) {
    auto script = parse_phone_script(text, semicolons);
    EXPECT_TRUE(script) << (script ? "" : script.error().message);
    return script ? *script : PhoneScript{};
}

std::string parse_error(const std::string& text, bool semicolons = false) {
    auto script = parse_phone_script(text, semicolons);
    EXPECT_FALSE(script) << text;
    return script ? std::string() : script.error().message;
}

// A script that uses every step of the language, each in every form.
const char* const every_step = R"(# comment line
login
login ttl=600 max-length=512 expect=409
logout
logout expect=604
keepalive
keepalive 120 expect=200
poll
poll expect=604
sleep 1
sleep 0.25
session-id wv:bogus-session
getlist
create-list Friends
create-list wv:alice/Work@a.test Work mates
delete-list Friends
contacts
contacts list=Friends
expect-contact bob@b.test
expect-contact wv:bob@b.test nick=Bob
expect-no-contact carol@b.test
add-contact bob@b.test
add-contact bob@b.test Bob the builder list=Friends
remove-contact bob@b.test
remove-contact bob@b.test list=Friends expect=200
send bob@b.test hello
send wv:bob@b.test hello there, x=1 receipt=T
presence available
presence away at lunch
presence busy
presence offline
subscribe bob@b.test
unsubscribe bob@b.test
get-presence bob@b.test
get-presence bob@b.test state=away
authorize bob@b.test
deny bob@b.test
raw request.xml expect=200
expect-message
expect-message from=bob@b.test hello there timeout=2.5
expect-no-message
expect-no-message timeout=1
expect-presence bob@b.test available
expect-presence bob@b.test away text=lunch timeout=5
expect-auth-request bob@b.test timeout=3
expect-delivery-report
expect-disconnect code=600 timeout=20
expect-disconnect   # trailing comment
)";

}  // namespace

TEST(PhoneScript, EveryStepParses) {
    const auto script = parse_ok(every_step);
    ASSERT_EQ(script.steps.size(), 47u);
    EXPECT_EQ(script.steps.front().verb, "login");
    EXPECT_EQ(script.steps.front().line, 2u);  // line 1 is a comment
    EXPECT_EQ(script.steps.front().number, 1u);
    EXPECT_EQ(script.steps.back().verb, "expect-disconnect");
    EXPECT_EQ(script.steps.back().source, "expect-disconnect");
}

TEST(PhoneScript, NamedAndPositionalWords) {
    const auto script = parse_ok(
        "login ttl=600 max-length=512 expect=409\n"
        "send wv:bob@b.test hello there, x=1 receipt=T\n"
        "add-contact bob@b.test Bob the builder list=Friends\n");
    ASSERT_EQ(script.steps.size(), 3u);
    const auto& login = script.steps[0];
    EXPECT_TRUE(login.args.empty());
    EXPECT_EQ(login.get("ttl"), "600");
    EXPECT_EQ(login.get("max-length"), "512");
    EXPECT_EQ(login.get("expect"), "409");
    EXPECT_FALSE(login.get("timeout"));
    const auto& send = script.steps[1];
    EXPECT_EQ(send.args.front(), "wv:bob@b.test");
    // A word with '=' that is not a named argument of the step is text.
    EXPECT_EQ(send.text_from(1), "hello there, x=1");
    EXPECT_EQ(send.get("receipt"), "T");
    const auto& add = script.steps[2];
    EXPECT_EQ(add.text_from(1), "Bob the builder");
    EXPECT_EQ(add.get("list"), "Friends");
}

TEST(PhoneScript, SemicolonsSeparateStepsInline) {
    const auto script = parse_ok("login; send bob hi there ;; poll;logout  ", true);
    ASSERT_EQ(script.steps.size(), 4u);
    EXPECT_EQ(script.steps[1].verb, "send");
    EXPECT_EQ(script.steps[1].text_from(1), "hi there");
    EXPECT_EQ(script.steps[3].verb, "logout");
    EXPECT_EQ(script.steps[3].number, 4u);
}

TEST(PhoneScript, BlankLinesAndCommentsIgnored) {
    const auto script = parse_ok("\n\n   # nothing\n\tlogin   # log in\n\n  logout\n");
    ASSERT_EQ(script.steps.size(), 2u);
    EXPECT_EQ(script.steps[0].line, 4u);
    EXPECT_EQ(script.steps[1].line, 6u);
}

TEST(PhoneScript, ErrorsNameTheLine) {
    struct Bad {
        const char* script;
        const char* expected;  // part of the message
    };
    const Bad cases[] = {
        {"login\nsned bob hi\n", "line 2: unknown step \"sned\""},
        {"login extra\n", "line 1: login: too many arguments"},
        {"\n\nlogin expect=abc\n", "line 3: login: expect=abc is not a status code"},
        {"login expect=42\n", "line 1: login: expect=42 is not a status code"},
        {"login ttl=0\n", "line 1: login: ttl=0 is not a positive whole number"},
        {"login max-length=-5\n", "max-length=-5 is not a positive whole number"},
        {"login timeout=3\n", "line 1: login: unknown argument timeout="},
        {"login expect=200 expect=409\n", "expect= is given twice"},
        {"logout now\n", "line 1: logout: too many arguments"},
        {"keepalive soon\n", "keepalive: \"soon\" is not a positive whole number"},
        {"keepalive 0\n", "\"0\" is not a positive whole number"},
        {"keepalive 10 20\n", "too many arguments"},
        {"poll 3\n", "poll: too many arguments"},
        {"sleep\n", "sleep: missing argument"},
        {"sleep -1\n", "\"-1\" is not a number of seconds"},
        {"sleep 1.2.3\n", "is not a number of seconds"},
        {"session-id\n", "session-id: missing argument"},
        {"session-id a b\n", "too many arguments"},
        {"getlist x\n", "getlist: too many arguments"},
        {"create-list\n", "create-list: missing argument"},
        {"delete-list\n", "delete-list: missing argument"},
        {"delete-list a b\n", "too many arguments"},
        {"contacts Friends\n", "contacts: too many arguments"},
        {"contacts list=\n", "list= is empty"},
        {"expect-contact\n", "expect-contact: missing argument"},
        {"expect-contact bob nick=\n", "nick= is empty"},
        {"expect-no-contact\n", "expect-no-contact: missing argument"},
        {"add-contact\n", "add-contact: missing argument"},
        {"remove-contact\n", "remove-contact: missing argument"},
        {"remove-contact bob Bob\n", "too many arguments"},
        {"send\n", "send: missing argument"},
        {"send bob\n", "send: missing argument"},
        {"send bob hi receipt=maybe\n", "receipt=maybe is not T or F"},
        {"presence\n", "presence: missing argument"},
        {"presence sleeping\n", "\"sleeping\" is not a state"},
        {"subscribe\n", "subscribe: missing argument"},
        {"unsubscribe a b\n", "too many arguments"},
        {"get-presence\n", "get-presence: missing argument"},
        {"get-presence bob state=gone\n", "state=gone is not available, away, busy or offline"},
        {"authorize\n", "authorize: missing argument"},
        {"deny a b\n", "too many arguments"},
        {"raw\n", "raw: missing argument"},
        {"expect-message timeout=soon\n", "timeout=soon is not a number of seconds"},
        {"expect-no-message hello\n", "too many arguments"},
        {"expect-presence bob\n", "expect-presence: missing argument"},
        {"expect-presence bob sleeping\n", "\"sleeping\" is not a state"},
        {"expect-auth-request\n", "expect-auth-request: missing argument"},
        {"expect-delivery-report now\n", "too many arguments"},
        {"expect-disconnect code=x\n", "code=x is not a status code"},
        {"expect-disconnect expect=200\n", "unknown argument expect="},
        {"# only a comment\n\n", "the script has no steps"},
    };
    for (const auto& c : cases) {
        const std::string message = parse_error(c.script);
        EXPECT_NE(message.find(c.expected), std::string::npos)
            << "script: " << c.script << "message: " << message;
    }
}

TEST(PhoneScript, ErrorsGiveUsage) {
    EXPECT_NE(parse_error("send bob\n").find("usage: send USER-ID TEXT... [receipt=T]"),
              std::string::npos);
}

TEST(PhoneScript, UserIdsAsPhonesGiveThem) {
    EXPECT_EQ(phone_user_id("bob@b.test"), "wv:bob@b.test");
    EXPECT_EQ(phone_user_id("wv:bob@b.test"), "wv:bob@b.test");
    EXPECT_EQ(phone_user_id("WV:bob"), "WV:bob");
    EXPECT_EQ(phone_user_id("bob"), "wv:bob");
}

TEST(PhoneScript, NumbersAndFlags) {
    EXPECT_EQ(parse_seconds("0.5"), 0.5);
    EXPECT_EQ(parse_seconds("15"), 15.0);
    EXPECT_FALSE(parse_seconds("1e3"));
    EXPECT_FALSE(parse_seconds(""));
    EXPECT_FALSE(parse_seconds("."));
    EXPECT_EQ(parse_flag("T"), true);
    EXPECT_EQ(parse_flag("f"), false);
    EXPECT_EQ(parse_flag("yes"), true);
    EXPECT_FALSE(parse_flag("maybe"));
}

// The tool itself: a script error exits 2 with the line, before anything is sent (the URL
// points at a port nobody listens on, so sending would fail differently, with exit 1).
TEST(PhoneTool, ScriptErrorsExit2BeforeSending) {
    TempFile script("login\n\nsend bob\n");
    const std::string tool = ONESOUP_IMPS_TOOL;
    const auto run = run_command(shell_quote(tool) +
                                 " phone --url http://127.0.0.1:9/wv --user alice --password x " +
                                 shell_quote(script.path()));
    EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
    EXPECT_NE(run.err.find("line 3: send: missing argument"), std::string::npos) << run.err;
    EXPECT_EQ(run.out.find(">> POST"), std::string::npos);
}

TEST(PhoneTool, InlineStepErrorsExit2) {
    const std::string tool = ONESOUP_IMPS_TOOL;
    const auto run = run_command(shell_quote(tool) +
                                 " phone --url http://127.0.0.1:9/wv --user alice --password x "
                                 "--steps 'login; poll; presence napping'");
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("line 3: presence: \"napping\" is not a state"), std::string::npos)
        << run.err;
}

TEST(PhoneTool, UsageErrorsExit2) {
    const std::string tool = shell_quote(ONESOUP_IMPS_TOOL);
    const std::string base = tool + " phone --url http://127.0.0.1:9/wv --user a --password x ";
    EXPECT_EQ(run_command(base).exit_code, 2);                                 // no script
    EXPECT_EQ(run_command(base + "--auth plain --steps login").exit_code, 2);  // bad --auth
    EXPECT_EQ(run_command(base + "--csp 1.4 --steps login").exit_code, 2);     // bad --csp
    EXPECT_EQ(run_command(base + "--encoding json --steps login").exit_code, 2);
    EXPECT_EQ(run_command(base + "/nonexistent/script").exit_code, 2);
    EXPECT_EQ(
        run_command(tool + " phone --url ftp://x/ --user a --password x --steps login").exit_code,
        2);
    EXPECT_EQ(run_command(tool + " phone --user a --password x --steps login").exit_code, 2);
    // A raw step's file is read before anything is sent.
    const auto raw = run_command(base + "--steps 'login; raw /nonexistent/request.xml'");
    EXPECT_EQ(raw.exit_code, 2);
    EXPECT_NE(raw.err.find("line 2: raw:"), std::string::npos) << raw.err;
    EXPECT_EQ(raw.out.find(">> POST"), std::string::npos);
}

TEST(PhoneTool, UnreachableServerFailsTheStep) {
    const std::string tool = ONESOUP_IMPS_TOOL;
    const auto run = run_command(shell_quote(tool) +
                                 " phone --url http://127.0.0.1:9/wv --user alice --password x "
                                 "--quiet --steps 'login'");
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("step 1 (login): cannot connect to 127.0.0.1:9"), std::string::npos)
        << run.err;
    EXPECT_NE(run.out.find("bytes sent 0, received 0, requests 0"), std::string::npos);
}
