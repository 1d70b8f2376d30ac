#include "acme/http_transport.hpp"

#include <strings.h>

namespace ck::acme {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

std::vector<std::string> HttpResponse::Headers(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) {
      out.push_back(v);
    }
  }
  return out;
}

}  // namespace ck::acme
