#include "engine/variants.h"

#include <algorithm>
#include <cmath>

#include "format/document.h"
#include "format/layout.h"

namespace longtail::engine {

std::unordered_map<std::string, ItemVariants> lookup_variants(Xapian::Database& db, const Xapian::Query& query,
                                                              const std::vector<std::string>& items,
                                                              const std::string& index_dir, double coverage_unit) {
  std::unordered_map<std::string, ItemVariants> out;
  if (items.empty()) return out;
  std::vector<Xapian::Query> item_terms;
  item_terms.reserve(items.size());
  for (const auto& item : items) item_terms.emplace_back(std::string(index::prefix::kItem) + item);
  // Every SKU of the items weighs 0; a SKU the query matches gets the query's weight plus a
  // marker of 1, so weight >= 1 means "matched" whatever the query weighs (a filter-only query
  // can weigh 0). Built-in pieces only: it runs on remote shards unchanged.
  constexpr double kMatchedMarker = 1;
  Xapian::Query all_skus(Xapian::Query::OP_SCALE_WEIGHT,
                         Xapian::Query(Xapian::Query::OP_OR, item_terms.begin(), item_terms.end()), 0.0);
  Xapian::Query matched(Xapian::Query::OP_AND, query,
                        Xapian::Query((new Xapian::FixedWeightPostingSource(kMatchedMarker))->release()));
  Xapian::Enquire enq(db);
  enq.set_query(Xapian::Query(Xapian::Query::OP_AND_MAYBE, all_skus, matched));
  // Sorting by slot::kVariant makes every match carry that value as its sort key, also from
  // remote shards (which must send sort keys for the merge), so no document is fetched: Xapian
  // 1.4's remote backend fetches documents one round trip each.
  enq.set_sort_by_value_then_relevance(index::slot::kVariant, false);
  // All matches: the page's items hold few SKUs, and Xapian sizes the MSet by what matched.
  Xapian::MSet mset = enq.get_mset(0, db.get_doccount());
  index::VariantPack pack;
  index::SkuRecord r;
  std::unordered_map<std::string, int64_t> units;  // sku_id -> coverage units of the query
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    if (!index::decode_variant_pack(it.get_sort_key(), pack)) {
      // An index written before slot::kVariant existed: the stored fields.
      if (!index::decode_stored(it.get_document().get_data(), r))
        throw DataError(index_dir + ": damaged stored fields in document " + std::to_string(*it));
      pack.item = std::move(r.item_id);
      pack.sku = std::move(r.sku_id);
      pack.attrs = std::move(r.attrs);
    }
    Variant v;
    v.sku_id = std::move(pack.sku);
    v.attrs = std::move(pack.attrs);
    const double w = it.get_weight();
    v.matched = w >= kMatchedMarker * 0.5;
    units[v.sku_id] = v.matched && coverage_unit > 0 ? int64_t(std::floor((w - kMatchedMarker) / coverage_unit + 1e-9)) : 0;
    out[pack.item].skus.push_back(std::move(v));
  }
  for (auto& [item, iv] : out) {
    int64_t best = 0;
    for (const auto& v : iv.skus)
      if (v.matched) best = std::max(best, units[v.sku_id]);
    for (auto& v : iv.skus) {
      v.matched = v.matched && units[v.sku_id] >= best;
      iv.matched += v.matched ? 1 : 0;
    }
    std::sort(iv.skus.begin(), iv.skus.end(), [](const Variant& a, const Variant& b) { return a.sku_id < b.sku_id; });
  }
  return out;
}

}  // namespace longtail::engine
