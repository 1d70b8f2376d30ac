// The name policy as tables: pattern matching per SAN type, pattern validation, SPIFFE IDs and
// the whole-profile check with the error code and message each refusal carries.
#include "ca/name_policy.hpp"

#include <gtest/gtest.h>

namespace ck::ca {
namespace {

using pki::SanType;

struct MatchCase {
  const char* pattern;
  const char* name;
  bool match;
};

TEST(NamePolicyTest, DnsPatterns) {
  const MatchCase cases[] = {
      {"a.svc.internal", "a.svc.internal", true},
      {"a.svc.internal", "A.SVC.Internal", true},  // case-insensitive
      {"a.svc.internal", "b.svc.internal", false},
      {"*.svc.internal", "a.svc.internal", true},
      {"*.svc.internal", "a.b.svc.internal", false},  // '*' is exactly one label
      {"*.svc.internal", "svc.internal", false},
      {"*.svc.internal", "*.svc.internal", true},  // a requested wildcard, '*' as a label
      {"**.svc.internal", "a.svc.internal", true},
      {"**.svc.internal", "a.b.c.svc.internal", true},
      {"**.svc.internal", "svc.internal", false},
      {"**.svc.internal", "evilsvc.internal", false},  // label boundary, not a suffix
      {"*.svc.internal", "a.svc.internal.evil.com", false},
      {"**", "anything.at.all", true},
      {"*", "localhost", true},
      {"*", "a.b", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MatchDnsPattern(c.pattern, c.name), c.match) << c.pattern << " vs " << c.name;
  }
}

TEST(NamePolicyTest, IpRanges) {
  const MatchCase cases[] = {
      {"10.0.0.0/8", "10.1.2.3", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"10.0.0.0/8", "::ffff:10.1.2.3", false},  // families are distinct
      {"192.0.2.7", "192.0.2.7", true},          // a single address is a /32
      {"192.0.2.7", "192.0.2.8", false},
      {"192.0.2.0/25", "192.0.2.127", true},
      {"192.0.2.0/25", "192.0.2.128", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"fd00::/8", "fd12:3456::1", true},
      {"fd00::/8", "fe80::1", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "10.0.0.1", false},
  };
  for (const auto& c : cases) {
    auto range = ParseIpRange(c.pattern);
    ASSERT_TRUE(range.ok()) << c.pattern << ": " << range.status().ToString();
    EXPECT_EQ(range->Contains(c.name), c.match) << c.pattern << " vs " << c.name;
  }
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x",
                          "example.com", "", "10.0.0.0/-1"}) {
    EXPECT_EQ(ParseIpRange(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseIpRange("10.0.0.1/8").status().message().find("host bits"), std::string::npos);
  // Constraint encoding: address then mask (RFC 5280 §4.2.1.10).
  EXPECT_EQ(ParseIpRange("10.0.0.0/8")->ConstraintBytes(),
            (std::vector<uint8_t>{10, 0, 0, 0, 255, 0, 0, 0}));
  EXPECT_EQ(ParseIpRange("192.0.2.0/25")->ConstraintBytes(),
            (std::vector<uint8_t>{192, 0, 2, 0, 255, 255, 255, 128}));
  EXPECT_EQ(ParseIpRange("fd00::/8")->ConstraintBytes().size(), 32u);
}

TEST(NamePolicyTest, UriPatterns) {
  const MatchCase cases[] = {
      {"spiffe://example.org/ns/*/sa/*", "spiffe://example.org/ns/prod/sa/web", true},
      {"spiffe://example.org/ns/*/sa/*", "spiffe://example.org/ns/prod/x/sa/web", false},
      {"spiffe://example.org/ns/*/sa/*", "spiffe://example.org/ns/prod/sa/web/extra", false},
      {"spiffe://example.org/**", "spiffe://example.org/a/b/c", true},
      {"spiffe://example.org/**", "spiffe://example.org.evil/a", false},
      {"spiffe://example.org/**", "spiffe://evil.org/example.org/a", false},
      {"https://svc.internal/*", "https://svc.internal/api", true},
      {"https://svc.internal/*", "https://svc.internal/api/v1", false},
      {"spiffe://example.org/web", "spiffe://example.org/Web", false},  // case-sensitive
      {"**", "urn:anything", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MatchUriPattern(c.pattern, c.name), c.match) << c.pattern << " vs " << c.name;
  }
  // A pathological pattern does not blow up (dynamic programming, not backtracking).
  std::string pattern = "spiffe://x/";
  for (int i = 0; i < 40; ++i) pattern += "*a";
  EXPECT_FALSE(MatchUriPattern(pattern, "spiffe://x/" + std::string(2000, 'a') + "b"));
}

TEST(NamePolicyTest, EmailPatterns) {
  const MatchCase cases[] = {
      {"ops@example.com", "ops@example.com", true},
      {"ops@example.com", "ops@EXAMPLE.com", true},  // the domain is case-insensitive
      {"ops@example.com", "dev@example.com", false},
      {"@example.com", "anyone@example.com", true},
      {"example.com", "anyone@example.com", true},
      {"example.com", "anyone@sub.example.com", false},
      {"@**.example.com", "anyone@sub.example.com", true},
      {"team-*@example.com", "team-web@example.com", true},
      {"team-*@example.com", "web@example.com", false},
      {"example.com", "not-an-address", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MatchEmailPattern(c.pattern, c.name), c.match) << c.pattern << " vs " << c.name;
  }
}

TEST(NamePolicyTest, PatternValidation) {
  struct Case {
    Status (*validate)(std::string_view);
    const char* pattern;
    bool ok;
  };
  const Case cases[] = {
      {ValidateDnsPattern, "*.svc.internal", true},
      {ValidateDnsPattern, "**.svc.internal", true},
      {ValidateDnsPattern, "**", true},
      {ValidateDnsPattern, "a.*.internal", false},
      {ValidateDnsPattern, "*a.internal", false},
      {ValidateDnsPattern, "bad_name.internal", false},
      {ValidateDnsPattern, "", false},
      {ValidateIpPattern, "10.0.0.0/8", true},
      {ValidateIpPattern, "10.0.0.0/99", false},
      {ValidateUriPattern, "spiffe://example.org/ns/*/sa/*", true},
      {ValidateUriPattern, "no scheme", false},
      {ValidateUriPattern, "*", false},
      {ValidateEmailPattern, "@example.com", true},
      {ValidateEmailPattern, "ops@example.com", true},
      {ValidateEmailPattern, "example.com", true},
      {ValidateEmailPattern, "a@b@c", false},
      {ValidateEmailPattern, "ops@", false},
  };
  for (const auto& c : cases) {
    Status s = c.validate(c.pattern);
    EXPECT_EQ(s.ok(), c.ok) << c.pattern << ": " << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(s.message().find(c.pattern), std::string::npos) << s.message();
    }
  }
}

TEST(NamePolicyTest, SpiffeIds) {
  struct Case {
    const char* uri;
    const char* trust_domain;
    StatusCode code;
  };
  const Case cases[] = {
      {"spiffe://example.org/ns/prod/sa/web", "", StatusCode::kOk},
      {"spiffe://example.org/ns/prod/sa/web", "example.org", StatusCode::kOk},
      {"spiffe://other.org/web", "example.org", StatusCode::kPermissionDenied},
      {"spiffe://example.org", "", StatusCode::kInvalidArgument},  // no workload path
      {"spiffe://example.org/", "", StatusCode::kInvalidArgument},
      {"spiffe://Example.org/web", "", StatusCode::kInvalidArgument},
      {"spiffe://example.org:443/web", "", StatusCode::kInvalidArgument},
      {"spiffe://user@example.org/web", "", StatusCode::kInvalidArgument},
      {"spiffe://example.org/a//b", "", StatusCode::kInvalidArgument},
      {"spiffe://example.org/a/../b", "", StatusCode::kInvalidArgument},
      {"spiffe://example.org/a?x=1", "", StatusCode::kInvalidArgument},
      {"spiffe://example.org/a#f", "", StatusCode::kInvalidArgument},
      {"SPIFFE://example.org/a", "", StatusCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ValidateSpiffeId(c.uri, c.trust_domain).code(), c.code) << c.uri;
  }
  EXPECT_TRUE(IsSpiffeUri("SPIFFE://x/y"));
  EXPECT_FALSE(IsSpiffeUri("https://x/y"));
}

Profile TestProfile() {
  Profile p = ProfileDefaults("peer");
  p.name = "svc";
  p.san_types = {SanType::kDns, SanType::kIp, SanType::kUri, SanType::kEmail};
  p.policy.allow_dns = {"**.svc.internal"};
  p.policy.deny_dns = {"*.admin.svc.internal"};
  p.policy.allow_ip = {"10.0.0.0/8"};
  p.policy.deny_ip = {"10.0.0.1"};
  p.policy.allow_uri = {"spiffe://example.org/ns/*/sa/*"};
  p.policy.allow_email = {"@example.com"};
  return p;
}

TEST(NamePolicyTest, CheckNamesAgainstAProfile) {
  struct Case {
    std::vector<pki::SubjectAltName> names;
    StatusCode code;
    const char* message;  // substring; "" = not checked
  };
  const Case cases[] = {
      {{{SanType::kDns, "web.svc.internal"}}, StatusCode::kOk, ""},
      {{{SanType::kDns, "a.b.svc.internal"}, {SanType::kIp, "10.2.3.4"}}, StatusCode::kOk, ""},
      {{{SanType::kUri, "spiffe://example.org/ns/prod/sa/web"}}, StatusCode::kOk, ""},
      {{{SanType::kEmail, "ops@example.com"}}, StatusCode::kOk, ""},
      {{{SanType::kDns, "web.example.com"}},
       StatusCode::kPermissionDenied,
       "DNS name 'web.example.com' is not allowed (allow_dns: **.svc.internal) by profile 'svc'"},
      {{{SanType::kDns, "db.admin.svc.internal"}},
       StatusCode::kPermissionDenied,
       "is denied (deny_dns '*.admin.svc.internal')"},
      {{{SanType::kIp, "10.0.0.1"}}, StatusCode::kPermissionDenied, "deny_ip '10.0.0.1'"},
      {{{SanType::kIp, "192.168.1.1"}}, StatusCode::kPermissionDenied, "allow_ip"},
      {{{SanType::kUri, "spiffe://other.org/ns/a/sa/b"}},
       StatusCode::kPermissionDenied,
       "outside the trust domain 'example.org'"},
      {{{SanType::kUri, "spiffe://example.org/web"}}, StatusCode::kPermissionDenied, "allow_uri"},
      {{{SanType::kUri, "spiffe://example.org/ns/a/sa/b"}, {SanType::kUri, "https://x/y"}},
       StatusCode::kPermissionDenied,
       ""},  // the second URI is outside allow_uri before the SVID rule applies
      {{{SanType::kEmail, "ops@evil.com"}}, StatusCode::kPermissionDenied, "allow_email"},
      {{{SanType::kDns, "*.svc.internal"}}, StatusCode::kPermissionDenied, "wildcard"},
      {{{SanType::kDns, "bad_name.svc.internal"}}, StatusCode::kInvalidArgument, ""},
      {{{SanType::kIp, "999.1.1.1"}}, StatusCode::kInvalidArgument, ""},
      {{{SanType::kOtherName, "1.2.3;UTF8:x"}}, StatusCode::kPermissionDenied, "othername"},
      {{}, StatusCode::kInvalidArgument, "no subject alternative name"},
  };
  const Profile p = TestProfile();
  for (const auto& c : cases) {
    Status s = CheckNames(p, "example.org", c.names);
    EXPECT_EQ(s.code(), c.code) << (c.names.empty() ? "(none)" : c.names[0].value) << ": "
                                << s.ToString();
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
  }
}

TEST(NamePolicyTest, SanTypesAndSvidRule) {
  Profile server = ProfileDefaults("server");
  Status s = CheckNames(server, "", {{SanType::kUri, "spiffe://example.org/web"}});
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("profile 'server' does not allow URI names"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("it allows: DNS, IP"), std::string::npos) << s.message();

  Profile peer = ProfileDefaults("peer");  // no allow lists: any name of the allowed types
  EXPECT_TRUE(CheckNames(peer, "", {{SanType::kUri, "spiffe://example.org/web"}}).ok());
  // An X.509-SVID carries exactly one URI.
  s = CheckNames(peer, "",
                 {{SanType::kUri, "spiffe://example.org/web"}, {SanType::kUri, "https://x/y"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("exactly one URI"), std::string::npos);
  peer.allow_wildcards = true;
  EXPECT_TRUE(CheckNames(peer, "", {{SanType::kDns, "*.svc.internal"}}).ok());
  // Oversized names are refused before any pattern sees them.
  const std::string huge = "spiffe://example.org/" + std::string(3000, 'a');
  EXPECT_EQ(CheckNames(peer, "", {{SanType::kUri, huge}}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ck::ca
