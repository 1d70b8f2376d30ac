// Process signals for the daemon: SIGINT/SIGTERM stop it, SIGHUP asks for a reload. Signals are
// blocked in every thread and taken synchronously by WaitForSignal, so no handler code runs in
// async-signal context.
#pragma once

namespace ck::daemon {

enum class SignalEvent { kStop, kReload };

// Call before starting any thread, so every thread inherits the mask.
void BlockDaemonSignals();

// Blocks until SIGINT, SIGTERM or SIGHUP arrives.
SignalEvent WaitForSignal();

}  // namespace ck::daemon
