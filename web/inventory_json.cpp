#include "web/inventory_json.hpp"

#include <charconv>
#include <set>

#include "common/duration.hpp"
#include "pki/certificate.hpp"
#include "web/lifecycle_json.hpp"

namespace ck::web {
namespace {

using nlohmann::json;

constexpr int kDetailEvents = 50;

std::string QueryParam(const HttpRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? "" : it->second;
}

Result<int64_t> ParseCount(const std::string& text, const char* what) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0) {
    return InvalidArgumentError(std::string(what) + " must be a non-negative integer");
  }
  return v;
}

json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

HttpResponse JsonResponse(const json& body) {
  HttpResponse r;
  // Names and SANs of watched files and endpoints come from outside: invalid UTF-8 becomes
  // U+FFFD instead of a throw (which would fail the whole page).
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// The lifecycle's view applies to the row it currently serves, not to superseded history.
// By name and serial, whatever the row's source: the internal CA records the certificates it
// issues for the lifecycle as "ca", ACME ones are "managed".
const ManagedCertificateView* LifecycleFor(const CertificateView& c,
                                           const std::map<std::string, ManagedCertificateView>& m) {
  auto it = m.find(c.name);
  if (it == m.end() || it->second.serial_hex != c.serial_hex) return nullptr;
  return &it->second;
}

// The lifecycle views of the names on this page (at most a page's worth of lookups, whatever
// the number of managed certificates); empty when this daemon has no lifecycle.
std::map<std::string, ManagedCertificateView> ManagedOnPage(
    const std::vector<CertificateView>& page, Backend& backend) {
  std::map<std::string, ManagedCertificateView> out;
  std::set<std::string> asked;
  for (const auto& c : page) {
    if (!asked.insert(c.name).second) continue;
    auto m = backend.GetManaged(c.name);
    if (m.ok()) {
      out.emplace(c.name, std::move(*m));
    } else if (m.status().code() == StatusCode::kUnimplemented) {
      break;  // no lifecycle here: no name is managed
    }
  }
  return out;
}

json ChainJson(const CertificateView& c) {
  json chain = json::array();
  auto certs = pki::ParseCertificateChain(c.cert_pem + "\n" + c.chain_pem);
  if (!certs.ok()) return chain;
  for (const auto& cert : *certs) {
    chain.push_back({{"subject", cert.Subject()},
                     {"issuer", cert.Issuer()},
                     {"serial", cert.SerialHex()},
                     {"not_before", FormatRfc3339(cert.NotBefore())},
                     {"not_after", FormatRfc3339(cert.NotAfter())},
                     {"sha256_fingerprint", cert.Sha256Fingerprint()}});
  }
  return chain;
}

// Public facts only: the algorithm and the RFC 7469 pin of the certificate's own key.
json KeyJson(const pki::CertificateInfo& info) {
  return {{"algorithm", info.key_algorithm},
          {"bits", info.key_bits},
          {"spki_sha256_pin", info.spki_sha256_pin},
          {"signature_algorithm", info.signature_algorithm}};
}

}  // namespace

Result<CertificateFilter> ParseInventoryFilter(const HttpRequest& request, TimePoint now) {
  CertificateFilter f;
  f.limit = kDefaultPageSize;
  f.text = QueryParam(request, "q");
  if (f.text.size() > 256) return InvalidArgumentError("q: at most 256 characters");
  f.name = QueryParam(request, "name");
  f.source = QueryParam(request, "source");
  f.status = QueryParam(request, "status");
  f.serial_hex = QueryParam(request, "serial");
  if (auto before = QueryParam(request, "expiring_before"); !before.empty()) {
    auto t = ParseRfc3339(before);
    if (!t.ok()) return t.status().WithContext("expiring_before");
    f.expiring_before = *t;
  }
  if (auto within = QueryParam(request, "expiring_within"); !within.empty()) {
    auto d = ParseDuration(within);
    if (!d.ok()) return d.status().WithContext("expiring_within");
    TimePoint until = now + *d;
    if (!f.expiring_before || until < *f.expiring_before) f.expiring_before = until;
  }
  std::string after = QueryParam(request, "after");
  if (after.empty()) after = QueryParam(request, "after_id");  // the first API's name
  if (!after.empty()) {
    ASSIGN_OR_RETURN(f.after_id, ParseCount(after, "after"));
  }
  if (auto limit = QueryParam(request, "limit"); !limit.empty()) {
    auto v = ParseCount(limit, "limit");
    if (!v.ok() || *v < 1 || *v > kMaxPageSize) {
      return InvalidArgumentError("limit must be between 1 and " + std::to_string(kMaxPageSize));
    }
    f.limit = static_cast<int>(*v);
  }
  return f;
}

int64_t DaysLeft(TimePoint not_after, TimePoint now) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(not_after - now).count();
  // Floor division: 1 second past expiry is day -1, not day 0.
  return secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
}

json InventoryItemJson(const CertificateView& c, const ManagedCertificateView* managed,
                       TimePoint now) {
  json j = {{"id", c.id},
            {"name", c.name},
            {"source", c.source},
            {"issuer", c.issuer},
            {"serial", c.serial_hex},
            {"sans", c.sans},
            {"not_before", FormatRfc3339(c.not_before)},
            {"not_after", FormatRfc3339(c.not_after)},
            {"status", c.status},
            {"days_left", DaysLeft(c.not_after, now)}};
  j["managed"] = managed != nullptr;
  if (managed != nullptr) {
    j["state"] = managed->status;
    j["last_renewal_at"] = TimeOrNull(managed->last_renewal_at);
    j["next_renewal_at"] = TimeOrNull(managed->next_renewal_at);
  } else {
    j["state"] = nullptr;
    j["last_renewal_at"] = nullptr;
    j["next_renewal_at"] = nullptr;
  }
  return j;
}

HttpResponse InventoryListResponse(const HttpRequest& request, Backend& backend) {
  const TimePoint now = backend.Now();
  auto filter = ParseInventoryFilter(request, now);
  if (!filter.ok()) return ProblemResponse(filter.status());
  auto list = backend.ListCertificates(*filter);
  if (!list.ok()) return ProblemResponse(list.status());
  const std::map<std::string, ManagedCertificateView> managed = ManagedOnPage(*list, backend);
  json items = json::array();
  for (const auto& c : *list) items.push_back(InventoryItemJson(c, LifecycleFor(c, managed), now));
  // A full page means there may be more: hand out the cursor for the next one.
  json next = static_cast<int>(list->size()) == filter->limit && !list->empty()
                  ? json(list->back().id)
                  : json(nullptr);
  return JsonResponse({{"certificates", items}, {"next_after", next}, {"next_after_id", next}});
}

HttpResponse InventoryDetailResponse(int64_t id, Backend& backend) {
  const TimePoint now = backend.Now();
  auto cert = backend.GetCertificate(id);
  if (!cert.ok()) return ProblemResponse(cert.status());
  std::optional<ManagedCertificateView> managed;
  if (auto m = backend.GetManaged(cert->name); m.ok()) managed = std::move(*m);
  const ManagedCertificateView* current =
      managed && managed->serial_hex == cert->serial_hex ? &*managed : nullptr;
  json j = InventoryItemJson(*cert, current, now);
  j["certificate"] = cert->cert_pem;
  j["chain"] = ChainJson(*cert);
  if (auto leaf = pki::Certificate::FromPem(cert->cert_pem); leaf.ok()) {
    pki::CertificateInfo info = leaf->Inspect();
    j["key"] = KeyJson(info);
    j["subject"] = info.subject;
  } else {
    j["key"] = nullptr;
  }
  j["pins"] = nullptr;
  j["deploy"] = json::array();
  j["lifecycle"] = nullptr;
  if (managed) {
    // The deploy targets and the lifecycle belong to the name (what serves now), shown on
    // every version of it.
    j["lifecycle"] = ToJson(*managed);
    for (const auto& d : managed->deploy) j["deploy"].push_back(ToJson(d));
    if (auto pins = backend.GetPins(cert->name); pins.ok()) j["pins"] = ToJson(*pins);
  }
  json events = json::array();
  if (auto list = backend.ListEvents(cert->name, kDetailEvents, 0); list.ok()) {
    for (const auto& e : *list) events.push_back(ToJson(e));
  }
  j["events"] = std::move(events);
  return JsonResponse(j);
}

}  // namespace ck::web
