#include "acme/ari.hpp"

#include "acme/json_util.hpp"

namespace ck::acme {

using nlohmann::json;

std::string AriCertificateId(const Bytes& authority_key_id, const Bytes& serial) {
  Bytes s = serial;
  // DER INTEGER content of a positive number: a leading zero byte when the high bit is set
  // (RFC 9773 §4.1 example: serial 0x87654321 -> "AIdlQyE").
  if (!s.empty() && (s[0] & 0x80) != 0) s.insert(s.begin(), 0x00);
  return Base64UrlEncode(authority_key_id) + "." + Base64UrlEncode(s);
}

Result<std::string> AriCertificateId(const pki::Certificate& cert) {
  pki::CertificateInfo info = cert.Inspect();
  if (info.authority_key_id.empty()) {
    return FailedPreconditionError("certificate has no authority key identifier: no ARI ID");
  }
  ASSIGN_OR_RETURN(Bytes aki, HexDecode(info.authority_key_id));
  std::string serial_hex = info.serial_hex;
  if (serial_hex.size() % 2 != 0) serial_hex.insert(serial_hex.begin(), '0');
  ASSIGN_OR_RETURN(Bytes serial, HexDecode(serial_hex));
  // Strip redundant leading zeros before re-adding the one DER needs.
  size_t first = 0;
  while (first + 1 < serial.size() && serial[first] == 0) ++first;
  serial.erase(serial.begin(), serial.begin() + static_cast<long>(first));
  return AriCertificateId(aki, serial);
}

Result<RenewalInfo> ParseRenewalInfo(std::string_view body) {
  json j = ParseBoundedJson(body);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("renewal info is not a JSON object");
  }
  auto w = j.find("suggestedWindow");
  if (w == j.end() || !w->is_object()) {
    return InvalidArgumentError("renewal info has no suggestedWindow");
  }
  auto start = w->find("start");
  auto end = w->find("end");
  if (start == w->end() || end == w->end() || !start->is_string() || !end->is_string()) {
    return InvalidArgumentError("suggestedWindow needs start and end");
  }
  RenewalInfo info;
  ASSIGN_OR_RETURN(info.window_start, ParseRfc3339(start->get<std::string>()));
  ASSIGN_OR_RETURN(info.window_end, ParseRfc3339(end->get<std::string>()));
  if (info.window_end < info.window_start) {
    return InvalidArgumentError("suggestedWindow ends before it starts");
  }
  if (auto e = j.find("explanationURL"); e != j.end() && e->is_string()) {
    info.explanation_url = e->get<std::string>();
  }
  return info;
}

Result<RenewalInfo> GetRenewalInfo(Client& client, const pki::Certificate& cert) {
  ASSIGN_OR_RETURN(Directory dir, client.GetDirectory());
  if (dir.renewal_info.empty()) {
    return UnimplementedError("the ACME server has no renewalInfo (RFC 9773)");
  }
  ASSIGN_OR_RETURN(std::string id, AriCertificateId(cert));
  std::string base = dir.renewal_info;
  if (!base.empty() && base.back() != '/') base += '/';
  ASSIGN_OR_RETURN(AcmeResponse resp, client.Get(base + id));
  auto info = ParseRenewalInfo(resp.body);
  if (!info.ok()) return info.status().WithContext(base + id);
  TimePoint now = client.clock().Now();
  TimePoint next = resp.retry_after.value_or(now + std::chrono::hours(6));
  next = std::clamp(next, now + std::chrono::minutes(1), now + std::chrono::hours(24));
  info->next_check = next;
  return info;
}

TimePoint PickRenewalTime(const RenewalInfo& info, TimePoint now, Rng& rng) {
  if (info.window_end <= now) return now;
  auto span = std::chrono::duration_cast<std::chrono::seconds>(info.window_end - info.window_start);
  TimePoint t = info.window_start + std::chrono::seconds(rng.UniformInt(0, span.count()));
  return std::max(t, now);
}

}  // namespace ck::acme
