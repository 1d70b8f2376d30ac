#include "daemon/deploy/files_deployer.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/deploy/target_config.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace ck::deploy {
namespace {

namespace fs = std::filesystem;

std::string Errno() { return std::strerror(errno); }

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return UnavailableError("cannot open " + dir + ": " + Errno());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return UnavailableError("cannot fsync " + dir + ": " + Errno());
  return OkStatus();
}

std::optional<unsigned> ParseNumber(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "v12" -> 12.
std::optional<unsigned> VersionNumber(std::string_view entry) {
  if (entry.size() < 2 || entry[0] != 'v') return std::nullopt;
  return ParseNumber(entry.substr(1));
}

Result<uid_t> ResolveUser(const std::string& name) {
  if (auto n = ParseNumber(name)) return static_cast<uid_t>(*n);
  std::vector<char> buf(16384);
  passwd pw{}, *out = nullptr;
  int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &out);
  if (rc != 0 || !out) return InvalidArgumentError("no such user");
  return pw.pw_uid;
}

Result<gid_t> ResolveGroup(const std::string& name) {
  if (auto n = ParseNumber(name)) return static_cast<gid_t>(*n);
  std::vector<char> buf(16384);
  group gr{}, *out = nullptr;
  int rc = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &out);
  if (rc != 0 || !out) return InvalidArgumentError("no such group");
  return gr.gr_gid;
}

std::string WithNewline(std::string_view pem) {
  std::string s(pem);
  if (!s.empty() && s.back() != '\n') s += '\n';
  return s;
}

}  // namespace

Result<FilesOptions> ParseFilesOptions(const nlohmann::json& target) {
  ASSIGN_OR_RETURN(TargetConfig c,
                   TargetConfig::Open(target, {"dir", "owner", "group", "key_mode", "cert_mode"}));
  FilesOptions o;
  ASSIGN_OR_RETURN(o.dir, c.RequiredString("dir"));
  if (o.dir.front() != '/') return c.Error("dir", "must be an absolute path");
  while (o.dir.size() > 1 && o.dir.back() == '/') o.dir.pop_back();
  ASSIGN_OR_RETURN(std::string owner, c.String("owner"));
  if (!owner.empty()) {
    auto uid = ResolveUser(owner);
    if (!uid.ok()) return c.Error("owner", "names no such user: \"" + owner + "\"");
    o.owner = *uid;
  }
  ASSIGN_OR_RETURN(std::string group, c.String("group"));
  if (!group.empty()) {
    auto gid = ResolveGroup(group);
    if (!gid.ok()) return c.Error("group", "names no such group: \"" + group + "\"");
    o.group = *gid;
  }
  ASSIGN_OR_RETURN(o.key_mode, c.Mode("key_mode", 0600));
  ASSIGN_OR_RETURN(o.cert_mode, c.Mode("cert_mode", 0644));
  if (o.key_mode & 0007) {
    return c.Error("key_mode", "must not give other users access to the private key");
  }
  if (!(o.key_mode & 0400) || !(o.cert_mode & 0400)) {
    return c.Error(!(o.key_mode & 0400) ? "key_mode" : "cert_mode",
                   "must let the owner read the file");
  }
  return o;
}

Status FilesDeployer::Validate(const Material& m) {
  RETURN_IF_ERROR(CheckCertificateName(m.name));
  auto cert = pki::Certificate::FromPem(m.cert_pem);
  if (!cert.ok()) return cert.status().WithContext("certificate");
  auto key = pki::PrivateKey::FromPem(m.key_pem.view());
  if (!key.ok()) return key.status().WithContext("private key");
  if (!pki::KeyMatches(*cert, *key)) {
    return FailedPreconditionError("the private key does not match certificate serial " +
                                   cert->SerialHex());
  }
  if (cert->SerialHex() != m.serial_hex) {
    return InvalidArgumentError("material says serial " + m.serial_hex +
                                " but the certificate has " + cert->SerialHex());
  }
  if (!m.chain_pem.empty()) {
    auto chain = pki::ParseCertificateChain(m.chain_pem);
    if (!chain.ok()) return chain.status().WithContext("chain");
  }
  RETURN_IF_ERROR(EnsureDirectory(ArchiveDir(m.name)));
  RETURN_IF_ERROR(EnsureDirectory(o_.dir + "/live"));
  for (const std::string& d : {ArchiveDir(m.name), o_.dir + "/live"}) {
    if (::access(d.c_str(), W_OK | X_OK) != 0) {
      return PermissionDeniedError("cannot write to " + d + ": " + Errno());
    }
  }
  struct stat st {};
  std::string live = LiveDir(m.name);
  if (::lstat(live.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
    return FailedPreconditionError(live +
                                   " exists and is not a symlink; certkeeper swaps live/NAME as "
                                   "one symlink into archive/NAME/vN (move the old one away)");
  }
  return OkStatus();
}

Status FilesDeployer::WriteVersion(const Material& m, const std::string& version_dir) {
  const std::string fullchain = WithNewline(m.cert_pem) + WithNewline(m.chain_pem);
  struct File {
    const char* name;
    std::string_view data;
    mode_t mode;
  };
  const File files[] = {
      {"cert.pem", m.cert_pem, o_.cert_mode},
      {"chain.pem", m.chain_pem, o_.cert_mode},
      {"fullchain.pem", fullchain, o_.cert_mode},
      {"privkey.pem", m.key_pem.view(), o_.key_mode},
  };
  for (const File& f : files) {
    std::string path = version_dir + "/" + f.name;
    std::string data =
        f.name == std::string_view("privkey.pem") ? std::string(f.data) : WithNewline(f.data);
    Status s = WriteFileAtomic(path, data, f.mode);
    store::SecureWipe(data.data(), data.size());
    RETURN_IF_ERROR(s);
    if ((o_.owner || o_.group) && ::lchown(path.c_str(), o_.owner.value_or(static_cast<uid_t>(-1)),
                                           o_.group.value_or(static_cast<gid_t>(-1))) != 0) {
      return PermissionDeniedError("cannot chown " + path + ": " + Errno());
    }
  }
  return FsyncDir(version_dir);
}

Status FilesDeployer::PointLiveAt(const std::string& name, const std::string& target) {
  const std::string live = LiveDir(name);
  const std::string tmp = o_.dir + "/live/." + name + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a leftover from a crash
  if (::symlink(target.c_str(), tmp.c_str()) != 0) {
    return UnavailableError("cannot create symlink " + tmp + ": " + Errno());
  }
  // rename(2) replaces the old symlink atomically: a reader resolves the old or the new one.
  if (::rename(tmp.c_str(), live.c_str()) != 0) {
    Status s = UnavailableError("cannot rename " + tmp + " to " + live + ": " + Errno());
    ::unlink(tmp.c_str());
    return s;
  }
  return FsyncDir(o_.dir + "/live");
}

Status FilesDeployer::Commit(const Material& m) {
  committed_ = false;
  name_ = m.name;
  new_version_dir_.clear();
  previous_target_.reset();
  const std::string live = LiveDir(m.name);
  const std::string archive = ArchiveDir(m.name);
  char buf[4096];
  ssize_t n = ::readlink(live.c_str(), buf, sizeof buf - 1);
  if (n > 0) previous_target_ = std::string(buf, static_cast<size_t>(n));

  unsigned next = 1;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(archive, ec)) {
    if (auto v = VersionNumber(e.path().filename().string())) next = std::max(next, *v + 1);
  }
  if (ec) return UnavailableError("cannot list " + archive + ": " + ec.message());
  const std::string version = "v" + std::to_string(next);
  // Built under a hidden name and renamed: a version directory is complete or absent.
  const std::string tmp = archive + "/." + version + ".tmp." + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  if (::mkdir(tmp.c_str(), 0755) != 0) {
    return UnavailableError("cannot create " + tmp + ": " + Errno());
  }
  Status s = WriteVersion(m, tmp);
  if (s.ok() && (o_.owner || o_.group) &&
      ::lchown(tmp.c_str(), o_.owner.value_or(static_cast<uid_t>(-1)),
               o_.group.value_or(static_cast<gid_t>(-1))) != 0) {
    s = PermissionDeniedError("cannot chown " + tmp + ": " + Errno());
  }
  if (s.ok() && ::rename(tmp.c_str(), (archive + "/" + version).c_str()) != 0) {
    s = UnavailableError("cannot rename " + tmp + ": " + Errno());
  }
  if (s.ok()) s = FsyncDir(archive);
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  new_version_dir_ = archive + "/" + version;
  RETURN_IF_ERROR(PointLiveAt(m.name, "../archive/" + m.name + "/" + version));
  committed_ = true;
  Prune(m.name);
  log::Info("deployed files",
            {{"cert", m.name}, {"serial", m.serial_hex}, {"live", live}, {"version", version}});
  return OkStatus();
}

void FilesDeployer::Prune(const std::string& name) {
  const std::string archive = ArchiveDir(name);
  std::vector<unsigned> versions;
  std::vector<fs::path> stale;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(archive, ec)) {
    std::string f = e.path().filename().string();
    if (auto v = VersionNumber(f)) {
      versions.push_back(*v);
    } else if (f.size() > 2 && f[0] == '.' && f[1] == 'v' && f.find(".tmp.") != std::string::npos &&
               new_version_dir_ != e.path().string()) {
      stale.push_back(e.path());  // a half-written version from a crash
    }
  }
  std::sort(versions.rbegin(), versions.rend());
  std::string keep_previous;
  if (previous_target_) keep_previous = fs::path(*previous_target_).filename().string();
  for (size_t i = static_cast<size_t>(o_.keep_versions); i < versions.size(); ++i) {
    std::string v = "v" + std::to_string(versions[i]);
    if (v == keep_previous) continue;  // Rollback needs it
    stale.push_back(fs::path(archive) / v);
  }
  for (const auto& p : stale) {
    fs::remove_all(p, ec);
    if (ec) log::Warn("cannot prune old version", {{"path", p.string()}, {"error", ec.message()}});
  }
}

Status FilesDeployer::Verify(const Material& m) {
  // Read both files relative to one open of live/NAME, as a consumer should.
  const std::string live = LiveDir(m.name);
  int dir = ::open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return DataLossError("cannot open " + live + ": " + Errno());
  auto read_at = [&](const char* name) -> Result<std::string> {
    int fd = ::openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return DataLossError("cannot open " + live + "/" + name + ": " + Errno());
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out;
  };
  auto fullchain = read_at("fullchain.pem");
  auto key_pem = read_at("privkey.pem");
  ::close(dir);
  RETURN_IF_ERROR(fullchain);
  RETURN_IF_ERROR(key_pem);
  store::SecretString key_secret(std::move(*key_pem));
  auto cert = pki::Certificate::FromPem(*fullchain);
  auto key = pki::PrivateKey::FromPem(key_secret.view());
  if (!cert.ok() || !key.ok())
    return DataLossError(live + " holds an unreadable certificate or key");
  if (cert->SerialHex() != m.serial_hex) {
    return DataLossError(live + "/fullchain.pem has serial " + cert->SerialHex() + ", expected " +
                         m.serial_hex);
  }
  if (!pki::KeyMatches(*cert, *key)) {
    return DataLossError(live + ": privkey.pem does not match fullchain.pem");
  }
  return OkStatus();
}

Status FilesDeployer::Rollback() {
  std::error_code ec;
  if (!committed_) {
    return OkStatus();
  }
  committed_ = false;
  const std::string live = LiveDir(name_);
  if (previous_target_) {
    RETURN_IF_ERROR(PointLiveAt(name_, *previous_target_));
  } else if (::unlink(live.c_str()) != 0 && errno != ENOENT) {
    return UnavailableError("cannot remove " + live + ": " + Errno());
  } else {
    RETURN_IF_ERROR(FsyncDir(o_.dir + "/live"));
  }
  // The rolled-back version is never live again; a later deploy writes a new one.
  if (!new_version_dir_.empty()) fs::remove_all(new_version_dir_, ec);
  log::Warn("rolled back files",
            {{"cert", name_}, {"live", live}, {"target", previous_target_.value_or("(none)")}});
  return OkStatus();
}

}  // namespace ck::deploy
