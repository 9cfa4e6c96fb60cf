#include "index/signals.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <fstream>
#include <sstream>

#include <simdjson.h>

#include <longtail/longtail.h>

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

ListingSignals SignalModel::signals(const SkuRecord& r) const {
  ListingSignals g;
  g.sales = sales_signal(r);
  g.rating = rating_signal(r);
  g.shop = shop_signal(r);
  const double ws = params_.prior_sales, wr = params_.prior_rating, wh = params_.prior_shop;
  const double sum = ws + wr + wh;
  g.prior = sum > 0 ? std::clamp((ws * g.sales + wr * g.rating + wh * g.shop) / sum, 0.0, 1.0) : 0.0;
  return g;
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
