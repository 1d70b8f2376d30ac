// Renders an inspect Report for people (aligned text, colour on a terminal) or for scripts
// (one JSON document with stable keys).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/inspect/inspect_report.hpp"

namespace ck::inspect {

std::string RenderText(const Report& report, bool colour);
nlohmann::json RenderJson(const Report& report);

}  // namespace ck::inspect
