// Shared by every fuzz target: FUZZ_CHECK, which names the broken invariant on stderr and then
// traps, so libFuzzer (and the corpus replay) report it as a crash with a stack.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "common/clock.hpp"
#include "common/encoding.hpp"

namespace ck::fuzz {

[[noreturn]] inline void Fail(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "\n*** fuzz invariant violated: %s\n    at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  __builtin_trap();
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline Bytes AsBytes(const uint8_t* data, size_t size) { return Bytes(data, data + size); }

// ck::TimePoint is std::chrono::system_clock::time_point, which libstdc++ counts in 64-bit
// nanoseconds: it spans only 1677-09-21 .. 2262-04-11. Converting an instant outside that span
// into it is signed overflow (undefined behaviour; in practice a wrapped, wrong date).
inline bool FitsTimePoint(std::chrono::sys_seconds t) {
  using std::chrono::seconds;
  return t >= std::chrono::ceil<seconds>(TimePoint::min()) &&
         t <= std::chrono::floor<seconds>(TimePoint::max());
}

// `got` is `want` exactly, or, when `want` does not fit, saturated at the end of the span it
// falls beyond (e.g. RFC 5280's "no well-defined expiration" 9999-12-31T23:59:59Z).
inline bool HoldsInstant(TimePoint got, std::chrono::sys_seconds want) {
  using std::chrono::seconds;
  if (FitsTimePoint(want)) return got == want;
  return want > std::chrono::sys_seconds{} ? got >= std::chrono::floor<seconds>(TimePoint::max())
                                           : got <= std::chrono::ceil<seconds>(TimePoint::min());
}

}  // namespace ck::fuzz

#define FUZZ_CHECK(cond)                                      \
  do {                                                        \
    if (!(cond)) ::ck::fuzz::Fail(#cond, __FILE__, __LINE__); \
  } while (0)
