// Peer engines that longtail is measured against on the same catalog and queries (perf/README.md):
//
//   plain Xapian  Xapian::TermGenerator with FLAG_CJK_NGRAM (CJK unigrams + bigrams, positions
//                 on: TermGenerator's default), BM25Weight with its default parameters, the
//                 default flush threshold, collapse on item_id; queries through
//                 Xapian::QueryParser with FLAG_CJK_NGRAM and default operator AND.
//   SQLite FTS5   one row per SKU whose `terms` column holds longtail's own index-mode terms
//                 joined with spaces, tokenize='unicode61' (so each term is one FTS5 token),
//                 default detail=full; a query is longtail's query-mode terms, each quoted, ANDed;
//                 ranked by bm25() - pop_weight * ln(1 + sales_30d), one row per item_id.
//
// Both index the same text fields as longtail's documents (title, brand, the leaf category name,
// attribute values) so hit sets compare. They exist for measurement only: not part of the product.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "perf/bench.h"
#include "perf/eval.h"

namespace longtail::perf::baselines {

struct BuildStats {
  uint64_t docs = 0;
  double seconds = 0;
  double optimize_seconds = 0;  // FTS5 'optimize' (segment merge), timed apart; 0 for Xapian
};

// Plain Xapian: `threads` writer threads, each owning one glass database "DIR/shard-NNN"
// (documents routed by item_id hash, as longtail routes them), fed by one parsing thread.
// DB_NO_SYNC is NOT set: plain means Xapian's defaults. Throws UsageError/DataError.
BuildStats xapian_build(const std::string& catalog, const std::string& out_dir, int threads);

// FTS5: one writer (SQLite has one), one transaction, synchronous=OFF, journal_mode=OFF, then
// 'optimize'. `longtail_index` gives the lexicon (the one longtail analyzed with).
BuildStats fts5_build(const std::string& catalog, const std::string& longtail_index, const std::string& out_db);

// A searchable peer engine. search_items() may be called concurrently with distinct `thread`
// values in [0, threads) as given at open.
class Engine {
 public:
  virtual ~Engine() = default;
  // Up to `limit` distinct items, best first.
  virtual std::vector<RankedItem> search_items(const std::string& query, uint32_t limit, int thread) const = 0;
};

std::unique_ptr<Engine> open_xapian(const std::string& dir, int threads);
// `pop_weight` >= 0: weight of ln(1 + sales_30d) subtracted from bm25() (lower ranks first).
std::unique_ptr<Engine> open_fts5(const std::string& db, const std::string& longtail_index, int threads,
                                  double pop_weight);

}  // namespace longtail::perf::baselines
