// `certkeeper ca issue|sign|revoke|ls|chain|crl --server URL`: the same commands through a
// daemon's admin API (/v1/certificates, /v1/ca/*) instead of the local store, for hosts
// without access to the daemon's state dir. Output and files match the local commands.
#pragma once

#include <string>
#include <vector>

#include "daemon/cli/api_client.hpp"
#include "daemon/cli/command_env.hpp"

namespace ck::cli {

struct RemoteIssue {
  std::string profile;
  std::vector<std::string> dns, ip, uri, email;
  std::string ttl, key_type, name;
  std::string out;  // issue: directory; sign: file ("" = stdout)
  std::string csr;  // sign: file or "-"
};

int RunRemoteIssue(const CommandEnv& env, const ApiFlags& api, const RemoteIssue& r);
int RunRemoteSign(const CommandEnv& env, const ApiFlags& api, const RemoteIssue& r);
int RunRemoteRevoke(const CommandEnv& env, const ApiFlags& api, const std::string& serial,
                    const std::string& reason);
int RunRemoteLs(const CommandEnv& env, const ApiFlags& api, bool json, bool all);
// Open endpoints: no credentials needed.
int RunRemoteChain(const CommandEnv& env, const ApiFlags& api, const std::string& out);
int RunRemoteCrl(const CommandEnv& env, const ApiFlags& api, const std::string& out);

}  // namespace ck::cli
