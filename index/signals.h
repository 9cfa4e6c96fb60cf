// Query-independent signals computed at build time (formulas in docs/ranking.md).
//
// Pass 1 of a build feeds every accepted record to observe(); finish() freezes per-category
// statistics; add_values() then writes a record's signal values into its document:
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

#include "index/layout.h"
#include "index/schema.h"

namespace longtail::index {

// What stage 2 of ranking reads of a listing, packed into one value so the candidates cost one
// value read each instead of one per field (values live in separate B-tree streams per slot in
// glass). It is also where a stored document keeps the record's numbers (the document data holds
// only the fields terms come from; read_record() in index/document.h joins the two). Binary: a
// version byte (3), 10 little-endian doubles (price, shipping_fee, sales_30d, reviews,
// good_reviews, listed_at, prior, sales_signal, rating_signal, shop_signal), the little-endian
// 64-bit stored_hash, a flags byte (bit 0: the record has no price), then 5 strings (sku, item,
// shop, category, brand) each prefixed with a 2-byte little-endian length. effective_price is not
// stored: decoding computes price + shipping_fee. Version 2 (indexes built before version 3) is
// the same without the flags byte, and decodes with price_known true.
struct RankPack {
  double price = 0, shipping_fee = 0, effective_price = 0, sales_30d = 0, reviews = 0, good_reviews = 0,
         listed_at = 0;
  double prior = 0, sales_signal = 0, rating_signal = 0, shop_signal = 0.5;
  // term_hash (XXH3) of the record's stored fields (encode_stored): an update whose record hashes
  // alike changes only numbers, and is told so without reading the document's data.
  uint64_t stored_hash = 0;
  bool price_known = true;  // SkuRecord::price_known (price is 0 when false)
  std::string sku, item, shop, category, brand;
};
std::string encode_rank_pack(const RankPack& p);
bool decode_rank_pack(std::string_view data, RankPack& out);  // false if damaged or another version

// Stage 1's sort key (slot::kStage1Key): the sku_id, a NUL byte (so keys sort as the sku_ids do),
// then each of slot::kRankPack and slots 20-27 (slot::kPenalty .. slot::kIntegrityFlags) prefixed
// with a 4-byte little-endian length.
struct Stage1Key {
  std::string_view rank_pack;
  std::array<std::string_view, 8> integrity;  // slots 20..27 in order; empty = absent
  std::string_view flags() const { return integrity[7]; }  // slot 27: non-empty = flagged
};
bool decode_stage1_key(std::string_view key, Stage1Key& out);  // false if damaged

// The slots a stored document does not keep because the stage-1 key carries them (their values
// are in the rank pack or in the key itself): a values-only update rewrites every value slot of
// its document (Xapian 1.4 replaces all of a document's values together), so each slot kept costs
// every update a read-modify-write of that slot's value stream. docs/index-format.md "Values".
inline constexpr std::array<unsigned, 16> kCarriedSlots = {
    slot::kSkuId,       slot::kPrice,       slot::kShippingFee, slot::kReviews,   slot::kGoodReviews,
    slot::kShopId,      slot::kCategory,    slot::kBrand,       slot::kSalesSignal, slot::kShopSignal,
    slot::kRankPack,    slot::kPenalty,     slot::kSalesTrust,  slot::kShopPenalty, slot::kShopViolations,
    slot::kShopBlocked};

// The last step of writing a document's values: builds the stage-1 key from slot::kSkuId,
// slot::kRankPack and slots 20-27 of `doc` (every one of them must be set in `doc`, as the
// builder and the updater's full rewrites do), then drops the carried slots (kCarriedSlots).
// Called once per document write, after every writer of values.
void finish_values(Xapian::Document& doc);

// Slot `s` of a stored document as it was written before finish_values(): a carried slot is read
// back from the stage-1 key (the rank pack's numbers re-serialised), the others from the document.
// Empty when the slot is absent or the key is damaged. For inspection, tests and tools; the
// engine decodes the key once instead.
std::string stored_value(const Xapian::Document& doc, unsigned s);

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
  // prior_sales * sales + prior_rating * rating + prior_shop * shop (weights normalized), [0, 1].
  double static_prior(const SkuRecord& r) const;

  // Writes the signal values (slots 16-18, 9), the category/brand values (11, 12) and the
  // stage-2 pack (slot::kRankPack) of `r` into `doc`.
  // `stored_hash`: RankPack::stored_hash when the caller has it (the updater's fast path read it
  // from the document, whose stored fields are the record's); computed from `r` otherwise.
  void add_values(Xapian::Document& doc, const SkuRecord& r, std::optional<uint64_t> stored_hash = std::nullopt) const;

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
