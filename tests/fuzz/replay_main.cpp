// Corpus replay: runs one fuzz target's LLVMFuzzerTestOneInput as an ordinary GoogleTest test,
// with any compiler and no libFuzzer. For every file in the target's corpus directory it runs
// the file itself, its prefixes (truncated uploads; every one for small seeds, an even spread
// for large ones) and a fixed set of byte flips, so a seed exercises the error paths near it
// too. Everything is deterministic.
//
// The corpus directory is compiled in (CK_FUZZ_CORPUS_DIR) and can be overridden with the
// environment variable CK_FUZZ_CORPUS_DIR. A broken invariant traps inside the target; the
// handlers below then print which input (file, prefix length or flipped byte) was running.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// Provided by ASan/UBSan runtimes when present; lets us name the input before the report ends.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

// With GCC, UBSan is a runtime of its own that exits without calling the death callback
// registered with ASan's; aborting instead lets the SIGABRT handler name the input. Read by the
// UBSan runtime when present, unused otherwise.
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:abort_on_error=1"; }

#ifndef CK_FUZZ_CORPUS_DIR
#error "CK_FUZZ_CORPUS_DIR must name the corpus directory"
#endif

namespace {

namespace fs = std::filesystem;

// Deterministic mutations per seed: this many single-byte flips, spread over the input.
constexpr size_t kFlipsPerSeed = 24;
// Seeds up to this size are run at every prefix length; longer ones at this many lengths
// spread evenly plus the last few (a missing final newline or END line): OpenSSL 3's private
// key decoder alone takes ~4 ms per attempt, and the whole replay should stay within seconds
// under ASan. CK_FUZZ_REPLAY_ALL_PREFIXES=1 runs every prefix of every seed.
constexpr size_t kMaxPrefixes = 160;
constexpr size_t kTailPrefixes = 8;
constexpr uint8_t kFlipMasks[] = {0x01, 0x80, 0xff, 0x20, 0x04, 0x55};

// What is running now, kept in a fixed buffer so a signal handler can print it.
char g_current[1024] = "(nothing yet)";

void PrintCurrent() {
  static constexpr char kPrefix[] = "\n*** fuzz corpus replay: crashed while running ";
  ssize_t ignored = write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  ignored = write(STDERR_FILENO, g_current, strnlen(g_current, sizeof g_current));
  ignored = write(STDERR_FILENO, "\n", 1);
  static_cast<void>(ignored);
}

void OnFatalSignal(int sig) {
  PrintCurrent();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// SIGILL/SIGTRAP come from __builtin_trap (a broken invariant), SIGABRT from an uncaught
// exception or assert. SIGSEGV is left to the sanitizers, which report it themselves and
// call the death callback.
void InstallHandlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  for (int sig : {SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGBUS}) std::signal(sig, OnFatalSignal);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(PrintCurrent);
}

fs::path CorpusDir() {
  if (const char* env = std::getenv("CK_FUZZ_CORPUS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return CK_FUZZ_CORPUS_DIR;
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(CorpusDir(), ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<size_t> PrefixLengths(size_t size) {
  std::vector<size_t> lengths;
  const char* all = std::getenv("CK_FUZZ_REPLAY_ALL_PREFIXES");
  if (size <= kMaxPrefixes || (all != nullptr && std::string_view(all) == "1")) {
    for (size_t len = 0; len < size; ++len) lengths.push_back(len);
    return lengths;
  }
  for (size_t i = 0; i < kMaxPrefixes; ++i) lengths.push_back(i * size / kMaxPrefixes);
  for (size_t k = 1; k <= kTailPrefixes; ++k) lengths.push_back(size - k);
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  return lengths;
}

std::vector<uint8_t> ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs the target on a private heap copy of exactly `size` bytes, so that reading past the
// end is caught by ASan just as under libFuzzer.
void RunInput(const uint8_t* data, size_t size) {
  auto copy = std::make_unique<uint8_t[]>(size == 0 ? 1 : size);
  if (size > 0) std::memcpy(copy.get(), data, size);
  ASSERT_EQ(LLVMFuzzerTestOneInput(copy.get(), size), 0);
}

class CorpusReplay : public testing::TestWithParam<std::string> {};

TEST_P(CorpusReplay, SeedPrefixesAndFlips) {
  InstallHandlers();
  const std::string& name = GetParam();
  const std::vector<uint8_t> seed = ReadAll(CorpusDir() / name);

  std::snprintf(g_current, sizeof g_current, "seed %s (%zu bytes)", name.c_str(), seed.size());
  RunInput(seed.data(), seed.size());

  for (size_t len : PrefixLengths(seed.size())) {
    std::snprintf(g_current, sizeof g_current, "seed %s truncated to its first %zu bytes",
                  name.c_str(), len);
    RunInput(seed.data(), len);
  }

  std::vector<uint8_t> mutated = seed;
  for (size_t i = 0; i < kFlipsPerSeed && !seed.empty(); ++i) {
    // Golden-ratio stride: positions spread over the whole seed, the same on every run.
    const size_t pos = static_cast<size_t>((i * 0x9E3779B97F4A7C15ull) >> 32) % seed.size();
    const uint8_t mask = kFlipMasks[i % std::size(kFlipMasks)];
    std::snprintf(g_current, sizeof g_current, "seed %s with byte %zu xor 0x%02x", name.c_str(),
                  pos, mask);
    mutated[pos] ^= mask;
    RunInput(mutated.data(), mutated.size());
    mutated[pos] ^= mask;
  }
  std::snprintf(g_current, sizeof g_current, "(between inputs)");
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
  std::string out;
  for (char c : info.param) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusReplay, testing::ValuesIn(CorpusFiles()), TestName);

TEST(CorpusReplayTest, CorpusIsNotEmpty) {
  EXPECT_FALSE(CorpusFiles().empty()) << "no seed files in " << CorpusDir();
}

TEST(CorpusReplayTest, EmptyInput) {
  InstallHandlers();
  std::snprintf(g_current, sizeof g_current, "the empty input");
  RunInput(nullptr, 0);
}

}  // namespace
