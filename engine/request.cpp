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

namespace {

simdjson::dom::object parse_object(const std::string& json, const char* what) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json).get(doc))
    throw UsageError(std::string(what) + ": invalid JSON (" + simdjson::error_message(err) + ")");
  simdjson::dom::object obj;
  if (doc.get(obj)) throw UsageError(std::string(what) + ": expected a JSON object");
  return obj;
}

UserPreferences preferences_from(simdjson::dom::object obj) {
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

}  // namespace

UserPreferences UserPreferences::from_json(const std::string& json) {
  return preferences_from(parse_object(json, "user preferences"));
}

SearchRequest SearchRequest::from_json(const std::string& json) {
  const simdjson::dom::object obj = parse_object(json, "search request");
  SearchRequest r;
  auto bad = [](std::string_view field, const std::string& why) {
    return UsageError("search request: \"" + std::string(field) + "\": " + why);
  };
  auto text = [&](std::string_view field, simdjson::dom::element v) {
    std::string_view sv;
    if (v.get(sv)) throw bad(field, "must be a string");
    return std::string(sv);
  };
  auto texts = [&](std::string_view field, simdjson::dom::element v) {
    simdjson::dom::array a;
    if (v.get(a)) throw bad(field, "must be an array of strings");
    std::vector<std::string> out;
    for (auto e : a) out.push_back(text(field, e));
    return out;
  };
  auto flag = [&](std::string_view field, simdjson::dom::element v) {
    bool b;
    if (v.get(b)) throw bad(field, "must be true or false");
    return b;
  };
  auto integer = [&](std::string_view field, simdjson::dom::element v, int64_t lo, int64_t hi) {
    int64_t i;
    if (v.get(i) || i < lo || i > hi)
      throw bad(field, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    return i;
  };
  auto number = [&](std::string_view field, simdjson::dom::element v) {
    double d;
    if (v.get(d) || !std::isfinite(d) || d < 0) throw bad(field, "must be a number >= 0");
    return d;
  };
  for (auto [key, v] : obj) {
    if (key == "query") r.query = text(key, v);
    else if (key == "categories") r.categories = texts(key, v);
    else if (key == "brands") r.brands = texts(key, v);
    else if (key == "shops") r.shops = texts(key, v);
    else if (key == "facets") r.facets = texts(key, v);
    else if (key == "attrs") {
      // {"颜色": "红色"} or {"颜色": ["红色", "黑色"]}: OR within a key, AND across keys.
      simdjson::dom::object o;
      if (v.get(o)) throw bad(key, "must be an object of key: value or key: [values]");
      for (auto [k, val] : o) {
        simdjson::dom::array many;
        if (!val.get(many)) {
          for (auto e : many) r.attrs.emplace_back(std::string(k), text("attrs." + std::string(k), e));
        } else {
          r.attrs.emplace_back(std::string(k), text("attrs." + std::string(k), val));
        }
      }
    } else if (key == "price_min") r.price_min = number(key, v);
    else if (key == "price_max") r.price_max = number(key, v);
    else if (key == "offset") r.offset = uint32_t(integer(key, v, 0, 1000000));
    else if (key == "limit") r.limit = uint32_t(integer(key, v, 1, 1000));
    else if (key == "collapse") r.collapse = flag(key, v);
    else if (key == "explain") r.explain = flag(key, v);
    else if (key == "correct") r.correct = flag(key, v);
    else if (key == "sort") {
      try {
        r.sort = parse_sort_order(text(key, v));
      } catch (const UsageError&) {
        throw bad(key, "unknown order (relevance, sales, newness, price-asc, price-desc, rating)");
      }
    }
    else if (key == "now") r.now = integer(key, v, 0, int64_t(1) << 40);
    else if (key == "profile") r.profile = text(key, v);
    else if (key == "user") {
      simdjson::dom::object o;
      if (v.get(o)) throw bad(key, "must be an object (categories, brands, price_band)");
      r.user = preferences_from(o);
    } else {
      throw UsageError("search request: unknown field \"" + std::string(key) +
                       "\" (query, categories, brands, shops, attrs, price_min, price_max, offset, limit, collapse, "
                       "sort, facets, explain, now, profile, user, correct)");
    }
  }
  if (r.price_min && r.price_max && *r.price_min > *r.price_max) throw bad("price_min", "is above price_max");
  return r;
}

}  // namespace longtail
