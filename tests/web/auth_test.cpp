#include "web/auth.hpp"

#include <gtest/gtest.h>

namespace ck::web {
namespace {

TEST(AuthTest, RolePermissions) {
  EXPECT_TRUE(Allows(Role::kAdmin, Permission::kAdminister));
  EXPECT_FALSE(Allows(Role::kOperator, Permission::kAdminister));
  EXPECT_TRUE(Allows(Role::kOperator, Permission::kIssue));
  EXPECT_FALSE(Allows(Role::kViewer, Permission::kIssue));
  EXPECT_TRUE(Allows(Role::kViewer, Permission::kRead));
  EXPECT_FALSE(Allows(Role::kConsumer, Permission::kRead));
  EXPECT_TRUE(Allows(Role::kConsumer, Permission::kConsumerRead));
  for (auto r : {"admin", "operator", "viewer", "consumer"}) {
    EXPECT_EQ(RoleName(*ParseRole(r)), r);
  }
  EXPECT_FALSE(ParseRole("root").ok());
}

TEST(AuthTest, BearerExtraction) {
  EXPECT_FALSE(ExtractBearerToken({})->has_value());
  EXPECT_EQ(**ExtractBearerToken({{"authorization", "Bearer abc"}}), "abc");
  EXPECT_EQ(**ExtractBearerToken({{"authorization", "bearer abc "}}), "abc");
  EXPECT_EQ(ExtractBearerToken({{"authorization", "Basic abc"}}).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_FALSE(ExtractBearerToken({{"authorization", "Bearer "}}).ok());
  EXPECT_FALSE(ExtractBearerToken({{"authorization", "Bearer " + std::string(600, 'a')}}).ok());
}

TEST(AuthTest, SpiffeIdentities) {
  auto id =
      IdentityFromSpiffeUri("spiffe://prod.internal/certkeeper/operator/deployer", "prod.internal");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->role, Role::kOperator);
  EXPECT_EQ(id->name, "deployer");
  EXPECT_EQ(id->method, "mtls");
  EXPECT_TRUE(IdentityFromSpiffeUri("spiffe://any.domain/certkeeper/viewer/x", "").ok());
  EXPECT_EQ(IdentityFromSpiffeUri("spiffe://evil.internal/certkeeper/admin/x", "prod.internal")
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  for (const char* bad :
       {"https://prod.internal/certkeeper/admin/x", "spiffe://prod.internal",
        "spiffe://prod.internal/other/admin/x", "spiffe://prod.internal/certkeeper/admin",
        "spiffe://prod.internal/certkeeper/admin/", "spiffe://prod.internal/certkeeper/admin/a/b",
        "spiffe://prod.internal/certkeeper/superuser/x"}) {
    EXPECT_FALSE(IdentityFromSpiffeUri(bad, "prod.internal").ok()) << bad;
  }
}

TEST(AuthTest, TokensAreRandomAndHashed) {
  auto a = GenerateApiToken();
  auto b = GenerateApiToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->rfind("ckt_", 0), 0u);
  EXPECT_EQ(a->size(), 4u + 43u);
  EXPECT_EQ(HashApiToken(*a).size(), 64u);
  EXPECT_EQ(HashApiToken(*a), HashApiToken(*a));
  // SHA-256("abc"), FIPS 180-2 test vector.
  EXPECT_EQ(HashApiToken("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace ck::web
