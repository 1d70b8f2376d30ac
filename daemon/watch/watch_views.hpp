// The stored watch results as the admin API shows them (GET /v1/watch), leaf included.
#pragma once

#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "store/store.hpp"
#include "web/watch_view.hpp"

namespace ck::watch {

// By target; `now` gives each leaf's days_left.
Result<std::vector<web::WatchResultView>> LoadWatchResultViews(store::Store& store, TimePoint now);

}  // namespace ck::watch
