// What the peer comparisons' CSV programs share (bench_models_csv, bench_outcomes_csv): wall and
// CPU clocks, the error of a bad line, and a file mapped read-only for one pass front to back.

#ifndef VARSAM_BENCH_CSV_SUPPORT_H_
#define VARSAM_BENCH_CSV_SUPPORT_H_

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace varsam_bench {

// The wall clock and the process's CPU clock, read together.
struct Clock {
  double wall = 0;
  double cpu = 0;
  static Clock Now() {
    timespec cpu{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    return {
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(),
        static_cast<double>(cpu.tv_sec) + 1e-9 * static_cast<double>(cpu.tv_nsec)};
  }
  Clock operator-(const Clock& start) const { return {wall - start.wall, cpu - start.cpu}; }
};

inline absl::Status BadLine(std::size_t line, std::string_view what) {
  return absl::InvalidArgumentError("line " + std::to_string(line) + ": " + std::string(what));
}

// A file mapped, not copied: the parsers read it once, front to back.
class MappedFile {
 public:
  static absl::StatusOr<MappedFile> Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return absl::NotFoundError("cannot open the CSV file");
    struct stat info {};
    if (::fstat(fd, &info) != 0 || info.st_size == 0) {
      ::close(fd);
      return absl::InvalidArgumentError("the CSV file is empty or unreadable");
    }
    const auto size = static_cast<std::size_t>(info.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return absl::DataLossError("cannot map the CSV file");
    ::madvise(map, size, MADV_SEQUENTIAL);
    return MappedFile(map, size);
  }
  MappedFile(MappedFile&& other) noexcept
      : map_(std::exchange(other.map_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile() {
    if (map_ != nullptr) ::munmap(map_, size_);
  }
  const char* begin() const { return static_cast<const char*>(map_); }
  const char* end() const { return begin() + size_; }

 private:
  MappedFile(void* map, std::size_t size) : map_(map), size_(size) {}
  void* map_;
  std::size_t size_;
};

}  // namespace varsam_bench

#endif  // VARSAM_BENCH_CSV_SUPPORT_H_
