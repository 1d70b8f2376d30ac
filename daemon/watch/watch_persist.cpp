#include "daemon/watch/watch_persist.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "pki/general_names.hpp"

namespace ck::watch {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// "problems:expired,hostname_mismatch" — what changes an event is the kind of trouble, not its
// wording (days left change every check).
std::string Signature(std::string_view outcome, const std::set<std::string>& codes) {
  std::string s(outcome);
  s += ":";
  for (const auto& c : codes) s += c + ",";
  return s;
}

std::set<std::string> Codes(const std::vector<Problem>& problems) {
  std::set<std::string> codes;
  for (const auto& p : problems) codes.insert(p.code);
  return codes;
}

std::set<std::string> Codes(const std::string& problems_json) {
  std::set<std::string> codes;
  json j = json::parse(problems_json, nullptr, false);
  if (!j.is_array()) return codes;
  for (const auto& p : j) {
    if (p.is_object() && p.contains("code") && p["code"].is_string()) {
      codes.insert(p["code"].get<std::string>());
    }
  }
  return codes;
}

std::string EventMessage(const CheckOutcome& o) {
  if (o.outcome == "ok") return o.target + ": no problems";
  if (o.outcome == "error") return o.target + ": check failed: " + o.error;
  std::string codes;
  for (const auto& c : Codes(o.problems)) codes += (codes.empty() ? "" : ", ") + c;
  return o.target + ": " + codes;
}

}  // namespace

std::string ProblemsJson(const std::vector<Problem>& problems) {
  json arr = json::array();
  for (const auto& p : problems) {
    arr.push_back({{"code", p.code}, {"severity", p.severity}, {"message", p.message}});
  }
  return Dump(arr);
}

std::string DetailsJson(const CheckOutcome& o) {
  json chain = json::array();
  for (const auto& c : o.chain) {
    chain.push_back({{"subject", c.Subject()},
                     {"issuer", c.Issuer()},
                     {"serial", c.SerialHex()},
                     {"not_before", FormatRfc3339(c.NotBefore())},
                     {"not_after", FormatRfc3339(c.NotAfter())},
                     {"sha256", c.Sha256Fingerprint()}});
  }
  json d = {{"chain", chain}, {"duration_ms", o.duration.count()}};
  if (!o.label.empty()) d["label"] = o.label;
  if (!o.tls_version.empty()) d["tls_version"] = o.tls_version;
  return Dump(d);
}

Result<int64_t> RecordLeaf(store::Store& store, const CheckOutcome& o, TimePoint now) {
  if (o.chain.empty()) return InvalidArgumentError(o.target + ": no certificate to record");
  const pki::Certificate& leaf = o.chain.front();
  store::CertificateRecord rec;
  rec.name = o.target;
  rec.source = o.kind == "endpoint" ? "external" : "file";
  rec.issuer = leaf.Issuer();
  rec.serial_hex = leaf.SerialHex();
  for (const auto& san : leaf.SubjectAltNames()) rec.sans.push_back(pki::FormatSan(san));
  rec.not_before = leaf.NotBefore();
  rec.not_after = leaf.NotAfter();
  rec.cert_pem = leaf.ToPem();
  rec.chain_pem =
      pki::ChainToPem(std::vector<pki::Certificate>(o.chain.begin() + 1, o.chain.end()));
  rec.fingerprint_sha256 = leaf.Sha256Fingerprint();
  rec.created_at = now;
  rec.status = store::kCertActive;

  int64_t id = 0;
  RETURN_IF_ERROR(store.RunInTransaction([&](store::Store& tx) -> Status {
    std::optional<store::CertificateRecord> current;
    if (auto c = tx.GetCurrentCertificate(rec.name); c.ok()) {
      current = std::move(*c);
    } else if (c.status().code() != StatusCode::kNotFound) {
      return c.status();
    }
    if (current && current->fingerprint_sha256 == rec.fingerprint_sha256) {
      id = current->id;  // same certificate as last time: nothing new to record
      return OkStatus();
    }
    // A certificate this target served before (a rollback) is re-activated, since rows are
    // unique per (name, fingerprint).
    store::CertificateQuery q;
    q.name = rec.name;
    ASSIGN_OR_RETURN(auto history, tx.ListCertificates(q));
    auto seen = std::find_if(history.begin(), history.end(), [&](const auto& h) {
      return h.fingerprint_sha256 == rec.fingerprint_sha256;
    });
    if (seen != history.end()) {
      seen->status = store::kCertActive;
      ASSIGN_OR_RETURN(id, tx.PutCertificate(*seen));
    } else {
      ASSIGN_OR_RETURN(id, tx.PutCertificate(rec));
    }
    // Every other active row of this target is history now.
    for (auto& h : history) {
      if (h.id != id && h.status == store::kCertActive) {
        h.status = store::kCertSuperseded;
        RETURN_IF_ERROR(tx.PutCertificate(h).status());
      }
    }
    return OkStatus();
  }));
  return id;
}

Result<store::WatchResultRecord> PersistOutcome(
    store::Store& store, const CheckOutcome& o,
    const std::optional<store::WatchResultRecord>& previous, TimePoint now) {
  store::WatchResultRecord r;
  r.target = o.target;
  r.kind = o.kind;
  r.checked_at = o.checked_at;
  r.outcome = o.outcome;
  r.error = o.error;
  r.problems_json = ProblemsJson(o.problems);
  r.details_json = DetailsJson(o);
  if (!o.chain.empty()) {
    ASSIGN_OR_RETURN(int64_t cert_id, RecordLeaf(store, o, now));
    r.certificate_id = cert_id;
  } else if (previous) {
    r.certificate_id = previous->certificate_id;  // an unreachable server still had that leaf
  }
  ASSIGN_OR_RETURN(r.id, store.PutWatchResult(r));

  const std::string before =
      previous ? Signature(previous->outcome, Codes(previous->problems_json)) : Signature("ok", {});
  const std::string after = Signature(o.outcome, Codes(o.problems));
  if (before != after) {
    store::EventRecord e;
    e.time = now;
    e.certificate_name = o.target;
    e.kind = o.outcome == "ok" ? "watch_ok" : "watch_problem";
    e.message = EventMessage(o);
    json codes = json::array();
    for (const auto& c : Codes(o.problems)) codes.push_back(c);
    e.details_json = Dump({{"kind", o.kind},
                           {"outcome", o.outcome},
                           {"previous_outcome", previous ? previous->outcome : "none"},
                           {"problems", codes},
                           {"error", o.error}});
    RETURN_IF_ERROR(store.AppendEvent(e).status());
  }
  return r;
}

Status ForgetTarget(store::Store& store, const store::WatchResultRecord& result) {
  return store.RunInTransaction([&](store::Store& tx) -> Status {
    RETURN_IF_ERROR(tx.DeleteWatchResult(result.target));
    if (!result.certificate_id) return OkStatus();
    auto leaf = tx.GetCertificate(*result.certificate_id);
    if (!leaf.ok()) {
      return leaf.status().code() == StatusCode::kNotFound ? OkStatus() : leaf.status();
    }
    if (leaf->status != store::kCertActive) return OkStatus();
    leaf->status = kCertUnwatched;
    return tx.PutCertificate(*leaf).status();
  });
}

}  // namespace ck::watch
