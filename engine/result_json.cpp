// longtail::to_json(const SearchResult&): the JSON of a search result, one writer for every
// front end (the CLI's --json and --batch; a server).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "index/document.h"

namespace longtail {

namespace {

std::string str(std::string_view s) {
  std::string out;
  index::append_json_string(out, s);
  return out;
}

// The shortest text that reads back as the same double (std::to_chars): 12345.67 stays 12345.67
// and 1234567.5 stays 1234567.5 (printf's %.6g made them 12345.7 and 1.23457e+06). JSON has no
// NaN or infinity: null.
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "null";
  return std::string(buf, end);
}

// Money in cents: a sum of two prices (199.9 + 8.1) prints 208, not 208.00000000000003.
std::string money(double v) { return std::isfinite(v) ? num(std::round(v * 100.0) / 100.0) : "null"; }

std::string strings_json(const std::vector<std::string>& v) {
  std::string o = "[";
  for (size_t i = 0; i < v.size(); ++i) o += (i ? "," : "") + str(v[i]);
  return o + "]";
}

std::string variants_json(const std::vector<Variant>& list) {
  std::string o = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& v = list[i];
    o += (i ? "," : "") + std::string("{\"sku_id\":") + str(v.sku_id) + ",\"attrs\":{";
    for (size_t k = 0; k < v.attrs.size(); ++k) o += (k ? "," : "") + str(v.attrs[k].first) + ":" + str(v.attrs[k].second);
    o += std::string("},\"matched\":") + (v.matched ? "true" : "false") + "}";
  }
  return o + "]";
}

std::string explain_json(const Explanation& e) {
  std::string o = "{\"coverage\":" + num(e.coverage) + ",\"query_terms\":" + std::to_string(e.query_terms) +
                  ",\"matched_terms\":" + strings_json(e.matched_terms) + ",\"missing_terms\":" + strings_json(e.missing_terms) + ",\"synonyms\":" + strings_json(e.synonyms) +
                  ",\"bm25\":" + num(e.bm25) + ",\"stage1_weight\":" + num(e.stage1_weight) +
                  ",\"stage1_rank\":" + std::to_string(e.stage1_rank) + ",\"signals\":[";
  for (size_t i = 0; i < e.signals.size(); ++i) {
    const auto& s = e.signals[i];
    o += (i ? "," : "") + std::string("{\"name\":") + str(s.name) + ",\"raw\":" + num(s.raw) +
         ",\"normalized\":" + num(s.normalized) + ",\"weight\":" + num(s.weight) +
         ",\"contribution\":" + num(s.contribution) + ",\"detail\":" + str(s.detail) + "}";
  }
  o += "],\"penalties\":[";
  for (size_t i = 0; i < e.penalties.size(); ++i) {
    const auto& p = e.penalties[i];
    o += (i ? "," : "") + std::string("{\"name\":") + str(p.name) + ",\"factor\":" + num(p.factor) +
         ",\"reason\":" + str(p.reason) + "}";
  }
  o += "],\"blend\":" + num(e.blend) + ",\"final_score\":" + num(e.final_score) + ",\"sort\":" + str(e.sort) +
       ",\"profile\":" + str(e.profile) + "}";
  return o;
}

std::string result_json(const SearchResult& r, bool explain) {
  std::string o = "{\"query\":" + str(r.query) +
                  ",\"corrected\":" + (r.corrected.empty() ? std::string("null") : str(r.corrected)) +
                  ",\"corrections\":" + strings_json(r.corrections) + ",\"total_estimated\":" + std::to_string(r.total_estimated) +
                  ",\"relaxed\":" + strings_json(r.relaxed) + ",\"searched_share\":" + num(r.searched_share) + ",\"hits\":[";
  for (size_t i = 0; i < r.hits.size(); ++i) {
    const auto& h = r.hits[i];
    if (i) o += ",";
    o += "{\"rank\":" + std::to_string(h.rank) + ",\"sku_id\":" + str(h.sku_id) + ",\"item_id\":" + str(h.item_id) +
         ",\"shop_id\":" + str(h.shop_id) + ",\"title\":" + str(h.title) + ",\"price\":" + (h.price_known ? money(h.price) : "null") +
         ",\"shipping_fee\":" + money(h.shipping_fee) +
         ",\"effective_price\":" + (h.price_known ? money(h.price + h.shipping_fee) : "null") + ",\"score\":" + num(h.score) +
         ",\"coverage\":" + num(h.coverage) + ",\"variants\":" + std::to_string(h.variants) +
         ",\"category\":" + str(h.category) + ",\"brand\":" + str(h.brand) +
         ",\"variant_list\":" + variants_json(h.variant_list) + ",\"fields\":" + (h.fields.empty() ? std::string("{}") : h.fields);
    if (h.explanation) o += ",\"explain\":" + explain_json(*h.explanation);
    o += "}";
  }
  o += "],\"terms\":" + strings_json(r.terms);
  if (!r.facets.empty()) {
    o += ",\"facets\":[";
    for (size_t i = 0; i < r.facets.size(); ++i) {
      const auto& f = r.facets[i];
      o += (i ? "," : "") + std::string("{\"name\":") + str(f.name) + ",\"exact\":" + (f.exact ? "true" : "false") +
           ",\"values\":[";
      for (size_t k = 0; k < f.values.size(); ++k)
        o += (k ? "," : "") + std::string("{\"value\":") + str(f.values[k].value) +
             ",\"count\":" + std::to_string(f.values[k].count) + "}";
      o += "]}";
    }
    o += "]";
  }
  if (explain)
    o += ",\"candidates\":" + std::to_string(r.candidates) + ",\"stage1_ms\":" + num(r.stage1_ms) +
         ",\"stage2_ms\":" + num(r.stage2_ms);
  if (!r.message.empty()) o += ",\"message\":" + str(r.message);
  o += "}";
  return o;
}

}  // namespace

std::string to_json(const SearchResult& result, bool with_stats) { return result_json(result, with_stats); }

}  // namespace longtail
