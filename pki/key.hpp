// Private and public keys: generation, PEM/DER, SPKI pins and raw signatures.
// Both classes share the underlying EVP_PKEY by reference count: keys are immutable once
// created, so copies are cheap and safe to read from several threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/handles.hpp"
#include "pki/pem_armor.hpp"

namespace ck::pki {

enum class KeyType { kEcdsaP256, kEcdsaP384, kEd25519, kRsa2048, kRsa3072, kRsa4096 };

// "ecdsa-p256", "ecdsa-p384", "ed25519", "rsa2048", "rsa3072", "rsa4096" plus the aliases
// "p256", "p384", "rsa-2048", "rsa-3072", "rsa-4096" (case-insensitive).
Result<KeyType> ParseKeyType(std::string_view name);
// The canonical name ParseKeyType accepts ("ecdsa-p256").
std::string_view KeyTypeName(KeyType type);
const std::vector<KeyType>& AllKeyTypes();

// Hash used under a signature. Ed25519 signs the message itself (RFC 8032), hence kNone.
enum class DigestAlgorithm { kNone, kSha256, kSha384, kSha512 };

// The usual pairing: SHA-256 for P-256 and RSA, SHA-384 for P-384, none for Ed25519 — what
// JWS ES256/ES384/RS256/EdDSA require.
DigestAlgorithm DefaultDigestFor(KeyType type);

// A description that also covers keys we do not generate (RSA-1024, P-521, Ed448, DSA), so
// inspection can say what a foreign certificate carries.
struct KeyInfo {
  std::string algorithm;        // "ECDSA P-256", "RSA", "Ed25519", "ECDSA secp521r1", ...
  int bits = 0;                 // modulus / curve size; 256 for Ed25519 as tools usually print it
  std::optional<KeyType> type;  // set when it is one of KeyType
};
KeyInfo DescribeKey(const EVP_PKEY* key);

// Public parameters as JWK (RFC 7517/7518/8037) needs them; fixed-width, big-endian.
struct PublicKeyComponents {
  std::string kty;  // "EC", "RSA", "OKP"
  std::string crv;  // "P-256", "P-384", "Ed25519"; empty for RSA
  Bytes x, y;       // EC: coordinates; OKP: x only
  Bytes n, e;       // RSA
};

class PublicKey {
 public:
  // "PUBLIC KEY" (SubjectPublicKeyInfo) PEM / DER.
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> FromDer(const Bytes& der);
  // Shares `key` (adds a reference); only its public half is used. A null `key` gives an
  // empty PublicKey (empty SpkiDer/pin, "none" Info, failing Verify).
  static PublicKey Share(EVP_PKEY* key);

  std::string ToPem() const;
  Bytes SpkiDer() const;  // DER SubjectPublicKeyInfo
  // RFC 7469 pin: base64(SHA-256(DER SubjectPublicKeyInfo)).
  std::string SpkiSha256Pin() const;
  KeyInfo Info() const { return DescribeKey(key_.get()); }
  Result<KeyType> Type() const;
  Result<PublicKeyComponents> Components() const;

  // OK when `signature` (DER for ECDSA, as Sign() returns) is valid for `data`;
  // InvalidArgument otherwise.
  Status Verify(const Bytes& data, const Bytes& signature, DigestAlgorithm digest) const;

  bool Equals(const PublicKey& other) const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PublicKey(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
  friend class PrivateKey;
};

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(KeyType type);

  // PKCS#8 ("PRIVATE KEY") or traditional ("RSA PRIVATE KEY", "EC PRIVATE KEY") PEM; the first
  // key block is used and other blocks (certificates, "EC PARAMETERS") are skipped.
  // Encrypted keys are refused with a message saying so: the daemon never holds passphrases.
  static Result<PrivateKey> FromPem(std::string_view pem);
  static Result<PrivateKey> FromPemBlock(const PemBlock& block);
  // PKCS#8 or traditional DER.
  static Result<PrivateKey> FromDer(const Bytes& der);
  // Takes ownership of a key made elsewhere (tests, store); refuses one whose private and
  // public halves disagree.
  static Result<PrivateKey> Adopt(EvpPkeyPtr key);

  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  std::string ToPem() const;  // unencrypted PKCS#8
  Bytes ToDer() const;        // unencrypted PKCS#8
  KeyInfo Info() const { return DescribeKey(key_.get()); }
  // InvalidArgument for keys outside KeyType (e.g. "RSA 1024-bit is not a supported key type").
  Result<KeyType> Type() const;

  PublicKey GetPublicKey() const;
  std::string PublicKeyPem() const { return GetPublicKey().ToPem(); }
  Bytes SpkiDer() const { return GetPublicKey().SpkiDer(); }
  std::string SpkiSha256Pin() const { return GetPublicKey().SpkiSha256Pin(); }

  // Signs `data`. ECDSA returns a DER Ecdsa-Sig-Value (see EcdsaDerToRaw for JWS), RSA a
  // PKCS#1 v1.5 signature, Ed25519 the 64-byte RFC 8032 signature. The digest must be kNone
  // for Ed25519 and must not be kNone otherwise.
  Result<Bytes> Sign(const Bytes& data, DigestAlgorithm digest) const;

  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
};

// DER Ecdsa-Sig-Value -> r||s, each left-padded to `component_size` bytes (32 for P-256,
// 48 for P-384), as JWS (RFC 7518 §3.4) requires.
Result<Bytes> EcdsaDerToRaw(const Bytes& der, size_t component_size);
// r||s (even length) -> DER Ecdsa-Sig-Value.
Result<Bytes> EcdsaRawToDer(const Bytes& raw);

}  // namespace ck::pki
