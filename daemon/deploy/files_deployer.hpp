// `files` target: certbot-compatible layout under `dir`.
//
//   dir/archive/NAME/vN/{cert,chain,fullchain,privkey}.pem   one directory per version
//   dir/live/NAME -> ../archive/NAME/vN                        a symlink swapped with rename(2)
//
// certbot points one symlink per file at versioned files, so a reader between two swaps can see
// the new certificate with the old key. Here a version is a directory and live/NAME is swapped
// as one symlink, so live/NAME/fullchain.pem and live/NAME/privkey.pem always resolve into the
// same version: at every instant the key and the certificate on disk match. (A reader that opens
// the two paths separately can still straddle a swap; one that opens live/NAME once and the
// files relative to it cannot.)
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "daemon/deploy/deployer.hpp"

namespace ck::deploy {

struct FilesOptions {
  std::string dir;
  std::optional<uid_t> owner;  // chown when set
  std::optional<gid_t> group;
  mode_t key_mode = 0600;
  mode_t cert_mode = 0644;
  int keep_versions = 5;  // older versions are pruned after a successful swap
};

// Keys: dir (required), owner, group, key_mode ("0600"), cert_mode ("0644").
Result<FilesOptions> ParseFilesOptions(const nlohmann::json& target);

class FilesDeployer final : public Deployer {
 public:
  explicit FilesDeployer(FilesOptions options) : o_(std::move(options)) {}

  std::string Describe() const override { return "files " + o_.dir; }
  std::string_view type() const override { return "files"; }
  Status Validate(const Material& m) override;
  Status Commit(const Material& m) override;
  Status Verify(const Material& m) override;
  Status Rollback() override;

  std::string LiveDir(std::string_view name) const { return o_.dir + "/live/" + std::string(name); }
  std::string ArchiveDir(std::string_view name) const {
    return o_.dir + "/archive/" + std::string(name);
  }

 private:
  Status WriteVersion(const Material& m, const std::string& version_dir);
  Status PointLiveAt(const std::string& name, const std::string& target);
  void Prune(const std::string& name);

  FilesOptions o_;
  // State for Rollback: what live/NAME pointed at before the last Commit.
  bool committed_ = false;
  std::string name_;
  std::optional<std::string> previous_target_;
  std::string new_version_dir_;
};

}  // namespace ck::deploy
