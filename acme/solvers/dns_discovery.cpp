#include "acme/solvers/dns_discovery.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "acme/solvers/dns_wire.hpp"

namespace ck::acme {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kMaxWalk = 32;             // labels walked up from the name
constexpr size_t kMaxNsHosts = 13;       // the most NS names looked at (root-zone sized)
constexpr size_t kMaxAddresses = 32;     // the most servers returned
constexpr int kMaxCnameHops = 8;         // when an NS host name is an alias
constexpr milliseconds kPerQuery{3000};  // one lost datagram must not eat the whole budget

struct Answer {
  std::string raw;
  dns::Message msg;
};

class Resolver {
 public:
  Resolver(std::string server, Steady::time_point deadline)
      : server_(std::move(server)), deadline_(deadline) {}

  // One recursive query. Only NOERROR and NXDOMAIN answers to the question asked count.
  Result<Answer> Ask(const std::string& name, uint16_t type) {
    // The discovery budget is a socket timeout, measured on the monotonic clock.
    auto left = std::chrono::duration_cast<milliseconds>(deadline_ - Steady::now());
    if (left.count() <= 0) return UnavailableError("DNS discovery via " + server_ + " timed out");
    ASSIGN_OR_RETURN(uint16_t id, dns::RandomId());
    ASSIGN_OR_RETURN(std::string raw, dns::Exchange(server_, dns::BuildQuery(name, type, id, true),
                                                    std::min(left, kPerQuery)));
    ASSIGN_OR_RETURN(dns::Message msg, dns::ParseMessage(raw, id));
    if (msg.question_name != dns::CanonicalName(name) || msg.question_type != type) {
      return UnavailableError("DNS answer from " + server_ + " is for another question");
    }
    if (msg.rcode != dns::kRcodeNoError && msg.rcode != dns::kRcodeNxDomain) {
      return UnavailableError(server_ + " answered rcode " + std::to_string(msg.rcode) + " for " +
                              name);
    }
    return Answer{std::move(raw), std::move(msg)};
  }

  const std::string& server() const { return server_; }

 private:
  std::string server_;
  Steady::time_point deadline_;
};

bool IsAtOrBelow(const std::string& name, const std::string& zone) {
  if (zone.empty()) return true;  // the root
  return name == zone || (name.size() > zone.size() &&
                          name.compare(name.size() - zone.size(), zone.size(), zone) == 0 &&
                          name[name.size() - zone.size() - 1] == '.');
}

// NS targets of `owner` in `records`.
Result<std::vector<std::string>> NsHosts(const Answer& a,
                                         const std::vector<dns::ResourceRecord>& records,
                                         const std::string& owner) {
  std::vector<std::string> hosts;
  for (const auto& rr : records) {
    if (rr.type != dns::kTypeNs || rr.klass != dns::kClassIn || rr.name != owner) continue;
    ASSIGN_OR_RETURN(std::string host, dns::ReadRdataName(a.raw, rr));
    if (host.empty()) continue;
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
    if (hosts.size() >= kMaxNsHosts) break;
  }
  return hosts;
}

// IPv4 addresses of `host` in `records`, following CNAMEs found there too.
std::vector<std::string> Addresses(const Answer& a, const std::vector<dns::ResourceRecord>& records,
                                   std::string host) {
  std::vector<std::string> out;
  for (int hop = 0; hop <= kMaxCnameHops; ++hop) {
    std::string alias;
    for (const auto& rr : records) {
      if (rr.name != host || rr.klass != dns::kClassIn) continue;
      if (rr.type == dns::kTypeA) {
        auto ip = dns::ReadRdataIpv4(a.raw, rr);
        if (ip.ok()) out.push_back(*ip);
      } else if (rr.type == dns::kTypeCname && alias.empty()) {
        auto target = dns::ReadRdataName(a.raw, rr);
        if (target.ok()) alias = *target;
      }
    }
    if (!out.empty() || alias.empty()) break;
    host = alias;
  }
  return out;
}

struct Zone {
  std::string name;
  std::vector<std::string> hosts;
  Answer answer;  // the NS answer, for glue in its additional section
};

Result<Zone> FindZone(Resolver& resolver, const std::string& fqdn) {
  std::string name = dns::CanonicalName(fqdn);
  for (int step = 0; step < kMaxWalk && !name.empty(); ++step) {
    ASSIGN_OR_RETURN(Answer a, resolver.Ask(name, dns::kTypeNs));
    ASSIGN_OR_RETURN(std::vector<std::string> hosts, NsHosts(a, a.msg.answers, name));
    if (!hosts.empty()) return Zone{name, std::move(hosts), std::move(a)};
    // RFC 2308 §2.1/§2.2: NXDOMAIN and NODATA answers carry the zone's SOA in the authority
    // section; its owner is the zone the name lives in. (A CNAME's target zone is no
    // ancestor of the name and is ignored: the TXT record is polled at the name itself.)
    std::string soa_zone;
    bool have_soa = false;
    for (const auto& rr : a.msg.authority) {
      if (rr.type == dns::kTypeSoa && IsAtOrBelow(name, rr.name)) {
        soa_zone = rr.name;
        have_soa = true;
        break;
      }
    }
    if (have_soa) {
      if (soa_zone.empty()) break;  // only the root knows: no zone of its own
      ASSIGN_OR_RETURN(Answer z, resolver.Ask(soa_zone, dns::kTypeNs));
      ASSIGN_OR_RETURN(hosts, NsHosts(z, z.msg.answers, soa_zone));
      if (hosts.empty()) break;
      return Zone{soa_zone, std::move(hosts), std::move(z)};
    }
    size_t dot = name.find('.');
    if (dot == std::string::npos) break;
    name = name.substr(dot + 1);
  }
  return NotFoundError("no DNS zone found for " + fqdn + " via " + resolver.server());
}

}  // namespace

Result<std::vector<std::string>> DiscoverAuthoritativeServers(const std::string& fqdn,
                                                              const std::string& resolver,
                                                              std::chrono::milliseconds timeout,
                                                              uint16_t port) {
  if (dns::CanonicalName(fqdn).empty()) return InvalidArgumentError("no name to look up");
  RETURN_IF_ERROR(dns::CheckServerAddress(resolver));
  if (port == 0) return InvalidArgumentError("nameserver port 0");
  Resolver r(resolver, Steady::now() + timeout);
  ASSIGN_OR_RETURN(Zone zone, FindZone(r, fqdn));
  std::vector<std::string> out;
  Status last_error = OkStatus();
  for (const auto& host : zone.hosts) {
    // Glue (RFC 1034 §4.2.1) saves a query; without it, ask the resolver.
    std::vector<std::string> ips = Addresses(zone.answer, zone.answer.msg.additional, host);
    if (ips.empty()) {
      auto a = r.Ask(host, dns::kTypeA);
      if (!a.ok()) {
        last_error = a.status();
        continue;
      }
      ips = Addresses(*a, a->msg.answers, host);
    }
    for (const auto& ip : ips) {
      std::string server = ip + ":" + std::to_string(port);
      if (std::find(out.begin(), out.end(), server) == out.end()) out.push_back(server);
      if (out.size() >= kMaxAddresses) return out;
    }
  }
  if (!out.empty()) return out;
  if (!last_error.ok()) return last_error;
  return NotFoundError("no IPv4 address for the nameservers of zone " + zone.name);
}

Result<std::string> SystemResolver(const std::string& resolv_conf) {
  std::ifstream in(resolv_conf);
  if (!in) return NotFoundError("cannot read " + resolv_conf);
  std::string line;
  for (int lines = 0; lines < 10'000 && std::getline(in, line); ++lines) {
    if (line.size() > 4096) continue;
    std::istringstream words(line);
    std::string keyword, address;
    if (!(words >> keyword) || keyword != "nameserver" || !(words >> address)) continue;
    in_addr parsed{};
    if (inet_pton(AF_INET, address.c_str(), &parsed) == 1) return address + ":53";
  }
  return NotFoundError("no IPv4 nameserver in " + resolv_conf);
}

}  // namespace ck::acme
