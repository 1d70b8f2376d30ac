// Loopback port helpers for fixtures that start real servers (openssl s_server, Pebble, nginx).
#pragma once

#include <chrono>
#include <cstdint>

namespace ck::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to :0, then released). Another
// process may take it before the fixture binds it, so fixtures retry with a fresh port.
uint16_t PickFreePort();

// Polls until 127.0.0.1:port accepts a connection or `timeout` passes.
bool WaitForTcpPort(uint16_t port, std::chrono::milliseconds timeout);

}  // namespace ck::testing
