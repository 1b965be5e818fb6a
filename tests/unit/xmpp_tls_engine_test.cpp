#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "onesoup/xmpp/tls_engine.hpp"

using namespace onesoup::xmpp;

namespace {

// A self-signed certificate for example.com made in memory, and an OpenSSL server that talks
// to the engine through memory BIOs: no network, no files but the CA file the client reads.
class TlsPeer {
public:
    TlsPeer() {
        key_ = EVP_EC_gen("P-256");
        cert_ = X509_new();
        X509_set_version(cert_, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert_), -60);
        X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
        X509_set_pubkey(cert_, key_);
        X509_NAME* name = X509_get_subject_name(cert_);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("example.com"), -1, -1,
                                   0);
        X509_set_issuer_name(cert_, name);
        X509_EXTENSION* san =
            X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, "DNS:example.com");
        X509_add_ext(cert_, san, -1);
        X509_EXTENSION_free(san);
        X509_sign(cert_, key_, EVP_sha256());

        ca_file_ = (std::filesystem::temp_directory_path() /
                    ("onesoup-tls-test-" + std::to_string(::getpid()) + ".pem"))
                       .string();
        FILE* f = std::fopen(ca_file_.c_str(), "w");
        PEM_write_X509(f, cert_);
        std::fclose(f);

        ctx_ = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate(ctx_, cert_);
        SSL_CTX_use_PrivateKey(ctx_, key_);
    }
    ~TlsPeer() {
        SSL_CTX_free(ctx_);
        X509_free(cert_);
        EVP_PKEY_free(key_);
        std::remove(ca_file_.c_str());
    }
    const std::string& ca_file() const { return ca_file_; }
    SSL_CTX* ctx() const { return ctx_; }

private:
    EVP_PKEY* key_ = nullptr;
    X509* cert_ = nullptr;
    SSL_CTX* ctx_ = nullptr;
    std::string ca_file_;
};

struct Server {
    explicit Server(SSL_CTX* ctx) : ssl(SSL_new(ctx)), in(BIO_new(BIO_s_mem())),
                                    out(BIO_new(BIO_s_mem())) {
        SSL_set_bio(ssl, in, out);
        SSL_set_accept_state(ssl);
    }
    ~Server() { SSL_free(ssl); }
    void put(const std::string& cipher) {
        BIO_write(in, cipher.data(), static_cast<int>(cipher.size()));
    }
    std::string take() {
        std::string s;
        char buf[4096];
        int n = 0;
        while ((n = BIO_read(out, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
        return s;
    }
    SSL* ssl;
    BIO* in;
    BIO* out;
};

// Runs the handshake; returns the client's error, or "" on success.
std::string handshake(TlsEngine& client, Server& server) {
    std::string to_server;
    auto r = client.start(to_server);
    if (!r) return r.error().message;
    for (int round = 0; round < 10 && !(client.handshake_done() && to_server.empty()); ++round) {
        server.put(to_server);
        to_server.clear();
        SSL_do_handshake(server.ssl);
        std::string plain;
        auto rr = client.receive(server.take(), plain, to_server);
        if (!rr) return rr.error().message;
    }
    return client.handshake_done() ? "" : "handshake did not finish";
}

}  // namespace

TEST(XmppTlsEngine, HandshakeVerifiesAndCarriesData) {
    TlsPeer peer;
    auto ctx = TlsContext::create(true, peer.ca_file());
    ASSERT_TRUE(ctx) << ctx.error().message;
    auto client = TlsEngine::create(**ctx, "example.com");
    ASSERT_TRUE(client);
    Server server(peer.ctx());
    EXPECT_EQ(handshake(**client, server), "");

    std::string cipher;
    ASSERT_TRUE((*client)->send("<stream:stream>", cipher));
    EXPECT_EQ(cipher.find("stream"), std::string::npos);  // encrypted
    server.put(cipher);
    char buf[64];
    int n = SSL_read(server.ssl, buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "<stream:stream>");

    SSL_write(server.ssl, "<proceed/>", 10);
    std::string wire = server.take();
    // Fed one byte at a time, the record still decrypts whole.
    std::string plain;
    std::string out;
    for (char c : wire) ASSERT_TRUE((*client)->receive(std::string_view(&c, 1), plain, out));
    EXPECT_EQ(plain, "<proceed/>");

    SSL_shutdown(server.ssl);
    ASSERT_TRUE((*client)->receive(server.take(), plain, out));
    EXPECT_TRUE((*client)->peer_closed());
}

TEST(XmppTlsEngine, RefusesWrongNameOrUntrustedCertificate) {
    TlsPeer peer;
    {
        auto ctx = TlsContext::create(true, peer.ca_file());
        ASSERT_TRUE(ctx);
        auto client = TlsEngine::create(**ctx, "other.org");
        ASSERT_TRUE(client);
        Server server(peer.ctx());
        EXPECT_NE(handshake(**client, server).find("certificate verify failed"), std::string::npos);
    }
    {
        auto ctx = TlsContext::create(true);  // system store: does not know our certificate
        ASSERT_TRUE(ctx);
        auto client = TlsEngine::create(**ctx, "example.com");
        ASSERT_TRUE(client);
        Server server(peer.ctx());
        EXPECT_NE(handshake(**client, server).find("certificate verify failed"), std::string::npos);
    }
    {
        auto ctx = TlsContext::create(false);  // loopback test mode accepts anything
        ASSERT_TRUE(ctx);
        auto client = TlsEngine::create(**ctx, "other.org");
        ASSERT_TRUE(client);
        Server server(peer.ctx());
        EXPECT_EQ(handshake(**client, server), "");
    }
}

TEST(XmppTlsEngine, GarbageIsAnError) {
    auto ctx = TlsContext::create(false);
    ASSERT_TRUE(ctx);
    auto client = TlsEngine::create(**ctx, "example.com");
    ASSERT_TRUE(client);
    std::string out;
    ASSERT_TRUE((*client)->start(out));
    std::string plain;
    EXPECT_FALSE((*client)->receive("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", plain,
                                    out));
    std::string cipher;
    EXPECT_FALSE((*client)->send("x", cipher));  // not before the handshake
}
