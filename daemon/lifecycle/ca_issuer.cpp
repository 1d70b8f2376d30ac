#include "daemon/lifecycle/ca_issuer.hpp"

#include "acme/resources.hpp"

namespace ck::lifecycle {

CaIssuer::CaIssuer(ca::Authority& authority, Clock& clock, std::string profile)
    : authority_(authority), clock_(clock), profile_(std::move(profile)), id_("ca:" + profile_) {}

Result<int64_t> CaIssuer::Issue(const IssueRequest& request) {
  if (request.key == nullptr || request.key_id == 0) {
    return InvalidArgumentError("internal CA issuance needs the certificate key");
  }
  // The manager holds the key (sealed in the store): the CA certifies its public key without
  // a CSR, which would only be signed here to be verified again there.
  ca::KeyIssueRequest issue;
  for (const std::string& name : request.domains) {
    if (acme::IdentifierFor(name).type == "ip") {
      issue.sans.ip_addresses.push_back(name);
    } else {
      issue.sans.dns_names.push_back(name);
    }
  }
  issue.sans.uris = request.uris;
  if (!issue.sans.dns_names.empty() && issue.sans.dns_names.front().size() <= 64) {
    issue.common_name = issue.sans.dns_names.front();
  }
  issue.options.profile = profile_;
  issue.options.name = request.name;
  issue.options.lifetime = request.lifetime;
  issue.options.key_id = request.key_id;
  ASSIGN_OR_RETURN(ca::Issued issued,
                   authority_.IssueForPublicKey(request.key->GetPublicKey(), issue, clock_.Now()));
  return issued.record_id;
}

}  // namespace ck::lifecycle
