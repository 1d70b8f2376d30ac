// Sealing private keys at rest: AES-256-GCM under the master key.
//
// Blob format, version 1 (all of it is stored in private_keys.sealed):
//   [0]       format version (0x01)
//   [1..8]    master key id (first 8 bytes of SHA-256 of the master key)
//   [9..20]   nonce (12 random bytes, fresh for every seal)
//   [21..n-16] ciphertext
//   [n-16..n) GCM tag
// Associated data = version byte || master key id || key row id (int64, big-endian) ||
// algorithm. Binding the row id and algorithm means a blob copied onto another row, or a row
// whose algorithm was edited, fails authentication instead of decrypting into the wrong key.
// The row id is the identity: the store inserts the row first and seals inside the same
// transaction (see SqliteStore::PutPrivateKey). The label is only used in messages.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/encoding.hpp"
#include "common/status.hpp"
#include "store/master_key.hpp"
#include "store/secret_string.hpp"

namespace ck::store {

using SealedBlob = Bytes;

inline constexpr uint8_t kSealFormatV1 = 0x01;
inline constexpr size_t kSealNonceSize = 12;
inline constexpr size_t kSealTagSize = 16;
inline constexpr size_t kSealMasterIdSize = 8;
inline constexpr size_t kSealHeaderSize = 1 + kSealMasterIdSize + kSealNonceSize;

// Which key a blob belongs to: id and algorithm are authenticated, label is for messages.
struct SealedKeyIdentity {
  int64_t id = 0;
  std::string_view label;
  std::string_view algorithm;
};

Result<SealedBlob> Seal(const MasterKey& master, const SealedKeyIdentity& key,
                        std::string_view plaintext);

// Errors always name the key ("key 'web' (id 7): ...") and never return partial plaintext:
//   PermissionDenied — sealed under a different master key (both key ids in the message);
//   DataLoss — unknown format, truncated, or authentication failed (modified or corrupt).
Result<SecretString> Unseal(const MasterKey& master, const SealedKeyIdentity& key,
                            const SealedBlob& blob);

// The master key id recorded in a blob's header, hex; InvalidArgument if too short.
Result<std::string> SealedMasterKeyId(const SealedBlob& blob);

}  // namespace ck::store
