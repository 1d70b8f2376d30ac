// Managed certificates added through the API or CLI (`certkeeper add`), next to those in the
// config file. Each lives as one TOML file, <state_dir>/certificates.d/NAME.toml, holding a
// single [[certificate]] table in exactly the config file's syntax, so an operator can read,
// back up or move it into the main config by hand, and it is validated by the same parser
// against the same [ca] profiles and [acme] accounts (as if appended to the main file).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.hpp"
#include "daemon/config/config.hpp"

namespace ck::lifecycle {

std::string AddedCertificatesDir(const std::string& state_dir);

// Appends every certificates.d/*.toml certificate (sorted by file name) to `config`.
// `main_text` is the TOML the config came from ("" for built-in defaults). Errors name the
// drop-in file; a name already declared is AlreadyExists.
Status MergeAddedCertificates(config::Config& config, const std::string& main_text,
                              const std::string& state_dir);

// The API's JSON body ({"name", "domains", "issuer", ..., "deploy": [{...}]}) as the TOML of
// one [[certificate]] table. Accepts the [[certificate]] keys with string, integer, boolean
// and string-array values, and deploy tables of the same; the parser validates the rest.
Result<std::string> CertificateTomlFromJson(const nlohmann::json& body);

// Writes certificates.d/NAME.toml atomically (0600) after checking that the merged config
// parses; returns the merged config. Nothing is written when it does not.
Result<config::Config> AddCertificate(const config::Config& current, const std::string& main_text,
                                      const std::string& state_dir, const nlohmann::json& body);

// Removes certificates.d/NAME.toml. NotFound when there is none; FailedPrecondition when the
// name is declared in the main config file (edit that instead).
Status RemoveAddedCertificate(const config::Config& current, const std::string& state_dir,
                              const std::string& name);

}  // namespace ck::lifecycle
