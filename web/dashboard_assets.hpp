// The dashboard's static files (web/dashboard/), compiled into the binary by
// cmake/embed_assets.cmake: the daemon never reads them from disk at run time.
#pragma once

#include <string_view>

namespace ck::web {

struct EmbeddedAsset {
  std::string_view path;  // "/", "/assets/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

// nullptr for an unknown path.
const EmbeddedAsset* FindDashboardAsset(std::string_view path);

}  // namespace ck::web
