// fsync_probe: the durability floor of the disk under the state directory. Issue 3 asks that
// no issued certificate's record be lost, so an API answer cannot leave before its record is
// on disk: one fdatasync is the least any durable issuance can wait, however commits are
// batched. This measures it in its cheapest form, a 1 KiB write into a file whose blocks are
// already allocated and written (no size or extent change for the flush to journal), and in
// the form an append-only file that grows takes.
//
//   fsync_probe --dir DIR [--n 2000]
//
// Prints "RESULT disk_fdatasync_overwrite n=.. p50_us=.. p99_us=.. mean_us=.." and the same
// for disk_fdatasync_append; bench/run.sh puts them beside the API figures.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"

namespace {

using ck::bench::Die;
using ck::bench::Percentile;

void WriteOrDie(int fd, const std::vector<char>& buf, off_t at) {
  if (::pwrite(fd, buf.data(), buf.size(), at) != static_cast<ssize_t>(buf.size())) {
    Die("pwrite failed");
  }
}

void Report(const char* label, const std::vector<double>& us) {
  double sum = 0;
  for (double v : us) sum += v;
  std::printf("RESULT %s n=%zu p50_us=%.1f p99_us=%.1f mean_us=%.1f\n", label, us.size(),
              Percentile(us, 0.5), Percentile(us, 0.99), sum / static_cast<double>(us.size()));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int n = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--n" && i + 1 < argc) {
      n = std::atoi(argv[++i]);
    } else {
      Die("usage: fsync_probe --dir DIR [--n 2000]");
    }
  }
  if (dir.empty() || n < 10 || n > 100000) Die("--dir is required; 10 <= --n <= 100000");
  const std::string path = dir + "/fsync_probe.tmp";
  const std::vector<char> record(1024, 'r');
  using Clock = std::chrono::steady_clock;
  auto timed = [&](int fd, bool overwrite) {
    std::vector<double> us;
    us.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const off_t at = overwrite ? static_cast<off_t>(i % 64) * 1024 : static_cast<off_t>(i) * 1024;
      const auto t0 = Clock::now();
      WriteOrDie(fd, record, at);
      if (::fdatasync(fd) != 0) Die("fdatasync failed");
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    return us;
  };
  {
    int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) Die("cannot create " + path);
    // 64 KiB written and flushed first: later flushes carry data only.
    for (int i = 0; i < 64; ++i) WriteOrDie(fd, record, static_cast<off_t>(i) * 1024);
    if (::fsync(fd) != 0) Die("fsync failed");
    Report("disk_fdatasync_overwrite", timed(fd, true));
    ::close(fd);
  }
  {
    int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) Die("cannot create " + path);
    Report("disk_fdatasync_append", timed(fd, false));
    ::close(fd);
  }
  ::unlink(path.c_str());
  return 0;
}
