// longtail audit: flagged listings with their reasons and penalties (docs/integrity.md), and with
// --labels the detectors' precision and recall against the generator's ground truth.
//
// Streaming: only the documents that carry value slot 27 (the reason names, written for flagged
// listings only) are visited, through Xapian's value stream; nothing is held per listing except
// in --labels mode (the labels file and the set of flagged SKUs of each detector).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <xapian.h>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "engine/index_state.h"
#include "index/document.h"
#include "index/integrity.h"
#include "index/layout.h"

namespace longtail::cli {

namespace {

// The value of "key":"..." in one JSON line written by `longtail gen` (ids and names there
// carry no escapes). Empty when absent.
std::string field(const std::string& line, const char* key) {
  std::string pat = std::string("\"") + key + "\":\"";
  size_t p = line.find(pat);
  if (p == std::string::npos) return "";
  p += pat.size();
  size_t e = line.find('"', p);
  return e == std::string::npos ? "" : line.substr(p, e - p);
}

bool has_reason(const std::string& names, const std::string& reason) {
  size_t p = 0;
  while (p <= names.size()) {
    size_t e = names.find(',', p);
    if (e == std::string::npos) e = names.size();
    if (names.compare(p, e - p, reason) == 0) return true;
    p = e + 1;
  }
  return false;
}

struct Listing {
  index::SkuRecord rec;
  index::IntegrityVerdict v;
};

// Calls fn(listing) for every flagged listing matching the filters, until fn returns false.
template <class Fn>
void scan(const engine::IndexState& st, const Xapian::Database& db, const std::string& shop, const std::string& reason, Fn&& fn) {
  for (auto it = db.valuestream_begin(index::slot::kIntegrityFlags); it != db.valuestream_end(index::slot::kIntegrityFlags); ++it) {
    const std::string names = *it;
    if (!reason.empty() && !has_reason(names, reason)) continue;
    Xapian::Document doc = db.get_document(it.get_docid());
    Listing l;
    const std::string data = st.stored_data(doc, it.get_docid());
    if (!index::read_record(doc, data, l.rec)) throw DataError("document " + std::to_string(it.get_docid()) + ": damaged stored data");
    if (!shop.empty() && l.rec.shop_id != shop) continue;
    if (!index::decode_integrity(data, l.v)) throw DataError("document " + std::to_string(it.get_docid()) + ": flagged but without an integrity object");
    if (!fn(l)) return;
  }
}

std::string listing_json(const Listing& l) {
  std::string o = "{\"sku_id\":" + json_str(l.rec.sku_id) + ",\"item_id\":" + json_str(l.rec.item_id) +
                  ",\"shop_id\":" + json_str(l.rec.shop_id) + ",\"title\":" + json_str(l.rec.title) +
                  ",\"category\":" + json_str(l.rec.category) + ",\"penalty\":" + json_num(l.v.penalty);
  if (l.v.sales_trust < 1) o += ",\"sales_trust\":" + json_num(l.v.sales_trust);
  if (l.v.dup_kind) o += ",\"dup_cluster\":" + json_str(l.v.dup_cluster) + ",\"dup_kind\":\"" + std::string(1, l.v.dup_kind) + "\"";
  o += ",\"reasons\":[";
  for (size_t i = 0; i < l.v.reasons.size(); ++i) {
    const auto& r = l.v.reasons[i];
    if (i) o += ',';
    o += "{\"name\":" + json_str(r.name) + ",\"score\":" + json_num(r.score) + ",\"penalty\":" + json_num(r.penalty) +
         ",\"explanation\":" + json_str(r.explanation) + "}";
  }
  return o + "]}";
}

// --labels: precision and recall per detector against labels.jsonl (`longtail gen`).
int evaluate(const engine::IndexState& st, const Xapian::Database& db, uint64_t skus, const std::string& labels_path, bool json) {
  std::ifstream in(labels_path);
  if (!in) throw UsageError(labels_path + ": cannot read labels file");
  std::unordered_map<std::string, std::set<std::string>> label_of;  // sku -> abuse kinds
  std::unordered_set<std::string> originals;                          // items that duplicates copy
  std::map<std::string, uint64_t> labelled;                           // kind -> SKUs
  std::string line;
  uint64_t lines = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++lines;
    std::string sku = field(line, "sku_id"), abuse = field(line, "abuse");
    if (sku.empty() || abuse.empty()) throw DataError(labels_path + ":" + std::to_string(lines) + ": no sku_id or abuse");
    if (label_of[sku].insert(abuse).second) ++labelled[abuse];
    std::string cluster = field(line, "cluster");
    if (!cluster.empty()) originals.insert(cluster);
  }
  const uint64_t honest = skus - label_of.size();
  struct Count {
    uint64_t flagged = 0, correct = 0, correct_with_originals = 0, honest_flagged = 0;
  };
  std::map<std::string, Count> per;
  std::map<std::string, uint64_t> found;  // labelled SKUs flagged by their own detector (recall)
  uint64_t honest_any = 0, honest_any_excl_originals = 0;
  scan(st, db, "", "", [&](const Listing& l) {
    auto lab = label_of.find(l.rec.sku_id);
    bool is_honest = lab == label_of.end();
    bool is_original = originals.count(l.rec.item_id) > 0;
    bool only_dup = true;
    for (const auto& r : l.v.reasons) {
      Count& c = per[r.name];
      ++c.flagged;
      bool right = !is_honest && lab->second.count(r.name);
      c.correct += right;
      c.correct_with_originals += right || (r.name == "duplicate_listing" && is_original);
      c.honest_flagged += is_honest;
      only_dup &= r.name == "duplicate_listing";
    }
    if (!is_honest)
      for (const auto& kind : lab->second)
        for (const auto& r : l.v.reasons)
          if (r.name == kind) ++found[kind];
    if (is_honest && !l.v.reasons.empty()) {
      ++honest_any;
      if (!(is_original && only_dup)) ++honest_any_excl_originals;
    }
    return true;
  });
  std::set<std::string> names;
  for (const auto& [k, n] : labelled) names.insert(k);
  for (const auto& [k, c] : per) names.insert(k);
  auto pct = [](double a, double b) { return b > 0 ? 100.0 * a / b : 0.0; };
  if (json) {
    std::printf("{\"skus\":%llu,\"labelled_skus\":%zu,\"honest_skus\":%llu,\"honest_flagged\":%llu,"
                "\"honest_flagged_excluding_duplicate_originals\":%llu,\"detectors\":[",
                (unsigned long long)skus, label_of.size(), (unsigned long long)honest, (unsigned long long)honest_any,
                (unsigned long long)honest_any_excl_originals);
    bool first = true;
    for (const auto& n : names) {
      const Count& c = per[n];
      std::printf("%s{\"name\":%s,\"labelled\":%llu,\"flagged\":%llu,\"true_positives\":%llu,\"recall\":%s,"
                  "\"precision\":%s,\"precision_with_originals\":%s,\"honest_flagged\":%llu,\"fp_rate_honest\":%s}",
                  first ? "" : ",", json_str(n).c_str(), (unsigned long long)labelled[n], (unsigned long long)c.flagged,
                  (unsigned long long)found[n], json_num(pct(double(found[n]), double(labelled[n])) / 100).c_str(),
                  json_num(pct(double(c.correct), double(c.flagged)) / 100).c_str(),
                  json_num(pct(double(c.correct_with_originals), double(c.flagged)) / 100).c_str(),
                  (unsigned long long)c.honest_flagged, json_num(pct(double(c.honest_flagged), double(honest)) / 100).c_str());
      first = false;
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("SKUs %llu, labelled %zu, honest %llu\n", (unsigned long long)skus, label_of.size(), (unsigned long long)honest);
  std::printf("%-28s %9s %9s %9s %8s %9s %9s %9s\n", "detector", "labelled", "flagged", "found", "recall", "precision",
              "prec+orig", "FP-rate");
  for (const auto& n : names) {
    const Count& c = per[n];
    std::printf("%-28s %9llu %9llu %9llu %7.2f%% %8.2f%% %8.2f%% %8.3f%%\n", n.c_str(), (unsigned long long)labelled[n],
                (unsigned long long)c.flagged, (unsigned long long)found[n], pct(double(found[n]), double(labelled[n])),
                pct(double(c.correct), double(c.flagged)), pct(double(c.correct_with_originals), double(c.flagged)),
                pct(double(c.honest_flagged), double(honest)));
  }
  std::printf("honest SKUs flagged by any detector: %llu (%.3f%%); excluding duplicate-cluster originals: %llu (%.3f%%)\n",
              (unsigned long long)honest_any, pct(double(honest_any), double(honest)),
              (unsigned long long)honest_any_excl_originals, pct(double(honest_any_excl_originals), double(honest)));
  return 0;
}

}  // namespace

void register_audit(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("audit", "List flagged listings with their integrity reasons and penalties");
  struct Args {
    std::string index, shop, reason, labels;
    bool json = false;
    uint64_t limit = 0;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->index);
  cmd->add_option("--shop", a->shop, "Only listings of this shop_id");
  cmd->add_option("--reason", a->reason,
                  "Only listings flagged for this reason (duplicate_listing, brand_stuffing, hotword_stuffing, "
                  "category_misrepresentation, title_length, shipping_fee_game, advertisement, sham_sales)");
  cmd->add_option("--limit", a->limit, "Print at most this many listings (default: all)");
  cmd->add_option("--labels", a->labels,
                  "Instead of listing: precision and recall per detector against a labels.jsonl from `longtail gen`");
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    static const std::set<std::string> kReasons = {"duplicate_listing", "brand_stuffing", "hotword_stuffing",
                                                   "category_misrepresentation", "title_length", "shipping_fee_game",
                                                   "advertisement", "sham_sales"};
    if (!a->reason.empty() && !kReasons.count(a->reason)) throw UsageError("--reason: unknown reason \"" + a->reason + "\"");
    auto st = engine::open_index_state(a->index);
    Xapian::Database db = st->open_database();
    if (!a->labels.empty()) {
      rc = evaluate(*st, db, st->manifest.skus, a->labels, a->json);
      return;
    }
    uint64_t shown = 0;
    if (!a->json)
      std::printf("%-12s %-12s %-10s %7s  %-40s %s\n", "sku_id", "item_id", "shop_id", "penalty", "reasons", "title / explanation");
    scan(*st, db, a->shop, a->reason, [&](const Listing& l) {
        if (a->limit && shown >= a->limit) return false;
        ++shown;
        if (a->json) {
          std::string s = listing_json(l);
          std::fwrite(s.data(), 1, s.size(), stdout);
          std::fputc('\n', stdout);
          return true;
        }
        std::printf("%-12s %-12s %-10s %7.3f  %-40s %s\n", fit_width(l.rec.sku_id, 12).c_str(), fit_width(l.rec.item_id, 12).c_str(),
                    fit_width(l.rec.shop_id, 10).c_str(), l.v.penalty, fit_width(l.v.reason_names(), 40).c_str(),
                    fit_width(l.rec.title, 60).c_str());
        for (const auto& r : l.v.reasons)
          std::printf("%46s%-24s %s\n", "", r.name.c_str(), r.explanation.c_str());
        return true;
    });
    if (!a->json) std::fprintf(stderr, "%llu flagged listings\n", (unsigned long long)shown);
    rc = 0;
  });
}

}  // namespace longtail::cli
