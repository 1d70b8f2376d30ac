#include "daemon/config/metrics_config.hpp"

#include "daemon/config/toml_helpers.hpp"

namespace ck::config::detail {

Status ParseMetricsTable(std::string_view source, const toml::node& node, MetricsConfig& out) {
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, "metrics", "expected a table ([metrics])");
  out.line = Line(node);
  RETURN_IF_ERROR(CheckKnownKeys(source, *t, "metrics", {"access"}));
  if (const toml::node* n = t->get("access")) {
    ASSIGN_OR_RETURN(std::string access, GetString(source, *n, "metrics.access"));
    if (access == "token") {
      out.open_on_loopback = false;
    } else if (access == "loopback") {
      out.open_on_loopback = true;
    } else {
      return KeyError(source, *n, "metrics.access",
                      "unknown access '" + access +
                          "' (expected \"token\": any authenticated identity, or \"loopback\": "
                          "no credentials needed from 127.0.0.1/::1)");
    }
  }
  return OkStatus();
}

}  // namespace ck::config::detail
