// Ranking profiles: every weight, half-life, bound, candidate count, diversity limit and
// integrity threshold of ranking (profiles/default.toml documents each key; docs/ranking.md
// gives the formulas). The default profile is compiled in from profiles/default.toml.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "index/integrity.h"
#include "index/signals.h"

namespace longtail::engine {

struct RankingProfile {
  std::string source = "built-in default";  // file path, or "built-in default"

  // [stage1]
  uint32_t candidates = 1000;
  double prior_weight = 3.0;
  uint32_t max_query_terms = 12;
  uint32_t tier_matches = 1000;   // 0 = always search everything (docs/ranking.md, "Broad queries")
  uint32_t tier_candidates = 200;  // stage-2 candidates of a query answered from a tier
  uint32_t partial_candidates = 100;  // stage-2 candidates when listings covering part of the query join
  // [bm25]
  double bm25_k1 = 1.0, bm25_k2 = 0.0, bm25_k3 = 1.0, bm25_b = 0.5, bm25_min_normlen = 0.5;
  // [blend]
  double text_weight = 2.0;
  double sales_weight = 0.6;
  double rating_weight = 0.3;
  double shop_weight = 0.3;
  double newness_weight = 0.15;
  double newness_half_life_days = 180;
  // [new_listing]
  double new_listing_boost = 0.35;
  double new_listing_days = 30;
  double new_listing_max_sales = 0;
  // [preferences]
  double pref_category_weight = 0.3;
  double pref_brand_weight = 0.3;
  double pref_price_weight = 0.2;
  double pref_price_tolerance = 0.5;
  // [match]
  bool require_product = false;
  double match_product_weight = 1.5;
  double match_modifier_weight = 0.5;
  double match_idf_power = 1.0;
  double match_coverage_power = 1.0;
  double match_bm25_share = 0.7;
  double max_part_share = 0.02;
  uint32_t rerank_depth = 30;
  double surface_weight = 2.0;
  // [relax]
  uint32_t relax_min_items = 30;
  uint32_t relax_max_parts = 5;
  // [diversity]
  uint32_t shop_per_page = 3;
  uint32_t cross_shop_per_page = 1;
  double diversity_min_score_ratio = 0.8;
  // [integrity]
  double max_violations = 20;
  bool remove_blocked = true;
  double sort_demote_below = 0.7;
  // [facets]
  std::vector<double> price_bands = {0, 20, 50, 100, 200, 500, 1000, 2000, 5000};
  uint32_t facet_max_values = 20;
  // [build]
  index::SignalParams build;
  // [integrity], the detector thresholds (build time; index/integrity.h, docs/integrity.md).
  index::IntegrityThresholds detectors;

  // Largest possible blend (for score = blend / max_blend in [0, 1]).
  double max_blend() const;
};

// The text of profiles/default.toml as compiled into the library.
std::string_view default_profile_toml();
// The built-in default profile (parsed once).
std::shared_ptr<const RankingProfile> default_profile();

// Parses a profile's TOML text over the defaults: keys left out keep their default values.
// Throws UsageError ("SOURCE: [table] key: reason") for syntax errors, unknown keys, wrong types
// and values out of range.
RankingProfile parse_profile(std::string_view toml, const std::string& source);
// Reads and parses a profile file; throws UsageError if it cannot be read or is invalid.
RankingProfile load_profile_file(const std::string& path);

}  // namespace longtail::engine
