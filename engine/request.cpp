// Request helpers of the public API: sort order names and the shopper-preferences JSON form.
#include <cmath>

#include <simdjson.h>

#include <longtail/longtail.h>

namespace longtail {

namespace {
struct SortName {
  SortOrder order;
  const char* name;
};
constexpr SortName kSorts[] = {{SortOrder::Relevance, "relevance"}, {SortOrder::Sales, "sales"},
                               {SortOrder::Newness, "newness"},     {SortOrder::PriceAsc, "price-asc"},
                               {SortOrder::PriceDesc, "price-desc"}, {SortOrder::Rating, "rating"}};
}  // namespace

SortOrder parse_sort_order(const std::string& name) {
  for (const auto& s : kSorts)
    if (name == s.name) return s.order;
  throw UsageError("--sort: unknown order \"" + name + "\" (relevance, sales, newness, price-asc, price-desc, rating)");
}

const char* sort_order_name(SortOrder order) {
  for (const auto& s : kSorts)
    if (order == s.order) return s.name;
  return "relevance";
}

UserPreferences UserPreferences::from_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json).get(doc))
    throw UsageError(std::string("user preferences: invalid JSON (") + simdjson::error_message(err) + ")");
  simdjson::dom::object obj;
  if (doc.get(obj)) throw UsageError("user preferences: expected a JSON object");
  UserPreferences u;
  auto weights = [&](std::string_view field, simdjson::dom::element v, std::map<std::string, double>& out) {
    simdjson::dom::object o;
    if (v.get(o)) throw UsageError("user preferences: \"" + std::string(field) + "\" must be an object of name: weight");
    for (auto [k, w] : o) {
      double d;
      if (w.get(d) || !std::isfinite(d) || d < -1 || d > 1)
        throw UsageError("user preferences: \"" + std::string(field) + "\".\"" + std::string(k) +
                         "\": the weight must be a number in [-1, 1]");
      out[std::string(k)] = d;
    }
  };
  for (auto [key, v] : obj) {
    if (key == "categories") {
      weights(key, v, u.categories);
    } else if (key == "brands") {
      weights(key, v, u.brands);
    } else if (key == "price_band") {
      simdjson::dom::array a;
      if (v.get(a) || a.size() != 2) throw UsageError("user preferences: \"price_band\" must be [MIN, MAX]");
      double lo, hi;
      if (a.at(0).get(lo) || a.at(1).get(hi) || !(lo >= 0) || !(hi >= lo) || !std::isfinite(hi))
        throw UsageError("user preferences: \"price_band\" must be two numbers 0 <= MIN <= MAX");
      u.price_min = lo;
      u.price_max = hi;
    } else {
      throw UsageError("user preferences: unknown field \"" + std::string(key) +
                       "\" (expected categories, brands, price_band)");
    }
  }
  return u;
}

}  // namespace longtail
