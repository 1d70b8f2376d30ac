// A web::Backend whose every method fails with Unimplemented; tests override what they use.
#pragma once

#include "web/backend.hpp"

namespace ck::web {

class FakeBackendBase : public Backend {
 public:
  HealthReport Health() override { return {"test", {}}; }
  Result<Identity> AuthenticateToken(std::string_view) override {
    return UnauthenticatedError("no");
  }
  Result<Identity> AuthenticateClientCertificate(const pki::Certificate&) override {
    return UnauthenticatedError("no");
  }
  Result<NewToken> CreateToken(const std::string&, Role, std::chrono::seconds) override {
    return Unimplemented();
  }
  Result<std::vector<TokenInfo>> ListTokens() override { return std::vector<TokenInfo>{}; }
  Status RevokeToken(int64_t) override { return Unimplemented(); }
  Result<std::string> CaChainPem() override { return Unimplemented(); }
  Result<std::string> CurrentCrlPem() override { return Unimplemented(); }
  Result<Bytes> RespondOcsp(const Bytes&) override { return Unimplemented(); }
  Result<IssuedBundle> SignCsr(const std::string&, const IssueRequest&) override {
    return Unimplemented();
  }
  Result<IssuedBundle> IssueWithKey(const IssueRequest&) override { return Unimplemented(); }
  Status Revoke(const std::string&, const std::string&) override { return Unimplemented(); }
  Result<std::vector<CertificateView>> ListCertificates(const CertificateFilter&) override {
    return Unimplemented();
  }
  Result<CertificateView> GetCertificate(int64_t) override { return Unimplemented(); }

 private:
  static Status Unimplemented() { return UnimplementedError("not in this test"); }
};

}  // namespace ck::web
