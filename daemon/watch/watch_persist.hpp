// What a check leaves in the store: the leaf as a certificates row (source "external" for
// endpoints, "file" for files, named by the target, one row per distinct certificate with the
// previous one superseded), the latest WatchResultRecord per target, and an event when the
// outcome changes.
#pragma once

#include <optional>
#include <string>

#include "common/status.hpp"
#include "daemon/watch/watch_check.hpp"
#include "store/store.hpp"

namespace ck::watch {

// [{"code","severity","message"}, ...]
std::string ProblemsJson(const std::vector<Problem>& problems);
// {"label", "tls_version", "duration_ms", "chain": [{subject, issuer, serial, not_before,
// not_after, sha256}]}
std::string DetailsJson(const CheckOutcome& outcome);

// The certificates row for the outcome's leaf (same certificate as the target's current row:
// that row; a different one: a new active row and the old one superseded). One transaction.
Result<int64_t> RecordLeaf(store::Store& store, const CheckOutcome& outcome, TimePoint now);

// Records the leaf (when there is one), upserts the result, and appends a "watch_problem" or
// "watch_ok" event when the outcome (or its set of problem codes) differs from `previous`
// (a target seen for the first time counts as previously ok). Returns the stored result.
Result<store::WatchResultRecord> PersistOutcome(
    store::Store& store, const CheckOutcome& outcome,
    const std::optional<store::WatchResultRecord>& previous, TimePoint now);

// A target nobody watches any more (watch removed, file deleted): its result goes, and its leaf
// row becomes "unwatched" so that expiry alerts, metrics and the inventory stop counting a
// certificate that is no longer looked at. The row itself stays as history. One transaction;
// NotFound when the target has no result.
inline constexpr char kCertUnwatched[] = "unwatched";
Status ForgetTarget(store::Store& store, const store::WatchResultRecord& result);

}  // namespace ck::watch
