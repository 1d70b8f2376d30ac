// CA settings: EKU/SAN-type/constraint-target parsing, built-in profiles, whole-settings
// validation and the {ca} URL placeholder; serial numbers.
#include "ca/settings.hpp"

#include <gtest/gtest.h>

#include <set>

#include "ca/serial.hpp"

namespace ck::ca {
namespace {

using std::chrono::hours;

TEST(SettingsTest, ParsesNames) {
  EXPECT_EQ(*ParseExtendedKeyUsage("serverAuth"), ExtendedKeyUsage::kServerAuth);
  EXPECT_EQ(*ParseExtendedKeyUsage("client-auth"), ExtendedKeyUsage::kClientAuth);
  EXPECT_EQ(*ParseExtendedKeyUsage("CLIENT_AUTH"), ExtendedKeyUsage::kClientAuth);
  EXPECT_EQ(ParseExtendedKeyUsage("codeSigning").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseSanType("DNS"), pki::SanType::kDns);
  EXPECT_EQ(*ParseSanType("email"), pki::SanType::kEmail);
  EXPECT_FALSE(ParseSanType("othername").ok());
  EXPECT_EQ(*ParseConstraintTarget("both"), ConstraintTarget::kBoth);
  EXPECT_FALSE(ParseConstraintTarget("leaf").ok());
}

TEST(SettingsTest, BuiltInProfilesAsStepCa) {
  CaSettings s;
  ASSERT_EQ(s.profiles.size(), 3u);
  const Profile* server = *s.FindProfile("server");
  EXPECT_EQ(server->ekus, std::vector<ExtendedKeyUsage>{ExtendedKeyUsage::kServerAuth});
  EXPECT_EQ(server->lifetime, hours(24));
  EXPECT_EQ(server->max_lifetime, hours(24));
  EXPECT_TRUE(server->AllowsSanType(pki::SanType::kIp));
  EXPECT_FALSE(server->AllowsSanType(pki::SanType::kUri));
  const Profile* client = *s.FindProfile("client");
  EXPECT_EQ(client->ekus, std::vector<ExtendedKeyUsage>{ExtendedKeyUsage::kClientAuth});
  EXPECT_TRUE(client->AllowsSanType(pki::SanType::kUri));
  const Profile* peer = *s.FindProfile("peer");
  EXPECT_EQ(peer->ekus.size(), 2u);
  auto missing = s.FindProfile("nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("server, client, peer"), std::string::npos);
  EXPECT_TRUE(ValidateSettings(s).ok());
  EXPECT_EQ(s.root_key_type, pki::KeyType::kEcdsaP384);
  EXPECT_EQ(s.intermediate_key_type, pki::KeyType::kEcdsaP256);
}

TEST(SettingsTest, ValidationNamesTheProblem) {
  struct Case {
    void (*mutate)(CaSettings&);
    const char* message;
  };
  const Case cases[] = {
      {[](CaSettings& s) { s.crl_url = "ftp://x/crl"; }, "not an http(s) URL"},
      {[](CaSettings& s) { s.ocsp_url = "http://x/{name}"; }, "not an http(s) URL"},
      {[](CaSettings& s) { s.trust_domain = "Example.org"; }, "ca.trust_domain"},
      {[](CaSettings& s) { s.intermediate_lifetime = s.root_lifetime + hours(1); },
       "intermediate_lifetime exceeds"},
      {[](CaSettings& s) { s.crl_lifetime = std::chrono::seconds(10); }, "at least 5m"},
      {[](CaSettings& s) { s.name_constraints.permitted_dns = {"*.x"}; }, "permitted DNS"},
      {[](CaSettings& s) { s.name_constraints.permitted_ip = {"10.0.0.1/8"}; }, "host bits"},
      {[](CaSettings& s) { s.profiles[0].max_lifetime = hours(1); }, "exceeds max_lifetime"},
      {[](CaSettings& s) { s.profiles[0].ekus.clear(); }, "needs at least one EKU"},
      {[](CaSettings& s) { s.profiles[1].policy.allow_dns = {"a.*.b"}; }, "profile 'client'"},
      {[](CaSettings& s) { s.profiles[2].name = "server"; }, "defined twice"},
      {[](CaSettings& s) { s.profiles.clear(); }, "no issuance profile"},
  };
  for (const auto& c : cases) {
    CaSettings s;
    c.mutate(s);
    Status st = ValidateSettings(s);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.message;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
  }
}

TEST(SettingsTest, CaUrlPlaceholder) {
  EXPECT_TRUE(ValidateCaUrl("http://ca.internal/crl/{ca}.crl").ok());
  EXPECT_TRUE(ValidateCaUrl("https://ca.internal/ocsp").ok());
  EXPECT_EQ(ExpandCaUrl("http://ca/crl/{ca}.crl", "intermediate-0a1b2c3d"),
            "http://ca/crl/intermediate-0a1b2c3d.crl");
  EXPECT_EQ(ExpandCaUrl("http://ca/ocsp", "x"), "http://ca/ocsp");
}

TEST(SerialTest, RandomPositive128Bits) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto serial = NewSerial();
    ASSERT_TRUE(serial.ok());
    EXPECT_EQ(serial->size(), 16u);
    const std::string hex = SerialToHex(*serial);
    EXPECT_LE(hex.size(), 32u);
    EXPECT_EQ(hex.size() % 2, 0u);
    EXPECT_TRUE(seen.insert(hex).second) << "repeated serial " << hex;
  }
  EXPECT_EQ(SerialToHex({0x00, 0x0a, 0xff}), "0AFF");
}

TEST(SerialTest, NormalizesWhatPeoplePaste) {
  struct Case {
    const char* in;
    const char* out;  // nullptr = InvalidArgument
  };
  const Case cases[] = {
      {"0a:1b:2c", "0A1B2C"}, {"0x0A1B2C", "0A1B2C"},
      {"A1B2C", "0A1B2C"},    {"  ff  ", "FF"},
      {"000001", "01"},       {"0", nullptr},
      {"", nullptr},          {"xyz", nullptr},
      {"-01", nullptr},       {"ffffffffffffffffffffffffffffffffffffffffff", nullptr},
  };
  for (const auto& c : cases) {
    auto r = NormalizeSerialHex(c.in);
    if (c.out == nullptr) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.in;
    } else {
      ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
      EXPECT_EQ(*r, c.out);
    }
  }
}

}  // namespace
}  // namespace ck::ca
