// dns-01 (RFC 8555 §8.4) solvers and the propagation check.
//  - Dns01ExecSolver: lego's exec provider convention, `PROG present|cleanup FQDN VALUE` with
//    FQDN "_acme-challenge.example.com." (trailing dot) and VALUE the TXT value, so existing
//    lego hook scripts work unchanged.
//  - Wait() asks the given nameservers (the zone's authoritative servers) over UDP until the
//    TXT value is visible, polling on the Clock and bounded in time. With no nameservers
//    given, it finds the zone's authoritative servers itself (dns_discovery.hpp).
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
  // "IPv4:port". Empty = discover the zone's authoritative servers through `resolver`
  // (and skip the check, with a warning, when that fails).
  std::vector<std::string> nameservers;
  std::string resolver;              // recursive resolver "IPv4:port"; empty = resolv.conf
  uint16_t authoritative_port = 53;  // port of the discovered servers (tests: a fixture's)
  std::chrono::milliseconds initial_interval{100};
  std::chrono::milliseconds max_interval{2000};
  std::chrono::seconds timeout{120};
  std::function<bool()> should_stop;  // true ends the wait with Aborted
};

// Polls every nameserver until each returns `value` at `fqdn`. DeadlineExceeded naming the
// servers that never did. Discovery (when `nameservers` is empty) counts against
// `check.timeout` too.
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
