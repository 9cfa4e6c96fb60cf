#include "engine/hit.h"

#include "engine/variants.h"
#include "format/document.h"
#include "format/layout.h"

namespace longtail::engine {

Hit hit_from_record(index::SkuRecord&& r, uint32_t rank) {
  Hit h;
  h.rank = rank;
  h.sku_id = std::move(r.sku_id);
  h.item_id = std::move(r.item_id);
  h.shop_id = std::move(r.shop_id);
  h.title = std::move(r.title);
  h.category = std::move(r.category);
  h.brand = std::move(r.brand);
  h.fields = r.fields.empty() ? std::string("{}") : std::move(r.fields);
  return h;
}

std::optional<Hit> lookup_sku(const IndexState& state, Xapian::Database& db, const std::string& sku_id) {
  if (sku_id.empty()) return std::nullopt;
  const std::string term = std::string(index::prefix::kSku) + sku_id;
  Xapian::PostingIterator p = db.postlist_begin(term);
  if (p == db.postlist_end(term)) return std::nullopt;
  const Xapian::docid did = *p;
  Xapian::Document doc = db.get_document(did);
  index::SkuRecord r;
  if (!index::read_record(doc, state.stored_data(doc, did), sku_id, r))
    throw DataError(state.index_dir + ": damaged stored fields in document " + std::to_string(did));
  Hit h = hit_from_record(std::move(r), 1);
  h.price = r.price;
  h.price_known = r.price_known;
  h.shipping_fee = r.shipping_fee;
  h.score = 0;
  h.coverage = 0;
  // Every SKU of the item, this one matched (the query is its id).
  std::vector<index::ListingKey> table;
  if (!index::decode_item_key(doc.get_value(index::slot::kStage1Key), table))
    throw DataError(state.index_dir + ": damaged stage-1 key in document " + std::to_string(did));
  std::vector<char> matched(table.size(), 0);
  for (size_t i = 0; i < table.size(); ++i) matched[i] = table[i].pack.sku == sku_id;
  ItemVariants v = item_variants(table, matched);
  h.variants = std::max<uint32_t>(1, v.matched);
  h.variant_list = std::move(v.skus);
  return h;
}

}  // namespace longtail::engine
