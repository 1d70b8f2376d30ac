// Which targets a [[watch]] stands for: its endpoint, or the files its globs match now.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/watch_config.hpp"

namespace ck::watch {

struct GlobExpansion {
  std::vector<std::string> files;      // regular files, sorted, no duplicates
  std::vector<std::string> unmatched;  // patterns that matched no regular file
  std::vector<std::string> errors;     // "PATTERN: why" when expansion itself failed
};

GlobExpansion ExpandGlobs(const std::vector<std::string>& patterns);

// True when `target` is a result key this watch produces: its endpoint target, or a path one
// of its patterns matches (or the pattern itself, the key of a "no file matches" result).
bool WatchCovers(const config::WatchConfig& watch, std::string_view target);

// A stable key for the watch itself (its endpoint target, or "files:" + its patterns), so the
// schedule survives a reload that keeps the watch.
std::string WatchKey(const config::WatchConfig& watch);

}  // namespace ck::watch
