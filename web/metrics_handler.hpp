// GET /metrics: the Prometheus text exposition (format 0.0.4) of the daemon's metrics.
#pragma once

#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

// Who may scrape. kToken: any authenticated identity (bearer token or mTLS client
// certificate, whatever its role). kLoopback: as kToken, except that requests from the loopback
// interface (127.0.0.0/8, ::1) need no credentials, for a Prometheus on the same host.
enum class MetricsAccess { kToken, kLoopback };

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

HttpResponse HandleMetrics(const HttpRequest& request, Backend& backend, MetricsAccess access);

// 127.0.0.0/8, ::1 and their IPv4-mapped forms, as cpp-httplib reports a peer address.
bool IsLoopbackAddress(std::string_view addr);

}  // namespace ck::web
