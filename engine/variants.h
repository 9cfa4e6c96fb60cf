// The variants of the items on a result page (issue 5): for each item, its SKUs with their
// attributes and whether each matches the query. One batched match over the page's items, run
// after stage 2 picked the page, so it costs the same on local and remote shards and only the
// page pays for it (the stage-2 candidates stay value-only).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>

#include <longtail/longtail.h>

namespace longtail::engine {

struct ItemVariants {
  uint32_t matched = 0;          // SKUs with Variant::matched
  std::vector<Variant> skus;     // every SKU of the item, by sku_id
};

// Looks up the SKUs of `items` in `db` with one match: `XI<item>...` (boolean) AND_MAYBE
// `query`, without collapse, sorted by slot::kVariant so that each match's sort key carries its
// item, sku_id and attributes (no document is fetched). A SKU is matched when `query` (the page's
// stage-1 query: text, filters and prior) matches it and, with `coverage_unit` > 0, it covers as
// many coverage units of the query as the best-covering SKU of its item (the query matches any
// word, so a black SKU of a dress matches 连衣裙 红色 too, but covers less than the red one).
// Throws DataError for a SKU with damaged stored fields (`index_dir` names the index in the
// message); Xapian errors pass through.
std::unordered_map<std::string, ItemVariants> lookup_variants(Xapian::Database& db, const Xapian::Query& query,
                                                              const std::vector<std::string>& items,
                                                              const std::string& index_dir, double coverage_unit = 0);

}  // namespace longtail::engine
