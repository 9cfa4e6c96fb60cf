// longtail_json_bench: the cost of writing one search result as JSON, longtail::to_json (the
// project's writer, common/json_writer.h) against nlohmann-json (ordered_json, the same fields in
// the same order, dump() with invalid UTF-8 replaced). A typical page: 10 hits with explanations
// (7 signals, 2 penalties), 3 variants each, 3 facets; titles in Chinese; fixed seed.
//
//   longtail_json_bench [--reps N] [--runs R]     (perf/README.md, "JSON writer")
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include <longtail/longtail.h>

#include "perf/random.h"

using namespace longtail;
using ojson = nlohmann::ordered_json;

namespace {

const char* const kWords[] = {"连衣裙", "女", "夏季", "雪纺", "碎花", "长款", "修身", "显瘦", "新款", "韩版",
                              "纯棉", "短袖", "T恤", "宽松", "百搭", "2025", "ins", "潮牌", "真丝", "法式"};

std::string words(perf::Rng& r, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += kWords[r.below(std::size(kWords))];
  return s;
}

SearchResult typical_result(uint64_t seed) {
  perf::Rng r(seed);
  SearchResult res;
  res.query = "夏季 连衣裙 碎花";
  res.total_estimated = 18234;
  res.terms = {"夏季", "连衣裙", "碎花"};
  res.candidates = 400;
  res.stage1_ms = 3.1 + r.uniform();
  res.stage2_ms = 1.2 + r.uniform();
  for (uint32_t k = 0; k < 10; ++k) {
    Hit h;
    h.rank = k + 1;
    h.sku_id = "s" + std::to_string(r.below(10000000));
    h.item_id = "i" + std::to_string(r.below(1000000));
    h.shop_id = "sh" + std::to_string(r.below(100000));
    h.title = words(r, 8);
    h.category = "女装/连衣裙";
    h.brand = k % 3 ? "ONLY" : "";
    h.price = std::round((20 + 400 * r.uniform()) * 100) / 100;
    h.shipping_fee = k % 2 ? 0 : 8;
    h.score = 1 - 0.05 * k - 0.01 * r.uniform();
    h.coverage = 1 - 0.1 * r.uniform();
    h.variants = 3;
    for (int v = 0; v < 3; ++v)
      h.variant_list.push_back(Variant{"s" + std::to_string(r.below(10000000)), {{"颜色", "红色"}, {"尺码", v ? "M" : "L"}}, v == 0});
    Explanation e;
    e.coverage = h.coverage;
    e.query_terms = 3;
    e.matched_terms = {"夏季", "连衣裙", "碎花"};
    e.bm25 = 10 * r.uniform();
    e.stage1_weight = 20 * r.uniform();
    e.stage1_rank = k + 1 + r.below(10);
    for (const char* name : {"text", "sales", "rating", "shop", "newness", "new_listing", "pref_category"})
      e.signals.push_back(ExplainSignal{name, 100 * r.uniform(), r.uniform(), 0.1 + 0.2 * r.uniform(), 0.1 * r.uniform(),
                                        "sales_30d 120, category reference 6.9"});
    e.penalties.push_back(ExplainPenalty{"integrity", 0.9, "title stuffing"});
    e.penalties.push_back(ExplainPenalty{"diversity", 1, "third hit of shop sh12"});
    e.blend = r.uniform();
    e.final_score = h.score;
    e.sort = "relevance";
    e.profile = "built-in default";
    h.explanation = e;
    res.hits.push_back(std::move(h));
  }
  for (const char* name : {"category", "brand", "price"}) {
    Facet f;
    f.name = name;
    for (int v = 0; v < 8; ++v) f.values.push_back(FacetValue{words(r, 1), 1000 - 100 * uint64_t(v)});
    res.facets.push_back(std::move(f));
  }
  return res;
}

ojson strings(const std::vector<std::string>& v) {
  ojson a = ojson::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}
ojson money(double v) { return std::isfinite(v) ? ojson(std::round(v * 100.0) / 100.0) : ojson(nullptr); }

// The same document as to_json(r, true) with nlohmann-json.
std::string nlohmann_json(const SearchResult& r) {
  ojson o;
  o["query"] = r.query;
  o["corrected"] = r.corrected.empty() ? ojson(nullptr) : ojson(r.corrected);
  o["corrections"] = strings(r.corrections);
  o["total_estimated"] = r.total_estimated;
  o["relaxed"] = strings(r.relaxed);
  o["searched_share"] = r.searched_share;
  ojson hits = ojson::array();
  for (const auto& h : r.hits) {
    ojson j;
    j["rank"] = h.rank;
    j["sku_id"] = h.sku_id;
    j["item_id"] = h.item_id;
    j["shop_id"] = h.shop_id;
    j["title"] = h.title;
    j["price"] = h.price_known ? money(h.price) : ojson(nullptr);
    j["shipping_fee"] = money(h.shipping_fee);
    j["effective_price"] = h.price_known ? money(h.price + h.shipping_fee) : ojson(nullptr);
    j["score"] = h.score;
    j["coverage"] = h.coverage;
    j["variants"] = h.variants;
    j["category"] = h.category;
    j["brand"] = h.brand;
    ojson vl = ojson::array();
    for (const auto& v : h.variant_list) {
      ojson attrs = ojson::object();
      for (const auto& [k, val] : v.attrs) attrs[k] = val;
      vl.push_back(ojson{{"sku_id", v.sku_id}, {"attrs", attrs}, {"matched", v.matched}});
    }
    j["variant_list"] = vl;
    if (h.explanation) {
      const auto& e = *h.explanation;
      ojson x;
      x["coverage"] = e.coverage;
      x["query_terms"] = e.query_terms;
      x["matched_terms"] = strings(e.matched_terms);
      x["missing_terms"] = strings(e.missing_terms);
      x["synonyms"] = strings(e.synonyms);
      x["bm25"] = e.bm25;
      x["stage1_weight"] = e.stage1_weight;
      x["stage1_rank"] = e.stage1_rank;
      ojson sig = ojson::array();
      for (const auto& s : e.signals)
        sig.push_back(ojson{{"name", s.name}, {"raw", s.raw}, {"normalized", s.normalized}, {"weight", s.weight},
                            {"contribution", s.contribution}, {"detail", s.detail}});
      x["signals"] = sig;
      ojson pen = ojson::array();
      for (const auto& p : e.penalties) pen.push_back(ojson{{"name", p.name}, {"factor", p.factor}, {"reason", p.reason}});
      x["penalties"] = pen;
      x["blend"] = e.blend;
      x["final_score"] = e.final_score;
      x["sort"] = e.sort;
      x["profile"] = e.profile;
      j["explain"] = x;
    }
    hits.push_back(std::move(j));
  }
  o["hits"] = std::move(hits);
  o["terms"] = strings(r.terms);
  if (!r.facets.empty()) {
    ojson fs = ojson::array();
    for (const auto& f : r.facets) {
      ojson vals = ojson::array();
      for (const auto& v : f.values) vals.push_back(ojson{{"value", v.value}, {"count", v.count}});
      fs.push_back(ojson{{"name", f.name}, {"exact", f.exact}, {"values", vals}});
    }
    o["facets"] = fs;
  }
  o["candidates"] = r.candidates;
  o["stage1_ms"] = r.stage1_ms;
  o["stage2_ms"] = r.stage2_ms;
  return o.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

template <class F>
double best_ns_per_call(F&& f, int reps, int runs, size_t& bytes) {
  double best = 1e300;
  for (int run = 0; run < runs; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) bytes = f().size();
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / reps;
    best = std::min(best, ns);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 20000, runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
  }
  const SearchResult r = typical_result(42);
  // Both writers must write the same document (parsed back, compared as values).
  const std::string a = to_json(r, true), b = nlohmann_json(r);
  if (ojson::parse(a) != ojson::parse(b)) {
    std::fprintf(stderr, "the two writers disagree:\n%s\n%s\n", a.c_str(), b.c_str());
    return 1;
  }
  size_t bytes_a = 0, bytes_b = 0;
  const double ns_a = best_ns_per_call([&] { return to_json(r, true); }, reps, runs, bytes_a);
  const double ns_b = best_ns_per_call([&] { return nlohmann_json(r); }, reps, runs, bytes_b);
  std::printf("10-hit SearchResult with explanations, %d calls, best of %d runs\n", reps, runs);
  std::printf("%-28s %9.0f ns/result  %7.0f MB/s  %zu bytes\n", "longtail::to_json", ns_a, bytes_a / ns_a * 1e3, bytes_a);
  std::printf("%-28s %9.0f ns/result  %7.0f MB/s  %zu bytes\n", "nlohmann::ordered_json", ns_b, bytes_b / ns_b * 1e3, bytes_b);
  std::printf("nlohmann / longtail: %.2fx\n", ns_b / ns_a);
  return 0;
}
