// Seal/unseal: round trip, fresh nonces, wrong master key, and every single-byte change to a
// sealed blob is detected (never garbage, never a crash).
#include "store/key_sealer.hpp"

#include <gtest/gtest.h>

#include "tests/store/store_test_util.hpp"

namespace ck::store {
namespace {

using testing::FixedKey;

const std::string kPem = testing::SamplePrivatePem("web");

TEST(KeySealerTest, RoundTrip) {
  MasterKey key = FixedKey(1);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(key, {7, "web", "ec-p256"}, kPem));
  EXPECT_EQ(blob.size(), kSealHeaderSize + kPem.size() + kSealTagSize);
  EXPECT_EQ(blob[0], kSealFormatV1);
  // The plaintext does not appear in the blob.
  EXPECT_EQ(std::string(blob.begin(), blob.end()).find("PRIVATE KEY"), std::string::npos);
  CK_ASSERT_OK_AND_ASSIGN(SecretString plain, Unseal(key, {7, "web", "ec-p256"}, blob));
  EXPECT_EQ(plain.view(), kPem);
  CK_ASSERT_OK_AND_ASSIGN(std::string mk, SealedMasterKeyId(blob));
  EXPECT_EQ(mk, key.id());
}

TEST(KeySealerTest, EmptyPlaintextRoundTrips) {
  MasterKey key = FixedKey(1);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(key, {1, "e", "x"}, ""));
  CK_ASSERT_OK_AND_ASSIGN(SecretString plain, Unseal(key, {1, "e", "x"}, blob));
  EXPECT_TRUE(plain.empty());
}

TEST(KeySealerTest, EverySealUsesAFreshNonce) {
  MasterKey key = FixedKey(1);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob a, Seal(key, {7, "web", "ec-p256"}, kPem));
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob b, Seal(key, {7, "web", "ec-p256"}, kPem));
  Bytes nonce_a(a.begin() + 9, a.begin() + kSealHeaderSize);
  Bytes nonce_b(b.begin() + 9, b.begin() + kSealHeaderSize);
  EXPECT_NE(nonce_a, nonce_b);
  EXPECT_NE(a, b);
}

TEST(KeySealerTest, WrongMasterKeyIsPermissionDeniedNamingBothKeys) {
  MasterKey right = FixedKey(1);
  MasterKey wrong = FixedKey(2);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(right, {7, "web", "ec-p256"}, kPem));
  auto r = Unseal(wrong, {7, "web", "ec-p256"}, blob);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("key 'web' (id 7)"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(right.id()), std::string::npos);
  EXPECT_NE(r.status().message().find(wrong.id()), std::string::npos);
}

// Two master keys with a colliding 8-byte id still cannot decrypt each other's blobs: the
// header is only a hint, GCM authentication is the check.
TEST(KeySealerTest, ForgedMasterKeyIdStillFailsAuthentication) {
  MasterKey right = FixedKey(1);
  MasterKey wrong = FixedKey(2);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(right, {7, "web", "ec-p256"}, kPem));
  Bytes wrong_id = HexDecode(wrong.id()).value();
  std::copy(wrong_id.begin(), wrong_id.end(), blob.begin() + 1);
  auto r = Unseal(wrong, {7, "web", "ec-p256"}, blob);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
}

TEST(KeySealerTest, EveryFlippedByteIsDetected) {
  MasterKey key = FixedKey(1);
  const SealedKeyIdentity id{7, "web", "ec-p256"};
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(key, id, kPem));
  for (size_t i = 0; i < blob.size(); ++i) {
    SealedBlob bad = blob;
    bad[i] ^= 0x01;
    auto r = Unseal(key, id, bad);
    ASSERT_FALSE(r.ok()) << "flipping byte " << i << " went unnoticed";
    bool header_id = i >= 1 && i < 1 + kSealMasterIdSize;
    EXPECT_EQ(r.status().code(), header_id ? StatusCode::kPermissionDenied : StatusCode::kDataLoss)
        << "byte " << i << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("key 'web' (id 7)"), std::string::npos);
  }
}

TEST(KeySealerTest, TamperedCiphertextMessage) {
  MasterKey key = FixedKey(1);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(key, {7, "web", "ec-p256"}, kPem));
  blob[kSealHeaderSize + 3] ^= 0x80;
  auto r = Unseal(key, {7, "web", "ec-p256"}, blob);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("authentication failed"), std::string::npos)
      << r.status().message();
}

TEST(KeySealerTest, AssociatedDataBindsRowIdAndAlgorithm) {
  MasterKey key = FixedKey(1);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(key, {7, "web", "ec-p256"}, kPem));
  // Same blob presented as another row (a copied blob) or with an edited algorithm.
  auto other_row = Unseal(key, {8, "web", "ec-p256"}, blob);
  auto other_alg = Unseal(key, {7, "web", "rsa-2048"}, blob);
  EXPECT_EQ(other_row.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(other_alg.status().code(), StatusCode::kDataLoss);
  // The label is not authenticated (it is only used in messages).
  EXPECT_TRUE(Unseal(key, {7, "renamed", "ec-p256"}, blob).ok());
}

TEST(KeySealerTest, TruncatedAndUnknownVersionAreDataLoss) {
  MasterKey key = FixedKey(1);
  CK_ASSERT_OK_AND_ASSIGN(SealedBlob blob, Seal(key, {7, "web", "ec-p256"}, kPem));
  for (size_t len : {size_t{0}, size_t{1}, size_t{9}, kSealHeaderSize + kSealTagSize - 1}) {
    SealedBlob cut(blob.begin(), blob.begin() + len);
    auto r = Unseal(key, {7, "web", "ec-p256"}, cut);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << "length " << len;
  }
  SealedBlob cut(blob.begin(), blob.end() - 1);
  EXPECT_EQ(Unseal(key, {7, "web", "ec-p256"}, cut).status().code(), StatusCode::kDataLoss);
  blob[0] = 0x02;
  auto r = Unseal(key, {7, "web", "ec-p256"}, blob);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("format version 2"), std::string::npos);
}

TEST(SecretStringTest, MoveLeavesSourceEmpty) {
  SecretString a(std::string(100, 's'));
  SecretString b(std::move(a));
  EXPECT_EQ(b.size(), 100u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
  std::string short_secret = "tiny";
  SecretString c(std::move(short_secret));
  EXPECT_EQ(c.view(), "tiny");
  EXPECT_EQ(std::string(short_secret.data(), 4).find("tiny"), std::string::npos);
}

}  // namespace
}  // namespace ck::store
