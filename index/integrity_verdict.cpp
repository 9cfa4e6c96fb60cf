// Listing integrity: detector thresholds (IntegrityThresholds, settable by key) and verdicts
// (IntegrityVerdict: JSON in the stored data, decoded back for updates, explain and audit).
// The detectors are in index/detectors/ (one file per title detector), the model they read in
// index/integrity.cpp, their text rules in index/integrity_text.cpp.
#include "index/integrity.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <simdjson.h>

#include <longtail/longtail.h>

#include "format/document.h"
#include "index/integrity_text.h"
#include "format/layout.h"
#include "common/json_writer.h"

namespace longtail::index {

using integrity_text::fmt;

// ------------------------------------------------------------------------------------------
// Thresholds

namespace {

struct ThresholdKey {
  std::string_view name;
  double IntegrityThresholds::*member;
  double lo, hi;  // inclusive range
};

const ThresholdKey kThresholdKeys[] = {
    {"dup_max_hamming", &IntegrityThresholds::dup_max_hamming, 0, 3},
    {"dup_same_shop_hamming", &IntegrityThresholds::dup_same_shop_hamming, 0, 64},
    {"dup_min_jaccard", &IntegrityThresholds::dup_min_jaccard, 0.01, 1},
    {"dup_price_ratio", &IntegrityThresholds::dup_price_ratio, 1, 100},
    {"shop_dup_groups", &IntegrityThresholds::shop_dup_groups, 1, 1e9},
    {"shop_dup_share", &IntegrityThresholds::shop_dup_share, 0, 1},
    {"shop_dup_penalty", &IntegrityThresholds::shop_dup_penalty, 0.001, 1},
    {"brand_min_items", &IntegrityThresholds::brand_min_items, 1, 1e9},
    {"brand_others_branded", &IntegrityThresholds::brand_others_branded, 1, 100},
    {"brand_others_unbranded", &IntegrityThresholds::brand_others_unbranded, 1, 100},
    {"brand_common_share", &IntegrityThresholds::brand_common_share, 0, 1},
    {"brand_leaf_common_share", &IntegrityThresholds::brand_leaf_common_share, 0, 1},
    {"brand_penalty", &IntegrityThresholds::brand_penalty, 0.001, 1},
    {"term_min_items", &IntegrityThresholds::term_min_items, 1, 1e9},
    {"offcat_max_affinity", &IntegrityThresholds::offcat_max_affinity, 0, 1},
    {"offcat_min_home", &IntegrityThresholds::offcat_min_home, 0, 1},
    {"hotword_min_score", &IntegrityThresholds::hotword_min_score, 0.5, 100},
    {"hotword_penalty", &IntegrityThresholds::hotword_penalty, 0.001, 1},
    {"miscat_min_elsewhere", &IntegrityThresholds::miscat_min_elsewhere, 0, 1},
    {"miscat_max_listed", &IntegrityThresholds::miscat_max_listed, 0, 1},
    {"miscat_min_focus", &IntegrityThresholds::miscat_min_focus, 0, 1},
    {"miscat_penalty", &IntegrityThresholds::miscat_penalty, 0.001, 1},
    {"category_min_items", &IntegrityThresholds::category_min_items, 1, 1e12},
    {"length_quantile", &IntegrityThresholds::length_quantile, 0.5, 1},
    {"length_factor", &IntegrityThresholds::length_factor, 1, 10},
    {"length_min_chars", &IntegrityThresholds::length_min_chars, 1, 10000},
    {"length_penalty", &IntegrityThresholds::length_penalty, 0.001, 1},
    {"fee_min", &IntegrityThresholds::fee_min, 0, 1e9},
    {"fee_leaf_factor", &IntegrityThresholds::fee_leaf_factor, 0, 1000},
    {"fee_max_price_share", &IntegrityThresholds::fee_max_price_share, 0, 1},
    {"fee_penalty", &IntegrityThresholds::fee_penalty, 0.001, 1},
    {"fee_min_leaf_items", &IntegrityThresholds::fee_min_leaf_items, 1, 1e12},
    {"ad_penalty", &IntegrityThresholds::ad_penalty, 0.001, 1},
    {"sham_min_sales", &IntegrityThresholds::sham_min_sales, 1, 1e12},
    {"sham_max_review_rate", &IntegrityThresholds::sham_max_review_rate, 0, 1},
    {"sham_ref_review_rate", &IntegrityThresholds::sham_ref_review_rate, 1e-6, 1},
    {"sham_min_trust", &IntegrityThresholds::sham_min_trust, 0, 1},
    {"sham_shop_factor", &IntegrityThresholds::sham_shop_factor, 1, 1e9},
    {"sham_min_age_days", &IntegrityThresholds::sham_min_age_days, 0, 1e6},
    {"min_penalty", &IntegrityThresholds::min_penalty, 0.001, 1},
};

}  // namespace

void IntegrityThresholds::set(std::string_view key, double value) {
  for (const auto& k : kThresholdKeys)
    if (k.name == key) {
      if (!(value >= k.lo && value <= k.hi))
        throw UsageError("[integrity] " + std::string(key) + ": " + fmt(value) + " is out of range " + fmt(k.lo) + ".." +
                         fmt(k.hi));
      this->*k.member = value;
      return;
    }
  throw UsageError("[integrity] " + std::string(key) + ": unknown key");
}

std::vector<std::string_view> IntegrityThresholds::keys() {
  std::vector<std::string_view> out;
  for (const auto& k : kThresholdKeys) out.push_back(k.name);
  return out;
}

std::string IntegrityThresholds::to_json() const {
  std::string o;
  json::Writer w(o);
  w.object();
  for (const auto& k : kThresholdKeys) w.field(k.name, this->*k.member);
  w.end();
  return o;
}

// ------------------------------------------------------------------------------------------
// Verdict

std::string IntegrityVerdict::to_json() const {
  std::string o;
  json::Writer w(o);
  w.object().field("penalty", penalty);
  if (sales_trust < 1) w.field("sales_trust", sales_trust);
  if (shop_penalty < 1) w.field("shop_penalty", shop_penalty);
  if (dup_kind) w.field("dup_cluster", dup_cluster).field("dup_kind", std::string_view(&dup_kind, 1));
  w.key("reasons").array();
  for (const auto& r : reasons)
    w.object().field("name", r.name).field("score", r.score).field("penalty", r.penalty).field("explanation", r.explanation).end();
  w.end().end();
  return o;
}

bool decode_integrity(std::string_view data, IntegrityVerdict& out) {
  out = IntegrityVerdict{};
  if (data.find("\"integrity\":") == std::string_view::npos) return false;
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(data);
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (parser.parse(padded).get(doc) || doc["integrity"].get(obj)) return false;
  for (auto [k, v] : obj) {
    if (k == "penalty") {
      if (v.get(out.penalty)) return false;
    } else if (k == "sales_trust") {
      if (v.get(out.sales_trust)) return false;
    } else if (k == "shop_penalty") {
      if (v.get(out.shop_penalty)) return false;
    } else if (k == "dup_cluster") {
      std::string_view sv;
      if (!v.get(sv)) out.dup_cluster = sv;
    } else if (k == "dup_kind") {
      std::string_view sv;
      if (!v.get(sv) && !sv.empty()) out.dup_kind = sv[0];
    } else if (k == "reasons") {
      simdjson::dom::array arr;
      if (v.get(arr)) return false;
      for (auto e : arr) {
        IntegrityReason r;
        std::string_view name, expl;
        if (e["name"].get(name) || e["score"].get(r.score) || e["explanation"].get(expl)) return false;
        if (e["penalty"].get(r.penalty)) r.penalty = 1;
        r.name = name;
        r.explanation = expl;
        out.reasons.push_back(std::move(r));
      }
    }
  }
  return true;
}

IntegrityVerdict decode_duplicate(const Xapian::Document& doc) {
  if (doc.get_value(slot::kDupKind).empty()) return {};
  // The first variant of the item with duplicate fields (an item's variants share them).
  const std::string key = doc.get_value(slot::kStage1Key);
  std::vector<Stage1Key> table;
  if (!decode_stage1_table(key, table)) return {};
  const std::string data = doc.get_data();
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].dup_kind().empty()) continue;
    IntegrityVerdict stored;
    decode_integrity(variant_line(data, i), stored);
    return decode_duplicate(table[i].dup_kind(), table[i].dup_cluster(), stored);
  }
  return {};
}

IntegrityVerdict decode_duplicate(std::string_view kind, std::string_view cluster, const IntegrityVerdict& stored) {
  IntegrityVerdict out;
  if (kind.empty()) return out;
  out.dup_kind = kind[0];
  out.dup_cluster = cluster;
  for (const auto& r : stored.reasons)
    if (r.name == "duplicate_listing") out.reasons.push_back(r);
  return out;
}

std::string IntegrityVerdict::reason_names() const {
  std::string o;
  for (const auto& r : reasons) {
    if (!o.empty()) o += ',';
    o += r.name;
  }
  return o;
}


}  // namespace longtail::index
