// Human durations as used in config and CLI flags: "90s", "15m", "24h", "30d", "1w", "1d12h".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck {

// Units: s, m, h, d (24h), w (7d). A bare number is rejected: units are always explicit.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// Shortest exact form, e.g. 93600s -> "1d2h".
std::string FormatDuration(std::chrono::seconds d);

}  // namespace ck
