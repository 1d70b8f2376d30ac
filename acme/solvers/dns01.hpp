// dns-01 (RFC 8555 §8.4) solvers and the propagation check.
//  - Dns01ExecSolver: lego's exec provider convention, `PROG present|cleanup FQDN VALUE` with
//    FQDN "_acme-challenge.example.com." (trailing dot) and VALUE the TXT value, so existing
//    lego hook scripts work unchanged.
//  - Wait() asks the given nameservers (the zone's authoritative servers) over UDP until the
//    TXT value is visible, polling on the Clock and bounded in time.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "acme/solver.hpp"
#include "common/clock.hpp"

namespace ck::acme {

// TXT strings at `name` from `server` ("127.0.0.1:53", IPv4). One UDP query, `timeout` for the
// answer. NotFound for NXDOMAIN/no TXT, Unavailable for network trouble or garbage answers.
Result<std::vector<std::string>> QueryTxt(const std::string& server, const std::string& name,
                                          std::chrono::milliseconds timeout);

// Exposed for tests: a DNS query message for (name, TXT) and the parser of the answer.
std::string BuildTxtQuery(const std::string& name, uint16_t id);
Result<std::vector<std::string>> ParseTxtAnswer(const std::string& message, uint16_t id);

struct PropagationCheck {
  std::vector<std::string> nameservers;  // "host:port"; empty = no check
  std::chrono::milliseconds initial_interval{100};
  std::chrono::milliseconds max_interval{2000};
  std::chrono::seconds timeout{120};
  std::function<bool()> should_stop;  // true ends the wait with Aborted
};

// Polls every nameserver until each returns `value` at `fqdn`. DeadlineExceeded naming the
// servers that never did.
Status WaitForTxt(Clock& clock, const PropagationCheck& check, const std::string& fqdn,
                  const std::string& value);

class Dns01ExecSolver final : public Solver {
 public:
  Dns01ExecSolver(std::string program, Clock& clock, PropagationCheck check = {})
      : program_(std::move(program)), clock_(clock), check_(std::move(check)) {}

  Status Present(const ChallengeContext& challenge) override;
  Status Wait(const ChallengeContext& challenge) override;
  Status CleanUp(const ChallengeContext& challenge) override;

 private:
  Status Run(const std::string& action, const ChallengeContext& challenge);
  std::string program_;
  Clock& clock_;
  PropagationCheck check_;
};

}  // namespace ck::acme
