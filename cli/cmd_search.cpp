#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"

namespace longtail::cli {

namespace {

std::optional<double> parse_num(const std::string& s, const char* what) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !(v >= 0) || v > 1e12)
    throw UsageError(std::string("--price: bad ") + what + " \"" + s + "\" (expected MIN..MAX, e.g. 10..99.5, 10.., ..99)");
  return v;
}

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(path + ": cannot read " + what);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void print_explain_table(const Explanation& e) {
  std::string matched, missing;
  for (const auto& t : e.matched_terms) matched += " " + printable(t);
  for (const auto& t : e.missing_terms) missing += " " + printable(t);
  std::printf("        coverage %.4g of %u terms (matched:%s%s%s)  bm25 %.3f  stage-1 #%u weight %.3f\n", e.coverage,
              e.query_terms, matched.empty() ? " -" : matched.c_str(), missing.empty() ? "" : "; missing:",
              missing.c_str(), e.bm25, e.stage1_rank, e.stage1_weight);
  for (const auto& rule : e.synonyms) std::printf("        synonym       %s\n", printable(rule).c_str());
  for (const auto& s : e.signals)
    std::printf("        %-13s raw %10.4g  norm %6.3f x %5.2f = %6.3f  %s\n", s.name.c_str(), s.raw, s.normalized, s.weight,
                s.contribution, printable(s.detail).c_str());
  for (const auto& p : e.penalties) {
    if (p.factor != 1) std::printf("        %-13s x%.3f  %s\n", p.name.c_str(), p.factor, printable(p.reason).c_str());
    else std::printf("        %-13s %s\n", p.name.c_str(), printable(p.reason).c_str());
  }
  std::printf("        blend %.3f -> score %.4f  (sort %s, profile %s)\n", e.blend, e.final_score, e.sort.c_str(),
              e.profile.c_str());
}

// A variant's attribute values joined by '/' ("红色/M"); its sku_id when it lists none.
std::string variant_label(const Variant& v) {
  std::string o;
  for (const auto& [k, val] : v.attrs) o += (o.empty() ? "" : "/") + val;
  return o.empty() ? v.sku_id : o;
}

// "4 variants (2 match): 红色/S, 红色/M, 黑色/M, …": matching variants first, at most kShown.
std::string variants_line(const Hit& h) {
  constexpr size_t kShown = 4;
  std::string o = std::to_string(h.variant_list.size()) + " variants";
  if (h.variants < h.variant_list.size()) o += " (" + std::to_string(h.variants) + " match)";
  o += ":";
  size_t shown = 0;
  for (bool matched : {true, false})
    for (const auto& v : h.variant_list) {
      if (v.matched != matched) continue;
      if (shown == kShown) return o + ", …";
      o += (shown++ ? ", " : " ") + variant_label(v);
    }
  return o;
}

// The table's price cell: the catalog price, and the shipping fee beside it when there is one
// ("199.00+8.00": the shopper pays the sum, which --price and the price sorts use); "no price"
// when the catalog gives none.
std::string price_cell(const Hit& h) {
  char buf[80];
  if (h.price_known) std::snprintf(buf, sizeof buf, "%.2f", h.price);
  else std::snprintf(buf, sizeof buf, "no price");
  std::string o = buf;
  if (h.shipping_fee != 0) {
    std::snprintf(buf, sizeof buf, "+%.2f", h.shipping_fee);
    o += buf;
  }
  return o;
}

void print_table(const SearchResult& r) {
  if (!r.corrected.empty()) {
    std::printf("showing results for %s (", printable(r.corrected).c_str());
    for (size_t i = 0; i < r.corrections.size(); ++i)
      std::printf("%s%s", i ? "; " : "", printable(r.corrections[i]).c_str());
    std::printf(") because the query as typed, %s, found little\n", printable(r.query).c_str());
  }
  if (!r.message.empty()) std::printf("%s\n", printable(r.message).c_str());
  std::printf("query: %s   ~%llu matches", printable(r.query).c_str(), static_cast<unsigned long long>(r.total_estimated));
  if (!r.relaxed.empty()) {
    std::printf("   relaxed (the first hit lacks):");
    for (const auto& t : r.relaxed) std::printf(" %s", printable(t).c_str());
  }
  if (r.searched_share < 1) std::printf("   broad query: searched the best-prior %.4g%% of the index", 100 * r.searched_share);
  std::printf("\n");
  for (const auto& f : r.facets) {
    std::printf("facet %s%s:", f.name.c_str(), f.exact ? "" : " (over the top candidates)");
    for (const auto& v : f.values) std::printf("  %s (%llu)", printable(v.value).c_str(), static_cast<unsigned long long>(v.count));
    std::printf("\n");
  }
  if (r.hits.empty()) {
    std::printf("no results\n");
    return;
  }
  std::printf("%4s  %-16s %-14s %14s %5s %7s  %s\n", "rank", "sku_id", "shop_id", "price(+fee)", "cov", "score", "title");
  for (const auto& h : r.hits) {
    std::string sku = fit_width(printable(h.sku_id), 16), shop = fit_width(printable(h.shop_id), 14);
    std::printf("%4u  %-16s %-14s %14s %5.3g %7.4f  %s", h.rank, sku.c_str(), shop.c_str(), price_cell(h).c_str(),
                h.coverage, h.score, fit_width(printable(h.title), 60).c_str());
    if (h.variant_list.size() > 1) std::printf("  [%s]", printable(variants_line(h)).c_str());
    std::printf("\n");
    if (h.explanation) print_explain_table(*h.explanation);
  }
}

void print_json(const SearchResult& r, bool explain) { print_json_line(to_json(r, explain)); }

}  // namespace

void register_search(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("search", "Search an index");
  struct Args {
    std::string index;
    std::vector<std::string> words, attrs;
    std::string price, sort = "relevance", user, now;
    SearchRequest req;
    bool json = false, no_collapse = false, no_correct = false, batch = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->index);
  cmd->add_option("query", a->words, "Query text (not with --batch)");
  cmd->add_flag("--batch", a->batch,
                "Read one query a line from stdin (or one JSON request: SearchRequest fields, e.g. "
                "{\"query\":\"连衣裙\",\"limit\":5,\"brands\":[\"优衣库\"]}) and write one JSON result a line, opening the "
                "index once; the other options apply to plain query lines");
  cmd->add_option("--category", a->req.categories, "Category path prefix (repeatable: OR)");
  cmd->add_option("--brand", a->req.brands, "Brand (repeatable: OR)");
  cmd->add_option("--shop", a->req.shops, "Shop id (repeatable: OR)");
  cmd->add_option("--attr", a->attrs, "Attribute K=V (repeatable: OR within a key, AND across keys)");
  cmd->add_option("--price", a->price, "Effective price range MIN..MAX (price + shipping fee)");
  cmd->add_option("-n,--limit", a->req.limit, "Hits per page")->check(CLI::Range(1, 1000));
  cmd->add_option("--offset", a->req.offset, "Hits to skip");
  cmd->add_flag("--no-collapse", a->no_collapse, "Show every matching SKU, not one per item");
  cmd->add_option("--sort", a->sort, "relevance (default), sales, newness, price-asc, price-desc, rating");
  cmd->add_option("--facets", a->req.facets, "Facet counts over items: category,brand,price")->delimiter(',');
  cmd->add_flag("--explain", a->req.explain, "Explain every hit: coverage, signals, weights, penalties, score");
  cmd->add_flag("--no-correct", a->no_correct,
                "Search the query as typed only (default: when it finds little, also try pinyin, typo and homophone "
                "corrections toward the catalog's words, and show the better)");
  cmd->add_option("--user", a->user, "Shopper preferences (JSON: categories, brands, price_band)")->check(CLI::ExistingFile);
  add_now_option(*cmd, a->now);
  add_profile_option(*cmd, a->req.profile);
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    if (a->batch && !a->words.empty()) throw UsageError("search: --batch reads the queries from stdin; give no query");
    if (!a->batch && a->words.empty()) throw UsageError("search: give a query (or --batch to read queries from stdin)");
    for (size_t i = 0; i < a->words.size(); ++i) a->req.query += (i ? " " : "") + a->words[i];
    for (const auto& kv : a->attrs) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size())
        throw UsageError("--attr: expected K=V, got \"" + kv + "\"");
      a->req.attrs.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    if (!a->price.empty()) {
      auto dots = a->price.find("..");
      if (dots == std::string::npos) throw UsageError("--price: expected MIN..MAX, got \"" + a->price + "\"");
      a->req.price_min = parse_num(a->price.substr(0, dots), "minimum");
      a->req.price_max = parse_num(a->price.substr(dots + 2), "maximum");
    }
    a->req.sort = parse_sort_order(a->sort);
    if (!a->now.empty()) a->req.now = parse_time_option(a->now, "--now");
    if (!a->user.empty()) {
      try {
        a->req.user = UserPreferences::from_json(read_file(a->user, "user preferences"));
      } catch (const UsageError& e) {
        throw UsageError(a->user + ": " + e.what());
      }
    }
    a->req.collapse = !a->no_collapse;
    a->req.correct = !a->no_correct;
    Searcher s(a->index);
    if (a->batch) {
      // One result line per input line, in order; a query refused (UsageError) gets an error
      // line and the batch goes on.
      std::string line;
      for (bool first = true; std::getline(std::cin, line); first = false) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a byte-order mark
        try {
          // A JSON object is a whole request (SearchRequest::from_json; the options above do
          // not apply to it); any other line is the query text.
          const size_t b = line.find_first_not_of(" \t");
          SearchRequest req = a->req;
          if (b != std::string::npos && line[b] == '{') {
            req = SearchRequest::from_json(line);
          } else {
            req.query = line;
          }
          print_json(s.search(req), req.explain);
        } catch (const UsageError& e) {
          std::string o;
          json::Writer(o).object().field("query", line).field("error", e.what()).end();
          print_json_line(std::move(o));
        }
        std::fflush(stdout);
      }
      rc = 0;
      return;
    }
    SearchResult r = s.search(a->req);
    if (a->json) print_json(r, a->req.explain);
    else print_table(r);
    rc = 0;
  });
}

}  // namespace longtail::cli
