#include <cstdio>
#include <cstdlib>

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

void print_table(const SearchResult& r) {
  if (!r.message.empty()) std::printf("%s\n", r.message.c_str());
  std::printf("query: %s   ~%llu matches", r.query.c_str(), static_cast<unsigned long long>(r.total_estimated));
  if (!r.relaxed.empty()) {
    std::printf("   relaxed (dropped):");
    for (const auto& t : r.relaxed) std::printf(" %s", t.c_str());
  }
  std::printf("\n");
  if (r.hits.empty()) {
    std::printf("no results\n");
    return;
  }
  std::printf("%4s  %-16s %-14s %9s %8s  %s\n", "rank", "sku_id", "shop_id", "price", "score", "title");
  for (const auto& h : r.hits) {
    std::string sku = fit_width(h.sku_id, 16), shop = fit_width(h.shop_id, 14);
    std::printf("%4u  %-16s %-14s %9.2f %8.3f  %s", h.rank, sku.c_str(), shop.c_str(), h.price + h.shipping_fee,
                h.score, fit_width(h.title, 60).c_str());
    if (h.variants > 1) std::printf("  (+%u variants)", h.variants - 1);
    std::printf("\n");
  }
}

void print_json(const SearchResult& r) {
  std::string o = "{\"query\":" + json_str(r.query) + ",\"total_estimated\":" + std::to_string(r.total_estimated) +
                  ",\"relaxed\":[";
  for (size_t i = 0; i < r.relaxed.size(); ++i) o += (i ? "," : "") + json_str(r.relaxed[i]);
  o += "],\"hits\":[";
  for (size_t i = 0; i < r.hits.size(); ++i) {
    const auto& h = r.hits[i];
    if (i) o += ",";
    o += "{\"rank\":" + std::to_string(h.rank) + ",\"sku_id\":" + json_str(h.sku_id) + ",\"item_id\":" + json_str(h.item_id) +
         ",\"shop_id\":" + json_str(h.shop_id) + ",\"title\":" + json_str(h.title) + ",\"price\":" + json_num(h.price) +
         ",\"shipping_fee\":" + json_num(h.shipping_fee) + ",\"score\":" + json_num(h.score) +
         ",\"variants\":" + std::to_string(h.variants) + "}";
  }
  o += "]";
  if (!r.message.empty()) o += ",\"message\":" + json_str(r.message);
  o += "}\n";
  std::fwrite(o.data(), 1, o.size(), stdout);
}

}  // namespace

void register_search(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("search", "Search an index");
  struct Args {
    std::string index;
    std::vector<std::string> words, attrs;
    std::string price;
    SearchRequest req;
    bool json = false, no_collapse = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->index);
  cmd->add_option("query", a->words, "Query text")->required();
  cmd->add_option("--category", a->req.categories, "Category path prefix (repeatable: OR)");
  cmd->add_option("--brand", a->req.brands, "Brand (repeatable: OR)");
  cmd->add_option("--shop", a->req.shops, "Shop id (repeatable: OR)");
  cmd->add_option("--attr", a->attrs, "Attribute K=V (repeatable: OR within a key, AND across keys)");
  cmd->add_option("--price", a->price, "Effective price range MIN..MAX (price + shipping fee)");
  cmd->add_option("-n,--limit", a->req.limit, "Hits per page")->check(CLI::Range(1, 1000));
  cmd->add_option("--offset", a->req.offset, "Hits to skip");
  cmd->add_flag("--no-collapse", a->no_collapse, "Show every matching SKU, not one per item");
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
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
    a->req.collapse = !a->no_collapse;
    Searcher s(a->index);
    SearchResult r = s.search(a->req);
    if (a->json) print_json(r);
    else print_table(r);
    rc = 0;
  });
}

}  // namespace longtail::cli
