#include "index/progress.h"

namespace longtail::index {

namespace {
constexpr int64_t kReportEveryNs = 500'000'000;  // twice a second
}

void ProgressMeter::phase(const char* name, uint64_t total, const char* unit) {
  if (!fn_) return;
  if (*phase_) maybe_report(true);  // the last state of the phase that ends
  {
    std::lock_guard lk(mu_);
    phase_ = name;
    unit_ = unit;
    total_ = total;
    phase_start_ = Clock::now();
    done_ = 0;
    records_ = 0;
  }
  maybe_report(true);
}

void ProgressMeter::set(uint64_t done, uint64_t records) {
  if (!fn_) return;
  done_.store(done, std::memory_order_relaxed);
  records_.store(records, std::memory_order_relaxed);
  maybe_report(false);
}

void ProgressMeter::add(uint64_t done, uint64_t records) {
  if (!fn_) return;
  done_.fetch_add(done, std::memory_order_relaxed);
  records_.fetch_add(records, std::memory_order_relaxed);
  maybe_report(false);
}

void ProgressMeter::flush() {
  if (fn_) maybe_report(true);
}

void ProgressMeter::maybe_report(bool force) {
  const auto now = Clock::now();
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
  int64_t last = last_report_ns_.load(std::memory_order_relaxed);
  if (!force && ns - last < kReportEveryNs) return;
  // One thread reports; the others go back to work.
  if (!force && !last_report_ns_.compare_exchange_strong(last, ns, std::memory_order_relaxed)) return;
  std::lock_guard lk(mu_);
  if (force) last_report_ns_.store(ns, std::memory_order_relaxed);
  Progress p;
  p.phase = phase_;
  p.unit = unit_;
  p.total = total_;
  p.done = done_.load(std::memory_order_relaxed);
  p.records = records_.load(std::memory_order_relaxed);
  p.elapsed_s = std::chrono::duration<double>(now - start_).count();
  p.phase_elapsed_s = std::chrono::duration<double>(now - phase_start_).count();
  // The phase's own rate so far: a phase that has done a hundredth of its work (and run a second)
  // predicts the rest; before that the ETA is unknown, not zero.
  if (p.total > 0 && p.done >= p.total) p.eta_s = 0;
  else if (p.total > 0 && p.done * 100 >= p.total && p.phase_elapsed_s >= 1.0)
    p.eta_s = p.phase_elapsed_s * double(p.total - p.done) / double(p.done);
  fn_(p);
}

}  // namespace longtail::index
