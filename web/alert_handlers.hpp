// The alert endpoints (the dashboard and `certkeeper alert ls` use them):
//   GET  /v1/alerts?state=open|all&limit=N&before=ID   (viewer)
//        → {"alerts": [...], "next_before": id|null}, newest first
//   POST /v1/alerts/{id}/ack                           (operator) → 200 the alert
// Acknowledging records who saw it; it does not resolve the alert.
#pragma once

#include <nlohmann/json.hpp>

#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

HttpResponse HandleListAlerts(const HttpRequest& request, const Identity& who, Backend& backend);
HttpResponse HandleAcknowledgeAlert(const HttpRequest& request, const Identity& who,
                                    Backend& backend);

// {id, key, kind, subject, severity, message, opened_at, notified_at, resolved_at,
//  acknowledged_at, acknowledged_by}; absent times are null.
nlohmann::json AlertToJson(const AlertView& alert);
Result<AlertView> AlertFromJson(const nlohmann::json& j);

}  // namespace ck::web
