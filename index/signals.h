// Query-independent signals computed at build time (formulas in docs/ranking.md).
//
// Pass 1 of a build feeds every accepted record to observe(); finish() freezes per-category
// statistics; signals() then gives a record's signal values, which the document writer
// (format/document.h) puts in these slots:
//   slot::kSalesSignal  damped, category-relative sales                         in [0, 1]
//   slot::kRatingSignal Wilson lower bound of the good-review rate              in [0, 1]
//   slot::kShopSignal   shop reputation: DSR vs category average, weighted by how many
//                       ratings it rests on, lowered by violations (0.5 = neutral) in [0, 1]
//   slot::kStaticPrior  a fixed blend of the three, used by stage 1 of ranking   in [0, 1]
//   slot::kCategory, slot::kBrand: the leaf category path and the brand (facets, preferences).
//   slot::kRankPack     everything above plus ids and raw numbers, packed (RankPack).
// Newness is not stored as a signal: it depends on the query's "now" (engine/ computes it from
// slot::kListedAt).
//
// Memory is bounded by the number of distinct leaf categories (one fixed-size sales histogram
// and four DSR sums per category), not by the number of SKUs. Thread-safety: observe() and
// finish() from one thread; after finish() the const functions may be called from many threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <xapian.h>

#include "format/record.h"
#include "format/values.h"

namespace longtail::index {

// Build-time constants of the signals. They live in the ranking profile's [build] table
// (profiles/default.toml); changing them needs a rebuild. The values below are the defaults.
struct SignalParams {
  double sales_quantile = 0.99;       // category reference = this quantile of ln(1+sales_30d)
  double sales_category_prior = 50;   // SKUs: small categories' reference shrinks to the global one
  double sales_min_reference = 10;    // the reference is at least ln(1+10): 1 sale is never "top"
  double wilson_z = 1.96;             // Wilson lower bound confidence (1.96 = 95%)
  double dsr_prior_ratings = 200;     // ratings at which a shop's DSR difference counts half
  double dsr_scale = 0.1;             // DSR points: tanh scale of the difference to the average
  double dsr_category_prior = 20;     // SKUs: small categories' DSR average shrinks to the global
  double violation_step = 0.25;       // shop factor 1 / (1 + step * violations)
  double prior_sales = 0.5;           // static prior blend (normalized to sum 1)
  double prior_rating = 0.3;
  double prior_shop = 0.2;

  std::string to_json() const;
  // Read from a profile's [build] table by index/build_profile.h (the one reader of profiles).
};

// Wilson score lower bound of a good-review rate (z = 1.96): 1 review at 100% scores about
// 0.21, 2,000 reviews at 98% about 0.974. 0 when there are no reviews.
double wilson_lower_bound(int64_t good, int64_t total, double z = 1.96);

class SignalModel {
 public:
  // `shops` (may be null: no shop table) must outlive the model.
  explicit SignalModel(SignalParams params = {},
                       const std::unordered_map<std::string, ShopRecord>* shops = nullptr);

  void observe(const SkuRecord& r);
  void finish();

  // Damped sales relative to the leaf category: min(1, ln(1+sales) / ref(category)).
  double sales_signal(const SkuRecord& r) const;
  // Smoothed good-review rate (Wilson lower bound), in [0, 1].
  double rating_signal(const SkuRecord& r) const;
  // Shop reputation in [0, 1]; 0.5 for a shop without record or ratings and no violations.
  double shop_signal(const SkuRecord& r) const;

  // All of the above at once, as the document writer takes them (format/document.h), with the
  // static prior: prior_sales * sales + prior_rating * rating + prior_shop * shop (weights
  // normalized), in [0, 1].
  ListingSignals signals(const SkuRecord& r) const;

  const SignalParams& params() const { return params_; }

  // Serialized statistics (and the parameters), kept in the index as signals.json so updates
  // score new records the same way.
  std::string to_json() const;
  // Throws DataError. The shop table is not part of the JSON: pass it again.
  static SignalModel from_json(const std::string& json,
                               const std::unordered_map<std::string, ShopRecord>* shops = nullptr);

  // Histogram of ln(1+sales): kBins bins of kBinWidth (the last bin is open-ended).
  static constexpr int kBins = 256;
  static constexpr double kBinWidth = 0.08;  // 256 * 0.08 = 20.5 = ln(1 + 8e8)

 private:
  struct Category {
    uint64_t skus = 0;
    std::vector<uint32_t> hist;           // kBins counts (pass 1 only)
    double sales_ref = 0;                 // after finish(): ln(1+sales) reference
    uint64_t dsr_n = 0;                   // SKUs whose shop has rated DSRs
    std::array<double, 4> dsr_sum{};      // sums of the 4 DSRs over those SKUs
    std::array<double, 4> dsr_avg{};      // after finish()
  };
  double quantile_of(const std::vector<uint32_t>& hist, uint64_t n) const;
  const Category* category_of(const SkuRecord& r) const;

  SignalParams params_;
  const std::unordered_map<std::string, ShopRecord>* shops_ = nullptr;
  std::unordered_map<std::string, Category> categories_;
  Category global_;
  bool finished_ = false;
};

}  // namespace longtail::index
