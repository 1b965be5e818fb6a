// Enumerated CSP values with their name tables (the text that goes in the element).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "onesoup/imps/model/field.hpp"

namespace onesoup::imps::model {

// SessionDescriptor/SessionType (CSP 1.2): Outband for Login, Inband afterwards.
enum class SessionType : std::uint8_t { inband, outband };

// TransactionDescriptor/TransactionMode (CSP 1.2).
enum class TransactionMode : std::uint8_t { request, response };

// SupportedCIRMethod values (CSP 1.2; reference notes): WAPSMS, WAPUDP, SUDP, STCP from
// 1.1; SSMS and SHTTP from 1.2.
enum class CirMethod : std::uint8_t { wap_sms, wap_udp, sudp, stcp, ssms, shttp };

// DigestSchema values (CSP 1.2 Login): PWD means the password in clear.
enum class DigestSchema : std::uint8_t { pwd, sha, md4, md5, md6 };

// UserAvailability/PresenceValue (PA 1.2).
enum class UserAvailability : std::uint8_t { available, discreet, not_available };

// InitialDeliveryMethod / DeliveryMethod: P push (NewMessage), N notify then get.
enum class DeliveryMethod : std::uint8_t { push, notify };

template <>
struct EnumNames<SessionType> {
    static constexpr std::array values{
        std::pair{SessionType::inband, std::string_view("Inband")},
        std::pair{SessionType::outband, std::string_view("Outband")},
    };
};

template <>
struct EnumNames<TransactionMode> {
    static constexpr std::array values{
        std::pair{TransactionMode::request, std::string_view("Request")},
        std::pair{TransactionMode::response, std::string_view("Response")},
    };
};

template <>
struct EnumNames<CirMethod> {
    static constexpr std::array values{
        std::pair{CirMethod::wap_sms, std::string_view("WAPSMS")},
        std::pair{CirMethod::wap_udp, std::string_view("WAPUDP")},
        std::pair{CirMethod::sudp, std::string_view("SUDP")},
        std::pair{CirMethod::stcp, std::string_view("STCP")},
        std::pair{CirMethod::ssms, std::string_view("SSMS")},
        std::pair{CirMethod::shttp, std::string_view("SHTTP")},
    };
};

template <>
struct EnumNames<DigestSchema> {
    static constexpr std::array values{
        std::pair{DigestSchema::pwd, std::string_view("PWD")},
        std::pair{DigestSchema::sha, std::string_view("SHA")},
        std::pair{DigestSchema::md4, std::string_view("MD4")},
        std::pair{DigestSchema::md5, std::string_view("MD5")},
        std::pair{DigestSchema::md6, std::string_view("MD6")},
    };
};

template <>
struct EnumNames<UserAvailability> {
    static constexpr std::array values{
        std::pair{UserAvailability::available, std::string_view("AVAILABLE")},
        std::pair{UserAvailability::discreet, std::string_view("DISCREET")},
        std::pair{UserAvailability::not_available, std::string_view("NOT_AVAILABLE")},
    };
};

template <>
struct EnumNames<DeliveryMethod> {
    static constexpr std::array values{
        std::pair{DeliveryMethod::push, std::string_view("P")},
        std::pair{DeliveryMethod::notify, std::string_view("N")},
    };
};

// The first CSP version that defines a CIR method (SSMS and SHTTP came with 1.2).
[[nodiscard]] CspVersion first_version_of(CirMethod method);

}  // namespace onesoup::imps::model
