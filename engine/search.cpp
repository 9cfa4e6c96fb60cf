#include "engine/search.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "index/document.h"
#include "index/layout.h"

namespace longtail::engine {

using analysis::TokenKind;
namespace slot = index::slot;
namespace prefix = index::prefix;

std::vector<std::string> query_terms(const analysis::Analyzer& analyzer, const std::string& query) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& t : analyzer.analyze(query, analysis::Mode::Query)) {
    if (t.kind == TokenKind::Other || t.text.empty() || t.text.size() > 240) continue;
    if (seen.insert(t.text).second) out.push_back(std::move(t.text));
  }
  return out;
}

namespace {
Xapian::Query or_of(std::string_view pfx, const std::vector<std::string>& keys) {
  std::vector<Xapian::Query> qs;
  for (const auto& k : keys) qs.emplace_back(std::string(pfx) + k);
  return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
}
}  // namespace

Xapian::Query build_filter(const IndexState& state, const SearchRequest& req) {
  const auto& an = *state.analyzer;
  std::vector<Xapian::Query> parts;
  auto keys = [&](const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const auto& s : in) out.push_back(index::filter_key(an, s));
    return out;
  };
  if (!req.categories.empty()) parts.push_back(or_of(prefix::kCategory, keys(req.categories)));
  if (!req.brands.empty()) parts.push_back(or_of(prefix::kBrand, keys(req.brands)));
  if (!req.shops.empty()) parts.push_back(or_of(prefix::kShop, req.shops));
  if (!req.attrs.empty()) {
    std::map<std::string, std::vector<std::string>> by_key;  // OR within a key, AND across keys
    for (const auto& [k, v] : req.attrs) by_key[index::filter_key(an, k)].push_back(index::filter_key(an, k) + "=" + index::filter_key(an, v));
    for (const auto& [k, terms] : by_key) parts.push_back(or_of(prefix::kAttr, terms));
  }
  if (req.price_min || req.price_max) {
    if (req.price_min && req.price_max)
      parts.emplace_back(Xapian::Query::OP_VALUE_RANGE, slot::kEffectivePrice, Xapian::sortable_serialise(*req.price_min),
                         Xapian::sortable_serialise(*req.price_max));
    else if (req.price_min)
      parts.emplace_back(Xapian::Query::OP_VALUE_GE, slot::kEffectivePrice, Xapian::sortable_serialise(*req.price_min));
    else
      parts.emplace_back(Xapian::Query::OP_VALUE_LE, slot::kEffectivePrice, Xapian::sortable_serialise(*req.price_max));
  }
  if (parts.empty()) return Xapian::Query::MatchAll;
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

SearchResult run_search(const IndexState& state, Xapian::Database& db, const SearchRequest& req) {
  if (req.limit < 1 || req.limit > 1000) throw UsageError("search: limit must be between 1 and 1000");
  if (req.price_min && req.price_max && *req.price_min > *req.price_max)
    throw UsageError("search: price range minimum is above its maximum");
  SearchResult res;
  res.query = req.query;
  auto terms = query_terms(*state.analyzer, req.query);
  bool has_filter = !req.categories.empty() || !req.brands.empty() || !req.shops.empty() || !req.attrs.empty() ||
                    req.price_min || req.price_max;
  if (terms.empty() && !has_filter) {
    res.message = "the query has no searchable words (only spaces, punctuation or stop words)";
    return res;
  }
  Xapian::Query text = terms.empty() ? Xapian::Query::MatchAll
                                     : Xapian::Query(Xapian::Query::OP_AND, terms.begin(), terms.end());
  Xapian::Query filter = build_filter(state, req);
  Xapian::Query q = filter.get_type() == Xapian::Query::LEAF_MATCH_ALL ? text
                                                                        : Xapian::Query(Xapian::Query::OP_FILTER, text, filter);
  Xapian::Enquire enq(db);
  enq.set_query(q);
  enq.set_weighting_scheme(Xapian::BM25Weight());
  if (req.collapse) enq.set_collapse_key(slot::kItemId);
  // Ties are ordered by sku_id so results do not depend on how SKUs were spread over shards.
  enq.set_sort_by_relevance_then_value(slot::kSkuId, false);
  Xapian::MSet mset = enq.get_mset(req.offset, req.limit, req.offset + req.limit + 100);
  res.total_estimated = mset.get_matches_estimated();
  uint32_t rank = req.offset;
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    index::SkuRecord r;
    if (!index::decode_stored(it.get_document().get_data(), r))
      throw DataError(state.index_dir + ": damaged stored fields in document " + std::to_string(*it));
    Hit h;
    h.rank = ++rank;
    h.sku_id = std::move(r.sku_id);
    h.item_id = std::move(r.item_id);
    h.shop_id = std::move(r.shop_id);
    h.title = std::move(r.title);
    h.category = std::move(r.category);
    h.brand = std::move(r.brand);
    h.price = r.price;
    h.shipping_fee = r.shipping_fee;
    h.score = it.get_weight();
    h.variants = req.collapse ? uint32_t(it.get_collapse_count() + 1) : 1;
    res.hits.push_back(std::move(h));
  }
  return res;
}

}  // namespace longtail::engine
