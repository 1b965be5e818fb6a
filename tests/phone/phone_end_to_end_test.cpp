// `imps phone` end to end: the built tool runs scripts against a real transport::HttpServer and
// imps::engine::Engine in this process, with a small Backend of the test's own that accepts one
// user and answers like a gateway would (echoes chat messages back as pushed NewMessages, sends
// presence notifications, authorization requests and delivery reports). Every encoding, CSP
// version and login scheme.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "phone_test_server.hpp"
#include "phone_test_support.hpp"

using namespace onesoup::test;  // NOLINT: the test server's names
using onesoup::test::CommandRun;
using onesoup::test::run_command;
using onesoup::test::shell_quote;
using onesoup::test::TempFile;

namespace {

// Runs `imps phone` with `args` (after the URL and credentials) and `script` as a file.
CommandRun phone(const Server& server, const std::string& args, const std::string& script,
                 const std::string& user_id = "alice@test", const std::string& pass = password) {
    TempFile file(script);
    return run_command(shell_quote(ONESOUP_IMPS_TOOL) + " phone --url " + server.url() +
                       " --user " + shell_quote(user_id) + " --password " + shell_quote(pass) +
                       " --poll-interval 0.05 " + args + " " + shell_quote(file.path()));
}

const char* const full_script = R"(# everything a phone does, against the test backend
login
getlist
create-list wv:alice/work@test Work mates
delete-list wv:alice/work@test
delete-list wv:alice/work@test expect=700
add-contact bob@test Bobby
add-contact carol@test
contacts
expect-contact bob@test nick=Bobby
expect-contact wv:carol@test
remove-contact bob@test
contacts list=wv:alice/friends@test
expect-no-contact bob@test
send bob@test hello there receipt=T
expect-message from=bob@test hello there
expect-delivery-report
send asker@test may I watch you
expect-auth-request asker@test
authorize asker@test
deny asker@test
presence away at lunch
expect-presence echo@test away text=lunch
presence offline
expect-presence echo@test offline
subscribe dave@test
expect-presence dave@test available
get-presence dave@test state=available
unsubscribe dave@test
keepalive 120
poll
expect-no-message timeout=0.3
logout
poll expect=604
)";

using Combination = std::tuple<std::string, std::string, std::string>;  // encoding, csp, auth

class PhoneEndToEnd : public ::testing::TestWithParam<Combination> {};

TEST_P(PhoneEndToEnd, FullScriptPasses) {
    const auto& [encoding, csp, auth] = GetParam();
    Server server;
    ASSERT_TRUE(server.started());
    const auto run =
        phone(server, "--encoding " + encoding + " --csp " + csp + " --auth " + auth, full_script);
    ASSERT_EQ(run.exit_code, 0) << run.err << "\n" << run.out;
    EXPECT_TRUE(run.err.empty()) << run.err;

    // What crossed the wire is shown as XML, with the content type of the version/encoding.
    const std::string content_type =
        std::string("application/vnd\\.wv\\.csp") + (csp == "1.3" ? "\\+" : "\\.") + encoding;
    const std::regex first_post(">> POST " + server.url() + "  [0-9]+ bytes  " + content_type);
    EXPECT_TRUE(std::regex_search(run.out, first_post)) << run.out.substr(0, 400);
    EXPECT_NE(run.out.find("<Login-Request>"), std::string::npos);
    EXPECT_NE(run.out.find("<TransactionID>imps1</TransactionID>"), std::string::npos);
    EXPECT_NE(run.out.find("<SessionCookie>wv:imps."), std::string::npos);
    EXPECT_TRUE(std::regex_search(run.out, std::regex("<< 200  [0-9]+ bytes")));
    EXPECT_NE(run.out.find(auth == "pwd" ? "<Password>secret</Password>" : "<DigestBytes>"),
              std::string::npos);
    EXPECT_EQ(run.out.find(auth == "pwd" ? "<DigestBytes>" : "<Password>"), std::string::npos);
    EXPECT_TRUE(
        std::regex_search(run.out, std::regex("\nbytes sent [1-9][0-9]*, received [1-9][0-9]*, "
                                              "requests [1-9][0-9]*\n$")))
        << run.out.substr(run.out.size() > 300 ? run.out.size() - 300 : 0);

    std::lock_guard lock(server.observed.mutex);
    ASSERT_EQ(server.observed.login_schemes.size(), 1u);
    EXPECT_EQ(server.observed.login_schemes[0], auth == "pwd"   ? "PWD"
                                                : auth == "md5" ? "MD5"
                                                                : "SHA");
    // The phone answered the pushed NewMessage with MessageDelivered.
    EXPECT_EQ(server.observed.delivered, std::vector<std::string>{"echo-m1"});
    EXPECT_EQ(server.observed.authorized, std::vector<std::string>{"wv:asker@test"});
    ASSERT_EQ(server.observed.endings.size(), 1u);
    EXPECT_EQ(server.observed.endings[0], engine::EndReason::logout);
}

INSTANTIATE_TEST_SUITE_P(EveryEncodingVersionAndLogin, PhoneEndToEnd,
                         ::testing::Combine(::testing::Values("xml", "wbxml"),
                                            ::testing::Values("1.1", "1.2", "1.3"),
                                            ::testing::Values("pwd", "md5", "sha")),
                         [](const ::testing::TestParamInfo<Combination>& param_info) {
                             const auto& p = param_info.param;
                             std::string name =
                                 std::get<0>(p) + "_" + std::get<1>(p) + "_" + std::get<2>(p);
                             for (char& c : name)
                                 if (c == '.') c = '_';
                             return name;
                         });

TEST(PhoneEndToEndErrors, WrongPasswordIs409) {
    Server server;
    ASSERT_TRUE(server.started());
    for (const char* auth : {"pwd", "md5", "sha"}) {
        const auto expected =
            phone(server, std::string("--auth ") + auth, "login expect=409\n", "alice@test", "bad");
        EXPECT_EQ(expected.exit_code, 0) << auth << expected.err << expected.out;
        const auto failed =
            phone(server, std::string("--auth ") + auth, "login\npoll\n", "alice@test", "bad");
        EXPECT_EQ(failed.exit_code, 1) << auth;
        EXPECT_NE(failed.err.find("step 1 (login): expected 200, got 409"), std::string::npos)
            << failed.err;
        EXPECT_EQ(failed.out.find("== step 2"), std::string::npos);  // the script stopped
    }
}

TEST(PhoneEndToEndErrors, UnknownUserIs531) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login expect=531\n", "nobody@test");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("step 1 (login): 531"), std::string::npos) << run.out;
}

TEST(PhoneEndToEndErrors, DigestRefusedForPasswordOnlyAccountIs543) {
    Server server;
    ASSERT_TRUE(server.started());
    EXPECT_EQ(phone(server, "--auth md5", "login expect=543\n", "pass@test").exit_code, 0);
    const auto pwd = phone(server, "--auth pwd", "login\nlogout\n", "pass@test");
    EXPECT_EQ(pwd.exit_code, 0) << pwd.err;
}

TEST(PhoneEndToEndErrors, BadSessionIdIs604) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--encoding xml",
                           "login\nsession-id 0123456789abcdef0123456789abcdef\npoll expect=604\n"
                           "getlist expect=604\nexpect-disconnect code=604 timeout=1\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
}

TEST(PhoneEndToEndErrors, ServerDisconnectIsSeen) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "", "login\nsend kick@test bye\nexpect-disconnect code=601\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    const auto wrong = phone(server, "", "login\nsend kick@test bye\nexpect-message timeout=2\n");
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("step 3 (expect-message): the session ended (disconnect 601"),
              std::string::npos)
        << wrong.err;
}

TEST(PhoneEndToEndErrors, WaitingStepTimesOut) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto start = std::chrono::steady_clock::now();
    const auto run =
        phone(server, "--quiet", "login\nexpect-message from=nobody@test timeout=0.5\nlogout\n");
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("step 2 (expect-message): no message from wv:nobody@test within 0.5"),
              std::string::npos)
        << run.err;
    // Steps after the failure are not run.
    EXPECT_EQ(run.out.find("step 3"), std::string::npos);
}

TEST(PhoneEndToEndErrors, GetPresenceStateMismatchFails) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "", "login\nget-presence bob@test state=busy\n");
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("step 2 (get-presence): wv:bob@test is available, not busy"),
              std::string::npos)
        << run.err;
}

TEST(PhoneEndToEndErrors, ExpectContactFails) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "", "login\ncontacts\nexpect-contact zed@test\n");
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("step 3 (expect-contact): wv:zed@test is not on the list"),
              std::string::npos)
        << run.err;
}

TEST(PhoneEndToEndHttp, KeepAliveConnectionIsReused) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login\npoll\npoll\ngetlist\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("connections 1\n"), std::string::npos) << run.out;
    // login is three requests (Login, ClientCapability, Service).
    EXPECT_NE(run.out.find("requests 7\n"), std::string::npos) << run.out;
    // --quiet: one line per step, plus the two totals.
    std::size_t step_lines = 0;
    for (std::size_t at = run.out.find("step "); at != std::string::npos;
         at = run.out.find("\nstep ", at + 1))
        ++step_lines;
    EXPECT_EQ(step_lines, 5u) << run.out;
    EXPECT_EQ(run.out.find(">> POST"), std::string::npos);
}

TEST(PhoneEndToEndHttp, ReconnectsWhenServerClosedIdleConnection) {
    Server server(std::chrono::seconds(1));
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login\nsleep 1.6\npoll\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("connections 2\n"), std::string::npos) << run.out;
}

TEST(PhoneEndToEndHttp, ByteCountsAreExact) {
    Server server;
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--encoding wbxml --csp 1.1",
                           "login\nsend bob@test hi\nexpect-message hi\nlogout\n");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::smatch totals;
    ASSERT_TRUE(std::regex_search(run.out, totals,
                                  std::regex("HTTP headers: sent ([0-9]+) bytes, received "
                                             "([0-9]+) bytes; connections 1\nbytes sent ([0-9]+), "
                                             "received ([0-9]+), requests ([0-9]+)\n")))
        << run.out;
    const auto stats = server.http_stats();
    EXPECT_EQ(std::stoull(totals[1]) + std::stoull(totals[3]), stats.bytes_in);
    EXPECT_EQ(std::stoull(totals[2]) + std::stoull(totals[4]), stats.bytes_out);
    EXPECT_EQ(std::stoull(totals[5]), stats.requests);
    // Each exchange's body size is the sum of the sizes printed.
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    const std::regex post(">> POST [^ ]+  ([0-9]+) bytes");
    const std::regex answer("<< 200  ([0-9]+) bytes");
    for (auto it = std::sregex_iterator(run.out.begin(), run.out.end(), post);
         it != std::sregex_iterator(); ++it)
        sent += std::stoull((*it)[1]);
    for (auto it = std::sregex_iterator(run.out.begin(), run.out.end(), answer);
         it != std::sregex_iterator(); ++it)
        received += std::stoull((*it)[1]);
    EXPECT_EQ(sent, std::stoull(totals[3]));
    EXPECT_EQ(received, std::stoull(totals[4]));
}

// A self-signed certificate for 127.0.0.1 made by the openssl program, in a temporary folder.
class SelfSignedCertificate {
  public:
    SelfSignedCertificate()
        : dir_(std::filesystem::temp_directory_path() /
               ("imps_phone_tls_" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir_);
        const auto run = run_command(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
            "-addext subjectAltName=IP:127.0.0.1 -keyout " +
            shell_quote(key()) + " -out " + shell_quote(certificate()));
        ok_ = run.exit_code == 0;
        EXPECT_TRUE(ok_) << run.err;
    }
    ~SelfSignedCertificate() { std::filesystem::remove_all(dir_); }
    SelfSignedCertificate(const SelfSignedCertificate&) = delete;
    SelfSignedCertificate& operator=(const SelfSignedCertificate&) = delete;

    [[nodiscard]] std::string certificate() const { return (dir_ / "cert.pem").string(); }
    [[nodiscard]] std::string key() const { return (dir_ / "key.pem").string(); }
    [[nodiscard]] bool ok() const { return ok_; }

  private:
    std::filesystem::path dir_;
    bool ok_ = false;
};

TEST(PhoneEndToEndHttp, HttpsWithInsecureAcceptsASelfSignedCertificate) {
    SelfSignedCertificate tls;
    ASSERT_TRUE(tls.ok());
    Server server(std::chrono::seconds(120), tls.certificate(), tls.key());
    ASSERT_TRUE(server.started());
    ASSERT_EQ(server.url().rfind("https://", 0), 0u);
    const auto run = phone(server, "--insecure --quiet",
                           "login\nsend bob@test over TLS\nexpect-message TLS\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("connections 1\n"), std::string::npos) << run.out;
}

TEST(PhoneEndToEndHttp, HttpsChecksTheCertificateByDefault) {
    SelfSignedCertificate tls;
    ASSERT_TRUE(tls.ok());
    Server server(std::chrono::seconds(120), tls.certificate(), tls.key());
    ASSERT_TRUE(server.started());
    const auto run = phone(server, "--quiet", "login\n");
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_NE(run.err.find("step 1 (login): TLS handshake with 127.0.0.1:"), std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("--insecure"), std::string::npos) << run.err;
}

TEST(PhoneEndToEndRaw, SendsADocumentInTheChosenEncodingAndVersion) {
    Server server;
    ASSERT_TRUE(server.started());
    TempFile request(R"(<?xml version="1.0"?>
<WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1">
  <Session>
    <SessionDescriptor>
      <SessionType>Inband</SessionType><SessionID>placeholder</SessionID>
    </SessionDescriptor>
    <Transaction>
      <TransactionDescriptor>
        <TransactionMode>Request</TransactionMode><TransactionID>raw1</TransactionID>
      </TransactionDescriptor>
      <TransactionContent xmlns="http://www.wireless-village.org/TRC1.1">
        <GetList-Request/>
      </TransactionContent>
    </Transaction>
  </Session>
</WV-CSP-Message>
)",
                     ".xml");
    const auto run =
        phone(server, "--encoding wbxml --csp 1.3", "login\nraw " + request.path() + "\nlogout\n");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_NE(run.out.find("<TransactionID>raw1</TransactionID>"), std::string::npos);
    EXPECT_NE(run.out.find("<DefaultContactList>wv:alice/friends@test</DefaultContactList>"),
              std::string::npos)
        << run.out;
    EXPECT_EQ(run.out.find("placeholder"), std::string::npos);  // the session id was replaced
    EXPECT_NE(run.out.find("IMPS-CSP1.3"), std::string::npos);
    // Without a session the same document gets 604.
    const auto no_session = phone(server, "", "raw " + request.path() + " expect=604\n");
    EXPECT_EQ(no_session.exit_code, 0) << no_session.err << no_session.out;
}

}  // namespace
