#include "web/ca_handlers.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/duration.hpp"
#include "common/log.hpp"
#include "web/inventory_json.hpp"

namespace ck::web {
namespace {

using nlohmann::json;

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponse Pem(std::string body) {
  HttpResponse r;
  r.content_type = "application/x-pem-file";
  r.body = std::move(body);
  return r;
}

Result<json> ParseObject(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("request body must be a JSON object");
  }
  return j;
}

Result<std::string> StringField(const json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return InvalidArgumentError(std::string("'") + key + "' is required");
    return std::string();
  }
  if (!it->is_string()) return InvalidArgumentError(std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> StringList(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_array()) return InvalidArgumentError(std::string("'") + key + "' must be an array");
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return InvalidArgumentError(std::string("'") + key + "' must hold strings only");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<IssueRequest> ParseIssueRequest(const json& j) {
  IssueRequest req;
  ASSIGN_OR_RETURN(std::string profile, StringField(j, "profile", false));
  if (!profile.empty()) req.profile = profile;
  ASSIGN_OR_RETURN(req.name, StringField(j, "name", false));
  ASSIGN_OR_RETURN(std::string ttl, StringField(j, "ttl", false));
  if (!ttl.empty()) {
    ASSIGN_OR_RETURN(auto parsed, ParseDuration(ttl));
    req.ttl = parsed;
  }
  ASSIGN_OR_RETURN(req.dns, StringList(j, "dns"));
  ASSIGN_OR_RETURN(req.ip, StringList(j, "ip"));
  ASSIGN_OR_RETURN(req.uri, StringList(j, "uri"));
  ASSIGN_OR_RETURN(req.email, StringList(j, "email"));
  ASSIGN_OR_RETURN(req.key_type, StringField(j, "key_type", false));
  return req;
}

json BundleJson(const IssuedBundle& b) {
  json j = {{"serial", b.serial_hex},
            {"not_after", FormatRfc3339(b.not_after)},
            {"certificate", b.cert_pem},
            {"chain", b.chain_pem}};
  if (!b.key_pem.empty()) j["private_key"] = b.key_pem;  // server-side key: this one time
  return j;
}

Result<int64_t> ParseInt(const std::string& text, const char* what) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0) {
    return InvalidArgumentError(std::string(what) + " must be a non-negative integer");
  }
  return v;
}

}  // namespace

HttpResponse HandleCaChain(const HttpRequest&, Backend& backend) {
  auto pem = backend.CaChainPem();
  return pem.ok() ? Pem(*pem) : ProblemResponse(pem.status());
}

HttpResponse HandleCaCrl(const HttpRequest&, Backend& backend) {
  auto pem = backend.CurrentCrlPem();
  return pem.ok() ? Pem(*pem) : ProblemResponse(pem.status());
}

HttpResponse HandleOcsp(const HttpRequest& request, Backend& backend) {
  if (request.body.empty()) {
    return ProblemResponse(
        InvalidArgumentError("POST a DER OCSP request (application/ocsp-request)"));
  }
  auto answer = backend.RespondOcsp(ToBytes(request.body));
  if (!answer.ok()) return ProblemResponse(answer.status());
  HttpResponse r;
  r.content_type = "application/ocsp-response";
  r.body = ToString(*answer);
  return r;
}

HttpResponse HandleSignCsr(const HttpRequest& request, const Identity& who, Backend& backend) {
  auto body = ParseObject(request.body);
  if (!body.ok()) return ProblemResponse(body.status());
  auto csr = StringField(*body, "csr", true);
  if (!csr.ok()) return ProblemResponse(csr.status());
  auto req = ParseIssueRequest(*body);
  if (!req.ok()) return ProblemResponse(req.status());
  auto issued = backend.SignCsr(*csr, *req);
  if (!issued.ok()) return ProblemResponse(issued.status());
  log::Info("certificate signed via API",
            {{"by", who.ToString()}, {"serial", issued->serial_hex}, {"profile", req->profile}});
  return Json(201, BundleJson(*issued));
}

HttpResponse HandleIssue(const HttpRequest& request, const Identity& who, Backend& backend) {
  auto body = ParseObject(request.body);
  if (!body.ok()) return ProblemResponse(body.status());
  auto req = ParseIssueRequest(*body);
  if (!req.ok()) return ProblemResponse(req.status());
  auto issued = backend.IssueWithKey(*req);
  if (!issued.ok()) return ProblemResponse(issued.status());
  log::Info("certificate issued via API",
            {{"by", who.ToString()}, {"serial", issued->serial_hex}, {"profile", req->profile}});
  return Json(201, BundleJson(*issued));
}

HttpResponse HandleRevoke(const HttpRequest& request, const Identity& who, Backend& backend) {
  auto body = ParseObject(request.body);
  if (!body.ok()) return ProblemResponse(body.status());
  auto serial = StringField(*body, "serial", true);
  if (!serial.ok()) return ProblemResponse(serial.status());
  auto reason = StringField(*body, "reason", false);
  if (!reason.ok()) return ProblemResponse(reason.status());
  std::string why = reason->empty() ? "unspecified" : *reason;
  if (Status s = backend.Revoke(*serial, why); !s.ok()) return ProblemResponse(s);
  log::Info("certificate revoked via API",
            {{"by", who.ToString()}, {"serial", *serial}, {"reason", why}});
  return Json(200, {{"revoked", *serial}, {"reason", why}});
}

HttpResponse HandleListCertificates(const HttpRequest& request, const Identity&, Backend& backend) {
  return InventoryListResponse(request, backend);
}

HttpResponse HandleGetCertificate(const HttpRequest& request, const Identity&, Backend& backend) {
  std::string last = request.path.substr(request.path.rfind('/') + 1);
  auto id = ParseInt(last, "certificate id");
  if (!id.ok()) return ProblemResponse(id.status());
  return InventoryDetailResponse(*id, backend);
}

}  // namespace ck::web
