// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET per state change, so the
// unit can be Type=notify (READY=1 once the admin API listens; STATUS=...; STOPPING=1) and use
// the watchdog (WATCHDOG=1 every half of $WATCHDOG_USEC). A no-op outside systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck::daemon {

// Sends `state` (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET. OK when the variable is
// unset (not under systemd); Unavailable when the socket cannot be reached.
Status NotifySystemd(std::string_view state);

// The watchdog interval systemd expects pings at ($WATCHDOG_USEC, honouring $WATCHDOG_PID),
// or nullopt when the watchdog is off.
std::optional<std::chrono::microseconds> SystemdWatchdogInterval();

}  // namespace ck::daemon
