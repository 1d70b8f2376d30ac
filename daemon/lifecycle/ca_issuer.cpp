#include "daemon/lifecycle/ca_issuer.hpp"

#include "acme/resources.hpp"
#include "pki/csr.hpp"

namespace ck::lifecycle {

CaIssuer::CaIssuer(ca::Authority& authority, Clock& clock, std::string profile)
    : authority_(authority), clock_(clock), profile_(std::move(profile)), id_("ca:" + profile_) {}

Result<int64_t> CaIssuer::Issue(const IssueRequest& request) {
  if (request.key == nullptr || request.key_id == 0) {
    return InvalidArgumentError("internal CA issuance needs the certificate key");
  }
  // A CSR signed by the manager's key: the CA checks proof of possession like for any client,
  // and the key never leaves the store's custody.
  pki::CsrRequest csr_request;
  for (const std::string& name : request.domains) {
    if (acme::IdentifierFor(name).type == "ip") {
      csr_request.ip_addresses.push_back(name);
    } else {
      csr_request.dns_names.push_back(name);
    }
  }
  csr_request.uris = request.uris;
  if (!csr_request.dns_names.empty() && csr_request.dns_names.front().size() <= 64) {
    csr_request.common_name = csr_request.dns_names.front();
  }
  ASSIGN_OR_RETURN(pki::Csr csr, pki::BuildCsr(csr_request, *request.key));
  ca::IssueOptions options;
  options.profile = profile_;
  options.name = request.name;
  options.lifetime = request.lifetime;
  options.key_id = request.key_id;
  ASSIGN_OR_RETURN(ca::Issued issued, authority_.SignCsr(csr, options, clock_.Now()));
  return issued.record_id;
}

}  // namespace ck::lifecycle
