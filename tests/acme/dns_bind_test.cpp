// Authoritative server discovery and the propagation check against a real BIND 9 `named`
// (tests/testing/bind_fixture.hpp): its zone has `@ NS ns.<zone>.` and `ns A 127.0.0.1`, so
// asked as the "resolver", named itself leads discovery back to 127.0.0.1 on its port; a TXT
// record added by an RFC 2136 update must then be seen by WaitForTxt with no nameservers.
#include <gtest/gtest.h>

#include <cstdio>

#include "acme/resources.hpp"
#include "acme/solvers/dns01.hpp"
#include "acme/solvers/dns_discovery.hpp"
#include "acme/solvers/dns_wire.hpp"
#include "acme/solvers/rfc2136.hpp"
#include "common/clock.hpp"
#include "tests/acme/fake_ca.hpp"
#include "tests/testing/bind_fixture.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::acme {
namespace {

std::string Slurp(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  std::string s(65536, '\0');
  s.resize(std::fread(s.data(), 1, s.size(), f));
  std::fclose(f);
  return s;
}

class DnsBindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ck::testing::BindFixture::Installed()) GTEST_SKIP() << "bind9 not installed";
    auto bind = ck::testing::BindFixture::Start("example.test");
    ASSERT_OK(bind);
    bind_ = *std::move(bind);
  }
  std::unique_ptr<ck::testing::BindFixture> bind_;
};

TEST_F(DnsBindTest, DiscoversTheZonesNameserverThroughNamed) {
  const std::string expected = "127.0.0.1:" + std::to_string(bind_->port());
  for (const char* name : {"_acme-challenge.example.test", "_acme-challenge.deep.www.example.test.",
                           "example.test", "NS.Example.Test"}) {
    auto servers = DiscoverAuthoritativeServers(name, bind_->address(), std::chrono::seconds(5),
                                                bind_->port());
    ASSERT_OK(servers) << name << ": " << servers.status().ToString() << "\n" << bind_->Log();
    EXPECT_EQ(*servers, std::vector<std::string>{expected}) << name;
  }
  // named (recursion off) refuses names outside its zone: not a zone, and not a crash.
  auto outside = DiscoverAuthoritativeServers("_acme-challenge.elsewhere.invalid", bind_->address(),
                                              std::chrono::seconds(5));
  EXPECT_FALSE(outside.ok());
}

TEST_F(DnsBindTest, WaitForTxtWithoutNameserversPollsTheDiscoveredServers) {
  Rfc2136Options options;
  options.server = bind_->address();
  ASSERT_OK_AND_ASSIGN(options.key, ParseTsigKeyFile(Slurp(bind_->key_file())));
  SystemClock clock;
  Dns01Rfc2136Solver solver(options, clock);
  ChallengeContext c;
  c.type = "dns-01";
  c.identifier = IdentifierFor("disco.example.test");
  c.token = "tok";
  c.key_authorization = "tok.thumbprint";

  PropagationCheck check;  // no nameservers: discovery through named as the resolver
  check.resolver = bind_->address();
  check.authoritative_port = bind_->port();
  check.timeout = std::chrono::seconds(10);

  // Not there yet: the wait really polls (a skipped check would return OK here).
  testing::StepClock fake;
  PropagationCheck short_check = check;
  short_check.timeout = std::chrono::seconds(2);
  Status missing = WaitForTxt(fake, short_check, c.DnsRecordName(), c.DnsTxtValue());
  EXPECT_EQ(missing.code(), StatusCode::kDeadlineExceeded) << missing.ToString();
  EXPECT_NE(missing.message().find("127.0.0.1:" + std::to_string(bind_->port())), std::string::npos)
      << missing.ToString();

  ASSERT_OK(solver.Present(c)) << bind_->Log();
  Status seen = WaitForTxt(clock, check, c.DnsRecordName(), c.DnsTxtValue());
  EXPECT_OK(seen) << seen.ToString() << "\n" << bind_->Log();
  ASSERT_OK(solver.CleanUp(c));
  Status gone = WaitForTxt(fake, short_check, c.DnsRecordName(), c.DnsTxtValue());
  EXPECT_EQ(gone.code(), StatusCode::kDeadlineExceeded) << gone.ToString();
}

}  // namespace
}  // namespace ck::acme
