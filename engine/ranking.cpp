#include "engine/ranking.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include <simdjson.h>

#include "analyzers/analyzer.h"
#include "index/catalog.h"
#include "format/document.h"

namespace longtail::engine {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string fmt_date(int64_t t) { return t > 0 ? index::format_iso_time(t).substr(0, 10) : "unknown"; }

using PrefList = std::vector<std::pair<std::string, double>>;

// The weight of the longest preferred category prefix of `cat` (0 if none), and which.
double category_pref(const PrefList& p, const std::string& cat, std::string* which) {
  size_t best_len = 0;
  double w = 0;
  for (const auto& [prefix, weight] : p) {
    if (prefix.empty() || prefix.size() < best_len) continue;
    bool match = cat == prefix || (cat.size() > prefix.size() && cat.compare(0, prefix.size(), prefix) == 0 &&
                                   cat[prefix.size()] == '/');
    if (match) {
      best_len = prefix.size();
      w = weight;
      if (which) *which = prefix;
    }
  }
  return w;
}

// Brand fields may list aliases: "CHANDO/自然堂".
double brand_pref(const PrefList& p, const std::string& brand_key, std::string* which) {
  if (brand_key.empty()) return 0;
  std::vector<std::string_view> aliases;
  std::string_view b(brand_key);
  size_t start = 0;
  while (start <= b.size()) {
    size_t slash = b.find('/', start);
    if (slash == std::string_view::npos) slash = b.size();
    if (slash > start) aliases.push_back(b.substr(start, slash - start));
    start = slash + 1;
  }
  aliases.push_back(b);
  for (const auto& [name, weight] : p)
    for (auto a : aliases)
      if (a == name) {
        if (which) *which = name;
        return weight;
      }
  return 0;
}

}  // namespace

void prepare_preferences(RankContext& ctx) {
  ctx.pref_categories.clear();
  ctx.pref_brands.clear();
  if (!ctx.user) return;
  auto norm = [&](const std::string& s) { return ctx.analyzer ? index::filter_key(*ctx.analyzer, s) : s; };
  for (const auto& [k, w] : ctx.user->categories) ctx.pref_categories.emplace_back(norm(k), std::clamp(w, -1.0, 1.0));
  for (const auto& [k, w] : ctx.user->brands) ctx.pref_brands.emplace_back(norm(k), std::clamp(w, -1.0, 1.0));
}

double surface_match(std::string_view text, std::string_view title) {
  // Units: each non-ASCII character, and each run of ASCII letters and digits as one (a model
  // number or a year is one unit, not four); other ASCII (spaces, punctuation) is skipped.
  auto alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  std::vector<std::string_view> chars;
  for (size_t i = 0; i < text.size();) {
    size_t j = i + 1;
    if (alnum(text[i])) {
      while (j < text.size() && alnum(text[j])) ++j;
    } else {
      while (j < text.size() && (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80) ++j;
    }
    if (j > i + 1 || alnum(text[i]) || static_cast<unsigned char>(text[i]) >= 0x80) chars.push_back(text.substr(i, j - i));
    i = j;
  }
  if (chars.empty()) return 0;
  size_t got1 = 0, got2 = 0;
  std::string pair;
  for (size_t i = 0; i < chars.size(); ++i) {
    got1 += title.find(chars[i]) != std::string_view::npos;
    if (i + 1 < chars.size()) {
      pair.assign(chars[i]).append(chars[i + 1]);
      got2 += title.find(pair) != std::string_view::npos;
    }
  }
  const double s1 = double(got1) / double(chars.size());
  const double s2 = chars.size() < 2 ? s1 : double(got2) / double(chars.size() - 1);
  return 0.5 * (s1 + s2);
}

double coverage_unit(const RankingProfile& p) {
  // Xapian's BM25 term weight is at most (k1 + 1) * ln(2N) (about 21 (k1 + 1) for a billion
  // documents) plus k2 per query term; with at most 32 counted terms and a few soft ones the
  // sum stays well below this unit.
  return 1000.0 * (1.0 + p.bm25_k1) + 100.0 * p.bm25_k2 + 1000.0;
}

void score_candidate(Candidate& c, const RankContext& ctx, Explanation* ex) {
  const RankingProfile& p = *ctx.profile;
  // `detail` is only evaluated when explaining: scoring 1,000 candidates formats no strings.
  // Relevance first: every signal but text is scaled by the text relevance, so sales, ratings,
  // shop, newness and preferences reorder listings that match the query alike and cannot lift a
  // loose match over a close one by more than their share of the blend.
  const double gate = std::clamp(c.text, 0.0, 1.0);
  auto add = [&](const char* name, double raw, double norm, double weight, auto&& detail) {
    const bool text = std::string_view(name) == "text";
    norm *= text ? 1.0 : gate;  // as explained: the signal already scaled by the text relevance
    double contrib = norm * weight;
    if (ex) ex->signals.push_back(ExplainSignal{name, raw, norm, weight, contrib, text ? detail() : detail() + " (x text relevance)"});
    return contrib;
  };
  double blend = 0;
  blend += add("text", c.coverage, c.text, p.text_weight, [&] {
    return "weighted coverage " + fmt("%.3f", c.coverage) + "^" + fmt("%g", p.match_coverage_power) + " x (" +
           fmt("%g", 1 - p.match_bm25_share) + " + " + fmt("%g", p.match_bm25_share) + " x BM25 " + fmt("%.3f", c.bm25) +
           " / best BM25)";
  });
  double trust = std::clamp(c.sales_trust, 0.0, 1.0);
  blend += add("sales", c.sales_30d, c.sales_signal * trust, p.sales_weight, [&] {
    return "sales_30d " + fmt("%.0f", c.sales_30d) + ", category-relative damped sales " + fmt("%.3f", c.sales_signal) +
           (trust < 1 ? " x sales trust " + fmt("%.2f", trust) : "");
  });
  blend += add("rating", c.reviews > 0 ? c.good_reviews / c.reviews : 0, c.rating_signal, p.rating_weight, [&] {
    return fmt("%.0f", c.good_reviews) + " good of " + fmt("%.0f", c.reviews) + " reviews, Wilson lower bound";
  });
  blend += add("shop", c.shop_signal, c.shop_signal, p.shop_weight, [&] {
    std::string d = "shop " + c.shop;
    if (!ctx.shops) return d;
    auto it = ctx.shops->find(c.shop);
    if (it == ctx.shops->end()) return d + ": no shop record (neutral 0.5)";
    const auto& s = it->second;
    char buf[200];
    std::snprintf(buf, sizeof buf, ": DSR %.2f/%.2f/%.2f/%.2f on %lld ratings, %lld violations", s.dsr_description,
                  s.dsr_service, s.dsr_shipping, s.dsr_delivery, static_cast<long long>(s.ratings_6m),
                  static_cast<long long>(s.violations));
    return d + buf;
  });
  double age_days = c.listed_at > 0 ? std::max(0.0, double(ctx.now - c.listed_at) / 86400.0) : -1;
  double newness = age_days >= 0 ? std::exp2(-age_days / p.newness_half_life_days) : 0;
  blend += add("newness", age_days, newness, p.newness_weight, [&] {
    return age_days >= 0 ? "listed " + fmt_date(c.listed_at) + ", " + fmt("%.0f", age_days) + " days before now, half-life " +
                               fmt("%.0f", p.newness_half_life_days) + " days"
                         : std::string("listing date unknown");
  });
  double fresh = 0;
  if (age_days >= 0 && p.new_listing_days > 0 && c.sales_30d <= p.new_listing_max_sales)
    fresh = std::max(0.0, 1.0 - age_days / p.new_listing_days);
  blend += add("new_listing", age_days, fresh, p.new_listing_boost, [&] {
    return fresh > 0 ? "new listing without sales: boost fades to 0 at " + fmt("%.0f", p.new_listing_days) + " days"
                     : "no boost (older than " + fmt("%.0f", p.new_listing_days) + " days or has sales)";
  });
  if (ctx.user && !ctx.user->empty()) {
    std::string which_cat, which_brand;
    if (!ctx.pref_categories.empty()) {
      std::string cat_key = ctx.analyzer ? index::filter_key(*ctx.analyzer, c.category) : c.category;
      double wc = category_pref(ctx.pref_categories, cat_key, &which_cat);
      blend += add("pref_category", wc, wc, p.pref_category_weight, [&] {
        return wc != 0 ? "category " + c.category + " matches preferred " + which_cat : std::string("category not in preferences");
      });
    }
    if (!ctx.pref_brands.empty()) {
      std::string brand_key = ctx.analyzer ? index::filter_key(*ctx.analyzer, c.brand) : c.brand;
      double wb = brand_pref(ctx.pref_brands, brand_key, &which_brand);
      blend += add("pref_brand", wb, wb, p.pref_brand_weight, [&] {
        return wb != 0 ? "brand " + c.brand + " matches preferred " + which_brand : std::string("brand not in preferences");
      });
    }
    if ((ctx.user->price_min || ctx.user->price_max) && c.price_known) {  // no price: no evidence either way
      double lo = ctx.user->price_min.value_or(0), hi = ctx.user->price_max.value_or(1e18);
      double price = std::max(c.effective_price, 0.01);
      double d = price < lo ? std::log(lo / price) : price > hi ? std::log(price / hi) : 0;
      double fit = std::exp(-d / p.pref_price_tolerance);
      blend += add("pref_price", c.effective_price, fit, p.pref_price_weight, [&] {
        return d == 0 ? std::string("price in the usual band")
                      : "price " + fmt("%.2f", c.effective_price) + " outside the usual band";
      });
    }
  }
  c.blend = blend;
  double pen = std::clamp(c.penalty, 1e-9, 1.0), shop_pen = std::clamp(c.shop_penalty, 1e-9, 1.0);
  c.integrity = pen * shop_pen;
  c.score = c.integrity * std::max(0.0, blend) / p.max_blend();
  if (ex) {
    ex->blend = blend;
    ex->final_score = c.score;
    if (pen < 1) ex->penalties.push_back({"integrity", pen, "listing integrity penalty (reasons below)"});
    if (shop_pen < 1) ex->penalties.push_back({"shop_penalty", shop_pen, "shop-level integrity penalty"});
    if (trust < 1)
      ex->penalties.push_back({"sales_trust", trust, "sales not fully trusted (sales out of line with reviews): sales signal damped"});
  }
}

Ranked rank_candidates(std::vector<Candidate> cands, const RankContext& ctx) {
  const RankingProfile& p = *ctx.profile;
  Ranked out;
  const double unit = coverage_unit(p);

  // Removals: blocked shops and shops over the violation limit (their listings stay indexed).
  std::vector<Candidate> kept;
  kept.reserve(cands.size());
  for (auto& c : cands) {
    bool blocked = false;
    double violations = 0;
    const index::ShopRecord* rec = nullptr;
    if (ctx.shops) {
      auto it = ctx.shops->find(c.shop);
      if (it != ctx.shops->end()) rec = &it->second;
    }
    // The shop table is reloaded with the index (updates change it), so it wins over the copies
    // in slots 25/26 written when the listing was indexed.
    blocked = rec ? rec->blocked : c.shop_blocked.value_or(false);
    violations = rec ? double(rec->violations) : c.shop_violations.value_or(0.0);
    if ((p.remove_blocked && blocked) || violations > p.max_violations) {
      ++out.removed;
      continue;
    }
    double rest = c.weight - p.prior_weight * (c.stage1_prior >= 0 ? c.stage1_prior : c.prior);
    c.cov_units = std::max<int64_t>(0, int64_t(std::floor(rest / unit + 1e-9)));
    c.bm25 = std::max(0.0, rest - double(c.cov_units) * unit);
    kept.push_back(std::move(c));
  }

  // Text relevance: weighted coverage, shaded by BM25 relative to the best candidate's.
  double best = 0;
  for (const auto& c : kept) best = std::max(best, c.bm25);
  for (auto& c : kept) {
    c.coverage = ctx.total_units > 0 ? std::min(1.0, double(c.cov_units) / double(ctx.total_units)) : 1.0;
    const double b = best > 0 ? c.bm25 / best : 1.0;
    c.text = std::pow(c.coverage, p.match_coverage_power) * ((1.0 - p.match_bm25_share) + p.match_bm25_share * b);
    score_candidate(c, ctx, nullptr);
  }

  // Order.
  if (ctx.sort == SortOrder::Relevance) {
    auto by_score = [](const Candidate& a, const Candidate& b) {
      if (a.score != b.score) return a.score > b.score;
      return a.sku < b.sku;
    };
    std::sort(kept.begin(), kept.end(), by_score);
    // Rerank (docs/ranking.md, "Surface rerank"): the best rerank_depth candidates are reordered
    // by score / best score + surface_weight x surface x integrity, rescaled into [0, best score]
    // (an integrity penalty scales the surface part too: it multiplies the whole score); the
    // others keep their places below them.
    const size_t depth = std::min<size_t>(kept.size(), p.rerank_depth);
    if (ctx.surface && p.surface_weight > 0 && depth > 1 && kept.front().score > 0) {
      const double top = kept.front().score, w = p.surface_weight;
      for (size_t i = 0; i < depth; ++i) {
        Candidate& c = kept[i];
        c.surface = std::clamp(ctx.surface(c), 0.0, 1.0);
        c.score = top * (c.score / top + w * c.surface * c.integrity) / (1.0 + w);
      }
      std::sort(kept.begin(), kept.begin() + long(depth), by_score);
    }
  } else {
    bool asc = ctx.sort == SortOrder::PriceAsc;
    for (auto& c : kept) {
      c.sort_demoted = c.integrity < p.sort_demote_below;
      switch (ctx.sort) {
        case SortOrder::Sales: c.sort_key = c.sales_30d * std::clamp(c.sales_trust, 0.0, 1.0); break;
        case SortOrder::Newness: c.sort_key = double(c.listed_at); break;
        case SortOrder::PriceAsc:
        case SortOrder::PriceDesc:  // a listing without a price sorts last either way
          c.sort_key = c.price_known ? c.effective_price : asc ? HUGE_VAL : -HUGE_VAL;
          break;
        case SortOrder::Rating: c.sort_key = c.rating_signal; break;
        case SortOrder::Relevance: break;
      }
      if (c.sort_demoted)
        c.moves.push_back({"sort_demotion", 1,
                           "integrity factor " + fmt("%.2f", c.integrity) + " below " + fmt("%.2f", p.sort_demote_below) +
                               ": listed after the listings without integrity problems"});
    }
    std::sort(kept.begin(), kept.end(), [asc](const Candidate& a, const Candidate& b) {
      int64_t ta = a.cov_units / kUnitsPerTerm, tb = b.cov_units / kUnitsPerTerm;
      if (ta != tb) return ta > tb;
      if (a.sort_demoted != b.sort_demoted) return !a.sort_demoted;
      if (a.sort_key != b.sort_key) return asc ? a.sort_key < b.sort_key : a.sort_key > b.sort_key;
      return a.sku < b.sku;
    });
  }

  // Same-shop duplicate clusters: only the best-placed listing keeps its place; the others go
  // below every listing that is not such a duplicate, however short the result list (a shop's
  // re-listings never take a place another listing could fill).
  size_t boundary = 0;
  std::vector<bool> dup_demoted;
  {
    std::unordered_map<std::string, std::string> first_of;  // cluster -> sku of its best listing
    std::vector<Candidate> stay, demoted;
    for (auto& c : kept) {
      if (c.dup_kind == "S" && !c.dup_cluster.empty()) {
        auto [it, fresh] = first_of.emplace(c.dup_cluster, c.sku);
        if (!fresh) {
          c.moves.push_back({"duplicate", 1,
                             "same-shop duplicate of " + it->second + " (cluster " + c.dup_cluster +
                                 "): moved below every listing that is not a duplicate"});
          demoted.push_back(std::move(c));
          continue;
        }
      }
      stay.push_back(std::move(c));
    }
    boundary = stay.size();
    kept = std::move(stay);
    dup_demoted.assign(kept.size(), false);
    for (auto& c : demoted) {
      kept.push_back(std::move(c));
      dup_demoted.push_back(true);
    }
  }

  // Diversity (relevance only): per page, at most shop_per_page hits of a shop and
  // cross_shop_per_page of a cross-shop duplicate cluster, when another listing covering the
  // same coverage units can take the place.
  bool diversify = ctx.sort == SortOrder::Relevance && (p.shop_per_page > 0 || p.cross_shop_per_page > 0) && ctx.page_size > 0;
  if (!diversify) {
    out.order = std::move(kept);
    return out;
  }
  const size_t n = kept.size();
  std::vector<bool> used(n, false);
  std::vector<Candidate> result;
  result.reserve(n);
  std::unordered_map<std::string, uint32_t> shop_count, cluster_count;
  size_t first = 0;
  while (result.size() < n) {
    if (result.size() % ctx.page_size == 0) {
      shop_count.clear();
      cluster_count.clear();
    }
    while (first < n && used[first]) ++first;
    if (result.size() >= ctx.needed) {  // positions past the requested page keep their order
      for (size_t j = first; j < n; ++j)
        if (!used[j]) result.push_back(std::move(kept[j]));
      break;
    }
    auto allowed = [&](const Candidate& c) {
      if (p.shop_per_page > 0 && !c.shop.empty() && shop_count[c.shop] >= p.shop_per_page) return false;
      if (p.cross_shop_per_page > 0 && c.dup_kind == "X" && !c.dup_cluster.empty() &&
          cluster_count[c.dup_cluster] >= p.cross_shop_per_page)
        return false;
      return true;
    };
    size_t pick = first;
    if (!allowed(kept[first])) {
      const int64_t tier = kept[first].cov_units;
      for (size_t j = first + 1; j < n; ++j) {
        if (used[j] || kept[j].cov_units != tier) continue;
        if (dup_demoted[j] && result.size() < boundary) continue;
        // Spread, never lift: the replacement must be nearly as good (relevance scores).
        if (kept[j].score < p.diversity_min_score_ratio * kept[first].score) break;
        if (allowed(kept[j])) {
          pick = j;
          break;
        }
      }
      if (pick != first) {
        const Candidate& f = kept[first];
        std::string why = f.dup_kind == "X" && cluster_count[f.dup_cluster] >= p.cross_shop_per_page &&
                                  p.cross_shop_per_page > 0
                              ? "cross-shop duplicate cluster " + f.dup_cluster + " already has " +
                                    std::to_string(p.cross_shop_per_page) + " on this page"
                              : "shop " + f.shop + " already has " + std::to_string(p.shop_per_page) + " hits on this page";
        bool noted = false;
        for (const auto& m : f.moves) noted = noted || m.name == "diversity";
        if (!noted) kept[first].moves.push_back({"diversity", 1, why + ": moved down"});
      }
    }
    Candidate& c = kept[pick];
    used[pick] = true;
    if (!c.shop.empty()) ++shop_count[c.shop];
    if (c.dup_kind == "X" && !c.dup_cluster.empty()) ++cluster_count[c.dup_cluster];
    result.push_back(std::move(c));
  }
  out.order = std::move(result);
  return out;
}

std::vector<ExplainPenalty> integrity_reasons(std::string_view data) {
  std::vector<ExplainPenalty> out;
  if (data.find("\"integrity\"") == std::string_view::npos) return out;
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(data);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc)) return out;
  simdjson::dom::array reasons;
  if (doc["integrity"]["reasons"].get(reasons)) return out;
  for (auto r : reasons) {
    std::string_view name, expl;
    double score = 0, penalty = 1;
    if (r["name"].get(name)) continue;
    if (r["explanation"].get(expl)) expl = "";
    if (r["score"].get(score)) score = 0;
    if (r["penalty"].get(penalty) || !(penalty > 0 && penalty <= 1)) penalty = 1;
    out.push_back({"integrity:" + std::string(name), penalty, std::string(expl) + " (detector score " + fmt("%.3g", score) + ")"});
  }
  return out;
}

std::vector<Facet> count_facets(const std::vector<Candidate>& cands, const std::vector<std::string>& names,
                                const RankingProfile& p, bool exact) {
  std::vector<Facet> out;
  for (const auto& name : names) {
    Facet f;
    f.name = name;
    f.exact = exact;
    if (name == "price") {
      const auto& edges = p.price_bands;
      std::vector<std::unordered_set<std::string>> items(edges.size());
      for (const auto& c : cands) {
        if (!c.price_known) continue;  // no price: in no band
        size_t b = size_t(std::upper_bound(edges.begin(), edges.end(), c.effective_price) - edges.begin());
        if (b == 0) continue;  // below the first edge
        items[b - 1].insert(c.item);
      }
      for (size_t i = 0; i < edges.size(); ++i) {
        if (items[i].empty()) continue;
        std::string label = fmt("%g", edges[i]) + ".." + (i + 1 < edges.size() ? fmt("%g", edges[i + 1]) : "");
        f.values.push_back({label, items[i].size()});
      }
    } else {
      std::map<std::string, std::unordered_set<std::string>> items;
      for (const auto& c : cands) {
        const std::string& v = name == "category" ? c.category : c.brand;
        if (!v.empty()) items[v].insert(c.item);
      }
      for (auto& [v, s] : items) f.values.push_back({v, s.size()});
      std::stable_sort(f.values.begin(), f.values.end(),
                       [](const FacetValue& a, const FacetValue& b) { return a.count > b.count; });
      if (f.values.size() > p.facet_max_values) f.values.resize(p.facet_max_values);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace longtail::engine
