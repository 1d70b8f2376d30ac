#include "web/token_handlers.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/duration.hpp"
#include "common/log.hpp"

namespace ck::web {
namespace {

nlohmann::json TokenJson(const TokenInfo& t) {
  nlohmann::json j = {{"id", t.id},
                      {"name", t.name},
                      {"role", t.role},
                      {"state", t.state},
                      {"created_at", FormatRfc3339(t.created_at)}};
  j["expires_at"] = t.expires_at ? nlohmann::json(FormatRfc3339(*t.expires_at)) : nullptr;
  j["revoked_at"] = t.revoked_at ? nlohmann::json(FormatRfc3339(*t.revoked_at)) : nullptr;
  return j;
}

HttpResponse Json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

}  // namespace

HttpResponse HandleCreateToken(const HttpRequest& request, const Identity& who, Backend& backend) {
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ProblemResponse(InvalidArgumentError("request body must be a JSON object"));
  }
  auto role_it = body.find("role");
  if (role_it == body.end() || !role_it->is_string()) {
    return ProblemResponse(InvalidArgumentError("'role' (string) is required"));
  }
  auto role = ParseRole(role_it->get<std::string>());
  if (!role.ok()) return ProblemResponse(role.status());
  std::chrono::seconds ttl{90 * 86400};
  if (auto it = body.find("ttl"); it != body.end()) {
    if (!it->is_string()) return ProblemResponse(InvalidArgumentError("'ttl' must be a string"));
    auto parsed = ParseDuration(it->get<std::string>());
    if (!parsed.ok()) return ProblemResponse(parsed.status());
    ttl = *parsed;
  }
  std::string name;
  if (auto it = body.find("name"); it != body.end()) {
    if (!it->is_string()) return ProblemResponse(InvalidArgumentError("'name' must be a string"));
    name = it->get<std::string>();
  } else {
    name = std::string(RoleName(*role)) + "-" +
           std::to_string(ToUnixSeconds(std::chrono::system_clock::now()));
  }
  auto created = backend.CreateToken(name, *role, ttl);
  if (!created.ok()) return ProblemResponse(created.status());
  log::Info("API token created",
            {{"by", who.ToString()}, {"token", name}, {"role", created->info.role}});
  nlohmann::json j = TokenJson(created->info);
  j["token"] = created->secret;
  return Json(201, j);
}

HttpResponse HandleListTokens(const HttpRequest&, const Identity&, Backend& backend) {
  auto list = backend.ListTokens();
  if (!list.ok()) return ProblemResponse(list.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& t : *list) arr.push_back(TokenJson(t));
  return Json(200, {{"tokens", arr}});
}

HttpResponse HandleRevokeToken(const HttpRequest& request, const Identity& who, Backend& backend) {
  std::string_view path = request.path;
  std::string_view last = path.substr(path.rfind('/') + 1);
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(last.data(), last.data() + last.size(), id);
  if (ec != std::errc() || ptr != last.data() + last.size() || id <= 0) {
    return ProblemResponse(InvalidArgumentError("token id must be a positive integer"));
  }
  if (Status s = backend.RevokeToken(id); !s.ok()) return ProblemResponse(s);
  log::Info("API token revoked", {{"by", who.ToString()}, {"token_id", std::to_string(id)}});
  return Json(200, {{"revoked", id}});
}

}  // namespace ck::web
