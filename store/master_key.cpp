#include "store/master_key.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/encoding.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "store/secret_string.hpp"

namespace ck::store {
namespace {

std::string_view TrimSpace(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool AllHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Wipes a decoded copy of the key when it goes out of scope.
struct WipedBytes {
  Bytes b;
  ~WipedBytes() { SecureWipe(b.data(), b.size()); }
};

}  // namespace

MasterKey::MasterKey(const KeyBytes& bytes) : bytes_(bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes_.data(), bytes_.size(), digest, &len, EVP_sha256(), nullptr);
  id_ = HexEncode(digest, 8);
}

MasterKey& MasterKey::operator=(const MasterKey& o) {
  bytes_ = o.bytes_;
  id_ = o.id_;
  return *this;
}

MasterKey::~MasterKey() { SecureWipe(bytes_.data(), bytes_.size()); }

Result<MasterKey> MasterKey::Generate() {
  KeyBytes b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    return InternalError("cannot generate a master key: the OpenSSL random generator failed");
  }
  MasterKey key(b);
  SecureWipe(b.data(), b.size());
  return key;
}

Result<MasterKey> MasterKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return InvalidArgumentError("a master key is " + std::to_string(kSize) + " bytes, got " +
                                std::to_string(bytes.size()));
  }
  KeyBytes b{};
  std::memcpy(b.data(), bytes.data(), kSize);
  MasterKey key(b);
  SecureWipe(b.data(), b.size());
  return key;
}

Result<MasterKey> MasterKey::Parse(std::string_view content, std::string_view origin) {
  if (content.size() == kSize) return FromBytes(content);  // raw bytes, e.g. head -c32 urandom
  std::string_view text = TrimSpace(content);
  WipedBytes decoded;
  if (text.size() == 2 * kSize && AllHex(text)) {
    auto r = HexDecode(text);
    if (r.ok()) decoded.b = std::move(r).value();
  } else {
    auto r = Base64Decode(text);
    if (r.ok()) decoded.b = std::move(r).value();
  }
  if (decoded.b.size() != kSize) {
    return InvalidArgumentError(
        std::string(origin) + " does not hold a master key: expected 32 raw bytes, 64 hex " +
        "digits or base64 of 32 bytes (e.g. `openssl rand -base64 32`), found " +
        std::to_string(content.size()) + " bytes that are none of these");
  }
  return FromBytes(std::string_view(reinterpret_cast<const char*>(decoded.b.data()), kSize));
}

std::string MasterKey::ToFileContent() const {
  return Base64Encode(bytes_.data(), bytes_.size()) + "\n";
}

Result<MasterKey> LoadMasterKeyFile(const std::string& path) {
  RETURN_IF_ERROR(CheckSecretFileMode(path));
  auto content = ReadFile(path, 4096);
  if (!content.ok()) return content.status().WithContext("reading master key");
  auto key = MasterKey::Parse(*content, "master key file " + path);
  SecureWipe(content->data(), content->size());
  return key;
}

Result<MasterKey> LoadMasterKeyFromCredentials() {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') {
    return NotFoundError("$CREDENTIALS_DIRECTORY is not set (no systemd LoadCredential=)");
  }
  std::string path = std::string(dir) + "/" + std::string(kMasterKeyCredentialName);
  if (::access(path.c_str(), F_OK) != 0) {
    return NotFoundError("no credential " + path + "; add LoadCredential=" +
                         std::string(kMasterKeyCredentialName) + ":/path/to/key to the unit");
  }
  return LoadMasterKeyFile(path);
}

Status WriteNewMasterKeyFile(const std::string& path, const MasterKey& key) {
  // Write a private temp file, then link(2) it into place: link fails with EEXIST instead of
  // replacing, so an existing key (that rows may be sealed with) is never overwritten.
  std::string tmp = path + ".new." + std::to_string(::getpid());
  std::string content = key.ToFileContent();
  Status written = WriteFileAtomic(tmp, content, 0600);
  SecureWipe(content.data(), content.size());
  RETURN_IF_ERROR(written);
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return AlreadyExistsError("master key file " + path + " already exists");
    return UnavailableError("cannot create " + path + ": " + std::strerror(err));
  }
  return OkStatus();
}

Result<MasterKey> LoadOrCreateDevMasterKey(const std::string& path) {
  auto loaded = LoadMasterKeyFile(path);
  if (loaded.ok() || loaded.status().code() != StatusCode::kNotFound) return loaded;
  ASSIGN_OR_RETURN(MasterKey key, MasterKey::Generate());
  Status s = WriteNewMasterKeyFile(path, key);
  if (s.code() == StatusCode::kAlreadyExists) return LoadMasterKeyFile(path);  // lost a race
  RETURN_IF_ERROR(s);
  log::Warn(
      "dev mode: generated a new master key; keep it safe, keys sealed with it are "
      "unreadable without it",
      {{"path", path}, {"master_key_id", key.id()}});
  return key;
}

}  // namespace ck::store
