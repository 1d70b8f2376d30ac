// How a notice reads: the one-line subject, the plain-text body (email, Slack) and the JSON
// object (webhook). Shared by every channel so they say the same thing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/alerts/alert_types.hpp"

namespace ck::alerts {

// "[certkeeper] FIRING critical: Managed certificate web ... expires in 6 days ..."
// "[certkeeper] RESOLVED: ...", "[certkeeper] TEST: ...". Single line, at most ~200 chars.
std::string NoticeSubject(const AlertNotice& notice);
// Several "Field: value" lines; plain ASCII-safe text, no markup.
std::string NoticeText(const AlertNotice& notice);
// {"state","id","key","kind","subject","severity","message","opened_at","resolved_at"}
nlohmann::json NoticeJson(const AlertNotice& notice);

}  // namespace ck::alerts
