// The inventory behind GET /v1/certificates and GET /v1/certificates/{id}: every certificate
// the store knows (managed, CA-issued, external endpoints, files), merged with what the
// lifecycle manager knows about managed names. The dashboard shows exactly these shapes, so a
// script sees what a person sees.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.hpp"
#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// ?q=&name=&source=&status=&serial=&expiring_before=RFC3339&expiring_within=30d
// &after=ID (or after_id)&limit=1..1000 (default 100). InvalidArgument naming the parameter.
Result<CertificateFilter> ParseInventoryFilter(const HttpRequest& request, TimePoint now);

// Whole days until not_after, rounded down (negative once expired).
int64_t DaysLeft(TimePoint not_after, TimePoint now);

// One row: the stored facts plus days_left, "managed" (the lifecycle serves this row now) and
// then the lifecycle's state, last_renewal_at and next_renewal_at (else null).
nlohmann::json InventoryItemJson(const CertificateView& c, const ManagedCertificateView* managed,
                                 TimePoint now);

// The list response: {"certificates": [...], "next_after": id|null, "next_after_id": id|null}.
HttpResponse InventoryListResponse(const HttpRequest& request, Backend& backend);
// The detail response: the row plus chain, key, SANs, pins, deploy targets, recent events.
HttpResponse InventoryDetailResponse(int64_t id, Backend& backend);

}  // namespace ck::web
