#include "daemon/deploy/served_serial.hpp"

#include <algorithm>

#include "pki/tls_probe.hpp"

namespace ck::deploy {

Clock& DefaultClock() {
  static SystemClock clock;
  return clock;
}

Result<std::string> ServedSerial(const HostPort& addr, const std::string& sni,
                                 std::chrono::milliseconds timeout) {
  pki::TlsProbeOptions opts;
  opts.host = addr.host;
  opts.port = addr.port;
  opts.sni = sni;
  opts.timeout = timeout;
  ASSIGN_OR_RETURN(pki::TlsProbeResult probe, pki::ProbeTls(opts));
  if (probe.chain.empty()) {
    return UnavailableError(addr.ToString() + " served no certificate");
  }
  return probe.chain.front().SerialHex();
}

Status WaitForServedSerial(Clock& clock, const HostPort& addr, const std::string& sni,
                           const std::string& serial_hex, std::chrono::milliseconds budget) {
  using std::chrono::milliseconds;
  const TimePoint deadline = clock.Now() + budget;
  milliseconds interval(200);
  std::string last;
  // One answer with the new serial is not proof: while nginx reloads, old workers keep
  // accepting connections until they notice the signal, so the next client may still get the
  // old certificate (seen in the deploy e2e under load). Several answers in a row are.
  constexpr int kConfirmations = 3;
  constexpr milliseconds kConfirmGap(50);
  int confirmed = 0;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - clock.Now());
    milliseconds probe_timeout = std::clamp(left, milliseconds(500), milliseconds(5000));
    auto served = ServedSerial(addr, sni, probe_timeout);
    if (served.ok() && *served == serial_hex) {
      if (++confirmed >= kConfirmations) return OkStatus();
      clock.SleepUntil(clock.Now() + kConfirmGap, [] { return false; });
      continue;
    }
    confirmed = 0;
    last = served.ok() ? "it serves serial " + *served : served.status().message();
    if (clock.Now() >= deadline) {
      return DeadlineExceededError("closed-loop check: " + addr.ToString() + " (SNI " +
                                   (sni.empty() ? std::string("none") : sni) +
                                   ") does not serve serial " + serial_hex + " after " +
                                   std::to_string(budget.count()) + "ms; " + last);
    }
    clock.SleepUntil(std::min(deadline, clock.Now() + interval), [] { return false; });
    interval = std::min(interval * 2, milliseconds(2000));
  }
}

}  // namespace ck::deploy
