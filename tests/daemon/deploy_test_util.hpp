// Shared by the deploy tests: certificate material minted by TestCa.
#pragma once

#include <string>
#include <vector>

#include "daemon/deploy/deployer.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::deploy::testutil {

// A root and an intermediate; leaves come with the intermediate as their chain.
struct TestIssuer {
  testing::TestCa root;
  testing::TestCa intermediate;
};

inline Result<TestIssuer> MakeIssuer() {
  ASSIGN_OR_RETURN(testing::TestCa root, testing::TestCa::CreateRoot());
  ASSIGN_OR_RETURN(testing::TestCa inter, root.CreateIntermediate());
  return TestIssuer{std::move(root), std::move(inter)};
}

inline Material ToMaterial(const testing::IssuedCert& ic, const std::string& name,
                           std::vector<std::string> domains) {
  Material m;
  m.name = name;
  m.domains = std::move(domains);
  m.serial_hex = ic.cert.SerialHex();
  m.cert_pem = ic.CertPem();
  std::string chain;
  for (size_t i = 1; i < ic.chain.size(); ++i) chain += ic.chain[i].ToPem();
  m.chain_pem = chain;
  m.key_pem = store::SecretString(ic.KeyPem());
  m.not_after = ic.cert.NotAfter();
  return m;
}

inline Result<Material> Issue(const TestIssuer& issuer, const std::string& name = "web",
                              std::vector<std::string> domains = {"web.test"},
                              std::string serial_hex = "") {
  testing::CertSpec spec;
  spec.common_name = domains.empty() ? name : domains.front();
  spec.dns_names = domains;
  spec.serial_hex = std::move(serial_hex);
  ASSIGN_OR_RETURN(testing::IssuedCert ic, issuer.intermediate.Issue(spec));
  return ToMaterial(ic, name, std::move(domains));
}

}  // namespace ck::deploy::testutil
