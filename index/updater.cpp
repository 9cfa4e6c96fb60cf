// longtail::update_index: applies a delta to the live generation in place, batch by batch.
//
// One batch, in this order (docs/index-format.md, "Updates"):
//   1. the batch (its id, kind and validated input lines) is written to the journal (fsync+rename);
//   2. every shard whose stored batch id is below the batch's runs one Xapian transaction: the
//      batch's upserts/deletes that concern it, plus its batch id and item count as metadata;
//      the shards commit one after another;
//   3. for a shops batch, the merged shops.jsonl replaces the old one; the prints of the items
//      the batch added or re-titled are appended to integrity-prints-update.bin;
//   4. the manifest gets the batch id and the new counts;
//   5. the journal is removed.
// A crash anywhere leaves every shard at the old or the new batch (Xapian commits are atomic) and
// the journal in place; the next update redoes the batch on the shards still below it (all
// operations are upserts or deletes by unique term, so redoing is idempotent) and finishes steps
// 3-5. Readers only combine shard revisions that agree on the batch id (engine/snapshot.h).
//
// Listing integrity (docs/integrity.md, "Updates"): every written document is scored with the
// build's frozen IntegrityModel; an added or re-titled item is matched against the other items'
// prints (the build's sorted block table plus earlier updates' prints), and partners found are
// re-valued in their shards within the same batch.
#include "index/updater.h"
#include "index/progress.h"
#include "index/synonyms.h"
#include "index/write_room.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <simdjson.h>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "index/builder.h"
#include "index/catalog.h"
#include "format/document.h"
#include "index/dedup.h"
#include "index/index_dir.h"
#include "index/integrity.h"
#include "format/layout.h"
#include "index/parallel.h"
#include "index/signals.h"
#include "common/json_writer.h"

namespace fs = std::filesystem;

namespace longtail::index {

uint64_t shard_batch(const Xapian::Database& shard) {
  std::string v = shard.get_metadata(kMetaBatch);
  if (v.empty()) return 0;
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
  if (ec != std::errc() || end != v.data() + v.size())
    throw DataError(std::string("shard metadata ") + kMetaBatch + " is damaged (\"" + v.substr(0, 40) + "\")");
  return id;
}

Journal read_journal(const std::string& path) {
  Journal j;
  LineReader reader(path);
  LineReader::Line line;
  auto damaged = [&](const std::string& why) { return DataError(path + ": damaged update journal (" + why + ")"); };
  if (!reader.next(line) || line.too_long) throw damaged("no header");
  simdjson::dom::parser parser;
  simdjson::dom::element head;
  std::string_view kind;
  uint64_t records = 0;
  if (parser.parse(std::string(line.text)).get(head) || head["batch"].get(j.batch) || head["kind"].get(kind) ||
      head["records"].get(records))
    throw damaged("bad header");
  if (kind != "skus" && kind != "shops") throw damaged("unknown kind");
  j.shops = kind == "shops";
  while (reader.next(line)) {
    if (line.too_long) throw damaged("line " + std::to_string(line.number) + " too long");
    j.lines.emplace_back(line.text);
  }
  if (j.lines.size() != records) throw damaged("expected " + std::to_string(records) + " records");
  return j;
}

uint64_t shard_items(const Xapian::Database& db) { return db.get_doccount(); }  // one document per item

uint64_t shard_skus(const Xapian::Database& db) {
  std::string v = db.get_metadata(kMetaSkus);
  uint64_t n = 0;
  if (!v.empty() && std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc()) return n;
  n = 0;
  const std::string pfx(prefix::kSku);
  for (auto it = db.allterms_begin(pfx); it != db.allterms_end(pfx); ++it) ++n;
  return n;
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string now_iso() {
  return format_iso_time(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

using ShopMap = std::unordered_map<std::string, ShopRecord>;

// The verdict stored in a document's data into `out` (empty for a clean document). False when
// the data has an integrity object that cannot be read: the caller assesses the title again.
bool read_stored_verdict(const std::string& data, IntegrityVerdict& out) {
  if (decode_integrity(data, out)) return true;
  out = IntegrityVerdict{};
  return data.find("\"integrity\":") == std::string::npos;
}

// Everything the values of a SKU's document depend on besides its own record: the build's signal
// and integrity statistics (frozen at build time so that updated and untouched SKUs are scored
// alike) and the shop table. Recomputing a changed SKU's values is one call.
struct ValueModels {
  SignalModel signals;  // reads `shops` through a pointer: ValueModels lives in place (Session)
  ShopMap shops;
  // Listing integrity (index/integrity.h); null for an index built before integrity existed.
  // It segments with the BASE lexicon's analyzer, as the builder's does.
  std::unique_ptr<analysis::Analyzer> base_analyzer;
  std::unique_ptr<IntegrityModel> integrity;

  // The values of a record assessed afresh, with the verdict; `dup` gives its duplicate fields
  // (Session::match()).
  std::pair<ListingValues, IntegrityVerdict> assess(const SkuRecord& r, const IntegrityVerdict& dup) const {
    if (!integrity) return {{signals.signals(r), std::nullopt}, {}};
    IntegrityVerdict v = integrity->assess(r);
    integrity->replace_duplicate(v, dup);
    return {{signals.signals(r), IntegrityModel::values(v)}, std::move(v)};
  }
  // The full document of an item (one document per item, format/document.h), with the ranking
  // signal values (index/signals.h) and, as in the builder, each variant's integrity annotation;
  // dups[i] gives variant i's duplicate fields.
  Xapian::Document document(const analysis::Analyzer& analyzer, const std::vector<SkuRecord>& recs,
                            const std::vector<IntegrityVerdict>& dups) const {
    std::vector<ListingValues> values;
    std::vector<IntegrityVerdict> verdicts;
    for (size_t i = 0; i < recs.size(); ++i) {
      auto [v, g] = assess(recs[i], dups[i]);
      values.push_back(std::move(v));
      verdicts.push_back(std::move(g));
    }
    Xapian::Document doc = write_document(analyzer, recs, values);
    if (integrity)
      for (size_t i = 0; i < recs.size(); ++i) integrity->annotate_terms(analyzer, recs[i], doc, verdicts[i]);
    return doc;
  }
  // The values of a stored variant's record on a document whose terms stay (its stored fields
  // hash alike, RankPack::stored_hash); `entry` is its entry of the variant table, `line` its data
  // line. The integrity verdict is assessed again (a price change can start or end a shipping-fee
  // game), reusing the title detectors' reasons stored in the data (IntegrityModel::reassess: the
  // title is not segmented again); its duplicate fields are `new_dup`'s when given, else the
  // entry's.
  ListingValues revalue(const SkuRecord& r, std::string_view line, const Stage1Key& entry,
                        const IntegrityVerdict* new_dup = nullptr) const {
    ListingValues values{signals.signals(r), std::nullopt};
    if (!integrity) return values;
    IntegrityVerdict stored, dup;
    bool have_stored = true;
    if (!entry.flags().empty()) have_stored = read_stored_verdict(std::string(line), stored);
    dup = new_dup ? *new_dup : decode_duplicate(entry.dup_kind(), entry.dup_cluster(), stored);
    IntegrityVerdict v = have_stored ? integrity->reassess(r, stored) : integrity->assess(r);
    integrity->replace_duplicate(v, dup);
    values.integrity = IntegrityModel::values(v);
    return values;
  }
};

// A stored item document read back whole: its variants' records and values, in table order.
struct StoredItem {
  Xapian::Document doc;
  std::string key, data;
  std::vector<Stage1Key> entries;  // views into `key`
  std::vector<SkuRecord> recs;
  std::vector<ListingValues> values;
  size_t find(std::string_view sku) const {
    for (size_t i = 0; i < recs.size(); ++i)
      if (recs[i].sku_id == sku) return i;
    return std::string::npos;
  }
  // Variant i's duplicate fields as stored.
  IntegrityVerdict dup(size_t i) const {
    if (entries[i].dup_kind().empty()) return {};
    IntegrityVerdict stored;
    read_stored_verdict(std::string(variant_line(data, i)), stored);
    return decode_duplicate(entries[i].dup_kind(), entries[i].dup_cluster(), stored);
  }
};

bool same_print(const ItemPrint& a, const ItemPrint& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The item hash a cluster id names ("d<16 hex>" or "d<16 hex>s"); 0 if it names none.
uint64_t cluster_hash(const std::string& id) {
  uint64_t h = 0;
  if (id.size() < 17 || id[0] != 'd' || std::from_chars(id.data() + 1, id.data() + 17, h, 16).ec != std::errc()) return 0;
  return h;
}

uint32_t group_size(const IntegrityVerdict& v) {
  for (const auto& r : v.reasons)
    if (r.name == "duplicate_listing") return uint32_t(std::max(0.0, r.score));
  return 0;
}


enum class BatchKind { Skus, Shops };

struct Batch {
  uint64_t id = 0;
  BatchKind kind = BatchKind::Skus;
  std::vector<std::string> lines;  // validated input lines (journal content)
  std::vector<SkuRecord> skus;     // the SKU lines already parsed (empty: apply() parses `lines`)
};

// The open shards of the live generation and the batch machinery.
class Session {
 public:
  Session(const std::string& index_dir, const std::string& gen_dir, Manifest manifest, const UpdateOptions& o,
          UpdateSummary& summary)
      : index_dir_(index_dir), gen_dir_(gen_dir), manifest_(std::move(manifest)), o_(o), summary_(summary) {
    for (const auto& p : manifest_.shard_paths) {
      if (p.rfind("tcp ", 0) == 0 || fs::path(p).is_absolute())
        throw UsageError(index_dir + ": shard \"" + p +
                         "\" belongs to another index (remote or attached); update that index instead");
      try {
        dbs_.emplace_back((fs::path(gen_dir_) / p).string(), Xapian::DB_OPEN | Xapian::DB_BACKEND_GLASS);
        rooms_.emplace_back((fs::path(gen_dir_) / p).string());
      } catch (const Xapian::Error& e) {
        throw DataError(index_dir + ": cannot open shard \"" + p + "\" for writing: " + e.get_description());
      }
    }
    // The shop map is read below; the signal model keeps a pointer to it (shop reputation).
    models_.signals = fs::exists(gen_dir_ + "/signals.json")
                          ? SignalModel::from_json(slurp(gen_dir_ + "/signals.json"), &models_.shops)
                          : SignalModel(SignalParams{}, &models_.shops);
    if (fs::exists(gen_dir_ + "/shops.jsonl")) {
      RejectSink strict(OnError::Fail, "");
      models_.shops = read_shops(gen_dir_ + "/shops.jsonl", strict);
    }
    for (auto& db : dbs_) batches_.push_back(shard_batch(db));
    threads_ = o_.threads ? o_.threads : std::max(1u, std::thread::hardware_concurrency());
    load_integrity();
  }

  ShopMap& shops() { return models_.shops; }

  // The index analyzer (the catalog lexicon stored with the index), loaded when a batch first
  // needs to analyze a title: value-only and unchanged records never do.
  const analysis::Analyzer& analyzer() {
    if (analyzer_) return *analyzer_;
    std::shared_ptr<const analysis::Lexicon> lexicon;
    try {
      lexicon = analysis::Lexicon::load(gen_dir_ + "/lexicon.bin");
    } catch (const analysis::AnalysisError& e) {
      throw DataError(index_dir_ + ": lexicon: " + e.what());
    }
    if (lexicon->checksum() != manifest_.lexicon_checksum)
      throw DataError(index_dir_ + ": lexicon.bin does not match the manifest's checksum (damaged index)");
    analyzer_ = std::make_unique<analysis::Analyzer>(lexicon);
    return *analyzer_;
  }
  uint64_t last_batch() const { return *std::max_element(batches_.begin(), batches_.end()); }
  const std::string& gen_dir() const { return gen_dir_; }

  // Completes an interrupted batch from the journal, if there is one. Returns true if it did.
  bool recover() {
    const std::string jpath = gen_dir_ + "/" + kJournalFile;
    if (!fs::exists(jpath)) {
      if (std::adjacent_find(batches_.begin(), batches_.end(), std::not_equal_to<>()) != batches_.end())
        throw DataError(index_dir_ + ": shards disagree on the last update batch and no journal is left to repair "
                        "them (damaged index): rebuild it with `longtail build`");
      return false;
    }
    Batch b;
    try {
      b = read_journal(jpath);
    } catch (const DataError& e) {
      throw DataError(std::string(e.what()) + ": it cannot be completed; `longtail update --index " + index_dir_ +
                      " --discard-journal` removes it and reports what was lost");
    }
    // Every shard must be just before or at the journal's batch; shards already at it are left
    // alone, the others get the batch now, then the files and the manifest are finished.
    for (uint64_t have : batches_)
      if (have + 1 != b.id && have != b.id)
        throw DataError(jpath + ": journal batch " + std::to_string(b.id) + " does not follow a shard's last batch " +
                        std::to_string(have) + " (damaged index): rebuild it with `longtail build`");
    apply(b);
    return true;
  }

  // Runs one new batch: journal, shards, files, manifest.
  // `skus`: the records of `lines` when the caller parsed them (SKU batches), else empty.
  void run(BatchKind kind, std::vector<std::string> lines, std::vector<SkuRecord> skus = {}) {
    Batch b;
    b.id = std::max(last_batch(), manifest_.batch) + 1;
    b.kind = kind;
    b.lines = std::move(lines);
    b.skus = std::move(skus);
    write_journal(b);
    apply(b);
    ++summary_.batches;
  }

  void totals(uint64_t& skus, uint64_t& items) const {
    skus = manifest_.skus;
    items = manifest_.items;
  }

 private:
  // Indexes built before integrity have none of its files: they are updated without it. Indexes
  // built before the block table get scores but no update-time duplicate matching.
  void load_integrity() {
    if (!fs::exists(gen_dir_ + "/integrity.json")) return;
    // The base lexicon is loaded the first time the model segments a title (IntegrityModel
    // calls the source once, thread-safe): values-only batches never do (reassess()).
    models_.integrity = std::make_unique<IntegrityModel>(IntegrityModel::load(
        [m = &models_]() -> const analysis::Analyzer& {
          m->base_analyzer = std::make_unique<analysis::Analyzer>(analysis::Lexicon::load_default());
          return *m->base_analyzer;
        },
        gen_dir_, false));
    models_.integrity->set_shops(models_.shops);
    const IntegrityThresholds& t = models_.integrity->thresholds();
    dup_params_.max_hamming = int(t.dup_max_hamming);
    dup_params_.min_jaccard = t.dup_min_jaccard;
    dup_params_.price_ratio = t.dup_price_ratio;
    const std::string blocks = gen_dir_ + "/integrity-blocks.bin", prints = gen_dir_ + "/integrity-prints.bin";
    if (fs::exists(blocks) && fs::exists(prints)) {
      lookup_ = std::make_unique<PrintLookup>(blocks, prints);
      updated_ = std::make_unique<UpdatedPrints>(gen_dir_ + "/" + kUpdatedPrintsFile);
    }
  }

  // ---- journal ----------------------------------------------------------------------------
  void write_journal(const Batch& b) {
    std::string text;
    json::Writer(text)
        .object()
        .field("batch", b.id)
        .field("kind", b.kind == BatchKind::Skus ? "skus" : "shops")
        .field("records", b.lines.size())
        .end();
    text += '\n';
    size_t bytes = text.size();
    for (const auto& l : b.lines) bytes += l.size() + 1;
    text.reserve(bytes);
    for (const auto& l : b.lines) {
      text += l;
      text += '\n';
    }
    write_file_atomic(gen_dir_ + "/" + kJournalFile, text);
  }

  Batch read_journal(const std::string& path) {
    Journal j = index::read_journal(path);
    Batch b;
    b.id = j.batch;
    b.kind = j.shops ? BatchKind::Shops : BatchKind::Skus;
    b.lines = std::move(j.lines);
    return b;
  }

  // ---- applying ---------------------------------------------------------------------------
  void apply(const Batch& b) {
    // Parse first: the journal holds validated lines, so a failure here means damage. Lines the
    // caller parsed already (b.skus) are not parsed again.
    std::vector<SkuRecord> skus;
    std::vector<ShopRecord> shops;
    RecordParser parser;
    const bool parsed = b.kind == BatchKind::Skus && b.skus.size() == b.lines.size();
    for (size_t i = 0; i < b.lines.size() && !parsed; ++i) {
      RecordError err{gen_dir_ + "/" + kJournalFile, i + 2, "", ""};
      bool ok = b.kind == BatchKind::Skus ? parser.parse_sku(b.lines[i], skus.emplace_back(), err)
                                          : parser.parse_shop(b.lines[i], shops.emplace_back(), err);
      if (!ok) throw DataError("damaged update journal: " + err.to_string());
    }
    for (const auto& s : shops) models_.shops[s.shop_id] = s;
    if (models_.integrity && !shops.empty()) models_.integrity->set_shops(models_.shops);
    matched_.clear();

    const size_t n = dbs_.size();
    pending_.assign(n, false);
    redo_ = false;
    for (size_t s = 0; s < n; ++s) {
      pending_[s] = batches_[s] < b.id;
      if (!pending_[s]) redo_ = true;  // some shards already have this batch: look everywhere
    }
    try {
      for (size_t s = 0; s < n; ++s) {
        if (!pending_[s]) continue;
        dbs_[s].begin_transaction(true);
        if (items_.size() < n) items_.resize(n, -1);
        if (items_[s] < 0) items_[s] = stored_items(dbs_[s]);
        if (skus_.size() < n) skus_.resize(n, -1);
        if (skus_[s] < 0) skus_[s] = int64_t(shard_skus(dbs_[s]));
      }
      apply_skus(parsed ? b.skus : skus);
      for (const auto& s : shops) apply_shop(s);
      auto commit = [&](size_t s) {
        dbs_[s].set_metadata(kMetaBatch, std::to_string(b.id));
        dbs_[s].set_metadata(kMetaItems, std::to_string(items_[s]));
        dbs_[s].set_metadata(kMetaSkus, std::to_string(skus_[s]));
        rooms_[s].before_commit();  // room on disk for the flush (index/write_room.h)
        dbs_[s].commit_transaction();
        batches_[s] = b.id;
      };
      if (o_.fail_after_shard_commits) {
        // The crash-test hook counts commits: one after another, in shard order.
        for (size_t s = 0; s < n; ++s) {
          if (!pending_[s]) continue;
          commit(s);
          if (++commits_ >= o_.fail_after_shard_commits)
            throw DataError("update: injected failure after " + std::to_string(commits_) + " shard commits");
        }
      } else {
        for_each_shard(commit);  // shards are independent databases: their commits overlap
      }
    } catch (const Xapian::Error& e) {
      cancel(b.id);
      throw DataError(index_dir_ + ": update batch " + std::to_string(b.id) + " failed: " + e.get_description());
    } catch (...) {
      cancel(b.id);
      throw;
    }
    finish(b);
  }

  // Runs f(s) for every shard the batch is pending on, on up to `threads` workers (each shard is
  // a separate Xapian database, used by one worker at a time). The first exception is rethrown
  // after every worker stopped.
  template <class F>
  void for_each_shard(F&& f) {
    std::vector<size_t> shards;
    for (size_t s = 0; s < dbs_.size(); ++s)
      if (pending_[s]) shards.push_back(s);
    parallel_for(shards.size(), threads_, [&](size_t k) { f(shards[k]); });
  }

  // A batch of SKU records, with the result of applying them one by one in order. First, in
  // parallel per shard, the fast path: records found in the shard their item routes to whose
  // terms do not change (unchanged or values-only), each applied in its shard, in document order. The rest (new,
  // moved, re-titled or deleted SKUs, SKUs the batch names more than once, and everything
  // during a redo) follow one by one in input order (apply_sku). The two orders give the same
  // index: a fast-path record touches only its own document's values and data, and what the
  // rest do to other documents (duplicate partners: their duplicate fields) is kept by it.
  void apply_skus(const std::vector<SkuRecord>& skus) {
    std::vector<char> rest(skus.size(), 1);
    if (!redo_) {
      std::unordered_map<std::string_view, uint32_t> seen;
      seen.reserve(skus.size());
      for (const auto& r : skus) ++seen[r.sku_id];
      std::vector<std::vector<size_t>> mine(dbs_.size());
      for (size_t i = 0; i < skus.size(); ++i)
        if (!skus[i].deleted && seen[skus[i].sku_id] == 1)
          mine[size_t(shard_of(skus[i].item_id, int(dbs_.size())))].push_back(i);
      std::mutex mu;
      for_each_shard([&](size_t s) {
        uint64_t unchanged = 0, values_only = 0;
        // Looked up in term order, applied in document order: neighbouring B-tree blocks.
        std::vector<std::pair<Xapian::docid, size_t>> found;
        std::sort(mine[s].begin(), mine[s].end(), [&](size_t a, size_t b) { return skus[a].sku_id < skus[b].sku_id; });
        for (size_t i : mine[s]) {
          const std::string term = std::string(prefix::kSku) + skus[i].sku_id;
          auto pl = dbs_[s].postlist_begin(term);
          if (pl != dbs_[s].postlist_end(term)) found.emplace_back(*pl, i);
        }
        std::sort(found.begin(), found.end());
        for (auto [did, i] : found) {
          switch (apply_fast(s, did, skus[i])) {
            case Fast::Unchanged: ++unchanged; rest[i] = 0; break;
            case Fast::ValuesOnly: ++values_only; rest[i] = 0; break;
            case Fast::Reindex: break;
          }
        }
        std::lock_guard lk(mu);
        summary_.unchanged += unchanged;
        summary_.values_only += values_only;
      });
    }
    for (size_t i = 0; i < skus.size(); ++i)
      if (rest[i]) apply_sku(skus[i]);
  }

  enum class Fast { Unchanged, ValuesOnly, Reindex };

  // Reads item document `did` of shard s back whole. False if damaged.
  bool load_item(size_t s, Xapian::docid did, StoredItem& out) {
    out.doc = dbs_[s].get_document(did);
    out.key = out.doc.get_value(slot::kStage1Key);
    out.data = out.doc.get_data();
    return decode_stage1_table(out.key, out.entries) && read_item(out.doc, out.data, out.recs, &out.values);
  }

  // A record whose SKU is a variant of item document `did` of shard s, its target shard: nothing
  // to write (Unchanged), values (and the data if a verdict or the display fields change)
  // rewritten in place (ValuesOnly: the item's terms untouched), or its stored fields change, its
  // item changes or the document cannot be read (Reindex: nothing written here). Touches only
  // shard s.
  Fast apply_fast(size_t s, Xapian::docid did, const SkuRecord& r) {
    auto& db = dbs_[s];
    StoredItem item;
    if (!load_item(s, did, item)) return Fast::Reindex;
    const size_t i = item.find(r.sku_id);
    if (i == std::string::npos || item.recs[i].item_id != r.item_id) return Fast::Reindex;
    RankPack old;
    if (!decode_rank_pack(item.entries[i].rank_pack, old)) return Fast::Reindex;
    bool new_fields = false;
    if (old.stored_hash != stored_hash(r)) {
      // Only the display fields changed when the record with the document's display fields
      // hashes as the document: then its data is rewritten with its values, terms untouched.
      SkuRecord same = r;
      same.fields = item.recs[i].fields;
      new_fields = stored_hash(same) == old.stored_hash;
      if (!new_fields) return Fast::Reindex;
    }
    if (!new_fields && old.price == r.price && old.price_known == r.price_known && old.shipping_fee == r.shipping_fee &&
        old.sales_30d == double(r.sales_30d) && old.reviews == double(r.reviews) &&
        old.good_reviews == double(r.good_reviews) && old.listed_at == double(r.listed_at))
      return Fast::Unchanged;
    item.values[i] = models_.revalue(r, variant_line(item.data, i), item.entries[i]);
    item.recs[i] = r;
    rewrite_values(item.doc, item.recs, item.values);  // terms untouched: Xapian rewrites values (and data if changed)
    rooms_[s].before_change(&item.doc);
    db.replace_document(did, item.doc);
    return Fast::ValuesOnly;
  }

  // Writes item document `did` of shard s (0: a new document) with these variants, each with
  // its duplicate fields; no variants: the document goes. A rewritten document keeps its tier
  // terms (`longtail optimize`, prefix::kTier): its place in the best-prior order is only changed
  // by optimizing again.
  void write_item(size_t s, Xapian::docid did, const std::string& item_id, const std::vector<SkuRecord>& recs,
                  const std::vector<IntegrityVerdict>& dups) {
    auto& db = dbs_[s];
    if (recs.empty()) {
      if (did) write_tracking(s, {item_id}, [&] {
          rooms_[s].before_change(nullptr);
          db.delete_document(did);
        });
      return;
    }
    Xapian::Document doc = models_.document(analyzer(), recs, dups);
    if (did && !manifest_.tier_shares.empty())  // an optimized index: read the old document's tiers
      for (const auto& t : tier_terms(db.get_document(did))) doc.add_boolean_term(t);
    write_tracking(s, {item_id}, [&] {
      rooms_[s].before_change(&doc);
      if (did) db.replace_document(did, doc);
      else db.add_document(doc);
    });
  }

  // Removes variant `sku` from item document `did` of shard s (the document goes with its last
  // variant). False if the document has no such variant.
  bool remove_variant(size_t s, Xapian::docid did, const std::string& sku) {
    StoredItem item;
    if (!load_item(s, did, item))
      throw DataError(index_dir_ + ": damaged stored fields in document " + std::to_string(did));
    const size_t i = item.find(sku);
    if (i == std::string::npos) return false;
    std::vector<SkuRecord> recs;
    std::vector<IntegrityVerdict> dups;
    for (size_t k = 0; k < item.recs.size(); ++k) {
      if (k == i) continue;
      dups.push_back(item.dup(k));
      recs.push_back(std::move(item.recs[k]));
    }
    write_item(s, did, item.recs[i].item_id, recs, dups);
    --skus_[s];
    return true;
  }

  // After a failure: shards that did not commit batch `id` drop their open transaction. The
  // journal stays, so the next update completes the batch.
  void cancel(uint64_t id) {
    for (size_t s = 0; s < dbs_.size(); ++s) {
      if (!pending_[s] || batches_[s] >= id) continue;
      try {
        dbs_[s].cancel_transaction();
      } catch (const Xapian::Error&) {
        // The failure came before this shard's transaction began: nothing to cancel.
      }
    }
    items_.clear();  // re-read from the shards next time
    skus_.clear();
  }

  // Steps 3-5: files outside the shards, then the journal goes.
  void finish(const Batch& b) {
    if (b.kind == BatchKind::Shops) {
      std::vector<const ShopRecord*> all;
      for (const auto& [id, s] : models_.shops) all.push_back(&s);
      std::sort(all.begin(), all.end(), [](auto* x, auto* y) { return x->shop_id < y->shop_id; });
      std::string out;
      for (auto* s : all) out += shop_to_json(*s) + "\n";
      write_file_atomic(gen_dir_ + "/shops.jsonl", out);
    }
    // After every shard committed: a redo never sees prints of its own batch's later records.
    if (updated_) updated_->flush();
    uint64_t skus = 0, items = 0;
    for (size_t s = 0; s < dbs_.size(); ++s) {
      skus += skus_.size() == dbs_.size() && skus_[s] >= 0 ? uint64_t(skus_[s]) : shard_skus(dbs_[s]);
      if (items_.size() == dbs_.size() && items_[s] >= 0) items += uint64_t(items_[s]);
      else items += uint64_t(stored_items(dbs_[s]));
    }
    manifest_.batch = std::max(manifest_.batch, b.id);
    manifest_.skus = skus;
    manifest_.items = items;
    manifest_.shops = models_.shops.size();
    manifest_.updated_at = now_iso();
    write_manifest(gen_dir_, manifest_);
    std::error_code ec;
    fs::remove(gen_dir_ + "/" + kJournalFile, ec);
  }

  static int64_t stored_items(Xapian::Database& db) { return int64_t(shard_items(db)); }

  // Keeps the shard's item count right across a write that may add or remove `item`.
  template <class F>
  void write_tracking(size_t s, const std::vector<std::string>& items, F&& write) {
    std::vector<Xapian::doccount> before;
    for (const auto& it : items) before.push_back(dbs_[s].get_termfreq(std::string(prefix::kItem) + it));
    write();
    for (size_t i = 0; i < items.size(); ++i) {
      Xapian::doccount after = dbs_[s].get_termfreq(std::string(prefix::kItem) + items[i]);
      if (before[i] == 0 && after > 0) ++items_[s];
      if (before[i] > 0 && after == 0) --items_[s];
    }
  }

  // Where sku_id is stored: (shard, docid) pairs. Normally one place at most, so the search stops
  // at the first hit, starting with the shard its item routes to; during a redo a moved SKU may
  // briefly be in two shards, so every shard is searched.
  std::vector<std::pair<size_t, Xapian::docid>> locate(const std::string& sku_term, size_t first) {
    std::vector<std::pair<size_t, Xapian::docid>> found;
    for (size_t k = 0; k < dbs_.size(); ++k) {
      size_t s = (first + k) % dbs_.size();
      auto pl = dbs_[s].postlist_begin(sku_term);
      if (pl != dbs_[s].postlist_end(sku_term)) {
        found.emplace_back(s, *pl);
        if (!redo_) break;
      }
    }
    return found;
  }

  void apply_sku(const SkuRecord& r) {
    const std::string sku_term = std::string(prefix::kSku) + r.sku_id;
    const size_t target = size_t(shard_of(r.item_id, int(dbs_.size())));
    auto where = locate(sku_term, target);
    if (r.deleted) {
      if (where.empty()) ++summary_.delete_missing;
      bool any = false;
      for (auto [s, did] : where) {
        if (!pending_[s]) continue;
        any = remove_variant(s, did, r.sku_id) || any;
      }
      if (any) ++summary_.deleted;
      return;
    }
    // Copies outside the item's document in the target shard (the SKU moved to another item)
    // leave their item.
    Xapian::docid target_did = 0;
    for (auto [s, did] : where) {
      if (s == target && dbs_[s].get_document(did).get_value(slot::kItemId) == r.item_id) {
        target_did = did;
        continue;
      }
      if (pending_[s]) remove_variant(s, did, r.sku_id);
    }
    if (!pending_[target]) {
      // The target shard already has this batch (a redo): duplicate partners in shards that do
      // not yet have it still need the fields the first run gave them.
      if (redo_) match(r);
      return;
    }
    auto& db = dbs_[target];
    if (target_did) {
      switch (apply_fast(target, target_did, r)) {
        case Fast::Unchanged: ++summary_.unchanged; return;
        case Fast::ValuesOnly: ++summary_.values_only; return;
        case Fast::Reindex: break;
      }
    }
    // The item's document in the target shard, if it has one.
    if (!target_did) {
      const std::string item_term = std::string(prefix::kItem) + r.item_id;
      if (auto pl = db.postlist_begin(item_term); pl != db.postlist_end(item_term)) target_did = *pl;
    }
    IntegrityVerdict dup = match(r);
    if (!target_did) {
      write_item(target, 0, r.item_id, {r}, {dup});
      ++skus_[target];
      ++summary_.added;
      return;
    }
    StoredItem item;
    if (!load_item(target, target_did, item))
      throw DataError(index_dir_ + ": damaged stored fields in document " + std::to_string(target_did));
    std::vector<IntegrityVerdict> dups;
    for (size_t k = 0; k < item.recs.size(); ++k) dups.push_back(item.dup(k));
    if (size_t i = item.find(r.sku_id); i != std::string::npos) {
      item.recs[i] = r;
      dups[i] = dup;
      ++summary_.reindexed;
    } else {
      item.recs.push_back(r);
      dups.push_back(dup);
      ++skus_[target];
      ++summary_.added;
    }
    write_item(target, target_did, r.item_id, item.recs, dups);
  }

  // Every variant of item document `did` of shard s valued again (shop changes, duplicate
  // partners: `new_dup`), terms untouched. Returns its variants.
  size_t revalue_item(size_t s, Xapian::docid did, const IntegrityVerdict* new_dup = nullptr) {
    StoredItem item;
    if (!load_item(s, did, item))
      throw DataError(index_dir_ + ": damaged stored fields in document " + std::to_string(did));
    for (size_t i = 0; i < item.recs.size(); ++i)
      item.values[i] = models_.revalue(item.recs[i], variant_line(item.data, i), item.entries[i], new_dup);
    rewrite_values(item.doc, item.recs, item.values);
    rooms_[s].before_change(&item.doc);
    dbs_[s].replace_document(did, item.doc);
    return item.recs.size();
  }

  // A shop's record changed: re-value every SKU of the shop (values may depend on the shop),
  // shards in parallel.
  void apply_shop(const ShopRecord& shop) {
    const std::string term = std::string(prefix::kShop) + shop.shop_id;
    std::mutex mu;
    for_each_shard([&](size_t s) {
      std::vector<Xapian::docid> docs;
      for (auto it = dbs_[s].postlist_begin(term); it != dbs_[s].postlist_end(term); ++it) docs.push_back(*it);
      size_t skus = 0;
      for (Xapian::docid did : docs) skus += revalue_item(s, did);
      std::lock_guard lk(mu);
      summary_.shop_skus += skus;
    });
  }

  // ---- duplicates --------------------------------------------------------------------------
  struct Partner {
    uint64_t item = 0, shop = 0;
    std::vector<std::pair<size_t, Xapian::docid>> docs;
    IntegrityVerdict dup;  // its current duplicate fields (decode_duplicate)
  };

  // Every document of an item, by its XH term, in every shard.
  std::vector<std::pair<size_t, Xapian::docid>> locate_item(uint64_t item) {
    const std::string term = item_hash_term(item);
    std::vector<std::pair<size_t, Xapian::docid>> found;
    for (size_t s = 0; s < dbs_.size(); ++s)
      for (auto it = dbs_[s].postlist_begin(term); it != dbs_[s].postlist_end(term); ++it) found.emplace_back(s, *it);
    return found;
  }

  // Partners of one changed item that are looked at (and re-valued when not yet members): a
  // group of thousands of identical listings costs a bounded amount per new member.
  static constexpr size_t kMaxPartners = 16;

  // Near-duplicates of an added or re-titled record's item (docs/integrity.md, "Updates"): its
  // print is compared with the build's prints (block table, binary search) and with the prints
  // earlier updates made; an edge needs what the build's needs (NearDupClusterer::is_edge).
  // Partners that are not yet members get the membership too, in the shards that still take
  // this batch. Returns the duplicate part of the record's verdict (clean: no partner).
  IntegrityVerdict match(const SkuRecord& r) {
    if (!lookup_) return {};
    const IntegrityModel& model = *models_.integrity;
    std::optional<ItemPrint> p = model.print(r);
    if (!p) return {};
    // Variants of one item in one batch are matched once.
    if (auto it = matched_.find(p->item); it != matched_.end() && same_print(it->second.first, *p)) return it->second.second;
    updated_->add(*p);
    std::vector<ItemPrint> cands;
    lookup_->candidates(*p, dup_params_.max_update_lookup, cands);
    updated_->candidates(*p, dup_params_.max_update_lookup, cands);
    std::map<uint64_t, Partner> partners;  // ordered: the result does not depend on lookup order
    for (const auto& c : cands) {
      if (partners.size() >= kMaxPartners) break;
      if (c.item == p->item || partners.count(c.item)) continue;
      // An item re-titled by an update is compared by its latest print only.
      if (const ItemPrint* latest = updated_->latest(c.item); latest && !same_print(*latest, c)) continue;
      if (!NearDupClusterer::is_edge(*p, c, dup_params_)) continue;
      Partner pt{c.item, c.shop, locate_item(c.item), {}};
      if (pt.docs.empty()) continue;  // deleted since
      pt.dup = decode_duplicate(dbs_[pt.docs[0].first].get_document(pt.docs[0].second));
      partners.emplace(c.item, std::move(pt));
    }
    IntegrityVerdict out;
    if (!partners.empty()) out = join(*p, partners);
    matched_[p->item] = {*p, out};
    return out;
  }

  // The membership of a new member with these partners. An existing cluster id is kept (the
  // smallest a partner has); a new one is named by the smallest item hash, as the build names
  // clusters. Partners already in a group keep their count; every rule reads state that a redo
  // sees alike.
  IntegrityVerdict join(const ItemPrint& p, std::map<uint64_t, Partner>& partners) {
    const IntegrityModel& model = *models_.integrity;
    const uint64_t no_shop = term_hash("");
    uint64_t root = 0, group = 0, smallest = p.item, smallest_same = p.item;
    uint32_t same = 0, shop_size = 0;
    for (auto& [h, pt] : partners) {
      smallest = std::min(smallest, h);
      const uint64_t c = cluster_hash(pt.dup.dup_cluster);
      if (pt.shop == p.shop && p.shop != no_shop) {
        ++same;
        smallest_same = std::min(smallest_same, h);
        if (pt.dup.dup_kind == 'S' && c && (!group || c < group)) group = c;
        if (pt.dup.dup_kind == 'S') shop_size = std::max(shop_size, group_size(pt.dup));
      } else if (pt.dup.dup_kind == 'X' && c && (!root || c < root)) {
        root = c;
      }
    }
    if (!root) root = smallest;
    if (!group) group = smallest_same;
    DupMembership m;
    m.root = root;
    m.shop = p.shop;
    m.size = uint32_t(partners.size() + 1);
    if (same > 0) {
      m.group = group;
      m.shop_size = std::max(shop_size, same + 1);
      m.size = std::max(m.size, m.shop_size);
    } else {
      m.shop_size = 1;
    }
    const IntegrityVerdict mine = model.duplicate_verdict(m);
    for (auto& [h, pt] : partners) {
      const bool same_shop = pt.shop == p.shop && p.shop != no_shop;
      DupMembership pm = m;
      pm.shop = pt.shop;
      if (!same_shop) {
        if (pt.dup.dup_kind) continue;  // already a member of a cluster: left as it is
        pm.shop_size = 1;
      } else if (pt.dup.dup_kind == 'S') {
        continue;  // already in this group (its count stays), or in another one joined through this item
      }
      rewrite_partner(pt, model.duplicate_verdict(pm));
    }
    return mine;
  }

  void rewrite_partner(const Partner& pt, const IntegrityVerdict& dup) {
    for (auto [s, did] : pt.docs) {
      if (!pending_[s]) continue;
      revalue_item(s, did, &dup);
    }
    ++summary_.dup_partners;
  }

  std::string index_dir_, gen_dir_;
  Manifest manifest_;
  const UpdateOptions& o_;
  UpdateSummary& summary_;
  std::vector<Xapian::WritableDatabase> dbs_;
  std::vector<WriteRoom> rooms_;  // per shard: room on disk checked before each flush
  std::vector<uint64_t> batches_;  // per shard: last batch applied
  std::vector<int64_t> items_;     // per shard: distinct items (-1 = not loaded)
  std::vector<int64_t> skus_;      // per shard: SKUs, the variants of its items (-1 = not loaded)
  std::vector<bool> pending_;         // per shard: the current batch still has to be applied
  bool redo_ = false;
  uint64_t commits_ = 0;
  size_t threads_ = 1;  // workers for the per-shard steps (UpdateOptions::threads)
  std::unique_ptr<analysis::Analyzer> analyzer_;
  ValueModels models_;
  DupParams dup_params_;                   // from the build's integrity thresholds
  std::unique_ptr<PrintLookup> lookup_;    // the build's block table (null: no update-time matching)
  std::unique_ptr<UpdatedPrints> updated_; // prints of items updates added or re-titled
  std::unordered_map<uint64_t, std::pair<ItemPrint, IntegrityVerdict>> matched_;  // this batch: item -> print, result
};

}  // namespace
}  // namespace longtail::index

namespace longtail {

using namespace longtail::index;

static UpdateSummary update_index_impl(const UpdateOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  if (o.index_dir.empty()) throw UsageError("update: no index directory given");
  if (o.batch_size < 1 || o.batch_size > 1000000) throw UsageError("update: batch size must be between 1 and 1000000");
  for (const auto& f : o.catalog_files) {
    if (f == "-") throw UsageError("update: the delta is read twice; give a file, not standard input");
    if (!fs::is_regular_file(f)) throw UsageError(f + ": no such delta file");
  }
  if (!o.shops_file.empty() && !fs::is_regular_file(o.shops_file))
    throw UsageError(o.shops_file + ": no such shops file");
  live_generation(o.index_dir);  // UsageError if this is not an index (before the lock makes files)
  {
    std::vector<std::string> inputs = o.catalog_files;
    inputs.push_back(o.shops_file);
    inputs.push_back(o.synonyms_file);
    check_rejects_file(o.rejects_file, o.on_error, inputs);
  }

  WriterLock lock(o.index_dir);
  const std::string gen = live_generation(o.index_dir);
  Manifest manifest = read_manifest(gen);
  check_compatible(manifest, o.index_dir);
  UpdateSummary summary;
  if (!o.synonyms_file.empty()) {
    // Query-time rules: checked with the index's own analyzer, then swapped in whole; no shard
    // is touched (serving indexes take them too).
    const std::string text = read_synonyms_text(o.synonyms_file);
    std::shared_ptr<const analysis::Lexicon> lexicon;
    try {
      lexicon = analysis::Lexicon::load(gen + "/lexicon.bin");
    } catch (const analysis::AnalysisError& e) {
      throw DataError(o.index_dir + ": lexicon: " + e.what());
    }
    summary.synonym_rules = parse_synonyms(text, o.synonyms_file, analysis::Analyzer(lexicon)).rules.size();
    write_file_atomic(gen + "/" + kSynonymsFile, text);
    write_manifest(gen, manifest);
    summary.synonyms_replaced = true;
    if (o.catalog_files.empty() && o.shops_file.empty()) {
      summary.skus = manifest.skus;
      summary.items = manifest.items;
      summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return summary;
    }
  }
  if (manifest.serving)
    throw UsageError(o.index_dir + ": its shards are serving shards (built or optimized with --serving: no termlist, "
                     "which Xapian 1.4 needs to replace or delete a document); update the updatable index and make "
                     "serving shards from it again, or rebuild with `longtail build --serving`");

  Session session(o.index_dir, gen, manifest, o, summary);
  summary.repaired = session.recover();

  // Pass 1: validate everything; with OnError::Fail the first bad record stops us here, before
  // the index is touched.
  RejectSink sink(o.on_error, o.rejects_file);
  ProgressMeter meter(o.progress);
  uint64_t delta_bytes = 0, bytes_done = 0, valid = 0;
  for (const auto& f : o.catalog_files) delta_bytes += fs::file_size(f);
  meter.phase("validate", delta_bytes, "bytes");
  ShopMap shop_delta;
  if (!o.shops_file.empty()) shop_delta = read_shops(o.shops_file, sink);
  RecordParser parser;
  for (const auto& file : o.catalog_files) {
    LineReader reader(file);
    LineReader::Line line;
    SkuRecord rec;
    while (reader.next(line)) {
      if (!sink.screen(file, line)) continue;
      RecordError err{file, line.number, "", ""};
      if (!parser.parse_sku(line.text, rec, err)) sink.reject(std::move(err), line.text);
      else ++valid;
      meter.set(bytes_done + reader.bytes_read(), valid);
    }
    bytes_done += reader.bytes_read();
  }
  meter.flush();
  meter.phase("apply", valid, "records");

  // Shops first, so SKUs of new shops are valued with them.
  {
    std::vector<std::string> changed;
    for (const auto& [id, s] : shop_delta) {
      auto it = session.shops().find(id);
      std::string json = shop_to_json(s);
      if (it == session.shops().end() || shop_to_json(it->second) != json) changed.push_back(std::move(json));
    }
    std::sort(changed.begin(), changed.end());
    summary.shops_changed = changed.size();
    for (size_t i = 0; i < changed.size(); i += o.batch_size) {
      size_t end = std::min(changed.size(), i + o.batch_size);
      session.run(BatchKind::Shops, std::vector<std::string>(changed.begin() + long(i), changed.begin() + long(end)));
    }
  }

  // Pass 2: SKU batches of validated lines, in input order, with their records.
  std::vector<std::string> lines;
  std::vector<SkuRecord> recs;
  SkuRecord rec;
  for (const auto& file : o.catalog_files) {
    LineReader reader(file);
    LineReader::Line line;
    while (reader.next(line)) {
      if (line.too_long || line.text.find_first_not_of(" \t") == std::string_view::npos) continue;
      RecordError err{file, line.number, "", ""};
      if (!parser.parse_sku(line.text, rec, err)) continue;  // reported in pass 1
      lines.emplace_back(line.text);
      recs.push_back(std::move(rec));
      ++summary.records;
      if (lines.size() >= o.batch_size) {
        session.run(BatchKind::Skus, std::move(lines), std::move(recs));
        lines.clear();
        recs.clear();
        meter.set(summary.records, summary.records);
      }
    }
  }
  if (!lines.empty()) session.run(BatchKind::Skus, std::move(lines), std::move(recs));
  meter.set(summary.records, summary.records);
  meter.flush();

  session.totals(summary.skus, summary.items);
  summary.rejected = sink.count();
  summary.errors = sink.take_errors();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}


UpdateSummary update_index(const UpdateOptions& o) {
  // Xapian reports I/O failures (a full disk: ENOSPC) as Xapian::Error, which is no
  // longtail::Error: named here with the index, so that a caller's handler (and the CLI: exit 1)
  // sees it as the data error it is instead of an unknown exception.
  try {
    return update_index_impl(o);
  } catch (const Xapian::Error& e) {
    throw DataError(o.index_dir + ": " + e.get_description() + " (the batch is not complete: the next update or open redoes it from its journal)");
  }
}

}  // namespace longtail
