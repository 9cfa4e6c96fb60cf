// The detectors' entry points: a title's verdict (brand and hot-word stuffing, category misrepresentation,
// title length, advertisement: one file each under index/detectors/) and the values' (shipping-fee games, sham sales, duplicates, shop).
// docs/integrity.md, "Detectors".
#include "index/integrity_model.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <longtail/longtail.h>

namespace longtail::index {

TitleVerdict IntegrityModel::Impl::assess_title(const SkuRecord& r) const {
  TitleContext x(r);
  x.toks = an().analyze(r.title, analysis::Mode::Query);
  x.ls = find_leaf(r.category);
  x.plain = an().analyze(r.title, analysis::Mode::Plain);
  x.c = canonical(an(), r.title, &x.plain, &x.owner);
  // The brand field's aliases and their groups, kept per thread for this model (a few thousand
  // brands; a brand's listings come together).
  struct BrandAliases {
    std::vector<std::string> aliases;
    std::unordered_set<uint32_t> groups;
  };
  thread_local uint64_t brand_model = 0;
  thread_local std::unordered_map<std::string, BrandAliases> brand_cache;
  if (brand_model != instance_id || brand_cache.size() > 4096) {
    brand_cache.clear();
    brand_model = instance_id;
  }
  auto [brand_it, fresh] = brand_cache.try_emplace(r.brand);
  if (fresh)
    for (const auto& a : analysis::LexiconLearner::split_brand(r.brand)) {
      std::string ca = canonical(an(), a);
      if (ca.empty() || names_no_brand(ca)) continue;
      brand_it->second.aliases.push_back(ca);
      auto it = aliases.find(ca);
      if (it != aliases.end()) brand_it->second.groups.insert(it->second.group);
    }
  x.own_aliases = brand_it->second.aliases;
  x.own_groups = brand_it->second.groups;
  // A title that says it fits something anywhere: repeated brand names there list the models it
  // fits (the repetition test of hotword_stuffing).
  x.compat_title = is_compat_title(x.c);
  TitleVerdict v;
  for (auto detect : kTitleDetectors) (this->*detect)(x, v);
  return v;
}

IntegrityVerdict IntegrityModel::Impl::assess(const SkuRecord& r) const {
  if (!finished) throw UsageError("integrity: assess() before finish()");
  IntegrityVerdict v;
  {
    // Variants share a title: keep the last title's verdict per thread. The model is named by
    // a process-unique id, not its address: a model built where a freed one lived must not
    // see the old one's verdicts.
    thread_local uint64_t cache_model = 0;
    thread_local std::string cache_key;
    thread_local TitleVerdict cache;
    std::string key = r.item_id + '\x1f' + r.category + '\x1f' + r.brand + '\x1f' + r.title;
    if (cache_model != instance_id || cache_key != key) {
      cache = assess_title(r);
      cache_model = instance_id;
      cache_key = std::move(key);
    }
    v.reasons = cache.reasons;
    v.stuffed = cache.stuffed;
    v.repeated = cache.repeated;
  }
  assess_values(r, v);
  return v;
}

IntegrityVerdict IntegrityModel::Impl::reassess(const SkuRecord& r, const IntegrityVerdict& stored) const {
  if (!finished) throw UsageError("integrity: reassess() before finish()");
  IntegrityVerdict v;
  for (const auto& reason : stored.reasons)
    if (title_reason(reason.name)) v.reasons.push_back(reason);
  assess_values(r, v);
  return v;
}

void IntegrityModel::Impl::assess_values(const SkuRecord& r, IntegrityVerdict& v) const {
  // --- price/shipping games ---
  if (r.shipping_fee >= t.fee_min && r.effective_price() > 0) {
    const LeafStats* ls = find_leaf(r.category);
    double q90 = ls ? ls->fee_q90 : 0;
    double share = r.price / r.effective_price();
    if (r.shipping_fee > t.fee_leaf_factor * q90 && share <= t.fee_max_price_share) {
      IntegrityReason reason;
      reason.name = "shipping_fee_game";
      reason.score = 1 - share;
      reason.penalty = 1 - (1 - t.fee_penalty) * std::clamp((1 - share - (1 - t.fee_max_price_share)) / t.fee_max_price_share + 0.5, 0.5, 1.0);
      reason.explanation = "price " + fmt(r.price, "%.2f") + " + shipping fee " + fmt(r.shipping_fee, "%.2f") +
                           ": the fee is " + fmt(100 * (1 - share), "%.0f") + "% of what the buyer pays; " +
                           (q90 > 0 ? "fees in this category are at most " + fmt(q90, "%.0f") + " (90th percentile)"
                                    : std::string("listings in this category ship free"));
      v.reasons.push_back(std::move(reason));
    }
  }
  const uint64_t item = term_hash(r.item_id), shop = term_hash(r.shop_id);
  // --- sham sales ---
  if (auto it = sham.find(item); it != sham.end()) {
    v.sales_trust = it->second.trust;
    IntegrityReason reason;
    reason.name = "sham_sales";
    reason.score = 1 - it->second.trust;
    reason.penalty = 1;  // the sales signal is damped through sales_trust instead
    reason.explanation = it->second.explanation;
    v.reasons.push_back(std::move(reason));
  }
  // --- duplicates ---
  if (const DupMembership* m = dups ? dups->find(item) : nullptr) add_duplicate(v, *m);
  // --- shop ---
  if (auto it = shops.find(shop); it != shops.end()) {
    v.shop_violations = it->second.violations;
    v.shop_blocked = it->second.blocked;
    uint32_t groups = it->second.dup_groups;
    if (groups >= t.shop_dup_groups && double(groups) >= t.shop_dup_share * double(std::max<uint64_t>(1, it->second.items)))
      v.shop_penalty = t.shop_dup_penalty;
  }
  set_penalty(v);
}

}  // namespace longtail::index
