#include "ca/ca_metrics.hpp"

#include "common/metrics.hpp"

namespace ck::ca {

void CountIssued(std::string_view profile) {
  static auto& issued = metrics::Default().AddCounter(
      "certkeeper_ca_issued_total", "Certificates issued by the internal CA, by profile.",
      {"profile"});
  issued.With({profile}).Inc();
}

void CountRevoked(std::string_view reason) {
  static auto& revoked = metrics::Default().AddCounter(
      "certkeeper_ca_revoked_total", "Certificates revoked by the internal CA, by reason.",
      {"reason"});
  revoked.With({reason}).Inc();
}

}  // namespace ck::ca
