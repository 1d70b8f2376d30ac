#include "pki/key.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <algorithm>
#include <map>
#include <random>

#include "pki/digest.hpp"
#include "tests/pki/pki_test_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::pki {
namespace {

using ::testing::HasSubstr;
using testutil::IndependentPin;
using testutil::RunShell;
using testutil::Trim;

// Generated with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`; the pin was
// computed with `openssl pkey -pubout -outform DER | openssl dgst -sha256 -binary | base64`.
constexpr char kFixedP256Pkcs8[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgL0mseqSJV2/pZs1B
wGQwHEKWhdKRRJN5YZMIFzztdYKhRANCAAQ9z+mJVoKY5Ur30lr5zZSwOdzn8i2U
Oo7vLMb/AhSq0hl9wZc4NPXWD2ONzP7M/u2MVLT2WlOP+NjvNKbqrGAk
-----END PRIVATE KEY-----
)";
// The same key in the traditional SEC1 form (`openssl ec`).
constexpr char kFixedP256Sec1[] = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIC9JrHqkiVdv6WbNQcBkMBxCloXSkUSTeWGTCBc87XWCoAoGCCqGSM49
AwEHoUQDQgAEPc/piVaCmOVK99Ja+c2UsDnc5/ItlDqO7yzG/wIUqtIZfcGXODT1
1g9jjcz+zP7tjFS09lpTj/jY7zSm6qxgJA==
-----END EC PRIVATE KEY-----
)";
constexpr char kFixedP256Pin[] = "HqP7S52boLfcqBI3RHB6SYi0X0vZMZdJYpgg34Vjaj0=";

constexpr char kFixedEd25519[] = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEICXfdPEvoZtX3KcrO2s5vGRh9RMQRfU0sK7qTLQ3QSPO
-----END PRIVATE KEY-----
)";
constexpr char kFixedEd25519Pin[] = "sJg6sSVkf0DSZlzTJDLEpyx42WWf+364lov1B752Cjg=";

TEST(KeyTypeTest, ParsesCanonicalNamesAndAliases) {
  struct Case {
    const char* text;
    KeyType want;
  } cases[] = {
      {"ecdsa-p256", KeyType::kEcdsaP256}, {"p256", KeyType::kEcdsaP256},
      {"P-256", KeyType::kEcdsaP256},      {"ecdsa-p384", KeyType::kEcdsaP384},
      {"p384", KeyType::kEcdsaP384},       {"ed25519", KeyType::kEd25519},
      {"Ed25519", KeyType::kEd25519},      {"rsa2048", KeyType::kRsa2048},
      {"rsa-2048", KeyType::kRsa2048},     {"rsa3072", KeyType::kRsa3072},
      {"rsa-3072", KeyType::kRsa3072},     {"rsa4096", KeyType::kRsa4096},
      {"RSA-4096", KeyType::kRsa4096},
  };
  for (const auto& c : cases) {
    auto got = ParseKeyType(c.text);
    ASSERT_OK(got) << c.text;
    EXPECT_EQ(*got, c.want) << c.text;
  }
  for (KeyType t : AllKeyTypes()) {
    auto round = ParseKeyType(KeyTypeName(t));
    ASSERT_OK(round);
    EXPECT_EQ(*round, t);
  }
}

TEST(KeyTypeTest, RejectsUnknownNamesListingTheSupportedOnes) {
  for (const char* bad : {"", "rsa1024", "p521", "ecdsa", "ed448", "rsa 2048"}) {
    auto got = ParseKeyType(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr("ecdsa-p256"));
  }
}

// RSA-3072/4096 generation takes a second or more; generate each type once per run.
const PrivateKey& CachedKey(KeyType type) {
  static std::map<KeyType, PrivateKey>* cache = new std::map<KeyType, PrivateKey>();
  auto it = cache->find(type);
  if (it == cache->end()) {
    auto key = PrivateKey::Generate(type);
    EXPECT_OK(key);
    it = cache->emplace(type, std::move(key).value()).first;
  }
  return it->second;
}

class EveryKeyType : public ::testing::TestWithParam<KeyType> {};

TEST_P(EveryKeyType, GeneratesAndRoundTripsPemAndDer) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(GetParam()));
  ASSERT_OK_AND_ASSIGN(KeyType type, key.Type());
  EXPECT_EQ(type, GetParam());

  const std::string pem = key.ToPem();
  EXPECT_THAT(pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));  // PKCS#8, unencrypted
  ASSERT_OK_AND_ASSIGN(PrivateKey from_pem, PrivateKey::FromPem(pem));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), from_pem.get()), 1);
  EXPECT_EQ(from_pem.ToPem(), pem);

  const Bytes der = key.ToDer();
  ASSERT_FALSE(der.empty());
  ASSERT_OK_AND_ASSIGN(PrivateKey from_der, PrivateKey::FromDer(der));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), from_der.get()), 1);
  EXPECT_EQ(from_der.ToDer(), der);

  ASSERT_OK_AND_ASSIGN(PublicKey pub, PublicKey::FromPem(key.PublicKeyPem()));
  EXPECT_TRUE(pub.Equals(key.GetPublicKey()));
  ASSERT_OK_AND_ASSIGN(PublicKey pub_der, PublicKey::FromDer(key.SpkiDer()));
  EXPECT_TRUE(pub_der.Equals(pub));
}

TEST_P(EveryKeyType, PinMatchesAnIndependentComputationAndTheOpensslCli) {
  const PrivateKey& key = CachedKey(GetParam());
  const std::string pin = key.SpkiSha256Pin();
  EXPECT_EQ(pin, IndependentPin(key.get()));
  EXPECT_EQ(pin.size(), 44u);  // base64 of 32 bytes
  EXPECT_EQ(key.GetPublicKey().SpkiSha256Pin(), pin);

  ::ck::testing::TempDir dir;
  const std::string path = dir.WriteFile("key.pem", key.ToPem(), 0600);
  auto cli = RunShell("openssl pkey -in '" + path +
                      "' -pubout -outform DER | openssl dgst -sha256 -binary | base64");
  ASSERT_EQ(cli.exit_code, 0);
  EXPECT_EQ(Trim(cli.output), pin);
}

TEST_P(EveryKeyType, SignaturesVerifyAndTamperingIsDetected) {
  const PrivateKey& key = CachedKey(GetParam());
  const DigestAlgorithm digest = DefaultDigestFor(GetParam());
  const Bytes message = ToBytes("protected.payload");
  ASSERT_OK_AND_ASSIGN(Bytes sig, key.Sign(message, digest));
  PublicKey pub = key.GetPublicKey();
  EXPECT_OK(pub.Verify(message, sig, digest));
  Bytes other = message;
  other[0] ^= 1;
  EXPECT_FALSE(pub.Verify(other, sig, digest).ok());
  Bytes bad_sig = sig;
  bad_sig[bad_sig.size() / 2] ^= 0x40;
  EXPECT_FALSE(pub.Verify(message, bad_sig, digest).ok());
}

TEST_P(EveryKeyType, DerTruncatedAtEveryLengthIsRejected) {
  const Bytes der = CachedKey(GetParam()).ToDer();
  // Every length for keys up to RSA-2048; the larger RSA keys repeat the same structure, so
  // every 7th length plus the last 64 keeps the run short without losing the edge cases.
  const size_t stride = der.size() > 1300 ? 7 : 1;
  for (size_t len = 0; len < der.size(); len += (len + 64 >= der.size() ? 1 : stride)) {
    auto got = PrivateKey::FromDer(Bytes(der.begin(), der.begin() + len));
    ASSERT_FALSE(got.ok()) << "length " << len;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(got.status().message().empty());
  }
  Bytes trailing = der;
  trailing.push_back(0);
  auto got = PrivateKey::FromDer(trailing);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("unexpected bytes after"));
}

INSTANTIATE_TEST_SUITE_P(Keys, EveryKeyType, ::testing::ValuesIn(AllKeyTypes()),
                         [](const auto& info) {
                           std::string name(KeyTypeName(info.param));
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(PrivateKeyTest, FixedKeyHasThePinTheOpensslCliComputed) {
  ASSERT_OK_AND_ASSIGN(PrivateKey pkcs8, PrivateKey::FromPem(kFixedP256Pkcs8));
  EXPECT_EQ(pkcs8.SpkiSha256Pin(), kFixedP256Pin);
  ASSERT_OK_AND_ASSIGN(PrivateKey sec1, PrivateKey::FromPem(kFixedP256Sec1));
  EXPECT_EQ(sec1.SpkiSha256Pin(), kFixedP256Pin);
  EXPECT_EQ(sec1.ToPem(), std::string(kFixedP256Pkcs8));  // re-encoded as PKCS#8
  ASSERT_OK_AND_ASSIGN(PrivateKey ed, PrivateKey::FromPem(kFixedEd25519));
  EXPECT_EQ(ed.SpkiSha256Pin(), kFixedEd25519Pin);
  EXPECT_EQ(ed.Info().algorithm, "Ed25519");
}

TEST(PrivateKeyTest, LoadsTraditionalRsaPem) {
  ::ck::testing::TempDir dir;
  auto gen = RunShell("openssl genrsa -traditional 2048 2>/dev/null");
  ASSERT_EQ(gen.exit_code, 0);
  ASSERT_THAT(gen.output, HasSubstr("BEGIN RSA PRIVATE KEY"));
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(gen.output));
  EXPECT_EQ(key.Info().algorithm, "RSA");
  EXPECT_EQ(key.Info().bits, 2048);
  ASSERT_OK_AND_ASSIGN(KeyType type, key.Type());
  EXPECT_EQ(type, KeyType::kRsa2048);
}

TEST(PrivateKeyTest, SkipsOtherBlocksAndRejectsTwoKeys) {
  // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
  const std::string with_params =
      "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" +
      std::string(kFixedP256Sec1);
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(with_params));
  EXPECT_EQ(key.SpkiSha256Pin(), kFixedP256Pin);

  auto two = PrivateKey::FromPem(std::string(kFixedP256Pkcs8) + kFixedEd25519);
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(), HasSubstr("more than one private key"));
}

TEST(PrivateKeyTest, EncryptedKeysAreRefusedWithAClearMessage) {
  ::ck::testing::TempDir dir;
  const std::string path = dir.WriteFile("key.pem", kFixedP256Pkcs8, 0600);
  auto pkcs8 = RunShell("openssl pkey -in '" + path + "' -aes256 -passout pass:secret");
  auto legacy = RunShell("openssl ec -in '" + path + "' -aes128 -passout pass:secret 2>/dev/null");
  ASSERT_EQ(pkcs8.exit_code, 0);
  ASSERT_EQ(legacy.exit_code, 0);
  ASSERT_THAT(pkcs8.output, HasSubstr("ENCRYPTED PRIVATE KEY"));
  ASSERT_THAT(legacy.output, HasSubstr("Proc-Type: 4,ENCRYPTED"));
  for (const auto& pem : {pkcs8.output, legacy.output}) {
    auto got = PrivateKey::FromPem(pem);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr("encrypted"));
  }
}

TEST(PrivateKeyTest, GarbageInputsAreRejectedWithClearMessages) {
  struct Case {
    std::string input;
    std::string want;
  } cases[] = {
      {"", "no PEM block"},
      {"hello world", "no PEM block"},
      {"-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n", "no END line"},
      {"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", "corrupt base64"},
      {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a valid DER"},
      {"-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----\n", "is empty"},
      {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "no private key"},
      {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "mismatched END"},
  };
  for (const auto& c : cases) {
    auto got = PrivateKey::FromPem(c.input);
    ASSERT_FALSE(got.ok()) << c.input;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << c.input;
    EXPECT_THAT(got.status().message(), HasSubstr(c.want)) << c.input;
  }
  for (const Bytes& der : {Bytes{}, Bytes{0x30}, Bytes{0x30, 0x00}, ToBytes("not der")}) {
    auto got = PrivateKey::FromDer(der);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  }
  // A public key is not a private key.
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(kFixedP256Pkcs8));
  EXPECT_FALSE(PrivateKey::FromPem(key.PublicKeyPem()).ok());
  EXPECT_FALSE(PrivateKey::FromDer(key.SpkiDer()).ok());
  EXPECT_FALSE(PublicKey::FromPem(kFixedP256Pkcs8).ok());
  EXPECT_FALSE(PublicKey::FromDer(key.ToDer()).ok());
}

TEST(PrivateKeyTest, PemTruncatedAtEveryLengthIsRejected) {
  const std::string pem = kFixedP256Pkcs8;
  // Dropping only the final newline leaves a valid block; anything shorter must fail.
  for (size_t len = 0; len + 1 < pem.size(); ++len) {
    auto got = PrivateKey::FromPem(pem.substr(0, len));
    ASSERT_FALSE(got.ok()) << "length " << len;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(PrivateKeyTest, RandomByteFlipsNeverCrashAndAnyAcceptedKeyWorks) {
  std::mt19937 rng(1234);
  for (const char* pem : {kFixedP256Pkcs8, kFixedEd25519}) {
    ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(pem));
    const Bytes der = key.ToDer();
    for (int i = 0; i < 600; ++i) {  // OpenSSL's decoder search is slow; 600 is plenty
      Bytes mutated = der;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        mutated[rng() % mutated.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      }
      auto got = PrivateKey::FromDer(mutated);
      if (got.ok()) {  // e.g. a flipped Ed25519 seed is just another valid key
        EXPECT_OK(got->Sign(ToBytes("x"), DefaultDigestFor(*got->Info().type)));
      } else {
        EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      }
    }
  }
}

TEST(PrivateKeyTest, CorruptedPublicHalfIsRejected) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(kFixedP256Pkcs8));
  Bytes der = key.ToDer();
  // The SEC1 structure inside PKCS#8 ends with the public point; change its last byte.
  der.back() ^= 0x01;
  auto got = PrivateKey::FromDer(der);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
}

TEST(SignTest, DigestMustFitTheKey) {
  ASSERT_OK_AND_ASSIGN(PrivateKey ed, PrivateKey::FromPem(kFixedEd25519));
  auto bad = ed.Sign(ToBytes("m"), DigestAlgorithm::kSha256);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("kNone"));
  ASSERT_OK_AND_ASSIGN(PrivateKey ec, PrivateKey::FromPem(kFixedP256Pkcs8));
  EXPECT_FALSE(ec.Sign(ToBytes("m"), DigestAlgorithm::kNone).ok());
  ASSERT_OK_AND_ASSIGN(Bytes ed_sig, ed.Sign(ToBytes("m"), DigestAlgorithm::kNone));
  EXPECT_EQ(ed_sig.size(), 64u);  // RFC 8032 §5.1.6
}

TEST(SignTest, EcdsaRawConversionRoundTripsForJws) {
  for (KeyType type : {KeyType::kEcdsaP256, KeyType::kEcdsaP384}) {
    const size_t width = type == KeyType::kEcdsaP256 ? 32 : 48;
    ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(type));
    for (int i = 0; i < 20; ++i) {  // r or s with a leading zero byte turns up in ~1/128
      const Bytes msg = ToBytes("payload " + std::to_string(i));
      ASSERT_OK_AND_ASSIGN(Bytes der, key.Sign(msg, DefaultDigestFor(type)));
      ASSERT_OK_AND_ASSIGN(Bytes raw, EcdsaDerToRaw(der, width));
      EXPECT_EQ(raw.size(), 2 * width);
      ASSERT_OK_AND_ASSIGN(Bytes back, EcdsaRawToDer(raw));
      EXPECT_OK(key.GetPublicKey().Verify(msg, back, DefaultDigestFor(type)));
    }
  }
  EXPECT_FALSE(EcdsaDerToRaw(ToBytes("junk"), 32).ok());
  EXPECT_FALSE(EcdsaDerToRaw({}, 32).ok());
  EXPECT_FALSE(EcdsaRawToDer({}).ok());
  EXPECT_FALSE(EcdsaRawToDer(Bytes(63, 1)).ok());
  // A P-384 signature does not fit P-256 components.
  ASSERT_OK_AND_ASSIGN(PrivateKey p384, PrivateKey::Generate(KeyType::kEcdsaP384));
  ASSERT_OK_AND_ASSIGN(Bytes der384, p384.Sign(ToBytes("m"), DigestAlgorithm::kSha384));
  EXPECT_FALSE(EcdsaDerToRaw(der384, 32).ok());
}

TEST(PublicKeyTest, ComponentsMatchTheSpkiEncoding) {
  ASSERT_OK_AND_ASSIGN(PrivateKey ec, PrivateKey::FromPem(kFixedP256Pkcs8));
  ASSERT_OK_AND_ASSIGN(PublicKeyComponents c, ec.GetPublicKey().Components());
  EXPECT_EQ(c.kty, "EC");
  EXPECT_EQ(c.crv, "P-256");
  ASSERT_EQ(c.x.size(), 32u);
  ASSERT_EQ(c.y.size(), 32u);
  // A P-256 SPKI ends with the uncompressed point 04 || x || y.
  const Bytes spki = ec.SpkiDer();
  Bytes point(spki.end() - 65, spki.end());
  Bytes want = {0x04};
  want.insert(want.end(), c.x.begin(), c.x.end());
  want.insert(want.end(), c.y.begin(), c.y.end());
  EXPECT_EQ(point, want);

  ASSERT_OK_AND_ASSIGN(PrivateKey ed, PrivateKey::FromPem(kFixedEd25519));
  ASSERT_OK_AND_ASSIGN(PublicKeyComponents okp, ed.GetPublicKey().Components());
  EXPECT_EQ(okp.kty, "OKP");
  const Bytes ed_spki = ed.SpkiDer();
  EXPECT_EQ(okp.x, Bytes(ed_spki.end() - 32, ed_spki.end()));

  ASSERT_OK_AND_ASSIGN(PrivateKey rsa, PrivateKey::Generate(KeyType::kRsa2048));
  ASSERT_OK_AND_ASSIGN(PublicKeyComponents r, rsa.GetPublicKey().Components());
  EXPECT_EQ(r.kty, "RSA");
  EXPECT_EQ(r.e, (Bytes{0x01, 0x00, 0x01}));
  EXPECT_EQ(r.n.size(), 256u);
}

// SpkiDer writes EC and Ed25519 keys itself (OpenSSL 3.0's encoder is slow); it must be what
// i2d_PUBKEY writes, for generated keys and for keys decoded from PEM/DER and certificates.
TEST(PublicKeyTest, SpkiDerIsWhatOpenSslEncodes) {
  auto openssl = [](EVP_PKEY* k) {
    unsigned char* raw = nullptr;
    const int len = i2d_PUBKEY(k, &raw);
    Bytes out(raw, raw + std::max(len, 0));
    OPENSSL_free(raw);
    return out;
  };
  for (KeyType type : AllKeyTypes()) {
    if (type == KeyType::kRsa3072 || type == KeyType::kRsa4096) continue;  // slow; RSA is i2d
    ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(type));
    const PublicKey pub = key.GetPublicKey();
    EXPECT_EQ(HexEncode(pub.SpkiDer()), HexEncode(openssl(pub.get()))) << KeyTypeName(type);
    // The same key decoded from its SPKI, as from a CSR or a certificate.
    ASSERT_OK_AND_ASSIGN(PublicKey decoded, PublicKey::FromDer(pub.SpkiDer()));
    EXPECT_EQ(HexEncode(decoded.SpkiDer()), HexEncode(openssl(decoded.get()))) << KeyTypeName(type);
  }
  ASSERT_OK_AND_ASSIGN(PrivateKey fixed, PrivateKey::FromPem(kFixedP256Pkcs8));
  EXPECT_EQ(HexEncode(fixed.SpkiDer()), HexEncode(openssl(fixed.get())));
}

TEST(PublicKeyTest, EmptyKeyFailsSafely) {
  PublicKey empty = PublicKey::Share(nullptr);  // what an undecodable certificate key gives
  EXPECT_TRUE(empty.SpkiDer().empty());
  EXPECT_EQ(empty.SpkiSha256Pin(), "");
  EXPECT_EQ(empty.Info().algorithm, "none");
  EXPECT_FALSE(empty.Type().ok());
  EXPECT_FALSE(empty.Components().ok());
  EXPECT_FALSE(empty.Verify(ToBytes("m"), ToBytes("s"), DigestAlgorithm::kSha256).ok());
  EXPECT_FALSE(empty.Equals(empty));
}

TEST(PrivateKeyTest, CopiesShareTheKey) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(kFixedP256Pkcs8));
  PrivateKey copy = key;
  EXPECT_EQ(copy.get(), key.get());
  PrivateKey assigned = copy;
  assigned = key;
  EXPECT_EQ(assigned.SpkiSha256Pin(), kFixedP256Pin);
}

}  // namespace
}  // namespace ck::pki
