// Injectable randomness for scheduling decisions (jitter, backoff, ARI window picks).
// Cryptographic material never comes from here: pki/ and store/ use OpenSSL's RAND_bytes.
#pragma once

#include <cstdint>
#include <random>

namespace ck {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual uint64_t NextU64() = 0;
  // Uniform in [0, 1).
  double Uniform01() { return static_cast<double>(NextU64() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform in [lo, hi] (inclusive); lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
};

// Seeded from the OS (getrandom) at construction; not for key material.
class SystemRng final : public Rng {
 public:
  SystemRng();
  uint64_t NextU64() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

// Deterministic: the same seed gives the same sequence (tests, simulations).
class SeededRng final : public Rng {
 public:
  explicit SeededRng(uint64_t seed) : engine_(seed) {}
  uint64_t NextU64() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace ck
