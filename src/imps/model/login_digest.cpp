#include "onesoup/imps/model/login_digest.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <string>
#include <vector>

namespace onesoup::imps::model {

std::string base64(std::string_view bytes) {
    if (bytes.empty()) return {};
    // EVP_EncodeBlock writes 4 characters per 3 bytes (rounded up) and a terminating NUL.
    std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
    const int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

Result<std::string> login_digest(std::string_view schema, std::string_view nonce,
                                 std::string_view password) {
    std::string name(schema);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const EVP_MD* md = nullptr;
    if (name == "MD5")
        md = EVP_md5();
    else if (name == "SHA")
        md = EVP_sha1();
    else
        return make_error("digest schema \"" + std::string(schema) + "\" is not supported");

    std::string input;
    input.reserve(nonce.size() + password.size());
    input.append(nonce);
    input.append(password);
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), hash, &length, md, nullptr) != 1)
        return make_error("OpenSSL could not compute the " + name + " digest");
    return base64(std::string_view(reinterpret_cast<const char*>(hash), length));
}

}  // namespace onesoup::imps::model
