#include "daemon/cli/ca_remote.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/file_util.hpp"
#include "pki/pem.hpp"

namespace ck::cli {
namespace {

using nlohmann::json;

constexpr size_t kMaxInputBytes = size_t{1} << 20;

Result<ApiClient> Connect(const CommandEnv& env, const ApiFlags& api, bool credentials = true) {
  ASSIGN_OR_RETURN(ApiConnection c, ResolveApiConnection(api, env.global, credentials));
  return ApiClient(std::move(c));
}

Result<std::string> StringField(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return DataLossError(std::string("the server's answer has no '") + key + "'");
  }
  return it->get<std::string>();
}

// A string field, or `fallback` when absent or not a string (json::value would throw).
std::string Str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

json IssueBody(const RemoteIssue& r) {
  json body = json::object();
  if (!r.profile.empty()) body["profile"] = r.profile;
  if (!r.name.empty()) body["name"] = r.name;
  if (!r.ttl.empty()) body["ttl"] = r.ttl;
  if (!r.key_type.empty()) body["key_type"] = r.key_type;
  if (!r.dns.empty()) body["dns"] = r.dns;
  if (!r.ip.empty()) body["ip"] = r.ip;
  if (!r.uri.empty()) body["uri"] = r.uri;
  if (!r.email.empty()) body["email"] = r.email;
  return body;
}

void PrintIssued(const json& issued, const std::string& where) {
  std::fprintf(stderr, "issued serial %s, valid until %s\n%s", Str(issued, "serial", "?").c_str(),
               Str(issued, "not_after", "?").c_str(), where.c_str());
}

// GET of a PEM document (chain, CRL), printed or written to `out`.
int FetchPem(const CommandEnv& env, const ApiFlags& api, const char* path, const std::string& out) {
  auto client = Connect(env, api, /*credentials=*/false);
  if (!client.ok()) return ReportError(client.status());
  auto res = client->Send("GET", path);
  if (!res.ok()) return ReportError(res.status());
  if (res->status != 200) return ReportError(client->StatusFromResponse(*res));
  if (res->body.find("-----BEGIN ") == std::string::npos) {
    return ReportError(DataLossError(std::string("GET ") + path + ": the answer is not PEM"));
  }
  if (out.empty()) {
    std::fputs(res->body.c_str(), stdout);
    return kExitOk;
  }
  if (Status st = WriteFileAtomic(out, res->body, 0644); !st.ok()) return ReportError(st);
  return kExitOk;
}

}  // namespace

int RunRemoteIssue(const CommandEnv& env, const ApiFlags& api, const RemoteIssue& r) {
  auto client = Connect(env, api);
  if (!client.ok()) return ReportError(client.status());
  auto issued = client->PostJson("/v1/certificates/issue", IssueBody(r));
  if (!issued.ok()) return ReportError(issued.status());
  auto cert = StringField(*issued, "certificate");
  auto chain = StringField(*issued, "chain");
  auto key = StringField(*issued, "private_key");
  for (const auto* field : {&cert, &chain, &key}) {
    if (!field->ok()) return ReportError(field->status());
  }
  // The key is written first: the server returns it this once.
  Status st = EnsureDirectory(r.out, 0700);
  if (st.ok()) st = WriteFileAtomic(r.out + "/privkey.pem", *key, 0600);
  if (st.ok()) st = WriteFileAtomic(r.out + "/cert.pem", *cert, 0644);
  if (st.ok()) st = WriteFileAtomic(r.out + "/chain.pem", *chain, 0644);
  if (st.ok()) st = WriteFileAtomic(r.out + "/fullchain.pem", *cert + *chain, 0644);
  if (!st.ok()) {
    return ReportError(st.WithContext("certificate " + Str(*issued, "serial", "?") +
                                      " was issued but could not be written"));
  }
  PrintIssued(*issued, "wrote " + r.out + "/{cert,chain,fullchain,privkey}.pem (privkey 0600)\n");
  return kExitOk;
}

int RunRemoteSign(const CommandEnv& env, const ApiFlags& api, const RemoteIssue& r) {
  Result<std::string> input =
      r.csr == "-" ? Result<std::string>(std::string(std::istreambuf_iterator<char>(std::cin), {}))
                   : ReadFile(r.csr, kMaxInputBytes);
  if (!input.ok()) return ReportError(input.status());
  // PEM or DER here; the API takes PEM.
  auto object = pki::LoadPkiObject(*input);
  if (!object.ok()) return ReportError(object.status().WithContext(r.csr));
  if (object->csrs.empty()) {
    return ReportError(InvalidArgumentError(r.csr + ": holds no certificate signing request"));
  }
  auto client = Connect(env, api);
  if (!client.ok()) return ReportError(client.status());
  json body = IssueBody(r);
  body["csr"] = object->csrs.front().ToPem();
  auto issued = client->PostJson("/v1/certificates/sign", body);
  if (!issued.ok()) return ReportError(issued.status());
  auto cert = StringField(*issued, "certificate");
  auto chain = StringField(*issued, "chain");
  if (!cert.ok()) return ReportError(cert.status());
  if (!chain.ok()) return ReportError(chain.status());
  const std::string pem = *cert + *chain;
  if (r.out.empty()) {
    std::fputs(pem.c_str(), stdout);
    PrintIssued(*issued, "");
    return kExitOk;
  }
  if (Status st = WriteFileAtomic(r.out, pem, 0644); !st.ok()) return ReportError(st);
  PrintIssued(*issued, "wrote " + r.out + " (certificate, then the intermediate)\n");
  return kExitOk;
}

int RunRemoteRevoke(const CommandEnv& env, const ApiFlags& api, const std::string& serial,
                    const std::string& reason) {
  auto client = Connect(env, api);
  if (!client.ok()) return ReportError(client.status());
  auto res =
      client->PostJson("/v1/certificates/revoke", json{{"serial", serial}, {"reason", reason}});
  if (!res.ok()) return ReportError(res.status());
  std::printf("revoked %s (%s)\n", Str(*res, "revoked", serial).c_str(),
              Str(*res, "reason", reason).c_str());
  return kExitOk;
}

int RunRemoteLs(const CommandEnv& env, const ApiFlags& api, bool as_json, bool all) {
  auto client = Connect(env, api);
  if (!client.ok()) return ReportError(client.status());
  const TimePoint now = SystemClock().Now();
  json shown = json::array();
  int hidden = 0;
  std::string after;
  // Page through with the server's cursor.
  for (int page = 0; page < 10000; ++page) {
    auto body = client->GetJson(
        WithQuery("/v1/certificates", {{"source", "ca"}, {"limit", "1000"}, {"after_id", after}}));
    if (!body.ok()) return ReportError(body.status());
    if (!body->contains("certificates") || !(*body)["certificates"].is_array()) {
      return ReportError(DataLossError("the server's answer has no 'certificates' list"));
    }
    for (const auto& c : (*body)["certificates"]) {
      auto not_after = ParseRfc3339(Str(c, "not_after", ""));
      const bool live =
          not_after.ok() && *not_after > now && Str(c, "status", "") != std::string("revoked");
      if (all || live) {
        shown.push_back(c);
      } else {
        ++hidden;
      }
    }
    auto next = body->find("next_after_id");
    if (next == body->end() || !next->is_number_integer()) break;
    after = std::to_string(next->get<int64_t>());
  }
  if (as_json) {
    std::printf(
        "%s\n",
        json{{"certificates", shown}}.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("%-34s %-9s %-21s %-24s %s\n", "SERIAL", "STATUS", "NOT AFTER", "NAME", "SANS");
  for (const auto& c : shown) {
    std::string sans;
    if (c.contains("sans") && c["sans"].is_array()) {
      for (const auto& san : c["sans"]) {
        if (san.is_string()) sans += (sans.empty() ? "" : ",") + san.get<std::string>();
      }
    }
    std::printf("%-34s %-9s %-21s %-24s %s\n", Str(c, "serial", "").c_str(),
                Str(c, "status", "").c_str(), Str(c, "not_after", "").c_str(),
                Str(c, "name", "").c_str(), sans.c_str());
  }
  if (hidden > 0) std::printf("(%d expired or revoked not shown; --all shows them)\n", hidden);
  return kExitOk;
}

int RunRemoteChain(const CommandEnv& env, const ApiFlags& api, const std::string& out) {
  return FetchPem(env, api, "/v1/ca/chain", out);
}

int RunRemoteCrl(const CommandEnv& env, const ApiFlags& api, const std::string& out) {
  return FetchPem(env, api, "/v1/ca/crl", out);
}

}  // namespace ck::cli
