#include "store/key_sealer.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

namespace ck::store {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

std::string KeyName(const SealedKeyIdentity& key) {
  return "key '" + std::string(key.label) + "' (id " + std::to_string(key.id) + ")";
}

// Master key id as raw bytes (the hex id decoded).
Bytes MasterIdBytes(const MasterKey& master) {
  auto r = HexDecode(master.id());
  return r.ok() ? std::move(r).value() : Bytes(kSealMasterIdSize, 0);
}

Bytes AssociatedData(uint8_t version, const uint8_t* master_id, const SealedKeyIdentity& key) {
  Bytes aad;
  aad.reserve(1 + kSealMasterIdSize + 8 + key.algorithm.size());
  aad.push_back(version);
  aad.insert(aad.end(), master_id, master_id + kSealMasterIdSize);
  auto id = static_cast<uint64_t>(key.id);
  for (int shift = 56; shift >= 0; shift -= 8) aad.push_back(static_cast<uint8_t>(id >> shift));
  aad.insert(aad.end(), key.algorithm.begin(), key.algorithm.end());
  return aad;
}

}  // namespace

Result<SealedBlob> Seal(const MasterKey& master, const SealedKeyIdentity& key,
                        std::string_view plaintext) {
  auto fail = [&](std::string_view what) {
    return InternalError("sealing " + KeyName(key) + ": " + std::string(what));
  };
  if (plaintext.size() > (1u << 30)) return InvalidArgumentError(KeyName(key) + " is too large");
  Bytes master_id = MasterIdBytes(master);
  SealedBlob blob(kSealHeaderSize + plaintext.size() + kSealTagSize);
  blob[0] = kSealFormatV1;
  std::memcpy(blob.data() + 1, master_id.data(), kSealMasterIdSize);
  uint8_t* nonce = blob.data() + 1 + kSealMasterIdSize;
  if (RAND_bytes(nonce, kSealNonceSize) != 1) return fail("random generator failed");
  Bytes aad = AssociatedData(kSealFormatV1, master_id.data(), key);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kSealNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, master.bytes().data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return fail("cipher setup failed");
  }
  uint8_t* out = blob.data() + kSealHeaderSize;
  if (EVP_EncryptUpdate(ctx.get(), out, &len, reinterpret_cast<const uint8_t*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1) {
    return fail("encryption failed");
  }
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out + len, &tail) != 1 ||
      static_cast<size_t>(len + tail) != plaintext.size()) {
    return fail("encryption failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kSealTagSize,
                          blob.data() + blob.size() - kSealTagSize) != 1) {
    return fail("cannot read the authentication tag");
  }
  return blob;
}

Result<std::string> SealedMasterKeyId(const SealedBlob& blob) {
  if (blob.size() < 1 + kSealMasterIdSize) {
    return InvalidArgumentError("sealed blob too short for a header");
  }
  return HexEncode(blob.data() + 1, kSealMasterIdSize);
}

Result<SecretString> Unseal(const MasterKey& master, const SealedKeyIdentity& key,
                            const SealedBlob& blob) {
  if (blob.empty()) return DataLossError(KeyName(key) + ": the sealed key is empty");
  if (blob[0] != kSealFormatV1) {
    return DataLossError(KeyName(key) + ": unknown sealed-key format version " +
                         std::to_string(blob[0]) + " (the row is corrupt or was written by a " +
                         "newer certkeeper)");
  }
  if (blob.size() < kSealHeaderSize + kSealTagSize) {
    return DataLossError(KeyName(key) + ": the sealed key is truncated (" +
                         std::to_string(blob.size()) + " bytes)");
  }
  std::string sealed_with = HexEncode(blob.data() + 1, kSealMasterIdSize);
  if (sealed_with != master.id()) {
    return PermissionDeniedError(KeyName(key) + " was sealed with master key " + sealed_with +
                                 ", but the loaded master key is " + master.id() +
                                 "; load the master key this database was sealed with");
  }
  const uint8_t* nonce = blob.data() + 1 + kSealMasterIdSize;
  const uint8_t* ciphertext = blob.data() + kSealHeaderSize;
  size_t ciphertext_len = blob.size() - kSealHeaderSize - kSealTagSize;
  Bytes aad = AssociatedData(blob[0], blob.data() + 1, key);

  auto fail = [&](std::string_view what) {
    return InternalError("unsealing " + KeyName(key) + ": " + std::string(what));
  };
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kSealNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, master.bytes().data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return fail("cipher setup failed");
  }
  // Decrypt straight into the buffer the SecretString will own; wiped on every exit path.
  SecretString plaintext(std::string(ciphertext_len, '\0'));
  char* out = plaintext.mutable_data();
  if (EVP_DecryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(out), &len, ciphertext,
                        static_cast<int>(ciphertext_len)) != 1) {
    return fail("decryption failed");
  }
  Bytes tag(blob.end() - kSealTagSize, blob.end());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kSealTagSize, tag.data()) != 1) {
    return fail("cannot set the authentication tag");
  }
  int tail = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<uint8_t*>(out) + len, &tail) != 1) {
    return DataLossError(KeyName(key) +
                         ": authentication failed — the stored ciphertext was modified or is "
                         "corrupt (restore it from a backup)");
  }
  return plaintext;
}

}  // namespace ck::store
