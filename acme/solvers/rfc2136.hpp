// dns-01 through RFC 2136 dynamic updates signed with TSIG (RFC 8945, HMAC-SHA256), as BIND's
// `nsupdate -k` does: Present adds the TXT record, CleanUp deletes exactly that record, Wait
// polls the primary until the record is visible.
#pragma once

#include <string>
#include <string_view>

#include "acme/solvers/dns01.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"

namespace ck::acme {

struct TsigKey {
  std::string name;  // e.g. "certkeeper-key"
  std::string algorithm = "hmac-sha256";
  Bytes secret;
};

// A BIND key file as tsig-keygen writes it:
//   key "name" { algorithm hmac-sha256; secret "base64"; };
// Only hmac-sha256 is accepted (the algorithm RFC 8945 §6 makes mandatory).
Result<TsigKey> ParseTsigKeyFile(std::string_view text);

struct Rfc2136Options {
  std::string server;  // the primary, "IPv4:port"
  std::string zone;    // empty = the closest enclosing zone the server has an SOA for
  TsigKey key;
  uint32_t ttl = 60;
  PropagationCheck check;  // nameservers empty = poll `server`
};

// --- exposed for tests ---
// An UPDATE message (RFC 2136 §2) for one TXT record: add (class IN) or delete that exact
// record (class NONE, §2.5.4).
std::string BuildTxtUpdate(uint16_t id, const std::string& zone, const std::string& name,
                           const std::string& value, uint32_t ttl, bool add);
// Appends a TSIG RR (RFC 8945 §4.2) to `message` and bumps ARCOUNT; `*mac` gets the MAC.
Result<std::string> SignTsig(const std::string& message, const TsigKey& key, TimePoint now,
                             Bytes* mac);
// RFC 8945 §5.3: the response must carry a TSIG computed over the request MAC and itself.
Status VerifyTsigResponse(const std::string& response, const Bytes& request_mac,
                          const TsigKey& key);

class Dns01Rfc2136Solver final : public Solver {
 public:
  Dns01Rfc2136Solver(Rfc2136Options options, Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  Status Present(const ChallengeContext& challenge) override;
  Status Wait(const ChallengeContext& challenge) override;
  Status CleanUp(const ChallengeContext& challenge) override;

 private:
  Result<std::string> ZoneFor(const std::string& name);
  Status Update(const ChallengeContext& challenge, bool add);
  Rfc2136Options options_;
  Clock& clock_;
};

}  // namespace ck::acme
