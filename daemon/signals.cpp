#include "daemon/signals.hpp"

#include <pthread.h>
#include <signal.h>

namespace ck::daemon {
namespace {

sigset_t DaemonSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockDaemonSignals() {
  sigset_t set = DaemonSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A consumer closing a pipe must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);
}

SignalEvent WaitForSignal() {
  sigset_t set = DaemonSignals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) return SignalEvent::kReload;
    return SignalEvent::kStop;
  }
}

}  // namespace ck::daemon
