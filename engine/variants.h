// The variants of an item (issue 22 item 1: one document per item): stage 2 chooses the variant a
// hit shows from the item's variant table (format/values.h, the stage-1 key) and the request: the
// variants that pass the request's per-SKU filters (--attr: every key, any value of a key;
// --price on the variant's effective price), and among them the one whose attribute values cover
// most of the query, then (sorted by price) the cheapest or dearest, then the best prior, then the
// smallest sku_id. A hit lists every variant of
// its item with whether it matches: it passes the filters and covers as much of the query as the
// chosen one. No document is read: the table comes with the match.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <longtail/longtail.h>

#include "format/document.h"

namespace longtail::engine {

struct ItemVariants {
  uint32_t matched = 0;          // SKUs with Variant::matched
  std::vector<Variant> skus;     // every SKU of the item, by sku_id
};

class VariantChooser {
 public:
  // `terms`: the query's counted terms with their coverage units (and alternatives: a term any of
  // whose single-term alternatives a variant has counts); empty: no query words.
  VariantChooser(const analysis::Analyzer& analyzer, const SearchRequest& req,
                 std::vector<std::pair<std::vector<std::string>, int64_t>> terms);
  // The chosen variant of `table` (an index into it), or nullopt when no variant passes the
  // filters. With `matched`, whether each variant matches (see above).
  std::optional<size_t> choose(const std::vector<index::ListingKey>& table, std::vector<char>* matched = nullptr);
  bool passes(const index::ListingKey& v);
  int64_t coverage(const index::ListingKey& v);

 private:
  index::DocumentMemo memo_;
  std::unordered_map<std::string, std::unordered_set<std::string>> attrs_;  // filter key -> values
  std::optional<double> price_min_, price_max_;
  int price_order_ = 0;  // sorted by price: 1 ascending (the cheapest variant shows), -1 descending
  std::vector<std::pair<std::vector<std::string>, int64_t>> terms_;
};

// The variant list of an item: every variant in table order (sku_id order) with its attributes
// and `matched` flag.
ItemVariants item_variants(std::vector<index::ListingKey>& table, const std::vector<char>& matched);

}  // namespace longtail::engine
