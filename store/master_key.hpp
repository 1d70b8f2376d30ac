// The master key that seals private keys at rest, and the three places it comes from:
// a file (mode 0600/0400 only), systemd credentials ($CREDENTIALS_DIRECTORY, LoadCredential=),
// or a file generated on first start in --dev mode.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck::store {

class MasterKey {
 public:
  static constexpr size_t kSize = 32;  // AES-256
  using KeyBytes = std::array<uint8_t, kSize>;

  // 32 fresh bytes from OpenSSL's CSPRNG.
  static Result<MasterKey> Generate();
  // InvalidArgument unless exactly 32 bytes.
  static Result<MasterKey> FromBytes(std::string_view bytes);
  // Accepts exactly 32 raw bytes, or text (surrounding whitespace ignored) holding 32 bytes
  // as 64 hex digits or as standard base64. Never echoes the content in errors.
  static Result<MasterKey> Parse(std::string_view content, std::string_view origin);

  MasterKey(const MasterKey& o) : bytes_(o.bytes_), id_(o.id_) {}
  MasterKey& operator=(const MasterKey& o);
  ~MasterKey();

  const KeyBytes& bytes() const { return bytes_; }
  // First 8 bytes of SHA-256(key) in hex: tells keys apart in messages without revealing them.
  const std::string& id() const { return id_; }
  // Base64 of the 32 bytes plus "\n": the format written to key files.
  std::string ToFileContent() const;

 private:
  explicit MasterKey(const KeyBytes& bytes);
  KeyBytes bytes_{};
  std::string id_;
};

// Name of the systemd credential: LoadCredential=master-key:/etc/certkeeper/master-key.
inline constexpr std::string_view kMasterKeyCredentialName = "master-key";

// Reads a key file; PermissionDenied (with a chmod hint) unless mode is 0600 or 0400.
Result<MasterKey> LoadMasterKeyFile(const std::string& path);

// Reads $CREDENTIALS_DIRECTORY/master-key. NotFound when the variable is unset or the
// credential is missing, so callers can fall through to the next source.
Result<MasterKey> LoadMasterKeyFromCredentials();

// --dev mode only: loads `path`, or generates a key and writes it there (mode 0600) when the
// file does not exist. Creation is exclusive: two racing processes end up with the same key.
Result<MasterKey> LoadOrCreateDevMasterKey(const std::string& path);

// Writes `key` to a new file `path` (mode 0600); AlreadyExists if `path` exists. Used by
// `certkeeper rekey` to save the new key before any row is re-sealed with it.
Status WriteNewMasterKeyFile(const std::string& path, const MasterKey& key);

}  // namespace ck::store
