// Query-independent signals computed at build time (formulas in docs/ranking.md).
//
// Pass 1 of a build feeds every accepted record to observe(); finish() freezes per-category
// statistics; static_prior() then scores a record in [0, 1]. Memory is bounded by the number of
// distinct leaf categories, not by the number of SKUs.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "index/schema.h"

namespace longtail::index {

// Wilson score lower bound of a good-review rate (z = 1.96): 1 review at 100% scores about
// 0.21, 2,000 reviews at 98% about 0.974.
double wilson_lower_bound(int64_t good, int64_t total, double z = 1.96);

class SignalModel {
 public:
  void observe(const SkuRecord& r);
  void finish();

  // Damped sales relative to the leaf category: ln(1+sales) / ln(1+p_max(category)), in [0, 1].
  double sales_signal(const SkuRecord& r) const;
  // Smoothed good-review rate (Wilson lower bound), in [0, 1].
  double rating_signal(const SkuRecord& r) const;
  // A blend used for stage-1 ordering and early termination, in [0, 1].
  double static_prior(const SkuRecord& r) const;

  // Serialized statistics, kept in the index so updates score new records the same way.
  std::string to_json() const;
  static SignalModel from_json(const std::string& json);  // throws DataError

 private:
  struct Category {
    uint64_t skus = 0;
    double max_log_sales = 0;
  };
  std::unordered_map<std::string, Category> categories_;
  double global_max_log_sales_ = 0;
};

}  // namespace longtail::index
