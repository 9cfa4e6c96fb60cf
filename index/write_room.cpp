#include "index/write_room.h"

#include <longtail/longtail.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

namespace fs = std::filesystem;

namespace longtail {

namespace {

constexpr uint64_t kMiB = uint64_t(1) << 20;
constexpr uint64_t kDiskMargin = 64 * kMiB;

// Xapian 1.4 reads its flush threshold this way when a writable database opens.
uint64_t flush_threshold() {
  const char* p = std::getenv("XAPIAN_FLUSH_THRESHOLD");
  const long n = p ? std::atol(p) : 0;
  return n > 0 ? uint64_t(n) : 10000;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + kMiB - 1) / kMiB) + " MiB"; }

}  // namespace

WriteRoom::WriteRoom(std::string dir) : dir_(std::move(dir)), threshold_(flush_threshold()) {}

uint64_t WriteRoom::document_bytes(const Xapian::Document& doc) {
  uint64_t bytes = doc.get_data().size() + 12 * uint64_t(doc.termlist_count());
  for (auto v = doc.values_begin(); v != doc.values_end(); ++v) bytes += (*v).size() + 4;
  return bytes;
}

void WriteRoom::before_change(const Xapian::Document* doc) {
  pending_bytes_ += doc ? document_bytes(*doc) : 64;
  ++changes_;
  // Xapian flushes when its count reaches the threshold; checking from two changes before
  // leaves room for a change it counted that this object did not see.
  if (changes_ + 2 >= threshold_) check();
  if (changes_ >= threshold_) {
    changes_ = 0;
    pending_bytes_ = 0;
  }
}

void WriteRoom::before_commit() {
  check();
  changes_ = 0;
  pending_bytes_ = 0;
}

void WriteRoom::check() const {
  const uint64_t need = 3 * pending_bytes_;
  const std::string stop = "; stopped before writing (a write that fails inside Xapian's flush cannot be recovered)";
  struct statvfs vfs {};
  if (::statvfs(dir_.c_str(), &vfs) == 0) {
    const uint64_t free_bytes = uint64_t(vfs.f_bavail) * uint64_t(vfs.f_frsize);
    if (free_bytes < need + kDiskMargin)
      throw DataError(dir_ + ": " + std::strerror(ENOSPC) + ": " + mib(free_bytes) + " free where the next flush needs about " +
                      mib(need + kDiskMargin) + stop);
  }
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_FSIZE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return;
  std::error_code ec;
  uint64_t largest = 0;
  std::string which;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    const uint64_t size = it->is_regular_file(sec) ? it->file_size(sec) : 0;
    if (!sec && size >= largest) {
      largest = size;
      which = it->path().filename().string();
    }
  }
  if (largest + need > uint64_t(lim.rlim_cur))
    throw DataError(dir_ + ": " + std::strerror(EFBIG) + ": the file-size limit (ulimit -f) is " + mib(lim.rlim_cur) + ", and " +
                    (which.empty() ? std::string("a table") : which) + " (" + mib(largest) + ") may grow by about " + mib(need) +
                    " in the next flush" + stop);
}

void abandon(std::unique_ptr<Xapian::WritableDatabase> db) {
  // Never destroyed (the destructors would commit at exit) and reachable: not a leak.
  static std::mutex mu;
  static auto* kept = new std::vector<std::unique_ptr<Xapian::WritableDatabase>>;
  if (!db) return;
  std::lock_guard lk(mu);
  kept->push_back(std::move(db));
}

}  // namespace longtail
