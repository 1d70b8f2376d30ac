// Field checks every Store implementation applies before writing, so SQLite and PostgreSQL
// reject the same records with the same InvalidArgument messages.
#pragma once

#include <string_view>

#include "common/status.hpp"
#include "store/types.hpp"

namespace ck::store {

Status CheckCertificate(const CertificateRecord& c);
Status CheckKeyMeta(const KeyRecord& k);
Status CheckAcmeAccount(const AcmeAccountRecord& a);
Status CheckAcmeOrder(const AcmeOrderRecord& o);
Status CheckCa(const CaRecord& c);
Status CheckPin(const PinSetRecord& p);
// Uppercase hex digits, even length, no separators (what BN_bn2hex prints).
Status CheckSerialHex(std::string_view serial_hex);
Status CheckRevocation(const RevocationRecord& r);
Status CheckCrl(const CrlRecord& c);
Status CheckConsumer(const ConsumerRecord& c);
Status CheckApiToken(const ApiTokenRecord& t);
// 64 lowercase hex digits (a SHA-256); anything else is probably a raw token by mistake.
Status CheckTokenHash(std::string_view hash);
Status CheckEvent(const EventRecord& e);
Status CheckWatchResult(const WatchResultRecord& r);
Status CheckAlert(const AlertRecord& a);

}  // namespace ck::store
