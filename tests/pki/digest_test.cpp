#include "pki/digest.hpp"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.hpp"

namespace ck::pki {
namespace {

TEST(DigestTest, Sha256KnownAnswers) {
  // FIPS 180-2 Appendix B.1 and the empty string.
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256(ToBytes("abc")), Sha256("abc"));
}

TEST(DigestTest, HmacSha256Rfc4231) {
  // RFC 4231 §4.3 (test case 2) and §4.2 (test case 1).
  EXPECT_EQ(HexEncode(HmacSha256(ToBytes("Jefe"), "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(HmacSha256(Bytes(20, 0x0b), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacSha256(Bytes{}, "x").size(), 32u);  // an empty key is legal
}

TEST(DigestTest, RandomBytes) {
  ASSERT_OK_AND_ASSIGN(Bytes a, RandomBytes(32));
  ASSERT_OK_AND_ASSIGN(Bytes b, RandomBytes(32));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  ASSERT_OK_AND_ASSIGN(Bytes none, RandomBytes(0));
  EXPECT_TRUE(none.empty());
}

TEST(DigestTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals(ToBytes("secret"), ToBytes("secret")));
  EXPECT_FALSE(ConstantTimeEquals(ToBytes("secret"), ToBytes("secreT")));
  EXPECT_FALSE(ConstantTimeEquals(ToBytes("secret"), ToBytes("secret!")));
  EXPECT_TRUE(ConstantTimeEquals(Bytes{}, Bytes{}));
}

}  // namespace
}  // namespace ck::pki
