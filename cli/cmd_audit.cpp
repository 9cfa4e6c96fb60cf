// longtail audit: flagged listings with their reasons and penalties (docs/integrity.md), and with
// --labels the detectors' precision and recall against the generator's ground truth.
//
// Streaming: only the documents that carry value slot 27 (the reason names, written for flagged
// listings only) are visited, through Xapian's value stream; nothing is held per listing except
// in --labels mode (the labels file and the set of flagged SKUs of each detector).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <xapian.h>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "analyzers/analyzer.h"
#include "engine/index_state.h"
#include "index/build_profile.h"
#include "index/builder.h"
#include "index/catalog.h"
#include "format/document.h"
#include "index/integrity.h"
#include "format/layout.h"

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
void scan(const engine::IndexState& st, const Xapian::Database& db, const std::string& shop, const std::string& reason,
          const std::function<bool(const Listing&)>& fn) {
  for (auto it = db.valuestream_begin(index::slot::kIntegrityFlags); it != db.valuestream_end(index::slot::kIntegrityFlags); ++it) {
    const std::string names = *it;
    if (!reason.empty() && !has_reason(names, reason)) continue;
    Xapian::Document doc = db.get_document(it.get_docid());
    const std::string data = st.stored_data(doc, it.get_docid());
    // One document per item: slot 27 flags the item; its flagged variants are the listings.
    std::vector<index::SkuRecord> recs;
    if (!index::read_item(doc, data, recs)) throw DataError("document " + std::to_string(it.get_docid()) + ": damaged stored data");
    std::vector<index::ListingKey> table;
    index::decode_item_key(doc.get_value(index::slot::kStage1Key), table);
    for (size_t i = 0; i < recs.size() && i < table.size(); ++i) {
      if (table[i].integrity.reasons.empty()) continue;
      if (!reason.empty() && !has_reason(table[i].integrity.reasons, reason)) continue;
      Listing l;
      l.rec = std::move(recs[i]);
      if (!shop.empty() && l.rec.shop_id != shop) continue;
      if (!index::decode_integrity(index::variant_line(data, i), l.v))
        throw DataError("document " + std::to_string(it.get_docid()) + ": flagged but without an integrity object");
      if (!fn(l)) return;
    }
  }
}

std::string listing_json(const Listing& l) {
  std::string o;
  json::Writer w(o);
  w.object()
      .field("sku_id", l.rec.sku_id)
      .field("item_id", l.rec.item_id)
      .field("shop_id", l.rec.shop_id)
      .field("title", l.rec.title)
      .field("category", l.rec.category)
      .field("penalty", l.v.penalty);
  if (l.v.sales_trust < 1) w.field("sales_trust", l.v.sales_trust);
  if (l.v.dup_kind) w.field("dup_cluster", l.v.dup_cluster).field("dup_kind", std::string(1, l.v.dup_kind));
  w.key("reasons").array();
  for (const auto& r : l.v.reasons)
    w.object().field("name", r.name).field("score", r.score).field("penalty", r.penalty).field("explanation", r.explanation).end();
  w.end().end();
  return o;
}

// Calls fn(listing) for every flagged listing, until fn returns false: from an index (scan) or
// from a catalog (scan_catalog).
using FlaggedScan = std::function<void(const std::function<bool(const Listing&)>&)>;

// --catalog: the detectors run over catalog files as a build runs them (pass 1 observes every
// record, finish() freezes the statistics and clusters duplicates, pass 2 assesses), without
// writing an index. Bad lines are skipped and counted. The model's spill and prints files go to a
// temporary directory, removed at the end. Returns the SKUs assessed.
uint64_t scan_catalog(const std::vector<std::string>& files, const std::string& shops_file, const std::string& profile,
                      int threads, const std::string& shop, const std::string& reason,
                      const std::function<bool(const Listing&)>& fn) {
  for (const auto& f : files)
    if (f == "-" || !std::filesystem::is_regular_file(f)) throw UsageError(f + ": no such catalog file (the catalog is read twice: give a file)");
  const index::BuildProfile bp = profile.empty() ? index::BuildProfile{} : index::read_build_profile_file(profile);
  index::RejectSink sink(OnError::Skip, "");
  std::unordered_map<std::string, index::ShopRecord> shops;
  if (!shops_file.empty()) shops = index::read_shops(shops_file, sink);
  auto base = analysis::Lexicon::load_default();
  const analysis::Analyzer analyzer(base);
  std::string tmpl = (std::filesystem::temp_directory_path() / "longtail-audit-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw DataError("cannot create a temporary directory: " + std::string(std::strerror(errno)));
  struct Remove {
    std::string dir;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove{tmpl};
  index::IntegrityModel model(analyzer, bp.integrity, tmpl);
  model.set_shops(shops);
  index::RecordParser parser;
  auto each = [&](auto&& on_record) {
    for (const auto& file : files) {
      index::LineReader reader(file);
      index::LineReader::Line line;
      index::SkuRecord rec;
      while (reader.next(line)) {
        if (!sink.screen(file, line)) continue;
        RecordError err{file, line.number, "", ""};
        if (!parser.parse_sku(line.text, rec, err) || rec.deleted) continue;
        if (!on_record(rec)) return;
      }
    }
  };
  each([&](const index::SkuRecord& r) {
    model.observe(r);
    return true;
  });
  model.finish(std::max(1, threads));
  uint64_t n = 0;
  each([&](const index::SkuRecord& r) {
    ++n;
    if (!shop.empty() && r.shop_id != shop) return true;
    Listing l{r, model.assess(r)};
    if (!l.v.flagged() || (!reason.empty() && !has_reason(l.v.reason_names(), reason))) return true;
    return fn(l);
  });
  return n;
}

// --labels: precision and recall per detector against labels.jsonl (`longtail gen`).
int evaluate(const FlaggedScan& scan_flagged, uint64_t skus, const std::string& labels_path, bool json) {
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
    uint64_t flagged = 0, correct = 0, correct_with_originals = 0, honest_flagged = 0, honest_flagged_not_original = 0;
  };
  std::map<std::string, Count> per;
  std::map<std::string, uint64_t> found;  // labelled SKUs flagged by their own detector (recall)
  uint64_t honest_any = 0, honest_any_excl_originals = 0;
  scan_flagged([&](const Listing& l) {
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
      // An original a re-listing copies is in the re-listing's group by definition (ranking keeps
      // the group's best member in place): not a false positive of the duplicate detector.
      c.honest_flagged_not_original += is_honest && !(r.name == "duplicate_listing" && is_original);
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
    std::string o;
    json::Writer w(o);
    w.object()
        .field("skus", skus)
        .field("labelled_skus", label_of.size())
        .field("honest_skus", honest)
        .field("honest_flagged", honest_any)
        .field("honest_flagged_excluding_duplicate_originals", honest_any_excl_originals)
        .key("detectors")
        .array();
    for (const auto& n : names) {
      const Count& c = per[n];
      w.object()
          .field("name", n)
          .field("labelled", labelled[n])
          .field("flagged", c.flagged)
          .field("true_positives", found[n])
          .field("recall", pct(double(found[n]), double(labelled[n])) / 100)
          .field("precision", pct(double(c.correct), double(c.flagged)) / 100)
          .field("precision_with_originals", pct(double(c.correct_with_originals), double(c.flagged)) / 100)
          .field("honest_flagged", c.honest_flagged)
          .field("fp_rate_honest", pct(double(c.honest_flagged), double(honest)) / 100)
          .field("fp_rate_honest_excluding_originals", pct(double(c.honest_flagged_not_original), double(honest)) / 100)
          .end();
    }
    w.end().end();
    print_json_line(std::move(o));
    return 0;
  }
  std::printf("SKUs %llu, labelled %zu, honest %llu\n", (unsigned long long)skus, label_of.size(), (unsigned long long)honest);
  std::printf("%-28s %9s %9s %9s %8s %9s %9s %9s %9s\n", "detector", "labelled", "flagged", "found", "recall", "precision",
              "prec+orig", "FP-rate", "FP-orig");
  for (const auto& n : names) {
    const Count& c = per[n];
    std::printf("%-28s %9llu %9llu %9llu %7.2f%% %8.2f%% %8.2f%% %8.3f%% %8.3f%%\n", n.c_str(), (unsigned long long)labelled[n],
                (unsigned long long)c.flagged, (unsigned long long)found[n], pct(double(found[n]), double(labelled[n])),
                pct(double(c.correct), double(c.flagged)), pct(double(c.correct_with_originals), double(c.flagged)),
                pct(double(c.honest_flagged), double(honest)), pct(double(c.honest_flagged_not_original), double(honest)));
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
    std::string index, shop, reason, labels, shops, profile;
    std::vector<std::string> catalog;
    bool json = false;
    uint64_t limit = 0;
    int threads = 0;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--index", a->index, "Index directory (its flagged listings)");
  cmd->add_option("--catalog", a->catalog,
                  "Instead of an index: run the detectors over these catalog files as a build would, writing nothing");
  cmd->add_option("--shops", a->shops, "With --catalog: the shops file");
  cmd->add_option("--profile", a->profile, "With --catalog: a profile whose [integrity] thresholds to use");
  cmd->add_option("--threads", a->threads, "With --catalog: threads for the fingerprints (default: all cores)");
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
    if (a->index.empty() == a->catalog.empty()) throw UsageError("audit: give --index DIR or --catalog FILE (one of them)");
    if (a->catalog.empty() && (!a->shops.empty() || !a->profile.empty()))
      throw UsageError("audit: --shops and --profile go with --catalog");
    const int threads = a->threads > 0 ? a->threads : int(std::max(1u, std::thread::hardware_concurrency()));
    // The flagged listings, from the index or from the catalog.
    std::shared_ptr<const engine::IndexState> st;
    std::optional<Xapian::Database> db;
    uint64_t skus = 0;
    if (!a->index.empty()) {
      st = engine::open_index_state(a->index);
      db = st->open_database();
      skus = st->manifest.skus;
    }
    auto scan_flagged = [&](const std::string& shop, const std::string& reason, const std::function<bool(const Listing&)>& fn) {
      if (st)
        scan(*st, *db, shop, reason, fn);
      else
        skus = scan_catalog(a->catalog, a->shops, a->profile, threads, shop, reason, fn);
    };
    if (!a->labels.empty()) {
      if (st) {
        rc = evaluate([&](const std::function<bool(const Listing&)>& fn) { scan_flagged("", "", fn); }, skus, a->labels, a->json);
      } else {
        // The SKU count is known only after the catalog pass: collect the flagged listings first.
        std::vector<Listing> flagged;
        scan_flagged("", "", [&](const Listing& l) {
          flagged.push_back(l);
          return true;
        });
        rc = evaluate(
            [&](const std::function<bool(const Listing&)>& fn) {
              for (const auto& l : flagged)
                if (!fn(l)) return;
            },
            skus, a->labels, a->json);
      }
      return;
    }
    uint64_t shown = 0;
    if (!a->json)
      std::printf("%-12s %-12s %-10s %7s  %-40s %s\n", "sku_id", "item_id", "shop_id", "penalty", "reasons", "title / explanation");
    scan_flagged(a->shop, a->reason, [&](const Listing& l) {
        if (a->limit && shown >= a->limit) return false;
        ++shown;
        if (a->json) {
          print_json_line(listing_json(l));
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
