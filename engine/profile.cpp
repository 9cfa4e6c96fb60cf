#include "engine/profile.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include <longtail/longtail.h>

#include "index/build_profile.h"
#include "index/profile_toml.h"
#include "engine/default_profile.h"  // generated from profiles/default.toml: kDefaultProfileToml

namespace longtail::engine {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One key of the profile: where it goes and what it accepts.
struct KeyDef {
  enum Kind { Num, Int, Bool, NumList } kind;
  double lo, hi;
  std::function<void(RankingProfile&, const toml::node&)> set;
};

using Defs = std::map<std::string, KeyDef>;  // "table.key" -> definition

KeyDef num(double RankingProfile::*f, double lo, double hi) {
  return {KeyDef::Num, lo, hi, [f](RankingProfile& p, const toml::node& n) { p.*f = *n.value<double>(); }};
}
KeyDef count(uint32_t RankingProfile::*f, double lo, double hi) {
  return {KeyDef::Int, lo, hi, [f](RankingProfile& p, const toml::node& n) { p.*f = uint32_t(*n.value<int64_t>()); }};
}
KeyDef flag(bool RankingProfile::*f) {
  return {KeyDef::Bool, 0, 1, [f](RankingProfile& p, const toml::node& n) { p.*f = *n.value<bool>(); }};
}

const Defs& defs() {
  using P = RankingProfile;
  static const Defs d = {
      {"stage1.candidates", count(&P::candidates, 10, 100000)},
      {"stage1.prior_weight", num(&P::prior_weight, 0, 1000)},
      {"stage1.max_query_terms", count(&P::max_query_terms, 1, 32)},
      {"stage1.tier_matches", count(&P::tier_matches, 0, 1e9)},
      {"stage1.tier_candidates", count(&P::tier_candidates, 10, 100000)},
      {"stage1.partial_candidates", count(&P::partial_candidates, 10, 100000)},
      {"bm25.k1", num(&P::bm25_k1, 0, 100)},
      {"bm25.k2", num(&P::bm25_k2, 0, 100)},
      {"bm25.k3", num(&P::bm25_k3, 0, 100)},
      {"bm25.b", num(&P::bm25_b, 0, 1)},
      {"bm25.min_normlen", num(&P::bm25_min_normlen, 0, 100)},
      {"blend.text_weight", num(&P::text_weight, 0, 1000)},
      {"blend.sales_weight", num(&P::sales_weight, 0, 1000)},
      {"blend.rating_weight", num(&P::rating_weight, 0, 1000)},
      {"blend.shop_weight", num(&P::shop_weight, 0, 1000)},
      {"blend.newness_weight", num(&P::newness_weight, 0, 1000)},
      {"blend.newness_half_life_days", num(&P::newness_half_life_days, 0.01, 1e6)},
      {"new_listing.boost", num(&P::new_listing_boost, 0, 1000)},
      {"new_listing.days", num(&P::new_listing_days, 0, 1e5)},
      {"new_listing.max_sales", num(&P::new_listing_max_sales, 0, 1e12)},
      {"preferences.category_weight", num(&P::pref_category_weight, 0, 1000)},
      {"preferences.brand_weight", num(&P::pref_brand_weight, 0, 1000)},
      {"preferences.price_weight", num(&P::pref_price_weight, 0, 1000)},
      {"preferences.price_tolerance", num(&P::pref_price_tolerance, 0.001, 100)},
      {"relax.min_items", count(&P::relax_min_items, 0, 100000)},
      {"match.require_product", flag(&P::require_product)},
      {"match.product_weight", num(&P::match_product_weight, 0.01, 100)},
      {"match.modifier_weight", num(&P::match_modifier_weight, 0.01, 100)},
      {"match.idf_power", num(&P::match_idf_power, 0, 10)},
      {"match.coverage_power", num(&P::match_coverage_power, 0, 10)},
      {"match.bm25_share", num(&P::match_bm25_share, 0, 1)},
      {"match.max_part_share", num(&P::max_part_share, 0, 1)},
      {"match.rerank_depth", count(&P::rerank_depth, 0, 1000)},
      {"match.surface_weight", num(&P::surface_weight, 0, 100)},
      {"relax.max_parts", count(&P::relax_max_parts, 1, 5)},
      {"diversity.shop_per_page", count(&P::shop_per_page, 0, 1000)},
      {"diversity.cross_shop_per_page", count(&P::cross_shop_per_page, 0, 1000)},
      {"diversity.min_score_ratio", num(&P::diversity_min_score_ratio, 0, 1)},
      {"integrity.max_violations", num(&P::max_violations, 0, 1e12)},
      {"integrity.remove_blocked", flag(&P::remove_blocked)},
      {"integrity.sort_demote_below", num(&P::sort_demote_below, 0, 1)},
      {"facets.price_bands",
       {KeyDef::NumList, 0, 1e12,
        [](RankingProfile& p, const toml::node& n) {
          p.price_bands.clear();
          for (const auto& e : *n.as_array()) p.price_bands.push_back(*e.value<double>());
        }}},
      {"facets.max_values", count(&P::facet_max_values, 1, 10000)},
  };
  return d;
}

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

void apply(RankingProfile& p, const toml::table& root, const std::string& source) {
  auto fail = [&](const std::string& key, const std::string& why) {
    throw UsageError(source + ": " + key + ": " + why);
  };
  for (const auto& [tk, tv] : root) {
    std::string table(tk.str());
    const toml::table* t = tv.as_table();
    if (!t) fail(table, "expected a [table] (see profiles/default.toml)");
    if (table == "build") continue;  // build-time constants: index::read_build_tables
    for (const auto& [kk, kv] : *t) {
      std::string key = table + "." + std::string(kk.str());
      auto it = defs().find(key);
      if (it == defs().end() && table != "integrity") fail(key, "unknown key (see profiles/default.toml for the keys)");
      if (it == defs().end()) continue;  // a detector threshold: index::read_build_tables
      const KeyDef& d = it->second;
      auto check_num = [&](const toml::node& n) -> double {
        std::optional<double> v = n.value<double>();  // integers convert too
        if (!v || n.is_boolean()) fail(key, "expected a number");
        if (!std::isfinite(*v) || *v < d.lo || *v > d.hi)
          fail(key, fmt(*v) + " is out of range [" + fmt(d.lo) + ", " + fmt(d.hi) + "]");
        return *v;
      };
      switch (d.kind) {
        case KeyDef::Num: check_num(kv); break;
        case KeyDef::Int: {
          if (!kv.is_integer()) fail(key, "expected an integer");
          check_num(kv);
          break;
        }
        case KeyDef::Bool:
          if (!kv.is_boolean()) fail(key, "expected true or false");
          break;
        case KeyDef::NumList: {
          const toml::array* a = kv.as_array();
          if (!a || a->empty()) fail(key, "expected a non-empty array of numbers");
          double prev = -kInf;
          for (const auto& e : *a) {
            double v = check_num(e);
            if (v <= prev) fail(key, "values must be ascending");
            prev = v;
          }
          break;
        }
      }
      d.set(p, kv);
    }
  }
}

}  // namespace

double RankingProfile::max_blend() const {
  return text_weight + sales_weight + rating_weight + shop_weight + newness_weight + new_listing_boost +
         pref_category_weight + pref_brand_weight + pref_price_weight;
}

std::string_view default_profile_toml() { return kDefaultProfileToml; }

RankingProfile parse_profile(std::string_view text, const std::string& source) {
  const toml::table root = index::parse_profile_toml(text, source);
  RankingProfile p = source == "built-in default" ? RankingProfile{} : *default_profile();
  p.source = source;
  apply(p, root, source);
  // The build tables ([build], the detector thresholds of [integrity]) have one reader.
  const index::BuildProfile bp = index::read_build_tables(root, source);
  p.build = bp.signals;
  p.detectors = bp.integrity;
  if (p.max_blend() <= 0) throw UsageError(source + ": every [blend] weight is 0");
  return p;
}

std::shared_ptr<const RankingProfile> default_profile() {
  static const std::shared_ptr<const RankingProfile> p =
      std::make_shared<const RankingProfile>(parse_profile(kDefaultProfileToml, "built-in default"));
  return p;
}

RankingProfile load_profile_file(const std::string& path) { return parse_profile(index::read_profile_file_text(path), path); }

}  // namespace longtail::engine
