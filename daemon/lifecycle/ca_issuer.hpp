// Issuer backed by the internal CA: signs a CSR for the manager's key with a profile.
#pragma once

#include <string>

#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "daemon/lifecycle/issuer.hpp"

namespace ck::lifecycle {

class CaIssuer final : public Issuer {
 public:
  // `profile` is the part after "ca:" in the issuer id.
  CaIssuer(ca::Authority& authority, Clock& clock, std::string profile);

  const std::string& id() const override { return id_; }
  Result<int64_t> Issue(const IssueRequest& request) override;

 private:
  ca::Authority& authority_;
  Clock& clock_;
  std::string profile_;
  std::string id_;
};

}  // namespace ck::lifecycle
