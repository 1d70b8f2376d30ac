#include "acme/directory.hpp"

#include "acme/json_util.hpp"

namespace ck::acme {
namespace {

using nlohmann::json;

bool IsHttpUrl(const std::string& s) {
  return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0;
}

// An optional URL member: absent is fine, present-but-wrong is an error.
Status UrlMember(const json& j, const char* name, std::string* out, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return InvalidArgumentError(std::string("directory has no ") + name);
    return OkStatus();
  }
  if (!it->is_string() || !IsHttpUrl(it->get<std::string>())) {
    return InvalidArgumentError(std::string("directory member ") + name + " is not a URL");
  }
  *out = it->get<std::string>();
  return OkStatus();
}

}  // namespace

Result<Directory> ParseDirectory(std::string_view body) {
  json j = ParseBoundedJson(body);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("ACME directory is not a JSON object");
  }
  Directory d;
  RETURN_IF_ERROR(UrlMember(j, "newNonce", &d.new_nonce, true));
  RETURN_IF_ERROR(UrlMember(j, "newAccount", &d.new_account, true));
  RETURN_IF_ERROR(UrlMember(j, "newOrder", &d.new_order, true));
  RETURN_IF_ERROR(UrlMember(j, "newAuthz", &d.new_authz, false));
  RETURN_IF_ERROR(UrlMember(j, "revokeCert", &d.revoke_cert, false));
  RETURN_IF_ERROR(UrlMember(j, "keyChange", &d.key_change, false));
  RETURN_IF_ERROR(UrlMember(j, "renewalInfo", &d.renewal_info, false));
  if (auto m = j.find("meta"); m != j.end() && m->is_object()) {
    if (auto it = m->find("termsOfService"); it != m->end() && it->is_string()) {
      d.meta.terms_of_service = it->get<std::string>();
    }
    if (auto it = m->find("website"); it != m->end() && it->is_string()) {
      d.meta.website = it->get<std::string>();
    }
    if (auto it = m->find("caaIdentities"); it != m->end() && it->is_array()) {
      for (const auto& v : *it) {
        if (v.is_string()) d.meta.caa_identities.push_back(v.get<std::string>());
      }
    }
    if (auto it = m->find("externalAccountRequired"); it != m->end() && it->is_boolean()) {
      d.meta.external_account_required = it->get<bool>();
    }
    if (auto it = m->find("profiles"); it != m->end() && it->is_object()) {
      for (const auto& [name, v] : it->items()) {
        d.meta.profiles[name] = v.is_string() ? v.get<std::string>() : "";
      }
    }
  }
  return d;
}

}  // namespace ck::acme
