// The daemon's implementation of web::Backend: what the admin API reads and does, backed by
// the store (and, as they land, the scheduler, CA and ACME client).
#pragma once

#include "store/store.hpp"
#include "web/backend.hpp"

namespace ck::daemon {

class DaemonBackend final : public web::Backend {
 public:
  explicit DaemonBackend(store::Store& store) : store_(store) {}
  web::HealthReport Health() override;

 private:
  store::Store& store_;
};

}  // namespace ck::daemon
