#include "daemon/watch/watch_targets.hpp"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

namespace ck::watch {

GlobExpansion ExpandGlobs(const std::vector<std::string>& patterns) {
  GlobExpansion out;
  std::set<std::string> files;
  for (const auto& pattern : patterns) {
    glob_t g{};
    // No GLOB_ERR: an unreadable or missing directory simply matches nothing, and the
    // "no file matches" result says so.
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    size_t matched = 0;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        struct stat st {};
        // Only regular files (following symlinks, as /etc/ssl/certs is full of them).
        if (::stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode)) {
          files.insert(g.gl_pathv[i]);
          ++matched;
        }
      }
    } else if (rc == GLOB_NOSPACE) {
      out.errors.push_back(pattern + ": out of memory while expanding");
    }
    ::globfree(&g);
    if (matched == 0 && rc != GLOB_NOSPACE) out.unmatched.push_back(pattern);
  }
  out.files.assign(files.begin(), files.end());
  return out;
}

bool WatchCovers(const config::WatchConfig& watch, std::string_view target) {
  if (watch.is_endpoint()) return watch.EndpointTarget() == target;
  const std::string t(target);
  return std::any_of(watch.files.begin(), watch.files.end(), [&](const std::string& p) {
    return p == t || ::fnmatch(p.c_str(), t.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
  });
}

std::string WatchKey(const config::WatchConfig& watch) {
  if (watch.is_endpoint()) return watch.EndpointTarget();
  std::string key = "files:";
  for (const auto& p : watch.files) key += p + "\n";
  return key;
}

}  // namespace ck::watch
