#include "index/signals.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <fstream>
#include <sstream>

#include <simdjson.h>

#include <longtail/longtail.h>

#include "index/document.h"
#include "index/layout.h"
#include "index/simhash.h"
#include "common/json_writer.h"

namespace longtail::index {

namespace {

// The four DSRs of a shop with ratings, or false when it has none.
bool shop_dsr(const ShopRecord& s, std::array<double, 4>& out) {
  out = {s.dsr_description, s.dsr_service, s.dsr_shipping, s.dsr_delivery};
  return s.ratings_6m > 0 && std::any_of(out.begin(), out.end(), [](double d) { return d > 0; });
}

}  // namespace

std::string SignalParams::to_json() const {
  std::string o;
  json::Writer(o)
      .object()
      .field("sales_quantile", sales_quantile)
      .field("sales_category_prior", sales_category_prior)
      .field("sales_min_reference", sales_min_reference)
      .field("wilson_z", wilson_z)
      .field("dsr_prior_ratings", dsr_prior_ratings)
      .field("dsr_scale", dsr_scale)
      .field("dsr_category_prior", dsr_category_prior)
      .field("violation_step", violation_step)
      .field("prior_sales", prior_sales)
      .field("prior_rating", prior_rating)
      .field("prior_shop", prior_shop)
      .end();
  return o;
}

namespace {
void put_double(std::string& o, double v) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  for (int i = 0; i < 8; ++i) o += char((u >> (8 * i)) & 0xFF);
}
double get_double(const unsigned char* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= uint64_t(p[i]) << (8 * i);
  double v;
  std::memcpy(&v, &u, 8);
  return v;
}
void put_string(std::string& o, const std::string& s) {
  size_t n = std::min<size_t>(s.size(), 0xFFFF);
  o += char(n & 0xFF);
  o += char(n >> 8);
  o.append(s, 0, n);
}
}  // namespace

void finish_values(Xapian::Document& doc) {
  std::string key = doc.get_value(slot::kSkuId);
  key += '\0';
  auto put = [&key](const std::string& v) {
    uint32_t n = uint32_t(v.size());
    for (int i = 0; i < 4; ++i) key += char((n >> (8 * i)) & 0xff);
    key += v;
  };
  put(doc.get_value(slot::kRankPack));
  for (unsigned s = slot::kPenalty; s <= slot::kIntegrityFlags; ++s) put(doc.get_value(s));
  doc.add_value(slot::kStage1Key, key);
  for (unsigned s : kCarriedSlots) doc.add_value(s, std::string());  // an empty value removes the slot
}

std::string stored_value(const Xapian::Document& doc, unsigned s) {
  if (std::find(kCarriedSlots.begin(), kCarriedSlots.end(), s) == kCarriedSlots.end()) return doc.get_value(s);
  Stage1Key key;
  const std::string k = doc.get_value(slot::kStage1Key);
  if (!decode_stage1_key(k, key)) return {};
  if (s == slot::kSkuId) return k.substr(0, k.find('\0'));
  if (s >= slot::kPenalty && s <= slot::kShopBlocked) return std::string(key.integrity[s - slot::kPenalty]);
  if (s == slot::kRankPack) return std::string(key.rank_pack);
  RankPack p;
  if (!decode_rank_pack(key.rank_pack, p)) return {};
  switch (s) {
    case slot::kPrice: return Xapian::sortable_serialise(p.price);
    case slot::kShippingFee: return Xapian::sortable_serialise(p.shipping_fee);
    case slot::kReviews: return Xapian::sortable_serialise(p.reviews);
    case slot::kGoodReviews: return Xapian::sortable_serialise(p.good_reviews);
    case slot::kShopId: return p.shop;
    case slot::kCategory: return p.category;
    case slot::kBrand: return p.brand;
    case slot::kSalesSignal: return Xapian::sortable_serialise(p.sales_signal);
    case slot::kShopSignal: return Xapian::sortable_serialise(p.shop_signal);
    default: return {};
  }
}

bool decode_stage1_key(std::string_view key, Stage1Key& out) {
  size_t at = key.find('\0');
  if (at == std::string_view::npos) return false;
  ++at;
  auto get = [&](std::string_view& v) {
    if (key.size() - at < 4) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= uint32_t(uint8_t(key[at + size_t(i)])) << (8 * i);
    at += 4;
    if (key.size() - at < n) return false;
    v = key.substr(at, n);
    at += n;
    return true;
  };
  if (!get(out.rank_pack)) return false;
  for (auto& v : out.integrity)
    if (!get(v)) return false;
  return at == key.size();
}

std::string encode_rank_pack(const RankPack& p) {
  std::string o;
  o.reserve(1 + 11 * 8 + 1 + 10 + p.sku.size() + p.item.size() + p.shop.size() + p.category.size() + p.brand.size());
  o += char(3);
  for (double v : {p.price, p.shipping_fee, p.sales_30d, p.reviews, p.good_reviews, p.listed_at, p.prior,
                   p.sales_signal, p.rating_signal, p.shop_signal})
    put_double(o, v);
  for (int i = 0; i < 8; ++i) o += char((p.stored_hash >> (8 * i)) & 0xFF);
  o += char(p.price_known ? 0 : 1);
  for (const std::string* s : {&p.sku, &p.item, &p.shop, &p.category, &p.brand}) put_string(o, *s);
  return o;
}

bool decode_rank_pack(std::string_view data, RankPack& out) {
  const auto* b = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size(), at = 1 + 11 * 8;
  if (n < at || (b[0] != 2 && b[0] != 3)) return false;
  double* nums[] = {&out.price, &out.shipping_fee, &out.sales_30d, &out.reviews, &out.good_reviews,
                    &out.listed_at, &out.prior, &out.sales_signal, &out.rating_signal, &out.shop_signal};
  for (int i = 0; i < 10; ++i) *nums[i] = get_double(b + 1 + 8 * i);
  out.effective_price = out.price + out.shipping_fee;  // as SkuRecord::effective_price()
  out.stored_hash = 0;
  for (int i = 0; i < 8; ++i) out.stored_hash |= uint64_t(b[1 + 10 * 8 + i]) << (8 * i);
  out.price_known = true;
  if (b[0] == 3) {  // the flags byte
    if (at + 1 > n || b[at] > 1) return false;
    out.price_known = b[at] == 0;
    ++at;
  }
  for (std::string* s : {&out.sku, &out.item, &out.shop, &out.category, &out.brand}) {
    if (at + 2 > n) return false;
    size_t len = size_t(b[at]) | size_t(b[at + 1]) << 8;
    at += 2;
    if (at + len > n) return false;
    s->assign(data.data() + at, len);
    at += len;
  }
  return at == n;
}

double wilson_lower_bound(int64_t good, int64_t total, double z) {
  if (total <= 0) return 0;
  const double n = double(total);
  const double p = double(std::clamp<int64_t>(good, 0, total)) / n;
  const double z2 = z * z;
  return std::max(0.0, (p + z2 / (2 * n) - z * std::sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n));
}

SignalModel::SignalModel(SignalParams params, const std::unordered_map<std::string, ShopRecord>* shops)
    : params_(params), shops_(shops) {
  global_.hist.assign(kBins, 0);
}

void SignalModel::observe(const SkuRecord& r) {
  auto& c = categories_[r.category];
  if (c.hist.empty()) c.hist.assign(kBins, 0);
  int bin = std::min(kBins - 1, int(std::log1p(double(std::max<int64_t>(0, r.sales_30d))) / kBinWidth));
  ++c.hist[size_t(bin)];
  ++global_.hist[size_t(bin)];
  ++c.skus;
  ++global_.skus;
  if (shops_) {
    auto it = shops_->find(r.shop_id);
    std::array<double, 4> d;
    if (it != shops_->end() && shop_dsr(it->second, d)) {
      for (int k = 0; k < 4; ++k) {
        c.dsr_sum[size_t(k)] += d[size_t(k)];
        global_.dsr_sum[size_t(k)] += d[size_t(k)];
      }
      ++c.dsr_n;
      ++global_.dsr_n;
    }
  }
}

// Upper edge of the histogram bin holding quantile q (the conservative reference).
double SignalModel::quantile_of(const std::vector<uint32_t>& hist, uint64_t n) const {
  if (n == 0) return 0;
  const double target = params_.sales_quantile * double(n);
  uint64_t acc = 0;
  for (int b = 0; b < kBins; ++b) {
    acc += hist[size_t(b)];
    if (double(acc) >= target) return b == 0 ? 0 : (b + 1) * kBinWidth;
  }
  return kBins * kBinWidth;
}

void SignalModel::finish() {
  const double floor_ref = std::log1p(params_.sales_min_reference);
  global_.sales_ref = std::max(floor_ref, quantile_of(global_.hist, global_.skus));
  for (int k = 0; k < 4; ++k)
    global_.dsr_avg[size_t(k)] = global_.dsr_n ? global_.dsr_sum[size_t(k)] / double(global_.dsr_n) : 0;
  const double ms = params_.sales_category_prior, md = params_.dsr_category_prior;
  for (auto& [name, c] : categories_) {
    double n = double(c.skus);
    double own = quantile_of(c.hist, c.skus);
    c.sales_ref = std::max(floor_ref, (n * own + ms * global_.sales_ref) / (n + ms));
    double dn = double(c.dsr_n);
    for (int k = 0; k < 4; ++k) {
      double own_avg = c.dsr_n ? c.dsr_sum[size_t(k)] / dn : 0;
      c.dsr_avg[size_t(k)] = (dn * own_avg + md * global_.dsr_avg[size_t(k)]) / (dn + md);
    }
    c.hist.clear();
    c.hist.shrink_to_fit();
  }
  global_.hist.clear();
  finished_ = true;
}

const SignalModel::Category* SignalModel::category_of(const SkuRecord& r) const {
  auto it = categories_.find(r.category);
  return it != categories_.end() ? &it->second : &global_;
}

double SignalModel::sales_signal(const SkuRecord& r) const {
  double ls = std::log1p(double(std::max<int64_t>(0, r.sales_30d)));
  double ref = category_of(r)->sales_ref;
  if (ref <= 0) ref = std::log1p(params_.sales_min_reference);
  return std::clamp(ls / ref, 0.0, 1.0);
}

double SignalModel::rating_signal(const SkuRecord& r) const {
  return wilson_lower_bound(r.good_reviews, r.reviews, params_.wilson_z);
}

double SignalModel::shop_signal(const SkuRecord& r) const {
  if (!shops_) return 0.5;
  auto it = shops_->find(r.shop_id);
  if (it == shops_->end()) return 0.5;
  const ShopRecord& s = it->second;
  double rel = 0.5;
  std::array<double, 4> d;
  if (shop_dsr(s, d)) {
    const Category* c = category_of(r);
    double diff = 0;
    int used = 0;
    for (int k = 0; k < 4; ++k) {
      if (d[size_t(k)] <= 0 || c->dsr_avg[size_t(k)] <= 0) continue;
      diff += d[size_t(k)] - c->dsr_avg[size_t(k)];
      ++used;
    }
    if (used) {
      diff /= used;
      double n = double(s.ratings_6m);
      double conf = n / (n + params_.dsr_prior_ratings);
      rel = 0.5 + 0.5 * std::tanh(conf * diff / params_.dsr_scale);
    }
  }
  double viol = 1.0 / (1.0 + params_.violation_step * double(std::max<int64_t>(0, s.violations)));
  return std::clamp(rel * viol, 0.0, 1.0);
}

double SignalModel::static_prior(const SkuRecord& r) const {
  double ws = params_.prior_sales, wr = params_.prior_rating, wh = params_.prior_shop;
  double sum = ws + wr + wh;
  if (sum <= 0) return 0;
  return std::clamp((ws * sales_signal(r) + wr * rating_signal(r) + wh * shop_signal(r)) / sum, 0.0, 1.0);
}

void SignalModel::add_values(Xapian::Document& doc, const SkuRecord& r, std::optional<uint64_t> stored_hash) const {
  double sales = sales_signal(r), rating = rating_signal(r), shop = shop_signal(r);
  doc.add_value(slot::kSalesSignal, Xapian::sortable_serialise(sales));
  doc.add_value(slot::kRatingSignal, Xapian::sortable_serialise(rating));
  doc.add_value(slot::kShopSignal, Xapian::sortable_serialise(shop));
  double ws = params_.prior_sales, wr = params_.prior_rating, wh = params_.prior_shop;
  double sum = ws + wr + wh;
  double prior = sum > 0 ? std::clamp((ws * sales + wr * rating + wh * shop) / sum, 0.0, 1.0) : 0.0;
  doc.add_value(slot::kStaticPrior, Xapian::sortable_serialise(prior));
  if (!r.category.empty()) doc.add_value(slot::kCategory, r.category);
  if (!r.brand.empty()) doc.add_value(slot::kBrand, r.brand);
  RankPack p;
  p.price = r.price;
  p.price_known = r.price_known;
  p.shipping_fee = r.shipping_fee;
  p.effective_price = r.effective_price();
  p.sales_30d = double(r.sales_30d);
  p.reviews = double(r.reviews);
  p.good_reviews = double(r.good_reviews);
  p.listed_at = double(r.listed_at);
  p.prior = prior;
  p.sales_signal = sales;
  p.rating_signal = rating;
  p.shop_signal = shop;
  p.stored_hash = stored_hash ? *stored_hash : term_hash(encode_stored(r));
  p.sku = r.sku_id;
  p.item = r.item_id;
  p.shop = r.shop_id;
  p.category = r.category;
  p.brand = r.brand;
  doc.add_value(slot::kRankPack, encode_rank_pack(p));
}

std::string SignalModel::to_json() const {
  std::string o;
  json::Writer w(o);
  auto cat_json = [&w](const Category& c) {
    w.field("skus", c.skus).field("sales_ref", c.sales_ref).field("dsr_n", c.dsr_n).key("dsr_avg").array();
    for (double v : c.dsr_avg) w.value(v);
    w.end();
  };
  w.object().field("version", 2).field_raw("params", params_.to_json()).key("global").object();
  cat_json(global_);
  w.end().key("categories").array();
  // Sorted by name so the file is deterministic.
  std::vector<const std::pair<const std::string, Category>*> sorted;
  for (const auto& e : categories_) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* e : sorted) {
    w.object().field("name", e->first);
    cat_json(e->second);
    w.end();
  }
  w.end().end();
  o += '\n';
  return o;
}

SignalModel SignalModel::from_json(const std::string& json, const std::unordered_map<std::string, ShopRecord>* shops) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) throw DataError("signals.json: damaged");
  SignalParams p;
  simdjson::dom::object po;
  if (!doc["params"].get(po)) {  // absent in indexes built before signals.json version 2: defaults
    auto getp = [&](const char* k, double& v) {
      double d;
      if (!po[k].get(d)) v = d;
    };
    getp("sales_quantile", p.sales_quantile);
    getp("sales_category_prior", p.sales_category_prior);
    getp("sales_min_reference", p.sales_min_reference);
    getp("wilson_z", p.wilson_z);
    getp("dsr_prior_ratings", p.dsr_prior_ratings);
    getp("dsr_scale", p.dsr_scale);
    getp("dsr_category_prior", p.dsr_category_prior);
    getp("violation_step", p.violation_step);
    getp("prior_sales", p.prior_sales);
    getp("prior_rating", p.prior_rating);
    getp("prior_shop", p.prior_shop);
  }
  SignalModel m(p, shops);
  // Version 1 entries carry only skus and max_log_sales: the reference is then the maximum.
  auto read_cat = [](simdjson::dom::element e, Category& c) {
    if (e["skus"].get(c.skus)) throw DataError("signals.json: damaged category entry");
    if (e["sales_ref"].get(c.sales_ref) && e["max_log_sales"].get(c.sales_ref))
      throw DataError("signals.json: damaged category entry");
    simdjson::dom::array avg;
    if (e["dsr_n"].get(c.dsr_n) || e["dsr_avg"].get(avg)) return;
    size_t k = 0;
    for (auto v : avg) {
      if (k >= 4 || v.get(c.dsr_avg[k])) throw DataError("signals.json: damaged dsr_avg");
      ++k;
    }
  };
  simdjson::dom::element g;
  if (!doc["global"].get(g)) {
    read_cat(g, m.global_);
  } else {
    double gmax = 0;
    if (!doc["global_max_log_sales"].get(gmax)) m.global_.sales_ref = gmax;
  }
  m.global_.sales_ref = std::max(m.global_.sales_ref, std::log1p(p.sales_min_reference));
  simdjson::dom::array cats;
  if (doc["categories"].get(cats)) throw DataError("signals.json: damaged");
  for (auto c : cats) {
    std::string_view name;
    if (c["name"].get(name)) throw DataError("signals.json: damaged category entry");
    Category cat;
    read_cat(c, cat);
    m.categories_[std::string(name)] = std::move(cat);
  }
  m.finished_ = true;
  return m;
}

}  // namespace longtail::index
