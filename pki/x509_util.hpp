// Small conversions from OpenSSL's ASN.1 types to plain C++ values, shared by certificate,
// CSR and verification code.
#pragma once

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <string>

#include "common/clock.hpp"
#include "common/status.hpp"

namespace ck::pki {

// RFC 2253 string ("CN=leaf,O=Example"), most-specific RDN first as RFC 2253 orders it.
// UTF-8 is kept readable rather than \XX-escaped; control characters are escaped.
std::string NameToString(const X509_NAME* name);

// Value of the last commonName attribute, or "" when there is none.
std::string CommonNameOf(const X509_NAME* name);

// UTCTime / GeneralizedTime to a TimePoint; InvalidArgument on a malformed time.
Result<TimePoint> Asn1TimeToTimePoint(const ASN1_TIME* t);

// The serial number as uppercase hex without separators ("0A1B..."), "-" prefixed if negative.
std::string Asn1IntegerToHex(const ASN1_INTEGER* i);

// Short OID name ("serverAuth", "ecdsa-with-SHA256") or the dotted form for unknown OIDs.
std::string ObjectName(const ASN1_OBJECT* obj, bool prefer_long_name = false);

// Bytes from inside a certificate shown to humans and logs: printable ASCII and UTF-8 pass,
// control bytes become \xNN, so an embedded NUL or newline cannot forge a log line.
std::string EscapeForDisplay(const unsigned char* data, size_t len);

// Seconds since the epoch for OpenSSL APIs that take time_t.
inline time_t ToTimeT(TimePoint t) { return static_cast<time_t>(ToUnixSeconds(t)); }

}  // namespace ck::pki
