// JOSE for ACME (RFC 8555 §6.2): JWK (RFC 7517/7518, OKP per RFC 8037), JWK thumbprints
// (RFC 7638), flattened JWS (RFC 7515 §7.2.2) with ES256/ES384/RS256/EdDSA, and the HS256 JWS
// of External Account Binding (RFC 8555 §7.3.4).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/key.hpp"

namespace ck::acme {

// The JWK of a public key with only its required members (RFC 7638 §3.2), so the same object
// serves the "jwk" header and the thumbprint. Members are sorted (nlohmann's std::map).
Result<nlohmann::json> PublicJwk(const pki::PublicKey& key);

// RFC 7638: base64url(SHA-256(JWK with required members, lexicographic order, no whitespace)).
Result<std::string> JwkThumbprint(const pki::PublicKey& key);

// "ES256", "ES384", "RS256" or "EdDSA" for a key type (RFC 7518 §3.1, RFC 8037 §3.1).
Result<std::string> JwsAlgorithmFor(const pki::PrivateKey& key);

// An account (or certificate) key ready to sign JWS. Immutable; cheap to copy.
class JwsKey {
 public:
  static Result<JwsKey> Create(pki::PrivateKey key);

  const std::string& alg() const { return alg_; }
  const nlohmann::json& jwk() const { return jwk_; }
  const std::string& thumbprint() const { return thumbprint_; }
  const pki::PrivateKey& private_key() const { return key_; }

  // The JWS signature over "protected.payload" (both already base64url): raw r||s for ECDSA
  // (RFC 7518 §3.4), PKCS#1 v1.5 for RS256, RFC 8032 for EdDSA.
  Result<std::string> SignB64(std::string_view signing_input) const;

 private:
  JwsKey(pki::PrivateKey key, std::string alg, nlohmann::json jwk, std::string thumbprint)
      : key_(std::move(key)),
        alg_(std::move(alg)),
        jwk_(std::move(jwk)),
        thumbprint_(std::move(thumbprint)) {}
  pki::PrivateKey key_;
  std::string alg_;
  nlohmann::json jwk_;
  std::string thumbprint_;
};

// Flattened JSON serialization {"protected","payload","signature"}. `payload` is the exact
// payload bytes: "" for POST-as-GET (RFC 8555 §6.3). RFC 8555 §6.2: exactly one of `kid` or
// the key's "jwk" goes into the protected header, with "nonce" and "url".
Result<std::string> SignJws(const JwsKey& key, std::string_view payload, std::string_view url,
                            std::string_view nonce, std::string_view kid);

// Lower-level: signs with a caller-built protected header (RFC 7520 vectors, key change
// inner JWS which has no nonce).
Result<nlohmann::json> SignJwsWithHeader(const JwsKey& key, const nlohmann::json& protected_header,
                                         std::string_view payload);

// RFC 8555 §7.3.4: {"protected":{"alg":"HS256","kid":eab_kid,"url":new_account_url},
// "payload":<account JWK>, "signature":HMAC-SHA256}. `hmac_key_b64url` is the key the CA
// handed out, base64url (padding tolerated).
Result<nlohmann::json> ExternalAccountBinding(const JwsKey& account_key, std::string_view eab_kid,
                                              std::string_view hmac_key_b64url,
                                              std::string_view new_account_url);

// RFC 8555 §8.1: token || '.' || base64url(thumbprint).
std::string KeyAuthorization(std::string_view token, std::string_view thumbprint);
// RFC 8555 §8.4: base64url(SHA-256(key authorization)), the dns-01 TXT value.
std::string Dns01TxtValue(std::string_view key_authorization);

}  // namespace ck::acme
