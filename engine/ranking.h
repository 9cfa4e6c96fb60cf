// Stage 2 of ranking: re-ranks the stage-1 candidates with the full profile. It reads only what
// the match set carries (the stage-1 weight and document values); only the surface rerank reads
// the titles of the best rerank_depth candidates. docs/ranking.md gives every formula.
//
//   order (relevance):  score desc, sku_id asc; then the best rerank_depth by score + surface
//   score = integrity * max(0, blend) / max_blend, integrity = penalty * shop_penalty
//   then: removals (blocked shops, too many violations), same-shop duplicates below the first
//   pages, shop diversity and cross-shop duplicates per page.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <longtail/longtail.h>

#include "engine/profile.h"
#include "format/record.h"

namespace longtail::analysis {
class Analyzer;
}

namespace longtail::engine {

// What stage 2 knows of one candidate (from the MSet: weight and values).
struct Candidate {
  uint32_t stage1_rank = 0;     // 0-based position in the MSet
  double weight = 0;            // stage-1 weight
  std::string sku, item, shop, category, brand;
  double price = 0, shipping_fee = 0, effective_price = 0, sales_30d = 0, reviews = 0, good_reviews = 0;
  bool price_known = true;
  int64_t listed_at = 0;
  double prior = 0, sales_signal = 0, rating_signal = 0, shop_signal = 0.5;
  // The prior stage 1 added to the weight: its item's (the best of its variants'); < 0 = `prior`.
  double stage1_prior = -1;
  // Integrity values (issue 5); absent = clean.
  double penalty = 1, sales_trust = 1, shop_penalty = 1;
  std::optional<double> shop_violations;
  std::optional<bool> shop_blocked;
  std::string dup_cluster, dup_kind;

  // Computed by stage 2.
  int64_t cov_units = 0;        // coverage in units (kUnitsPerTerm per whole query term)
  double bm25 = 0;
  double coverage = 0;          // cov_units / total units of the query, in [0, 1]
  double text = 0;              // text relevance (docs/ranking.md, "Stage 2"), in [0, 1]
  double surface = -1;          // share of the query's characters and character pairs in the title
                                // (match.rerank_depth best candidates only; -1 = not computed)
  double blend = 0, integrity = 1, score = 0;
  double sort_key = 0;
  bool sort_demoted = false;    // non-relevance sorts: integrity below the threshold
  std::vector<ExplainPenalty> moves;  // position changes (duplicates, diversity)
};

// How much of `text` appears in `title`, both normalized: the mean of the share of the text's
// units found in the title and the share of its adjacent unit pairs found there. A unit is a
// non-ASCII character or a run of ASCII letters and digits (2021, iphone); spaces and ASCII
// punctuation are skipped; a one-unit text counts its unit twice. In [0, 1].
double surface_match(std::string_view text, std::string_view title);
inline constexpr int64_t kUnitsPerTerm = 60;  // divisible by 2..6: a part of a term with m parts is 60/(m+1) units

// The coverage unit of stage-1 weights for a profile: larger than any BM25 sum a query can get,
// so weight = units * unit + bm25 + prior_weight * prior decomposes exactly.
double coverage_unit(const RankingProfile& p);

struct RankContext {
  const RankingProfile* profile = nullptr;
  const std::unordered_map<std::string, index::ShopRecord>* shops = nullptr;
  const analysis::Analyzer* analyzer = nullptr;
  const UserPreferences* user = nullptr;   // may be null
  // Normalized preference keys (filled by prepare_preferences()).
  std::vector<std::pair<std::string, double>> pref_categories, pref_brands;
  SortOrder sort = SortOrder::Relevance;
  int64_t now = 0;                         // Unix seconds
  uint32_t page_size = 10;
  uint32_t needed = 10;                    // offset + limit: positions that must be final
  int64_t total_units = 0;                 // coverage units of a listing having every counted term whole
  // Surface match of a candidate (Candidate::surface), for the match.rerank_depth best ones; may
  // be empty (no rerank).
  std::function<double(const Candidate&)> surface;
};

struct Ranked {
  std::vector<Candidate> order;   // final order (only the first `needed` are guaranteed final)
  uint64_t removed = 0;           // removed by integrity rules (blocked shops, violations)
};

// Normalizes ctx.user's categories and brands into ctx.pref_categories / pref_brands.
void prepare_preferences(RankContext& ctx);

// Stage 2. Consumes the candidates.
Ranked rank_candidates(std::vector<Candidate> cands, const RankContext& ctx);

// The blend of one candidate; with `ex`, also its explanation (signals and penalties).
void score_candidate(Candidate& c, const RankContext& ctx, Explanation* ex);

// The detectors' reasons stored in a document's data (docs/integrity.md):
// "integrity":{"penalty":x,"reasons":[{"name":..,"score":..,"explanation":..}]}. Each becomes a
// penalty entry "integrity:NAME" with the reason's own penalty factor (1 if absent; their
// product, floored, is slot 20), its explanation and score. Nothing when the data has no such object.
std::vector<ExplainPenalty> integrity_reasons(std::string_view data);

// Facet counts over the ranked candidates (items).
std::vector<Facet> count_facets(const std::vector<Candidate>& cands, const std::vector<std::string>& names,
                                const RankingProfile& p, bool exact);

}  // namespace longtail::engine
