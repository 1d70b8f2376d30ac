// [metrics]: who may scrape GET /metrics on the admin API.
//
//   [metrics]
//   access = "token"     # default: any authenticated identity (bearer token or mTLS)
//   access = "loopback"  # requests from 127.0.0.1/::1 need no credentials; others still do
#pragma once

namespace ck::config {

struct MetricsConfig {
  bool open_on_loopback = false;  // access = "loopback"
  int line = 0;                   // source line of [metrics], for messages
};

// The parser (detail::ParseMetricsTable) is declared with the others in toml_helpers.hpp.

}  // namespace ck::config
