// Certificate serial numbers: 128 random bits from the CSPRNG (CA/B BR 7.1 asks for at least
// 64), always positive (RFC 5280 §4.1.2.2), and the one text form the store and CLI use.
#pragma once

#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "common/status.hpp"

namespace ck::ca {

// 16 random bytes read as a non-negative big-endian integer, never zero. Encoded as a DER
// INTEGER it takes 16 or 17 content octets (a leading 0x00 keeps it positive), within the
// 20-octet limit.
Result<Bytes> NewSerial();

// Uppercase hex without leading zero bytes or separators, as BN_bn2hex and
// pki::CertificateInfo::serial_hex print it ("0A1B..." keeps a byte's leading zero nibble).
std::string SerialToHex(const Bytes& serial);

// Accepts what people paste: "0a:1b:2c", "0x0A1B2C", "A1B2C" (odd length), spaces around it.
// InvalidArgument on anything that is not a positive hex number of at most 20 octets.
Result<std::string> NormalizeSerialHex(std::string_view text);

}  // namespace ck::ca
