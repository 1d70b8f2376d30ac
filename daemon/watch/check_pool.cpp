#include "daemon/watch/check_pool.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

namespace ck::watch {

void RunBounded(std::vector<std::function<void()>> tasks, int concurrency,
                const std::function<bool()>& stopping) {
  if (tasks.empty()) return;
  const size_t workers = std::min(tasks.size(), static_cast<size_t>(std::max(concurrency, 1)));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      if (stopping && stopping()) return;
      const size_t i = next.fetch_add(1);
      if (i >= tasks.size()) return;
      tasks[i]();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();  // the calling thread is one of the workers
  for (auto& t : pool) t.join();
}

}  // namespace ck::watch
