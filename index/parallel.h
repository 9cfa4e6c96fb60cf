// Runs a function over independent pieces of work (shards) on a few threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace longtail::index {

// Calls f(k) for every k in [0, n) on up to `threads` workers (the calling thread is one of
// them), each k once. After the first exception the workers take no new k; it is rethrown once
// every worker stopped.
template <class F>
void parallel_for(size_t n, size_t threads, F&& f) {
  const size_t workers = std::min(n, std::max<size_t>(threads, 1));
  if (workers <= 1) {
    for (size_t k = 0; k < n; ++k) f(k);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mu;
  auto work = [&] {
    for (size_t k; (k = next++) < n;) {
      try {
        f(k);
      } catch (...) {
        std::lock_guard lk(error_mu);
        if (!error) error = std::current_exception();
        next = n;  // the others stop after their current piece
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace longtail::index
