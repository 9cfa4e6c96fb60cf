#include "engine/variants.h"

#include <algorithm>

namespace longtail::engine {

VariantChooser::VariantChooser(const analysis::Analyzer& analyzer, const SearchRequest& req,
                               std::vector<std::pair<std::vector<std::string>, int64_t>> terms)
    : memo_(analyzer, 4096), price_min_(req.price_min), price_max_(req.price_max), terms_(std::move(terms)) {
  price_order_ = req.sort == SortOrder::PriceAsc ? 1 : req.sort == SortOrder::PriceDesc ? -1 : 0;
  for (const auto& [k, v] : req.attrs) attrs_[index::filter_key(analyzer, k)].insert(index::filter_key(analyzer, v));
}

bool VariantChooser::passes(const index::ListingKey& v) {
  const double price = v.pack.effective_price;
  if ((price_min_ || price_max_) && !v.pack.price_known) return false;  // no price: in no range
  if (price_min_ && price < *price_min_) return false;
  if (price_max_ && price > *price_max_) return false;
  for (const auto& [key, values] : attrs_) {
    bool ok = false;
    for (const auto& [k, val] : v.attrs) {
      if (memo_.filter_key(k) != key) continue;
      if (values.count(memo_.filter_key(val))) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

int64_t VariantChooser::coverage(const index::ListingKey& v) {
  if (terms_.empty()) return 0;
  int64_t units = 0;
  for (const auto& [alts, u] : terms_) {
    bool has = false;
    for (const auto& a : alts)
      if (std::find(v.words.begin(), v.words.end(), a) != v.words.end()) has = true;
    for (const auto& [k, val] : v.attrs) {
      if (has) break;
      const auto& ts = memo_.index_terms(val);
      for (const auto& a : alts)
        if (std::find(ts.begin(), ts.end(), a) != ts.end()) has = true;
      if (has) break;
    }
    if (has) units += u;
  }
  return units;
}

std::optional<size_t> VariantChooser::choose(const std::vector<index::ListingKey>& table, std::vector<char>* matched) {
  std::optional<size_t> best;
  int64_t best_cov = -1;
  std::vector<int64_t> cov(table.size(), -1);  // -1: does not pass the filters
  for (size_t i = 0; i < table.size(); ++i) {
    const auto& v = table[i];
    if (!passes(v)) continue;
    cov[i] = table.size() > 1 || matched ? coverage(v) : 0;
    auto better = [&](const index::ListingKey& a, const index::ListingKey& b) {
      if (price_order_ != 0 && a.pack.price_known != b.pack.price_known) return a.pack.price_known;  // no price: last
      if (price_order_ != 0 && a.pack.effective_price != b.pack.effective_price)
        return price_order_ > 0 ? a.pack.effective_price < b.pack.effective_price : a.pack.effective_price > b.pack.effective_price;
      if (a.pack.prior != b.pack.prior) return a.pack.prior > b.pack.prior;
      return a.pack.sku < b.pack.sku;
    };
    if (!best || cov[i] > best_cov || (cov[i] == best_cov && better(v, table[*best]))) {
      best = i;
      best_cov = cov[i];
    }
  }
  if (matched) {
    matched->assign(table.size(), 0);
    for (size_t i = 0; i < table.size(); ++i) (*matched)[i] = cov[i] >= 0 && cov[i] >= best_cov;
  }
  return best;
}

ItemVariants item_variants(std::vector<index::ListingKey>& table, const std::vector<char>& matched) {
  ItemVariants out;
  for (size_t i = 0; i < table.size(); ++i) {
    Variant v;
    v.sku_id = table[i].pack.sku;
    v.attrs = std::move(table[i].attrs);
    v.matched = i < matched.size() && matched[i];
    out.matched += v.matched ? 1 : 0;
    out.skus.push_back(std::move(v));
  }
  std::sort(out.skus.begin(), out.skus.end(), [](const Variant& a, const Variant& b) { return a.sku_id < b.sku_id; });
  return out;
}

}  // namespace longtail::engine
