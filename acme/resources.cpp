#include "acme/resources.hpp"

#include <arpa/inet.h>

#include "acme/json_util.hpp"

namespace ck::acme {
namespace {

using nlohmann::json;

constexpr size_t kMaxListItems = 1000;

Result<json> ParseObject(std::string_view body, const char* what) {
  json j = ParseBoundedJson(body);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError(std::string(what) + " is not a JSON object");
  }
  return j;
}

std::string Str(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Status RequiredStr(const json& j, const char* name, const char* what, std::string* out) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return InvalidArgumentError(std::string(what) + " has no " + name);
  }
  *out = it->get<std::string>();
  return OkStatus();
}

std::optional<TimePoint> Time(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  auto t = ParseRfc3339(it->get<std::string>());
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::optional<Problem> ErrorMember(const json& j) {
  auto it = j.find("error");
  if (it == j.end() || !it->is_object()) return std::nullopt;
  auto p = ParseProblem(it->dump());
  if (!p.ok()) return std::nullopt;
  return *p;
}

Result<Identifier> ParseIdentifier(const json& j, const char* what) {
  if (!j.is_object()) return InvalidArgumentError(std::string(what) + ": identifier not an object");
  Identifier id;
  RETURN_IF_ERROR(RequiredStr(j, "type", what, &id.type));
  RETURN_IF_ERROR(RequiredStr(j, "value", what, &id.value));
  return id;
}

Result<Challenge> ChallengeFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgumentError("challenge is not a JSON object");
  Challenge c;
  RETURN_IF_ERROR(RequiredStr(j, "type", "challenge", &c.type));
  RETURN_IF_ERROR(RequiredStr(j, "url", "challenge", &c.url));
  RETURN_IF_ERROR(RequiredStr(j, "status", "challenge", &c.status));
  c.token = Str(j, "token");
  c.error = ErrorMember(j);
  return c;
}

}  // namespace

Result<Account> ParseAccount(std::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseObject(body, "account"));
  Account a;
  RETURN_IF_ERROR(RequiredStr(j, "status", "account", &a.status));
  if (auto it = j.find("contact"); it != j.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (c.is_string() && a.contact.size() < kMaxListItems)
        a.contact.push_back(c.get<std::string>());
    }
  }
  a.orders = Str(j, "orders");
  return a;
}

Result<Order> ParseOrder(std::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseObject(body, "order"));
  Order o;
  RETURN_IF_ERROR(RequiredStr(j, "status", "order", &o.status));
  o.expires = Time(j, "expires");
  auto ids = j.find("identifiers");
  if (ids == j.end() || !ids->is_array()) return InvalidArgumentError("order has no identifiers");
  for (const auto& id : *ids) {
    if (o.identifiers.size() >= kMaxListItems) return InvalidArgumentError("order too large");
    ASSIGN_OR_RETURN(Identifier parsed, ParseIdentifier(id, "order"));
    o.identifiers.push_back(std::move(parsed));
  }
  auto authz = j.find("authorizations");
  if (authz == j.end() || !authz->is_array()) {
    return InvalidArgumentError("order has no authorizations");
  }
  for (const auto& a : *authz) {
    if (!a.is_string()) return InvalidArgumentError("order authorization is not a URL");
    if (o.authorizations.size() >= kMaxListItems) return InvalidArgumentError("order too large");
    o.authorizations.push_back(a.get<std::string>());
  }
  RETURN_IF_ERROR(RequiredStr(j, "finalize", "order", &o.finalize));
  o.certificate = Str(j, "certificate");
  o.profile = Str(j, "profile");
  o.replaces = Str(j, "replaces");
  o.error = ErrorMember(j);
  return o;
}

Result<Authorization> ParseAuthorization(std::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseObject(body, "authorization"));
  Authorization a;
  auto id = j.find("identifier");
  if (id == j.end()) return InvalidArgumentError("authorization has no identifier");
  ASSIGN_OR_RETURN(a.identifier, ParseIdentifier(*id, "authorization"));
  RETURN_IF_ERROR(RequiredStr(j, "status", "authorization", &a.status));
  a.expires = Time(j, "expires");
  if (auto w = j.find("wildcard"); w != j.end() && w->is_boolean()) a.wildcard = w->get<bool>();
  auto ch = j.find("challenges");
  if (ch == j.end() || !ch->is_array()) {
    return InvalidArgumentError("authorization has no challenges");
  }
  for (const auto& c : *ch) {
    if (a.challenges.size() >= kMaxListItems) return InvalidArgumentError("too many challenges");
    // RFC 8555 §7.1.4: clients ignore challenge types they do not understand; one malformed
    // entry must not hide the usable ones.
    auto parsed = ChallengeFromJson(c);
    if (parsed.ok()) a.challenges.push_back(std::move(*parsed));
  }
  return a;
}

Result<Challenge> ParseChallenge(std::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseObject(body, "challenge"));
  return ChallengeFromJson(j);
}

Identifier IdentifierFor(std::string_view name) {
  std::string s(name);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return Identifier{"ip", s};
  }
  return Identifier{"dns", s};
}

std::vector<std::string> LinksWithRel(const std::vector<std::string>& link_headers,
                                      std::string_view rel) {
  std::vector<std::string> out;
  for (const std::string& header : link_headers) {
    size_t pos = 0;
    while (pos < header.size()) {
      size_t lt = header.find('<', pos);
      if (lt == std::string::npos) break;
      size_t gt = header.find('>', lt);
      if (gt == std::string::npos) break;
      std::string url = header.substr(lt + 1, gt - lt - 1);
      size_t next = header.find('<', gt);
      std::string params =
          header.substr(gt + 1, (next == std::string::npos ? header.size() : next) - gt - 1);
      // Accept rel="alternate", rel=alternate and rel="alternate other".
      size_t r = params.find("rel=");
      if (r != std::string::npos) {
        std::string v = params.substr(r + 4);
        if (!v.empty() && v[0] == '"') {
          size_t q = v.find('"', 1);
          v = v.substr(1, q == std::string::npos ? std::string::npos : q - 1);
        } else {
          size_t end = v.find_first_of(";, ");
          if (end != std::string::npos) v = v.substr(0, end);
        }
        size_t start = 0;
        while (start <= v.size()) {
          size_t sp = v.find(' ', start);
          std::string token =
              v.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
          if (token == rel) {
            out.push_back(url);
            break;
          }
          if (sp == std::string::npos) break;
          start = sp + 1;
        }
      }
      pos = next == std::string::npos ? header.size() : next;
    }
  }
  return out;
}

}  // namespace ck::acme
