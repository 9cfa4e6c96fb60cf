#include "index/signals.h"

#include <algorithm>
#include <cmath>

#include <simdjson.h>

#include <longtail/longtail.h>

#include "index/document.h"

namespace longtail::index {

double wilson_lower_bound(int64_t good, int64_t total, double z) {
  if (total <= 0) return 0;
  const double n = double(total);
  const double p = double(std::min(good, total)) / n;
  const double z2 = z * z;
  return (p + z2 / (2 * n) - z * std::sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n);
}

void SignalModel::observe(const SkuRecord& r) {
  auto& c = categories_[r.category];
  ++c.skus;
  double ls = std::log1p(double(r.sales_30d));
  c.max_log_sales = std::max(c.max_log_sales, ls);
  global_max_log_sales_ = std::max(global_max_log_sales_, ls);
}

void SignalModel::finish() {}

double SignalModel::sales_signal(const SkuRecord& r) const {
  double ls = std::log1p(double(r.sales_30d));
  auto it = categories_.find(r.category);
  double denom = it != categories_.end() ? it->second.max_log_sales : global_max_log_sales_;
  if (denom <= 0) return 0;
  return std::clamp(ls / denom, 0.0, 1.0);
}

double SignalModel::rating_signal(const SkuRecord& r) const {
  return wilson_lower_bound(r.good_reviews, r.reviews);
}

double SignalModel::static_prior(const SkuRecord& r) const {
  return 0.6 * sales_signal(r) + 0.4 * rating_signal(r);
}

std::string SignalModel::to_json() const {
  std::string o = "{\"global_max_log_sales\":" + std::to_string(global_max_log_sales_) + ",\"categories\":[";
  bool first = true;
  for (const auto& [name, c] : categories_) {
    if (!first) o += ',';
    first = false;
    o += "{\"name\":";
    append_json_string(o, name);
    o += ",\"skus\":" + std::to_string(c.skus) + ",\"max_log_sales\":" + std::to_string(c.max_log_sales) + "}";
  }
  o += "]}\n";
  return o;
}

SignalModel SignalModel::from_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) throw DataError("signals.json: damaged");
  SignalModel m;
  if (doc["global_max_log_sales"].get(m.global_max_log_sales_)) throw DataError("signals.json: damaged");
  simdjson::dom::array cats;
  if (doc["categories"].get(cats)) throw DataError("signals.json: damaged");
  for (auto c : cats) {
    std::string_view name;
    Category cat;
    if (c["name"].get(name) || c["skus"].get(cat.skus) || c["max_log_sales"].get(cat.max_log_sales))
      throw DataError("signals.json: damaged category entry");
    m.categories_[std::string(name)] = cat;
  }
  return m;
}

}  // namespace longtail::index
