// The internal CA's counters in the process metrics registry: issuances by profile and
// revocations by reason (RFC 5280 §5.3.1 reason names).
#pragma once

#include <string_view>

namespace ck::ca {

void CountIssued(std::string_view profile);
void CountRevoked(std::string_view reason);

}  // namespace ck::ca
