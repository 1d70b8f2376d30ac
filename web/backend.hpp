// What the admin API needs from the daemon. daemon/ implements it; web/ never includes daemon/
// headers, so the dependency arrow points one way.
#pragma once

#include <string>
#include <vector>

namespace ck::web {

struct HealthCheck {
  std::string name;  // e.g. "store"
  bool ok = false;
  std::string detail;
};

struct HealthReport {
  std::string version;
  std::vector<HealthCheck> checks;
  bool ok() const {
    for (const auto& c : checks) {
      if (!c.ok) return false;
    }
    return true;
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual HealthReport Health() = 0;
};

}  // namespace ck::web
