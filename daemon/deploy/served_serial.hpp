// The closed loop of issue 5: after a push, connect to the consumer's TLS endpoint and check
// that the leaf it serves carries the serial we just deployed. Consumers reload
// asynchronously (nginx finishes a reload after `-s reload` returns), so this polls.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "daemon/deploy/target_config.hpp"

namespace ck::deploy {

// The uppercase hex serial of the leaf served at `addr` with SNI `sni`.
Result<std::string> ServedSerial(const HostPort& addr, const std::string& sni,
                                 std::chrono::milliseconds timeout);

// Polls (200 ms, doubling to 2 s) until `addr` serves `serial_hex` on three connections in a
// row (50 ms apart) or `budget` passes on `clock`. DeadlineExceeded names what was served
// instead (or the last connect error).
Status WaitForServedSerial(Clock& clock, const HostPort& addr, const std::string& sni,
                           const std::string& serial_hex, std::chrono::milliseconds budget);

// The system clock for targets built without one.
Clock& DefaultClock();

}  // namespace ck::deploy
