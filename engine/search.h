// Query analysis, filters and the two ranking stages over one opened index.
//
// Stage 1 (run by Xapian, locally or on remote shards, with built-in pieces only): BM25 text
// weight + a fixed coverage weight per matched query term (FixedWeightPostingSource) + the
// static prior (ValueWeightPostingSource over slot 9, scaled; from the stage-1 columns when
// given, engine/columns.h), boolean filters, collapse by item_id; matching steps (every term,
// all but one, any term) re-run it while too few items match. Stage 2 (engine/ranking.h)
// re-ranks the top candidates with the full profile. docs/ranking.md.
#pragma once

#include <string>
#include <vector>

#include <xapian.h>

#include <longtail/longtail.h>

#include "engine/columns.h"
#include "engine/index_state.h"
#include "engine/profile.h"

namespace longtail::engine {

// The query's terms in query order, deduplicated (normalized, as the index stores them).
std::vector<std::string> query_terms(const analysis::Analyzer& analyzer, const std::string& query);

// The boolean filter of a request (category, brand, shop, attributes, price); every document if none.
Xapian::Query build_filter(const IndexState& state, const SearchRequest& req);

// Runs a request with a ranking profile. `db` is used by this call only (Xapian handles are not
// thread-safe). `cols`: stage-1 columns describing `db` exactly (Stage1Columns::matches), or null;
// they change how much is read, not the hits.
SearchResult run_search(const IndexState& state, Xapian::Database& db, const SearchRequest& req,
                        const RankingProfile& profile, std::shared_ptr<const Stage1Columns> cols = nullptr);

// With the built-in default profile.
SearchResult run_search(const IndexState& state, Xapian::Database& db, const SearchRequest& req);

}  // namespace longtail::engine
