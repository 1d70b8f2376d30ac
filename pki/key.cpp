#include "pki/key.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>

#include "pki/der_oids.hpp"
#include "pki/der_reader.hpp"
#include "pki/der_util.hpp"
#include "pki/der_writer.hpp"
#include "pki/digest.hpp"
#include "pki/openssl_error.hpp"

namespace ck::pki {
namespace {

struct KeyTypeEntry {
  KeyType type;
  std::string_view name;
};
constexpr KeyTypeEntry kKeyTypeNames[] = {
    {KeyType::kEcdsaP256, "ecdsa-p256"}, {KeyType::kEcdsaP384, "ecdsa-p384"},
    {KeyType::kEd25519, "ed25519"},      {KeyType::kRsa2048, "rsa2048"},
    {KeyType::kRsa3072, "rsa3072"},      {KeyType::kRsa4096, "rsa4096"},
};
constexpr KeyTypeEntry kKeyTypeAliases[] = {
    {KeyType::kEcdsaP256, "p256"},   {KeyType::kEcdsaP256, "p-256"},
    {KeyType::kEcdsaP384, "p384"},   {KeyType::kEcdsaP384, "p-384"},
    {KeyType::kRsa2048, "rsa-2048"}, {KeyType::kRsa3072, "rsa-3072"},
    {KeyType::kRsa4096, "rsa-4096"},
};

std::string SupportedKeyTypes() {
  std::string out;
  for (const auto& e : kKeyTypeNames) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

const EVP_MD* DigestMd(DigestAlgorithm d) {
  switch (d) {
    case DigestAlgorithm::kNone: return nullptr;
    case DigestAlgorithm::kSha256: return EVP_sha256();
    case DigestAlgorithm::kSha384: return EVP_sha384();
    case DigestAlgorithm::kSha512: return EVP_sha512();
  }
  return nullptr;
}

bool SignsWithoutDigest(const EVP_PKEY* key) {
  int id = EVP_PKEY_get_base_id(key);
  return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
}

// EdDSA hashes internally and rejects an outer digest; ECDSA/RSA need one. Catching the
// mismatch here gives a clear message instead of OpenSSL's "invalid digest".
Status CheckDigestFits(const EVP_PKEY* key, DigestAlgorithm digest) {
  if (SignsWithoutDigest(key) && digest != DigestAlgorithm::kNone) {
    return InvalidArgumentError(DescribeKey(key).algorithm +
                                " signs the message directly; use DigestAlgorithm::kNone");
  }
  if (!SignsWithoutDigest(key) && digest == DigestAlgorithm::kNone) {
    return InvalidArgumentError(DescribeKey(key).algorithm + " signatures need a digest");
  }
  return OkStatus();
}

// A key whose private and public halves disagree (bit rot, hand-edited file) would produce
// signatures nobody can verify; refuse it at load time instead.
Status CheckKeyPair(EVP_PKEY* key) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) return OpenSslError(StatusCode::kInternal, "EVP_PKEY_CTX_new_from_pkey failed");
  int rc = EVP_PKEY_pairwise_check(ctx.get());
  if (rc == 1 || rc == -2) {  // -2: the algorithm has no pairwise check
    ERR_clear_error();
    return OkStatus();
  }
  return OpenSslError(StatusCode::kInvalidArgument,
                      "private key is inconsistent (corrupt key material)");
}

Bytes BignumToFixed(const BIGNUM* bn, size_t width) {
  Bytes out(width);
  if (width == 0) out.resize(static_cast<size_t>(BN_num_bytes(bn)));
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) < 0) return {};
  return out;
}

Result<Bytes> BnParam(const EVP_PKEY* key, const char* name, size_t width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    return OpenSslError(StatusCode::kInternal, std::string("cannot read key parameter ") + name);
  }
  BignumPtr bn(raw);
  Bytes out = BignumToFixed(bn.get(), width);
  if (out.empty()) return InternalError(std::string("key parameter too large: ") + name);
  return out;
}

}  // namespace

Result<KeyType> ParseKeyType(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& e : kKeyTypeNames) {
    if (lower == e.name) return e.type;
  }
  for (const auto& e : kKeyTypeAliases) {
    if (lower == e.name) return e.type;
  }
  return InvalidArgumentError("unknown key type '" + std::string(name) +
                              "' (supported: " + SupportedKeyTypes() + ")");
}

std::string_view KeyTypeName(KeyType type) {
  for (const auto& e : kKeyTypeNames) {
    if (e.type == type) return e.name;
  }
  return "unknown";
}

const std::vector<KeyType>& AllKeyTypes() {
  static const std::vector<KeyType> kAll = {KeyType::kEcdsaP256, KeyType::kEcdsaP384,
                                            KeyType::kEd25519,   KeyType::kRsa2048,
                                            KeyType::kRsa3072,   KeyType::kRsa4096};
  return kAll;
}

DigestAlgorithm DefaultDigestFor(KeyType type) {
  switch (type) {
    case KeyType::kEcdsaP384: return DigestAlgorithm::kSha384;
    case KeyType::kEd25519: return DigestAlgorithm::kNone;
    default: return DigestAlgorithm::kSha256;
  }
}

KeyInfo DescribeKey(const EVP_PKEY* key) {
  KeyInfo info;
  if (key == nullptr) return {"none", 0, std::nullopt};
  info.bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      char group[80] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
        ERR_clear_error();
        info.algorithm = "ECDSA (explicit curve parameters)";
        break;
      }
      std::string_view g(group, len);
      if (g == "prime256v1" || g == "P-256") {
        info.algorithm = "ECDSA P-256";
        info.type = KeyType::kEcdsaP256;
      } else if (g == "secp384r1" || g == "P-384") {
        info.algorithm = "ECDSA P-384";
        info.type = KeyType::kEcdsaP384;
      } else if (g == "secp521r1" || g == "P-521") {
        info.algorithm = "ECDSA P-521";
      } else {
        info.algorithm = "ECDSA " + std::string(g);
      }
      break;
    }
    case EVP_PKEY_RSA:
      info.algorithm = "RSA";
      if (info.bits == 2048) info.type = KeyType::kRsa2048;
      if (info.bits == 3072) info.type = KeyType::kRsa3072;
      if (info.bits == 4096) info.type = KeyType::kRsa4096;
      break;
    case EVP_PKEY_RSA_PSS: info.algorithm = "RSA-PSS"; break;
    case EVP_PKEY_ED25519:
      info.algorithm = "Ed25519";
      info.bits = 256;  // OpenSSL says 253 (the group order); people and tools say 256
      info.type = KeyType::kEd25519;
      break;
    case EVP_PKEY_ED448:
      info.algorithm = "Ed448";
      info.bits = 456;
      break;
    case EVP_PKEY_DSA: info.algorithm = "DSA"; break;
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      info.algorithm = name != nullptr ? name : "unknown";
    }
  }
  return info;
}

// ---- PublicKey ----

namespace {

// A named-curve EC SubjectPublicKeyInfo imported through the EC key manager (EVP_PKEY_fromdata)
// rather than the decoder framework, whose per-call lookup in OpenSSL 3.0 cost more than a
// signature check. Null for any other shape or a point that does not import: the caller
// then decodes the general way, which also words the errors.
EvpPkeyPtr DirectEcPublicKey(const Bytes& spki) {
  const uint8_t* p = spki.data();
  const uint8_t* const end = spki.data() + spki.size();
  der::Element outer, algorithm, key_oid, curve, bits;
  if (!der::Next(p, end, der::kSequence, &outer) || p != end) return nullptr;
  p = outer.content;
  if (!der::Next(p, outer.end(), der::kSequence, &algorithm) ||
      !der::Next(p, outer.end(), der::kBitString, &bits) || p != outer.end()) {
    return nullptr;
  }
  const uint8_t* a = algorithm.content;
  if (!der::Next(a, algorithm.end(), der::kOid, &key_oid) ||
      !key_oid.Is(der::oid::kIdEcPublicKey) || !der::Next(a, algorithm.end(), der::kOid, &curve) ||
      a != algorithm.end() || bits.len < 2 || bits.content[0] != 0 || bits.content[1] != 0x04) {
    // Compressed points stay with the decoder, which remembers the form for re-encoding.
    return nullptr;
  }
  const der::oid::NamedCurve* named = der::oid::CurveByOid(curve.content, curve.len);
  if (named == nullptr) return nullptr;
  const char* group = named->group;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<uint8_t*>(bits.content + 1), bits.len - 1),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return EvpPkeyPtr(raw);
}

}  // namespace

Result<PublicKey> PublicKey::FromDer(const Bytes& der) {
  if (EvpPkeyPtr direct = DirectEcPublicKey(der)) return PublicKey(std::move(direct));
  ASSIGN_OR_RETURN(EvpPkeyPtr key,
                   DecodeDerExact<EvpPkeyPtr>(der.data(), der.size(), "public key",
                                              [](const unsigned char** p, long len) {
                                                return d2i_PUBKEY(nullptr, p, len);
                                              }));
  return PublicKey(std::move(key));
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(auto blocks, ParsePemBlocks(pem));
  for (const auto& block : blocks) {
    if (block.label == "PUBLIC KEY") {
      auto key = FromDer(block.der);
      if (!key.ok()) return key.status().WithContext("PEM block " + std::to_string(block.index));
      return key;
    }
  }
  return InvalidArgumentError("no 'PUBLIC KEY' PEM block found");
}

PublicKey PublicKey::Share(EVP_PKEY* key) {
  // A null key (a certificate whose key OpenSSL could not decode) yields an empty PublicKey
  // whose methods fail or return empty values instead of crashing.
  if (key != nullptr) EVP_PKEY_up_ref(key);
  return PublicKey(EvpPkeyPtr(key));
}

namespace {

// The SubjectPublicKeyInfo of a named-curve EC or an Ed25519 key, written directly; empty for
// anything else. OpenSSL 3.0's i2d_PUBKEY goes through the provider encoder framework, whose
// per-call lookup cost as much as a signature (bench/ca_bench), and issuance needs the SPKI of
// every key it certifies. The unit test holds this byte-identical to i2d_PUBKEY.
Bytes DirectSpkiDer(EVP_PKEY* key) {
  Bytes algorithm;
  uint8_t point[256];
  size_t point_len = 0;
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_EC) {
    char group[64];
    size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &group_len) != 1) {
      return {};
    }
    const der::oid::NamedCurve* curve = der::oid::CurveByGroup(std::string_view(group, group_len));
    if (curve == nullptr) return {};
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                        sizeof point, &point_len) != 1) {
      return {};
    }
    der::AppendTlv(algorithm, der::kOid, der::oid::kIdEcPublicKey);
    der::AppendTlv(algorithm, der::kOid, curve->oid);
  } else if (id == EVP_PKEY_ED25519) {
    point_len = sizeof point;
    if (EVP_PKEY_get_raw_public_key(key, point, &point_len) != 1) return {};
    der::AppendTlv(algorithm, der::kOid, der::oid::kIdEd25519);
  } else {
    return {};
  }
  Bytes bits = {0x00};  // no unused bits
  bits.insert(bits.end(), point, point + point_len);
  Bytes spki = der::Tlv(der::kSequence, algorithm);
  der::AppendTlv(spki, der::kBitString, bits);
  return der::Tlv(der::kSequence, spki);
}

}  // namespace

Bytes PublicKey::SpkiDer() const {
  if (key_ == nullptr) return {};
  Bytes direct = DirectSpkiDer(key_.get());
  if (!direct.empty()) return direct;
  ERR_clear_error();
  return EncodeDer([&](unsigned char** out) { return i2d_PUBKEY(key_.get(), out); });
}

std::string PublicKey::ToPem() const { return EncodePem("PUBLIC KEY", SpkiDer()); }

std::string PublicKey::SpkiSha256Pin() const {
  const Bytes spki = SpkiDer();
  return spki.empty() ? std::string() : Base64Encode(Sha256(spki));  // no key, no pin
}

Result<KeyType> PublicKey::Type() const {
  KeyInfo info = Info();
  if (info.type) return *info.type;
  return InvalidArgumentError(
      info.algorithm + " " + std::to_string(info.bits) +
      "-bit is not a supported key type (supported: " + SupportedKeyTypes() + ")");
}

Result<PublicKeyComponents> PublicKey::Components() const {
  ASSIGN_OR_RETURN(KeyType type, Type());
  PublicKeyComponents c;
  switch (type) {
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384: {
      const size_t width = type == KeyType::kEcdsaP256 ? 32 : 48;
      c.kty = "EC";
      c.crv = type == KeyType::kEcdsaP256 ? "P-256" : "P-384";
      ASSIGN_OR_RETURN(c.x, BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, width));
      ASSIGN_OR_RETURN(c.y, BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, width));
      return c;
    }
    case KeyType::kEd25519: {
      c.kty = "OKP";
      c.crv = "Ed25519";
      size_t len = 0;
      if (EVP_PKEY_get_raw_public_key(key_.get(), nullptr, &len) != 1) {
        return OpenSslError(StatusCode::kInternal, "cannot read Ed25519 public key");
      }
      c.x.resize(len);
      if (EVP_PKEY_get_raw_public_key(key_.get(), c.x.data(), &len) != 1) {
        return OpenSslError(StatusCode::kInternal, "cannot read Ed25519 public key");
      }
      c.x.resize(len);
      return c;
    }
    default: {
      c.kty = "RSA";
      ASSIGN_OR_RETURN(c.n, BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_N, 0));
      ASSIGN_OR_RETURN(c.e, BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_E, 0));
      return c;
    }
  }
}

Status PublicKey::Verify(const Bytes& data, const Bytes& signature, DigestAlgorithm digest) const {
  if (!key_) return InvalidArgumentError("no public key to verify with");
  RETURN_IF_ERROR(CheckDigestFits(key_.get(), digest));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, DigestMd(digest), nullptr, key_.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cannot initialise signature verification");
  }
  int rc =
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(), data.size());
  if (rc != 1) {
    ERR_clear_error();
    return InvalidArgumentError("signature does not verify with the " + Info().algorithm +
                                " public key");
  }
  return OkStatus();
}

bool PublicKey::Equals(const PublicKey& other) const {
  if (!key_ || !other.key_) return false;
  return EVP_PKEY_eq(key_.get(), other.key_.get()) == 1;
}

// ---- PrivateKey ----

namespace {

Result<PrivateKey> Finish(Result<EvpPkeyPtr> decoded, const char* what) {
  if (!decoded.ok()) return decoded.status();
  auto key = PrivateKey::Adopt(std::move(decoded).value());
  if (!key.ok()) return key.status().WithContext(what);
  return key;
}

}  // namespace

Result<PrivateKey> PrivateKey::Adopt(EvpPkeyPtr key) {
  if (!key) return InvalidArgumentError("no key");
  RETURN_IF_ERROR(CheckKeyPair(key.get()));
  return PrivateKey(std::move(key));
}

PrivateKey::PrivateKey(const PrivateKey& other) : key_(nullptr) {
  if (other.key_) {
    EVP_PKEY_up_ref(other.key_.get());
    key_.reset(other.key_.get());
  }
}

PrivateKey& PrivateKey::operator=(const PrivateKey& other) {
  if (this != &other) *this = PrivateKey(other);
  return *this;
}

Result<PrivateKey> PrivateKey::Generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kEcdsaP256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::kEcdsaP384: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case KeyType::kEd25519: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case KeyType::kRsa2048:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case KeyType::kRsa3072:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
      break;
    case KeyType::kRsa4096:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096));
      break;
  }
  if (raw == nullptr) {
    return OpenSslError(StatusCode::kInternal,
                        "generating a " + std::string(KeyTypeName(type)) + " key failed");
  }
  return PrivateKey(EvpPkeyPtr(raw));
}

Result<PrivateKey> PrivateKey::FromDer(const Bytes& der) {
  return Finish(DecodeDerExact<EvpPkeyPtr>(der.data(), der.size(), "private key",
                                           [](const unsigned char** p, long len) {
                                             return d2i_AutoPrivateKey(nullptr, p, len);
                                           }),
                "private key");
}

Result<PrivateKey> PrivateKey::FromPemBlock(const PemBlock& block) {
  const std::string where = "PEM block " + std::to_string(block.index) + " '" + block.label + "'";
  bool encrypted = block.label == "ENCRYPTED PRIVATE KEY";
  for (const auto& h : block.headers) {
    if (h.find("ENCRYPTED") != std::string::npos) encrypted = true;
  }
  if (encrypted) {
    return InvalidArgumentError(where +
                                ": the private key is encrypted with a passphrase; certkeeper "
                                "needs an unencrypted key (e.g. `openssl pkey -in KEY -out "
                                "PLAIN`) kept in a 0600 file");
  }
  const Bytes& der = block.der;
  Result<EvpPkeyPtr> decoded = InvalidArgumentError("unsupported");
  if (block.label == "PRIVATE KEY") {
    auto p8 = DecodeDerExact<Pkcs8PrivKeyInfoPtr>(
        der.data(), der.size(), "PKCS#8 private key",
        [](const unsigned char** p, long len) { return d2i_PKCS8_PRIV_KEY_INFO(nullptr, p, len); });
    if (!p8.ok()) return p8.status().WithContext(where);
    EvpPkeyPtr key(EVP_PKCS82PKEY(p8->get()));
    if (!key) return OpenSslError(StatusCode::kInvalidArgument, where + ": unusable PKCS#8 key");
    decoded = std::move(key);
  } else if (block.label == "RSA PRIVATE KEY" || block.label == "EC PRIVATE KEY") {
    const int type = block.label == "RSA PRIVATE KEY" ? EVP_PKEY_RSA : EVP_PKEY_EC;
    decoded = DecodeDerExact<EvpPkeyPtr>(der.data(), der.size(), "private key",
                                         [type](const unsigned char** p, long len) {
                                           return d2i_PrivateKey(type, nullptr, p, len);
                                         });
  } else {
    return InvalidArgumentError(where + " is not a private key");
  }
  auto key = Finish(std::move(decoded), "private key");
  if (!key.ok()) return key.status().WithContext(where);
  return key;
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(auto blocks, ParsePemBlocks(pem));
  const PemBlock* found = nullptr;
  std::string labels;
  for (const auto& block : blocks) {
    if (block.label.size() >= 11 &&
        block.label.compare(block.label.size() - 11, 11, "PRIVATE KEY") == 0) {
      if (found != nullptr) {
        return InvalidArgumentError("PEM holds more than one private key (blocks " +
                                    std::to_string(found->index) + " and " +
                                    std::to_string(block.index) + "); expected exactly one");
      }
      found = &block;
    }
    if (!labels.empty()) labels += ", ";
    labels += block.label;
  }
  if (found == nullptr) {
    return InvalidArgumentError("no private key in the PEM input (found: " + labels + ")");
  }
  return FromPemBlock(*found);
}

Bytes PrivateKey::ToDer() const {
  Pkcs8PrivKeyInfoPtr p8(EVP_PKEY2PKCS8(key_.get()));
  if (!p8) {
    ERR_clear_error();
    return {};
  }
  return EncodeDer([&](unsigned char** out) { return i2d_PKCS8_PRIV_KEY_INFO(p8.get(), out); });
}

std::string PrivateKey::ToPem() const { return EncodePem("PRIVATE KEY", ToDer()); }

Result<KeyType> PrivateKey::Type() const { return PublicKey::Share(key_.get()).Type(); }

PublicKey PrivateKey::GetPublicKey() const {
  // Re-decode the SPKI so the PublicKey never carries the private half around.
  Bytes spki = EncodeDer([&](unsigned char** out) { return i2d_PUBKEY(key_.get(), out); });
  auto pub = PublicKey::FromDer(spki);
  if (pub.ok()) return std::move(pub).value();
  return PublicKey::Share(key_.get());
}

Result<Bytes> PrivateKey::Sign(const Bytes& data, DigestAlgorithm digest) const {
  RETURN_IF_ERROR(CheckDigestFits(key_.get(), digest));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, DigestMd(digest), nullptr, key_.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cannot initialise signing");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "signing failed");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) {
    return OpenSslError(StatusCode::kInternal, "signing failed");
  }
  sig.resize(len);  // ECDSA DER signatures are usually shorter than the maximum
  return sig;
}

// ---- ECDSA signature encodings ----

Result<Bytes> EcdsaDerToRaw(const Bytes& der, size_t component_size) {
  if (component_size == 0 || component_size > 66) {
    return InvalidArgumentError("ECDSA component size must be 1..66 bytes");
  }
  ASSIGN_OR_RETURN(EcdsaSigPtr sig,
                   DecodeDerExact<EcdsaSigPtr>(der.data(), der.size(), "ECDSA signature",
                                               [](const unsigned char** p, long len) {
                                                 return d2i_ECDSA_SIG(nullptr, p, len);
                                               }));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_num_bytes(r) > static_cast<int>(component_size) ||
      BN_num_bytes(s) > static_cast<int>(component_size)) {
    return InvalidArgumentError("ECDSA signature component wider than " +
                                std::to_string(component_size) + " bytes");
  }
  Bytes out(component_size * 2);
  BN_bn2binpad(r, out.data(), static_cast<int>(component_size));
  BN_bn2binpad(s, out.data() + component_size, static_cast<int>(component_size));
  return out;
}

Result<Bytes> EcdsaRawToDer(const Bytes& raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 132) {
    return InvalidArgumentError("raw ECDSA signature must be r||s of equal, non-zero length");
  }
  const int half = static_cast<int>(raw.size() / 2);
  BignumPtr r(BN_bin2bn(raw.data(), half, nullptr));
  BignumPtr s(BN_bin2bn(raw.data() + half, half, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cannot build ECDSA signature");
  }
  static_cast<void>(r.release());  // now owned by sig
  static_cast<void>(s.release());
  Bytes der = EncodeDer([&](unsigned char** out) { return i2d_ECDSA_SIG(sig.get(), out); });
  if (der.empty()) return InternalError("cannot encode ECDSA signature");
  return der;
}

}  // namespace ck::pki
