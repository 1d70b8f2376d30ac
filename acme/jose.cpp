#include "acme/jose.hpp"

#include "pki/digest.hpp"

namespace ck::acme {

using nlohmann::json;

Result<json> PublicJwk(const pki::PublicKey& key) {
  ASSIGN_OR_RETURN(pki::PublicKeyComponents c, key.Components());
  json jwk = json::object();
  // RFC 7638 §3.2: the required members only — EC: crv, kty, x, y; RSA: e, kty, n;
  // RFC 8037 §2 OKP: crv, kty, x.
  if (c.kty == "EC") {
    jwk["crv"] = c.crv;
    jwk["kty"] = "EC";
    jwk["x"] = Base64UrlEncode(c.x);
    jwk["y"] = Base64UrlEncode(c.y);
  } else if (c.kty == "RSA") {
    jwk["e"] = Base64UrlEncode(c.e);
    jwk["kty"] = "RSA";
    jwk["n"] = Base64UrlEncode(c.n);
  } else if (c.kty == "OKP") {
    jwk["crv"] = c.crv;
    jwk["kty"] = "OKP";
    jwk["x"] = Base64UrlEncode(c.x);
  } else {
    return InvalidArgumentError("no JWK form for key type " + c.kty);
  }
  return jwk;
}

Result<std::string> JwkThumbprint(const pki::PublicKey& key) {
  ASSIGN_OR_RETURN(json jwk, PublicJwk(key));
  // nlohmann's object is a std::map: members come out sorted, and dump() without an indent
  // emits no whitespace — exactly RFC 7638 §3.3's canonical form.
  return Base64UrlEncode(pki::Sha256(jwk.dump()));
}

Result<std::string> JwsAlgorithmFor(const pki::PrivateKey& key) {
  ASSIGN_OR_RETURN(pki::KeyType type, key.Type());
  switch (type) {
    case pki::KeyType::kEcdsaP256: return std::string("ES256");
    case pki::KeyType::kEcdsaP384: return std::string("ES384");
    case pki::KeyType::kEd25519: return std::string("EdDSA");
    case pki::KeyType::kRsa2048:
    case pki::KeyType::kRsa3072:
    case pki::KeyType::kRsa4096: return std::string("RS256");
  }
  return InvalidArgumentError("unsupported key type for JWS");
}

Result<JwsKey> JwsKey::Create(pki::PrivateKey key) {
  ASSIGN_OR_RETURN(std::string alg, JwsAlgorithmFor(key));
  ASSIGN_OR_RETURN(json jwk, PublicJwk(key.GetPublicKey()));
  std::string thumbprint = Base64UrlEncode(pki::Sha256(jwk.dump()));
  return JwsKey(std::move(key), std::move(alg), std::move(jwk), std::move(thumbprint));
}

Result<std::string> JwsKey::SignB64(std::string_view signing_input) const {
  ASSIGN_OR_RETURN(pki::KeyType type, key_.Type());
  Bytes data = ToBytes(signing_input);
  ASSIGN_OR_RETURN(Bytes sig, key_.Sign(data, pki::DefaultDigestFor(type)));
  if (type == pki::KeyType::kEcdsaP256 || type == pki::KeyType::kEcdsaP384) {
    // RFC 7518 §3.4: JWS carries R||S, each the size of the curve order, not DER.
    ASSIGN_OR_RETURN(sig, pki::EcdsaDerToRaw(sig, type == pki::KeyType::kEcdsaP256 ? 32 : 48));
  }
  return Base64UrlEncode(sig);
}

Result<json> SignJwsWithHeader(const JwsKey& key, const json& protected_header,
                               std::string_view payload) {
  std::string protected_b64 = Base64UrlEncode(protected_header.dump());
  std::string payload_b64 = Base64UrlEncode(payload);
  ASSIGN_OR_RETURN(std::string sig, key.SignB64(protected_b64 + "." + payload_b64));
  json jws = json::object();
  jws["protected"] = std::move(protected_b64);
  jws["payload"] = std::move(payload_b64);
  jws["signature"] = std::move(sig);
  return jws;
}

Result<std::string> SignJws(const JwsKey& key, std::string_view payload, std::string_view url,
                            std::string_view nonce, std::string_view kid) {
  json header = json::object();
  header["alg"] = key.alg();
  // RFC 8555 §6.2: "jwk" only for newAccount and revocation by certificate key; every other
  // request names the account by "kid". Never both.
  if (kid.empty()) {
    header["jwk"] = key.jwk();
  } else {
    header["kid"] = std::string(kid);
  }
  header["nonce"] = std::string(nonce);
  header["url"] = std::string(url);
  ASSIGN_OR_RETURN(json jws, SignJwsWithHeader(key, header, payload));
  return jws.dump();
}

Result<json> ExternalAccountBinding(const JwsKey& account_key, std::string_view eab_kid,
                                    std::string_view hmac_key_b64url,
                                    std::string_view new_account_url) {
  if (eab_kid.empty()) return InvalidArgumentError("EAB key id is empty");
  std::string key_text(hmac_key_b64url);
  while (!key_text.empty() && key_text.back() == '=') key_text.pop_back();
  auto hmac_key = Base64UrlDecode(key_text);
  if (!hmac_key.ok() || hmac_key->empty()) {
    return InvalidArgumentError("EAB HMAC key is not base64url");
  }
  // RFC 8555 §7.3.4: the inner JWS has no nonce; "url" is the newAccount URL.
  json header = json::object();
  header["alg"] = "HS256";
  header["kid"] = std::string(eab_kid);
  header["url"] = std::string(new_account_url);
  std::string protected_b64 = Base64UrlEncode(header.dump());
  std::string payload_b64 = Base64UrlEncode(account_key.jwk().dump());
  Bytes mac = pki::HmacSha256(*hmac_key, protected_b64 + "." + payload_b64);
  json jws = json::object();
  jws["protected"] = std::move(protected_b64);
  jws["payload"] = std::move(payload_b64);
  jws["signature"] = Base64UrlEncode(mac);
  return jws;
}

std::string KeyAuthorization(std::string_view token, std::string_view thumbprint) {
  std::string out(token);
  out += '.';
  out += thumbprint;
  return out;
}

std::string Dns01TxtValue(std::string_view key_authorization) {
  return Base64UrlEncode(pki::Sha256(key_authorization));
}

}  // namespace ck::acme
