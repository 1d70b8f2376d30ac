// Bounded concurrency for checks: at most `concurrency` tasks run at once on a small pool of
// worker threads made for one run. Each task bounds its own time (every check has a
// deadline), so one slow host holds one worker, never the others.
#pragma once

#include <functional>
#include <vector>

namespace ck::watch {

// Runs every task, at most `concurrency` (>= 1) at a time, and returns when all have finished.
// Once `stopping` (optional) returns true, tasks not yet started are skipped. Tasks must not
// throw.
void RunBounded(std::vector<std::function<void()>> tasks, int concurrency,
                const std::function<bool()>& stopping = nullptr);

}  // namespace ck::watch
