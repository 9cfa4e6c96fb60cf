// longtail::build_index: two streaming passes over the catalog.
//   pass 1 (scan):  validate every record, gather per-category statistics, catalog vocabulary
//                   for the lexicon, and (item-independent) duplicate sku_id detection through
//                   hash buckets on disk;
//   pass 2 (index): analyze and write documents, routed by item_id to shard writers running in
//                   parallel threads, into a new generation directory that is published only
//                   when complete.
#include "index/builder.h"

#include <algorithm>
#include <span>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <xapian.h>
#include <xxhash.h>

#include "analyzers/analyzer.h"
#include "analyzers/lexicon_learner.h"
#include "common/json_writer.h"
#include "format/document.h"
#include "format/layout.h"
#include "format/stored.h"
#include "index/build_profile.h"
#include "index/catalog.h"
#include "index/index_dir.h"
#include "index/integrity.h"
#include "index/integrity_text.h"
#include "index/progress.h"
#include "index/signals.h"
#include "index/write_room.h"
#include "index/spelling.h"
#include "index/synonyms.h"
#include "index/updater.h"

namespace fs = std::filesystem;

namespace longtail::index {

// ------------------------------------------------------------------------------------------
// RejectSink

RejectSink::RejectSink(OnError mode, const std::string& rejects_file) : mode_(mode) {
  if (!rejects_file.empty()) {
    out_ = std::fopen(rejects_file.c_str(), "wb");
    if (!out_) throw UsageError(rejects_file + ": cannot write rejects file: " + std::strerror(errno));
  }
}

RejectSink::~RejectSink() {
  if (out_) std::fclose(out_);
}

void RejectSink::reject(RecordError err, std::string_view raw_line) {
  ++count_;
  if (mode_ == OnError::Fail) throw DataError(err.to_string());
  if (out_) {
    std::string head = "# " + err.to_string() + "\n";
    std::fwrite(head.data(), 1, head.size(), out_);
    std::fwrite(raw_line.data(), 1, raw_line.size(), out_);
    std::fputc('\n', out_);
  }
  if (errors_.size() < 100) errors_.push_back(std::move(err));
}

bool RejectSink::screen(const std::string& file, const LineReader::Line& line) {
  if (line.too_long) {
    reject(RecordError{file, line.number, "line", "longer than " + std::to_string(kMaxLineBytes) + " bytes"}, "");
    return false;
  }
  return line.text.find_first_not_of(" \t") != std::string_view::npos;  // blank lines are skipped
}

// ------------------------------------------------------------------------------------------
// Shops

std::string shop_to_json(const ShopRecord& s) {
  std::string o;
  json::Writer(o)
      .object()
      .field("shop_id", s.shop_id)
      .field("name", s.name)
      .key("dsr")
      .object()
      .field("description", s.dsr_description)
      .field("service", s.dsr_service)
      .field("shipping", s.dsr_shipping)
      .field("delivery", s.dsr_delivery)
      .end()
      .field("ratings_6m", s.ratings_6m)
      .field("violations", s.violations)
      .field("blocked", s.blocked)
      .end();
  return o;
}

std::unordered_map<std::string, ShopRecord> read_shops(const std::string& path, RejectSink& sink) {
  std::unordered_map<std::string, ShopRecord> shops;
  LineReader reader(path);
  RecordParser parser;
  LineReader::Line line;
  while (reader.next(line)) {
    if (!sink.screen(path, line)) continue;
    RecordError err{path, line.number, "", ""};
    ShopRecord shop;
    if (!parser.parse_shop(line.text, shop, err)) {
      sink.reject(std::move(err), line.text);
      continue;
    }
    if (shops.count(shop.shop_id)) {
      err.field = "shop_id";
      err.reason = "duplicate shop_id \"" + shop.shop_id + "\"";
      sink.reject(std::move(err), line.text);
      continue;
    }
    std::string id = shop.shop_id;
    shops.emplace(std::move(id), std::move(shop));
  }
  return shops;
}

int shard_of(std::string_view item_id, int shards) {
  return int(XXH3_64bits(item_id.data(), item_id.size()) % uint64_t(shards));
}

// ------------------------------------------------------------------------------------------
// Duplicate sku_id detection in bounded memory: (hash, ordinal) pairs go to kBuckets files by
// hash; each bucket is sorted alone. Memory: one bucket (about 1/64 of 16 bytes per SKU).

namespace {

constexpr int kBuckets = 64;

struct HashRec {
  uint64_t hash;
  uint64_t ordinal;  // file index << 40 | line number
};

class DupDetector {
 public:
  explicit DupDetector(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir_);
    for (int i = 0; i < kBuckets; ++i) {
      std::string p = dir_ + "/b" + std::to_string(i);
      files_[i] = std::fopen(p.c_str(), "w+b");
      if (!files_[i]) throw DataError(p + ": cannot create temporary file");
    }
  }
  ~DupDetector() {
    for (auto* f : files_)
      if (f) std::fclose(f);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static uint64_t hash(std::string_view id) { return XXH3_64bits(id.data(), id.size()); }
  void add(uint64_t h, uint64_t ordinal) {
    HashRec r{h, ordinal};
    std::fwrite(&r, sizeof r, 1, files_[h >> 58]);
  }
  // After all adds: the hashes seen more than once, with the ordinal of their first record.
  void finish() {
    std::vector<HashRec> recs;
    for (auto* f : files_) {
      std::fflush(f);
      long size = std::ftell(f);
      std::rewind(f);
      recs.resize(size_t(size) / sizeof(HashRec));
      if (!recs.empty() && std::fread(recs.data(), sizeof(HashRec), recs.size(), f) != recs.size())
        throw DataError("duplicate detection: temporary file read failed");
      std::sort(recs.begin(), recs.end(), [](const HashRec& a, const HashRec& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.ordinal < b.ordinal;
      });
      for (size_t i = 1; i < recs.size(); ++i)
        if (recs[i].hash == recs[i - 1].hash && !first_.count(recs[i].hash)) first_[recs[i].hash] = recs[i - 1].ordinal;
    }
  }
  // The first ordinal of a duplicated hash, or 0 if the hash occurs once.
  uint64_t first_of(uint64_t h) const {
    auto it = first_.find(h);
    return it == first_.end() ? 0 : it->second;
  }
  bool any() const { return !first_.empty(); }

 private:
  std::string dir_;
  std::FILE* files_[kBuckets] = {};
  std::unordered_map<uint64_t, uint64_t> first_;
};

uint64_t make_ordinal(size_t file_index, uint64_t line) { return (uint64_t(file_index) << 40) | line; }

// ------------------------------------------------------------------------------------------
// Shard writers

struct Batch {
  int shard = 0;
  std::vector<SkuRecord> records;
};

// A bounded queue of batches between two threads: push() waits while it is full, pop() while it
// is empty; close() ends it after the batches queued, abort() at once (push() then drops).
template <class B>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  void push(B b) {
    std::unique_lock lk(m_);
    not_full_.wait(lk, [&] { return q_.size() < capacity_ || aborted_; });
    if (aborted_) return;
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  bool pop(B& b) {
    std::unique_lock lk(m_);
    not_empty_.wait(lk, [&] { return !q_.empty() || closed_ || aborted_; });
    if (aborted_ || q_.empty()) return false;
    b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard lk(m_);
    closed_ = true;
    not_empty_.notify_all();
  }
  bool aborted() {
    std::lock_guard lk(m_);
    return aborted_;
  }
  void abort() {
    std::lock_guard lk(m_);
    aborted_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<B> q_;
  size_t capacity_;
  bool closed_ = false, aborted_ = false;
};
using BatchQueue = BoundedQueue<Batch>;

constexpr size_t kBatchSize = 256;

}  // namespace

}  // namespace longtail::index

namespace longtail {

using namespace longtail::index;


namespace {

// Brand names in both scripts (docs/ranking.md, "Synonyms"): each group of the integrity model's
// brand lexicon becomes one equivalent rule, so a query for 耐克 also finds a title that says only
// Nike. Left out: aliases with digits (a model number written beside a brand, iphone15, is no
// name of the brand), groups with more than one name in Han or more than 3 names (a lexicon join
// too loose to trust: "miui, 华凌, 家电, 小米" on the mcpr_dev titles), and lines the index
// analyzer cannot use.
void write_brand_aliases(const IntegrityModel& integrity, const analysis::Analyzer& analyzer, const std::string& path) {
  std::string text = "# Brand names in both scripts, learned from the catalog by `longtail build` (--no-brand-aliases: none)\n";
  size_t rules = 0;
  for (const auto& group : integrity.brand_alias_groups()) {
    std::vector<std::string> names;
    for (const auto& a : group) {
      const bool plain = a.find_first_of(",#\n\r0123456789") == std::string::npos && a.find("=>") == std::string::npos &&
                         a.find("\xEF\xBC\x8C") == std::string::npos;
      if (plain) names.push_back(a);
    }
    const auto latin = std::count_if(names.begin(), names.end(), [](const std::string& n) { return integrity_text::is_latin(n); });
    const auto other = std::ptrdiff_t(names.size()) - latin;
    if (latin < 1 || other != 1 || names.size() > 3) continue;
    std::string line;
    for (const auto& n : names) line += (line.empty() ? "" : ", ") + n;
    try {
      (void)parse_synonyms(line, path, analyzer);
    } catch (const UsageError&) {
      continue;
    }
    text += line + "\n";
    ++rules;
  }
  if (rules > 0) write_file_atomic(path, text);
}

// ------------------------------------------------------------------------------------------
// The stages of a build, in the order build_index_impl() runs them: check_build_options (usage
// errors, before anything is touched); Generation (the writer lock and the new generation
// directory); BuildState (the shops and the models pass 1 fills); scan_catalog (pass 1);
// save_lexicon; index_catalog (pass 2); refuse_empty_catalog; write_generation_files; publish.

using BuildClock = std::chrono::steady_clock;

// What a build knows before it touches anything.
struct BuildInputs {
  int threads = 1;
  BuildProfile build_profile;
  std::string synonyms;  // the synonym rules as written (empty: no synonyms file)
};

BuildInputs check_build_options(const BuildOptions& o) {
  if (o.catalog_files.empty()) throw UsageError("build: no catalog file given");
  if (o.index_dir.empty()) throw UsageError("build: no index directory given");
  if (o.shards < 1 || o.shards > 256) throw UsageError("build: --shards must be between 1 and 256");
  if (o.threads < 0) throw UsageError("build: --threads must not be negative");
  for (const auto& f : o.catalog_files)
    if (f != "-" && !fs::is_regular_file(f)) throw UsageError(f + ": no such catalog file");
  for (const auto& f : o.catalog_files)
    if (f == "-") throw UsageError("build: the catalog is read twice; give a file, not standard input");
  if (!o.shops_file.empty() && !fs::is_regular_file(o.shops_file))
    throw UsageError(o.shops_file + ": no such shops file");
  {
    std::vector<std::string> inputs = o.catalog_files;
    inputs.push_back(o.shops_file);
    inputs.push_back(o.profile);
    inputs.push_back(o.synonyms_file);
    check_rejects_file(o.rejects_file, o.on_error, inputs);
  }

  BuildInputs in;
  in.threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  in.threads = std::min(in.threads, o.shards);

  // Build-time signal constants and detector thresholds from the profile's [build] and
  // [integrity] tables (a bad profile is a usage error raised before anything is touched).
  in.build_profile = o.profile.empty() ? BuildProfile{} : read_build_profile_file(o.profile);
  // Synonym rules are checked now (a bad line is a usage error before anything is touched) with
  // the base lexicon's analyzer, and stored as written: readers parse them with the index's own.
  if (!o.synonyms_file.empty()) {
    in.synonyms = read_synonyms_text(o.synonyms_file);
    (void)parse_synonyms(in.synonyms, o.synonyms_file, analysis::Analyzer(analysis::Lexicon::load_default()));
  }
  return in;
}

// The new generation, under the writer lock. Anything failing before publish() removes the
// half-built generation; CURRENT still names the old one.
struct Generation {
  WriterLock lock;
  const std::string name = new_generation_name();
  const std::string index_id = new_index_id();  // every shard carries "<id>:<k>" (Manifest::index_id)
  const std::string dir;
  bool keep = false;  // published

  explicit Generation(const std::string& index_dir) : lock(index_dir), dir((fs::path(index_dir) / name).string()) {
    fs::create_directories(dir);
  }
  ~Generation() {
    if (!keep) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }
};

// The state carried from one stage of a build to the next.
struct BuildState {
  const BuildOptions& o;
  const BuildInputs& in;
  Generation& gen;
  const BuildClock::time_point t0;
  RejectSink sink;
  BuildSummary summary;
  std::unordered_map<std::string, ShopRecord> shops;
  uint64_t total_bytes = 0;  // of the catalog files
  // Pass 1 fills the models, pass 2 applies them.
  SignalModel signals;
  std::shared_ptr<const analysis::Lexicon> base;
  const analysis::Analyzer base_analyzer;
  // Listing integrity (index/integrity.h): statistics and fingerprints in pass 1, with the base
  // analyzer so that updates segment alike; spill and prints files go into the generation.
  IntegrityModel integrity;
  DupDetector dups;
  RecordParser parser;
  ProgressMeter meter;
  std::shared_ptr<const analysis::Lexicon> lexicon;  // save_lexicon(): the generation's
  std::vector<std::string> shard_names;              // index_catalog()
  uint64_t items = 0;                                // index_catalog(): the items in all shards
  // Pass 1: the records of each item (DupDetector::hash of item_id -> count), so that pass 2
  // writes an item's document once its last variant was read, wherever its lines are.
  std::unordered_map<uint64_t, uint32_t> item_records;

  BuildState(const BuildOptions& o, const BuildInputs& in, Generation& gen, BuildClock::time_point t0);
  double elapsed() const { return std::chrono::duration<double>(BuildClock::now() - t0).count(); }
};

uint64_t catalog_bytes(const std::vector<std::string>& files) {
  uint64_t total = 0;
  for (const auto& f : files) total += fs::file_size(f);
  return total;
}

BuildState::BuildState(const BuildOptions& o, const BuildInputs& in, Generation& gen, BuildClock::time_point t0)
    : o(o),
      in(in),
      gen(gen),
      t0(t0),
      sink(o.on_error, o.rejects_file),
      shops(o.shops_file.empty() ? std::unordered_map<std::string, ShopRecord>{} : read_shops(o.shops_file, sink)),
      total_bytes(catalog_bytes(o.catalog_files)),
      signals(in.build_profile.signals, &shops),
      base(analysis::Lexicon::load_default()),
      base_analyzer(base),
      integrity(base_analyzer, in.build_profile.integrity, gen.dir),
      dups(gen.dir + "/tmp-dups"),
      meter(o.progress) {
  summary.shards = o.shards;
  summary.shops = shops.size();
  integrity.set_shops(shops);
}

// ---- pass 1: scan -------------------------------------------------------------------------

// Catalog vocabulary: brands (alias groups), attribute values, category names and words
// discovered in titles (bounded: the learner's table is fixed, it reads the first 200k titles).
// The vocabulary learner runs on its own thread, fed the accepted records in catalog order in
// batches (the same sequence as when it ran inline, so the same lexicon), while this thread
// validates and gathers the statistics; it then computes the learned words (discovery) while
// this thread finishes the models. Pass 1 takes about the longer of the two, not their sum.
class CatalogLearner {
 public:
  // The thread runs only when `learn`.
  CatalogLearner(const analysis::Analyzer& base_analyzer, bool learn) : vocab_(base_analyzer) {
    if (learn) thread_ = std::thread([this] { run(); });
  }
  ~CatalogLearner() {  // an exception on the main thread: stop without waiting for the queue
    if (!thread_.joinable()) return;
    queue_.abort();
    thread_.join();
  }
  void add(SkuRecord&& rec) {
    batch_.records.push_back(std::move(rec));
    if (batch_.records.size() >= kBatchSize) flush();
  }
  void flush() {
    if (batch_.records.empty()) return;
    queue_.push(std::move(batch_));
    batch_ = Batch{};
    batch_.records.reserve(kBatchSize);
  }
  // Waits for the words; rethrows the learner's exception.
  std::vector<analysis::Lexicon::Entry> finish() {
    if (!thread_.joinable()) return std::move(learned_);
    queue_.close();
    thread_.join();
    if (error_) std::rethrow_exception(error_);
    return std::move(learned_);
  }

 private:
  void run() {
    try {
      Batch lb;
      while (queue_.pop(lb))
        for (const auto& rec : lb.records) {
          if (!rec.brand.empty()) vocab_.add_brand(rec.brand);
          for (const auto& [k, v] : rec.attrs) vocab_.add_attribute_value(v);
          if (!rec.category.empty()) vocab_.add_category(rec.category);
          vocab_.add_title(rec.title);
        }
      learned_ = vocab_.entries();
    } catch (...) {
      error_ = std::current_exception();
      queue_.abort();
    }
  }

  analysis::LexiconLearner vocab_;
  BatchQueue queue_{8};
  std::exception_ptr error_;
  std::vector<analysis::Lexicon::Entry> learned_;
  Batch batch_;
  std::thread thread_;
};

// The reading half of pass 1, on its own thread: reads the catalog files, screens and parses
// every line (rejects go to the sink, in file order: only this thread uses the sink and the
// parser during pass 1) and, for each record that starts an item (the condition of
// IntegrityModel::observe), analyzes its title in Query mode with the integrity model's own
// analyzer, the costliest part of observing it. The accepted records come out of next() in
// catalog order, in batches. An error of this thread (a reject in fail mode, a read error) is
// rethrown by next() after the records before it; destroying the reader stops the thread.
class CatalogReader {
 public:
  struct Scanned {
    SkuRecord rec;
    uint64_t ordinal = 0;                       // make_ordinal(file index, line number)
    uint64_t bytes = 0, seen = 0;               // progress: catalog bytes and lines read so far
    bool starts_item = false;                   // title_tokens are set
    std::vector<analysis::Token> title_tokens;  // analyze(rec.title, Query)
  };
  using Batch = std::vector<Scanned>;

  explicit CatalogReader(BuildState& st) : st_(st) {
    thread_ = std::thread([this] { run(); });
  }
  ~CatalogReader() {  // an exception on the main thread: stop reading at once
    if (!thread_.joinable()) return;
    stop_ = true;
    queue_.abort();
    thread_.join();
  }
  // The next batch; false at the end. Rethrows the reading thread's exception.
  bool next(Batch& b) {
    if (queue_.pop(b)) return true;
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(error_);
    return false;
  }

 private:
  static constexpr size_t kScanBatch = 512;

  void run() {
    try {
      read();
    } catch (...) {
      error_ = std::current_exception();
    }
    queue_.close();  // the main thread takes the batches before the error, then the error
  }

  void read() {
    const auto& files = st_.o.catalog_files;
    const analysis::Analyzer& analyzer = st_.base_analyzer;  // the integrity model's (BuildState)
    uint64_t seen = 0, bytes_done = 0;
    std::string prev_item;
    Batch batch;
    batch.reserve(kScanBatch);
    for (size_t fi = 0; fi < files.size() && !stop_; ++fi) {
      const auto& file = files[fi];
      LineReader reader(file);
      LineReader::Line line;
      SkuRecord rec;
      while (!stop_.load(std::memory_order_relaxed) && reader.next(line)) {
        ++seen;
        if (!st_.sink.screen(file, line)) continue;
        RecordError err{file, line.number, "", ""};
        if (!st_.parser.parse_sku(line.text, rec, err)) {
          st_.sink.reject(std::move(err), line.text);
          continue;
        }
        if (rec.deleted) {
          err.field = "deleted";
          err.reason = "deletions belong in `longtail update`, not in a build";
          st_.sink.reject(std::move(err), line.text);
          continue;
        }
        Scanned& s = batch.emplace_back();
        s.ordinal = make_ordinal(fi, line.number);
        s.bytes = bytes_done + reader.bytes_read();
        s.seen = seen;
        if (prev_item.empty() || rec.item_id != prev_item) {
          s.starts_item = true;
          s.title_tokens = analyzer.analyze(rec.title, analysis::Mode::Query);
          prev_item = rec.item_id;
        }
        s.rec = std::move(rec);  // parse_sku() resets the record it fills
        if (batch.size() >= kScanBatch) {
          queue_.push(std::move(batch));
          batch = Batch{};
          batch.reserve(kScanBatch);
        }
      }
      bytes_done += reader.bytes_read();
    }
    if (!batch.empty() && !stop_) queue_.push(std::move(batch));
  }

  BuildState& st_;
  BoundedQueue<Batch> queue_{8};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
  std::thread thread_;
};

// Validates every record (rejects go to the sink), gathers the statistics, the duplicate sku_ids
// and the integrity model, and learns the catalog's words: returned (none without
// --learn-lexicon). Three threads: the reader (reads, parses, analyzes titles), this one (the
// models, in catalog order, as if it read the records itself) and the learner.
std::vector<analysis::Lexicon::Entry> scan_catalog(BuildState& st) {
  const BuildOptions& o = st.o;
  CatalogLearner learner(st.base_analyzer, o.learn_lexicon);
  st.meter.phase("scan", st.total_bytes, "bytes");
  CatalogReader reader(st);
  CatalogReader::Batch batch;
  while (reader.next(batch))
    for (auto& s : batch) {
      SkuRecord& rec = s.rec;
      st.dups.add(DupDetector::hash(rec.sku_id), s.ordinal);
      ++st.item_records[DupDetector::hash(rec.item_id)];
      st.signals.observe(rec);
      st.integrity.observe(rec, s.starts_item ? &s.title_tokens : nullptr);
      if (o.learn_lexicon) learner.add(std::move(rec));
      st.meter.set(s.bytes, s.seen);
    }
  learner.flush();
  st.dups.finish();
  st.signals.finish();
  st.integrity.finish(st.in.threads);
  return learner.finish();
}

// ---- lexicon ------------------------------------------------------------------------------

// The generation's lexicon (the base one, with the learned words), its synonym rules and brand
// aliases; returns the analyzer of the index.
analysis::Analyzer save_lexicon(BuildState& st, const std::vector<analysis::Lexicon::Entry>& learned) {
  const BuildOptions& o = st.o;
  st.lexicon = st.base;
  if (o.learn_lexicon) st.lexicon = analysis::Lexicon::extend(*st.base, learned);
  st.lexicon->save(st.gen.dir + "/lexicon.bin");
  if (!o.synonyms_file.empty()) write_file_atomic(st.gen.dir + "/" + kSynonymsFile, st.in.synonyms);
  analysis::Analyzer analyzer(st.lexicon);
  if (o.brand_aliases) write_brand_aliases(st.integrity, analyzer, st.gen.dir + "/" + kBrandAliasesFile);
  st.summary.scan_seconds = st.elapsed();
  return analyzer;
}

// ---- pass 2: index ------------------------------------------------------------------------

std::vector<std::string> make_shard_names(int shards) {
  std::vector<std::string> names;
  for (int s = 0; s < shards; ++s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "shard-%03d", s);
    names.emplace_back(buf);
  }
  return names;
}

// The shard writers: thread t writes the shards s with s % threads == t, from queues[t]. The
// first error is kept and aborts every queue.
struct ShardWriters {
  std::vector<std::unique_ptr<BatchQueue>> queues;
  std::mutex err_mu;
  std::exception_ptr worker_error;
  std::atomic<uint64_t> items_total{0};
  std::vector<std::thread> workers;
};

// Writer thread t: opens its shards, writes the documents of the batches in its queue, then
// commits, identifies and closes its shards, counting their items.
void write_shards(const BuildState& st, const analysis::Analyzer& analyzer, ShardWriters& w, int t) {
  const BuildOptions& o = st.o;
  const int threads = st.in.threads;
  std::vector<std::unique_ptr<Xapian::WritableDatabase>> dbs(size_t(o.shards));
  // Serving shards: no termlist, the stored fields in blocks beside the shard (format/stored.h).
  std::vector<std::unique_ptr<StoredWriter>> stored(size_t(o.shards));
  // Room on disk is checked before each Xapian flush (index/write_room.h).
  std::vector<std::unique_ptr<WriteRoom>> rooms(size_t(o.shards));
  try {
    for (int s = t; s < o.shards; s += threads) {
      const std::string dir = st.gen.dir + "/" + st.shard_names[size_t(s)];
      rooms[size_t(s)] = std::make_unique<WriteRoom>(dir);
      dbs[size_t(s)] = std::make_unique<Xapian::WritableDatabase>(
          dir, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC | Xapian::DB_BACKEND_GLASS |
                   (o.serving ? Xapian::DB_NO_TERMLIST : 0));
      if (o.serving) stored[size_t(s)] = std::make_unique<StoredWriter>(dir + "/" + kStoredFile);
    }
    DocumentMemo memo(analyzer);
    std::vector<uint64_t> skus(size_t(o.shards), 0);
    Batch b;
    while (w.queues[size_t(t)]->pop(b)) {
      auto& db = *dbs[size_t(b.shard)];
      // A batch holds whole items, each item's records together (route_records).
      std::vector<IntegrityVerdict> verdicts;
      std::vector<ListingValues> values;
      for (size_t i = 0; i < b.records.size();) {
        size_t e = i + 1;
        while (e < b.records.size() && b.records[e].item_id == b.records[i].item_id) ++e;
        const std::span<const SkuRecord> item(b.records.data() + i, e - i);
        // The one writer (format/document.h): terms, data, values with the ranking signals
        // (index/signals.h) and the integrity verdicts (index/integrity.h), the variant table.
        verdicts.clear();
        values.clear();
        for (const auto& r : item) {
          verdicts.push_back(st.integrity.assess(r));
          values.push_back({st.signals.signals(r), IntegrityModel::values(verdicts.back())});
        }
        Xapian::Document doc = write_document(memo, item, values);
        for (size_t k = 0; k < item.size(); ++k)
          st.integrity.annotate_terms(analyzer, item[k], doc, verdicts[k]);  // repeated words' wdf, the XH term
        if (auto& sw = stored[size_t(b.shard)]) move_data(doc, *sw);
        rooms[size_t(b.shard)]->before_change(&doc);
        db.add_document(doc);
        skus[size_t(b.shard)] += item.size();
        i = e;
      }
    }
    // The build failed elsewhere (another writer, reading the catalog): nothing is committed.
    if (w.queues[size_t(t)]->aborted()) throw DataError("build: stopped after a failure elsewhere");
    for (size_t s = 0; s < dbs.size(); ++s) {
      auto& db = dbs[s];
      if (!db) continue;
      if (stored[s]) stored[s]->finish();
      db->set_metadata(kShardIdentityKey, st.gen.index_id + ":" + std::to_string(s));
      db->set_metadata(kMetaSkus, std::to_string(skus[s]));
      rooms[s]->before_commit();
      db->commit();
      uint64_t items = 0;
      for (auto it = db->allterms_begin(std::string(prefix::kItem)); it != db->allterms_end(std::string(prefix::kItem)); ++it)
        ++items;
      w.items_total += items;
      db->close();
    }
  } catch (...) {
    {
      std::lock_guard lk(w.err_mu);
      if (!w.worker_error) w.worker_error = std::current_exception();
      for (auto& q : w.queues) q->abort();
    }
    // The shards are abandoned, not closed: close() and the destructor of a WritableDatabase
    // commit the pending changes, whose flush may fail again inside Xapian's value merge
    // (index/write_room.h). The half-built generation is removed by ~Generation.
    for (auto& db : dbs) abandon(std::move(db));
  }
}

// Reads the catalog again and sends each record pass 1 accepted to its shard's writer, in
// batches; rejects the duplicate sku_ids after their first record. Stops when a writer failed.
void route_records(BuildState& st, ShardWriters& w) {
  const BuildOptions& o = st.o;
  const int threads = st.in.threads;
  std::vector<Batch> pending(size_t(o.shards));
  for (int s = 0; s < o.shards; ++s) pending[size_t(s)].shard = s;
  auto flush = [&](int s) {
    auto& b = pending[size_t(s)];
    if (b.records.empty()) return;
    Batch out{s, std::move(b.records)};
    b.records.clear();
    b.records.reserve(kBatchSize);
    w.queues[size_t(s % threads)]->push(std::move(out));
  };
  // Records wait here until their item is complete (pass 1 counted its records), then go to the
  // shard's batch together: one document per item. An item's lines are usually consecutive.
  std::unordered_map<uint64_t, std::vector<SkuRecord>> waiting;
  auto send = [&](std::vector<SkuRecord>&& recs) {
    if (recs.empty()) return;
    // By item_id (two items whose ids hash alike wait together), stable: catalog order within.
    std::stable_sort(recs.begin(), recs.end(), [](const SkuRecord& a, const SkuRecord& b) { return a.item_id < b.item_id; });
    const int s = shard_of(recs.front().item_id, o.shards);
    for (auto& r : recs) pending[size_t(s)].records.push_back(std::move(r));
    if (pending[size_t(s)].records.size() >= kBatchSize) flush(s);
  };
  auto done_one = [&](uint64_t h) {
    auto c = st.item_records.find(h);
    if (c == st.item_records.end() || c->second == 0) return;
    if (--c->second > 0) return;
    st.item_records.erase(c);
    if (auto wt = waiting.find(h); wt != waiting.end()) {
      std::vector<SkuRecord> recs = std::move(wt->second);
      waiting.erase(wt);
      send(std::move(recs));
    }
  };
  auto take = [&](SkuRecord&& r) {
    const uint64_t h = DupDetector::hash(r.item_id);
    auto c = st.item_records.find(h);
    if (c == st.item_records.end() || c->second <= 1) {  // the item's last (or only) record
      if (c != st.item_records.end()) st.item_records.erase(c);
      std::vector<SkuRecord> recs;
      if (auto wt = waiting.find(h); wt != waiting.end()) {
        recs = std::move(wt->second);
        waiting.erase(wt);
      }
      recs.push_back(std::move(r));
      send(std::move(recs));
      return;
    }
    --c->second;
    waiting[h].push_back(std::move(r));
  };
  uint64_t bytes_done = 0;
  st.meter.phase("index", st.total_bytes, "bytes");
  for (size_t fi = 0; fi < o.catalog_files.size(); ++fi) {
    const auto& file = o.catalog_files[fi];
    LineReader reader(file);
    LineReader::Line line;
    SkuRecord rec;
    while (reader.next(line)) {
      if (line.too_long || line.text.find_first_not_of(" \t") == std::string_view::npos) continue;
      RecordError err{file, line.number, "", ""};
      if (!st.parser.parse_sku(line.text, rec, err) || rec.deleted) continue;  // reported in pass 1
      uint64_t h = DupDetector::hash(rec.sku_id);
      if (uint64_t first = st.dups.any() ? st.dups.first_of(h) : 0; first != 0 && first != make_ordinal(fi, line.number)) {
        done_one(DupDetector::hash(rec.item_id));  // the item has one record less to wait for
        err.field = "sku_id";
        err.reason = "duplicate sku_id \"" + rec.sku_id + "\" (first at " + o.catalog_files[first >> 40] + ":" +
                     std::to_string(first & ((uint64_t(1) << 40) - 1)) + ")";
        st.sink.reject(std::move(err), line.text);
        continue;
      }
      {
        std::lock_guard lk(w.err_mu);
        if (w.worker_error) break;
      }
      ++st.summary.accepted;
      take(std::move(rec));
      if (o.fail_after_records && st.summary.accepted >= o.fail_after_records)
        throw DataError("build: injected failure after " + std::to_string(st.summary.accepted) + " records");
      st.meter.set(bytes_done + reader.bytes_read(), st.summary.accepted);
    }
    bytes_done += reader.bytes_read();
  }
  // Nothing should wait now (pass 1 counted what pass 2 reads); whatever does is written as is.
  for (auto& [h, recs] : waiting) send(std::move(recs));
  waiting.clear();
  for (int s = 0; s < o.shards; ++s) flush(s);
}

// Analyzes and writes the documents, routed by item_id to the shard writers running in parallel
// threads; rethrows the first writer's error once all have stopped.
void index_catalog(BuildState& st, const analysis::Analyzer& analyzer) {
  const int threads = st.in.threads;
  ShardWriters w;
  for (int t = 0; t < threads; ++t) w.queues.push_back(std::make_unique<BatchQueue>(8));
  st.shard_names = make_shard_names(st.o.shards);
  for (int t = 0; t < threads; ++t) w.workers.emplace_back([&st, &analyzer, &w, t] { write_shards(st, analyzer, w, t); });
  try {
    route_records(st, w);
  } catch (...) {
    for (auto& q : w.queues) q->abort();
    for (auto& th : w.workers) th.join();
    throw;
  }
  st.meter.flush();
  st.meter.phase("commit", 0, "");
  for (auto& q : w.queues) q->close();
  for (auto& th : w.workers) th.join();
  if (w.worker_error) std::rethrow_exception(w.worker_error);
  st.items = w.items_total.load();
  st.summary.index_seconds = st.elapsed() - st.summary.scan_seconds;
}

// An empty catalog (no lines, or blank ones only) builds an empty index, which searches to
// zero hits. But every record rejected, or an empty catalog over a live index that has SKUs, is
// almost always a broken upstream export: refused, so the live index is not replaced by nothing.
void refuse_empty_catalog(const BuildState& st) {
  if (st.summary.accepted != 0) return;
  if (st.sink.count() > 0)
    throw DataError("build: the catalog has no records to index (" + std::to_string(st.sink.count()) +
                    " rejected); the live index is left as it was");
  if (fs::exists(fs::path(st.o.index_dir) / "CURRENT"))
    if (const uint64_t live = read_manifest(live_generation(st.o.index_dir)).skus; live > 0)
      throw DataError("build: the catalog has no records to index, and the live index has " + std::to_string(live) +
                      " SKUs: it is left as it was (to empty it, remove the index directory first)");
}

// ---- publish ------------------------------------------------------------------------------

// The generation's files beside the shards: spelling, shops, signals and integrity models.
void write_generation_files(BuildState& st) {
  st.meter.phase("publish", 0, "");
  // The catalog's words for query-time pinyin and typo correction (index/spelling.h).
  {
    const double t = st.elapsed();
    st.summary.spelling_bytes = write_generation_spelling(st.gen.dir, st.shard_names).bytes;
    st.summary.spelling_seconds = st.elapsed() - t;
  }
  {
    std::string shops_out;
    for (const auto& [id, s] : st.shops) shops_out += shop_to_json(s) + "\n";
    write_file_atomic(st.gen.dir + "/shops.jsonl", shops_out);
    write_file_atomic(st.gen.dir + "/signals.json", st.signals.to_json());
    st.integrity.save(st.gen.dir);
  }
}

// The manifest, then the swap: CURRENT names the new generation, which is kept. Completes the
// summary.
void publish(BuildState& st) {
  const BuildOptions& o = st.o;
  Manifest m;
  m.schema_version = kSchemaVersion;
  m.analyzer = std::string(analysis::Analyzer::kName) + "/" + std::to_string(analysis::Analyzer::kVersion);
  m.lexicon_checksum = st.lexicon->checksum();
  m.shards = o.shards;
  m.shard_paths = st.shard_names;
  m.serving = o.serving;
  m.index_id = st.gen.index_id;
  m.skus = st.summary.accepted;
  m.items = st.items;
  m.shops = st.summary.shops;
  m.rejected = st.sink.count();
  m.built_at = format_iso_time(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count());
  write_manifest(st.gen.dir, m);
  publish_generation(o.index_dir, st.gen.name);
  st.gen.keep = true;

  st.summary.items = m.items;
  st.summary.rejected = st.sink.count();
  st.summary.errors = st.sink.take_errors();
  st.summary.seconds = st.elapsed();
}

}  // namespace

// Two streaming passes over the catalog into a new generation, published only when complete.
static BuildSummary build_index_impl(const BuildOptions& o) {
  const auto t0 = BuildClock::now();
  const BuildInputs in = check_build_options(o);
  Generation gen(o.index_dir);
  BuildState st(o, in, gen, t0);
  const analysis::Analyzer analyzer = save_lexicon(st, scan_catalog(st));
  index_catalog(st, analyzer);
  refuse_empty_catalog(st);
  write_generation_files(st);
  publish(st);
  return std::move(st.summary);
}


BuildSummary build_index(const BuildOptions& o) {
  // Xapian reports I/O failures (a full disk: ENOSPC) as Xapian::Error, which is no
  // longtail::Error: named here with the index, so that a caller's handler (and the CLI: exit 1)
  // sees it as the data error it is instead of an unknown exception.
  try {
    return build_index_impl(o);
  } catch (const Xapian::Error& e) {
    throw DataError(o.index_dir + ": " + e.get_description() + " (nothing was published: the previous index stays live)");
  }
}

}  // namespace longtail
