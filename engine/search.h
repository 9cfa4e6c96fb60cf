// Query analysis, filters and retrieval over one opened index.
#pragma once

#include <string>
#include <vector>

#include <xapian.h>

#include <longtail/longtail.h>

#include "engine/index_state.h"

namespace longtail::engine {

// The query's terms in query order, deduplicated (normalized, as the index stores them).
std::vector<std::string> query_terms(const analysis::Analyzer& analyzer, const std::string& query);

// The boolean filter of a request (category, brand, shop, attributes, price); MatchAll if none.
Xapian::Query build_filter(const IndexState& state, const SearchRequest& req);

// Runs a request. `db` is used by this call only (Xapian handles are not thread-safe).
SearchResult run_search(const IndexState& state, Xapian::Database& db, const SearchRequest& req);

}  // namespace longtail::engine
