// Progress of the long commands (build, update, optimize, check): the caller's
// std::function<void(const Progress&)> called with the phase, the work done of the phase's total,
// the records handled and the phase's ETA, at most twice a second, from whichever thread works.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

#include <longtail/longtail.h>

namespace longtail::index {

class ProgressMeter {
 public:
  using Fn = std::function<void(const Progress&)>;
  explicit ProgressMeter(Fn fn) : fn_(std::move(fn)), start_(Clock::now()), phase_start_(start_) {}

  bool enabled() const { return static_cast<bool>(fn_); }

  // Starts a phase (its total work in `unit`s, 0 when unknown) and reports it at once, after a
  // last report of the phase before it.
  void phase(const char* name, uint64_t total, const char* unit);
  // Work done in the phase so far, and records handled (absolute values; any thread).
  void set(uint64_t done, uint64_t records);
  // Adds to the work done and to the records (any thread).
  void add(uint64_t done, uint64_t records);
  // Reports the phase as it stands, however recently the last report was made.
  void flush();

 private:
  using Clock = std::chrono::steady_clock;
  void maybe_report(bool force);

  Fn fn_;
  Clock::time_point start_, phase_start_;
  std::mutex mu_;  // phase changes and the calls of fn_
  const char* phase_ = "";
  const char* unit_ = "";
  uint64_t total_ = 0;
  std::atomic<uint64_t> done_{0}, records_{0};
  std::atomic<int64_t> last_report_ns_{0};
};

}  // namespace longtail::index
