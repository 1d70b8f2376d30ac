// JOSE against published vectors: RFC 7638 §3.1 (RSA thumbprint), RFC 8037 A.3/A.4 (Ed25519
// thumbprint and signature), RFC 7520 §4.1 (RS256, deterministic) and §4.4 (HS256, the MAC
// EAB uses); plus ES256/ES384 round trips through raw r||s and the ACME header rules.
#include "acme/jose.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "pki/digest.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::acme {
namespace {

using nlohmann::json;

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};

Bytes B64u(std::string_view s) {
  auto r = Base64UrlDecode(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : Bytes{};
}

pki::BignumPtr Bn(std::string_view b64u) {
  Bytes b = B64u(b64u);
  return pki::BignumPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

// An RSA key from JWK members (public only when `d` is empty).
pki::EvpPkeyPtr RsaFromJwk(const std::map<std::string, std::string>& m) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  std::vector<pki::BignumPtr> keep;
  auto push = [&](const char* name, const char* member) {
    auto it = m.find(member);
    if (it == m.end()) return;
    keep.push_back(Bn(it->second));
    OSSL_PARAM_BLD_push_BN(bld.get(), name, keep.back().get());
  };
  push(OSSL_PKEY_PARAM_RSA_N, "n");
  push(OSSL_PKEY_PARAM_RSA_E, "e");
  push(OSSL_PKEY_PARAM_RSA_D, "d");
  push(OSSL_PKEY_PARAM_RSA_FACTOR1, "p");
  push(OSSL_PKEY_PARAM_RSA_FACTOR2, "q");
  push(OSSL_PKEY_PARAM_RSA_EXPONENT1, "dp");
  push(OSSL_PKEY_PARAM_RSA_EXPONENT2, "dq");
  push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, "qi");
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  pki::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_fromdata_init(ctx.get());
  EVP_PKEY_fromdata(ctx.get(), &pkey, m.count("d") ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                    params.get());
  return pki::EvpPkeyPtr(pkey);
}

constexpr char kRfc7638N[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
    "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

TEST(JoseTest, Rfc7638RsaThumbprint) {
  pki::EvpPkeyPtr key = RsaFromJwk({{"n", kRfc7638N}, {"e", "AQAB"}});
  ASSERT_NE(key, nullptr);
  pki::PublicKey pub = pki::PublicKey::Share(key.get());
  ASSERT_OK_AND_ASSIGN(std::string thumb, JwkThumbprint(pub));
  EXPECT_EQ(thumb, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  ASSERT_OK_AND_ASSIGN(json jwk, PublicJwk(pub));
  EXPECT_EQ(jwk.dump().substr(0, 28), R"({"e":"AQAB","kty":"RSA","n":)");
}

constexpr char kEd25519D[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr char kEd25519X[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

Result<pki::PrivateKey> Rfc8037Key() {
  Bytes d = B64u(kEd25519D);
  pki::EvpPkeyPtr k(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, d.data(), d.size()));
  return pki::PrivateKey::Adopt(std::move(k));
}

TEST(JoseTest, Rfc8037Ed25519ThumbprintAndSignature) {
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey key, Rfc8037Key());
  ASSERT_OK_AND_ASSIGN(JwsKey jws, JwsKey::Create(key));
  EXPECT_EQ(jws.alg(), "EdDSA");
  EXPECT_EQ(jws.jwk().value("x", ""), kEd25519X);
  EXPECT_EQ(jws.jwk().value("crv", ""), "Ed25519");
  // RFC 8037 A.3.
  EXPECT_EQ(jws.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  // RFC 8037 A.4: {"alg":"EdDSA"} over "Example of Ed25519 signing".
  ASSERT_OK_AND_ASSIGN(
      json out, SignJwsWithHeader(jws, json{{"alg", "EdDSA"}}, "Example of Ed25519 signing"));
  EXPECT_EQ(out["protected"], "eyJhbGciOiJFZERTQSJ9");
  EXPECT_EQ(out["payload"], "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
  EXPECT_EQ(out["signature"],
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"
            "MuM0KAg");
}

// RFC 7520 §3.4 RSA key and §4.1 RS256 example.
const std::map<std::string, std::string> kRfc7520Rsa = {
    {"n",
     "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_"
     "AJmSCp"
     "MaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-"
     "OfVfHd"
     "1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_"
     "vniUFAKwuCLqKn"
     "S2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw"},
    {"e", "AQAB"},
    {"d",
     "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-"
     "A1irkwMSMkK1J"
     "3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-"
     "bMwWWSDFu2MUBYwkHTMEzLY"
     "GqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-"
     "LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18k"
     "Khyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ"},
    {"p",
     "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-"
     "SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0"
     "N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k"},
    {"q",
     "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_"
     "cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lH"
     "TeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc"},
    {"dp",
     "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-"
     "TanevuRPRt5OBOdiMGQp8pbt"
     "26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik"},
    {"dq",
     "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-"
     "TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og"
     "5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8"},
    {"qi",
     "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-"
     "7ZMaQj8Vf"
     "BdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4"},
};

constexpr char kRfc7520PayloadB64[] =
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250"
    "byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hl"
    "cmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4";

TEST(JoseTest, Rfc7520Rs256Signature) {
  pki::EvpPkeyPtr raw = RsaFromJwk(kRfc7520Rsa);
  ASSERT_NE(raw, nullptr);
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey key, pki::PrivateKey::Adopt(std::move(raw)));
  ASSERT_OK_AND_ASSIGN(JwsKey jws, JwsKey::Create(key));
  EXPECT_EQ(jws.alg(), "RS256");
  std::string payload = ToString(B64u(kRfc7520PayloadB64));
  json header = {{"alg", "RS256"}, {"kid", "bilbo.baggins@hobbiton.example"}};
  ASSERT_OK_AND_ASSIGN(json out, SignJwsWithHeader(jws, header, payload));
  EXPECT_EQ(out["protected"],
            "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9");
  EXPECT_EQ(out["payload"], kRfc7520PayloadB64);
  EXPECT_EQ(out["signature"],
            "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp"
            "83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCr"
            "UCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aX"
            "ic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg");
}

TEST(JoseTest, Rfc7520Hs256MacIsWhatEabUses) {
  // RFC 7520 §4.4: HS256 over "protected.payload" with the §3.5 symmetric key.
  Bytes k = B64u("hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg");
  std::string input =
      std::string(
          "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.") +
      kRfc7520PayloadB64;
  EXPECT_EQ(Base64UrlEncode(pki::HmacSha256(k, input)),
            "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0");
}

TEST(JoseTest, EabStructureAndMac) {
  ASSERT_OK_AND_ASSIGN(auto k, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(JwsKey account, JwsKey::Create(k));
  std::string hmac = "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg";
  ASSERT_OK_AND_ASSIGN(
      json eab, ExternalAccountBinding(account, "kid-1", hmac, "https://ca.test/new-account"));
  json header = json::parse(ToString(B64u(eab["protected"].get<std::string>())));
  EXPECT_EQ(header,
            (json{{"alg", "HS256"}, {"kid", "kid-1"}, {"url", "https://ca.test/new-account"}}));
  EXPECT_FALSE(header.contains("nonce")) << "RFC 8555 §7.3.4: no nonce in the EAB JWS";
  EXPECT_EQ(json::parse(ToString(B64u(eab["payload"].get<std::string>()))), account.jwk());
  std::string input = eab["protected"].get<std::string>() + "." + eab["payload"].get<std::string>();
  EXPECT_EQ(eab["signature"], Base64UrlEncode(pki::HmacSha256(B64u(hmac), input)));
  // Padding in the handed-out key is tolerated; garbage is not.
  EXPECT_OK(ExternalAccountBinding(account, "kid-1", hmac + "=", "https://ca.test/n"));
  EXPECT_FALSE(ExternalAccountBinding(account, "kid-1", "not base64!", "https://x/").ok());
  EXPECT_FALSE(ExternalAccountBinding(account, "", hmac, "https://x/").ok());
}

class EcdsaJwsTest : public ::testing::TestWithParam<std::pair<pki::KeyType, const char*>> {};

TEST_P(EcdsaJwsTest, SignsRawRsThatVerifies) {
  auto [type, alg] = GetParam();
  ASSERT_OK_AND_ASSIGN(auto k, pki::PrivateKey::Generate(type));
  ASSERT_OK_AND_ASSIGN(JwsKey key, JwsKey::Create(k));
  EXPECT_EQ(key.alg(), alg);
  ASSERT_OK_AND_ASSIGN(std::string body,
                       SignJws(key, R"({"a":1})", "https://ca.test/x", "nonce-1", ""));
  json jws = json::parse(body);
  json header = json::parse(ToString(B64u(jws["protected"].get<std::string>())));
  // RFC 8555 §6.2: alg, jwk (no kid) for newAccount-style requests, nonce, url.
  EXPECT_EQ(header["alg"], alg);
  EXPECT_EQ(header["jwk"], key.jwk());
  EXPECT_FALSE(header.contains("kid"));
  EXPECT_EQ(header["nonce"], "nonce-1");
  EXPECT_EQ(header["url"], "https://ca.test/x");
  Bytes raw = B64u(jws["signature"].get<std::string>());
  EXPECT_EQ(raw.size(), type == pki::KeyType::kEcdsaP256 ? 64u : 96u);
  ASSERT_OK_AND_ASSIGN(Bytes der, pki::EcdsaRawToDer(raw));
  std::string input = jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
  EXPECT_OK(k.GetPublicKey().Verify(ToBytes(input), der, pki::DefaultDigestFor(type)));

  ASSERT_OK_AND_ASSIGN(std::string with_kid,
                       SignJws(key, "", "https://ca.test/y", "n2", "https://ca.test/acct/1"));
  json h2 = json::parse(ToString(B64u(json::parse(with_kid)["protected"].get<std::string>())));
  EXPECT_EQ(h2["kid"], "https://ca.test/acct/1");
  EXPECT_FALSE(h2.contains("jwk"));
  EXPECT_EQ(json::parse(with_kid)["payload"], "") << "POST-as-GET has an empty payload";
}

INSTANTIATE_TEST_SUITE_P(Curves, EcdsaJwsTest,
                         ::testing::Values(std::pair{pki::KeyType::kEcdsaP256, "ES256"},
                                           std::pair{pki::KeyType::kEcdsaP384, "ES384"}));

TEST(JoseTest, KeyAuthorizationAndDnsValue) {
  EXPECT_EQ(KeyAuthorization("tok", "thumb"), "tok.thumb");
  // RFC 8555 §8.4 worked example: TXT = base64url(SHA-256(key authorization)).
  EXPECT_EQ(Dns01TxtValue("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_"
                          "7noWXFZAfHkxZsRGC9Xs"),
            Base64UrlEncode(
                pki::Sha256(std::string_view("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
                                             "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"))));
}

}  // namespace
}  // namespace ck::acme
