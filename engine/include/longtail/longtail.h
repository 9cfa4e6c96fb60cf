// longtail — the embeddable search library. This is the only header an embedder includes:
//
//   #include <longtail/longtail.h>
//   target_link_libraries(app PRIVATE longtail::longtail)
//
// It uses only the C++ standard library: no Xapian, ICU or simdjson types appear here.
//
// Errors come in two kinds (as in Xapian): UsageError for a caller's mistake (bad argument,
// missing file the caller named), DataError for a problem in data or environment (malformed
// catalog, damaged index, index built by another schema or analyzer). Both derive from Error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// LONGTAIL_API marks what liblongtail.so exports: the library is compiled with hidden visibility
// (-fvisibility=hidden), so everything else in it (the index, engine and analysis internals) stays
// out of its dynamic symbol table. On a class it exports the typeinfo and vtable too, which lets a
// program catch the error types thrown inside the library (catch (const longtail::UsageError&)).
#ifndef LONGTAIL_API
#define LONGTAIL_API __attribute__((visibility("default")))
#endif

namespace longtail {

class LONGTAIL_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The caller asked for something invalid (bad option value, missing catalog file, ...).
class LONGTAIL_API UsageError : public Error {
 public:
  using Error::Error;
};
// Data or environment: malformed input, damaged or foreign index, I/O failure.
class LONGTAIL_API DataError : public Error {
 public:
  using Error::Error;
};
// The index was built with another schema version or analyzer than this library's.
class LONGTAIL_API IndexMismatchError : public DataError {
 public:
  using DataError::DataError;
};

// ---------------------------------------------------------------------------------------------
// Building

// One rejected input record: printed as "FILE:LINE: field: reason".
struct LONGTAIL_API RecordError {
  std::string file;
  uint64_t line = 0;   // 1-based
  std::string field;   // JSON field name, or "json" / "utf8" / "line" for whole-record problems
  std::string reason;
  std::string to_string() const { return file + ":" + std::to_string(line) + ": " + field + ": " + reason; }
};

enum class OnError : uint8_t {
  Fail,  // Default. Stop at the first rejected record; the live index is not touched.
  Skip,  // Skip rejected records (and write them to BuildOptions::rejects_file if set).
};

// Progress of a long command (build, update, optimize, check), reported about twice a second
// from whichever thread works. Each phase counts its own work.
struct LONGTAIL_API Progress {
  // build: "scan" (statistics pass), "index" (writing the shards), "commit", "publish";
  // update: "validate", "apply"; optimize: "copy", "publish"; check: "files", "shards".
  const char* phase = "";
  uint64_t done = 0;           // work done in this phase, in `unit`s
  uint64_t total = 0;          // the phase's whole work (0: unknown, e.g. a pipe)
  const char* unit = "";       // what done and total count: "bytes", "documents", "records"
  uint64_t records = 0;        // records (documents) handled in this phase
  double elapsed_s = 0;        // since the command started
  double phase_elapsed_s = 0;  // since this phase started
  // Time left in this phase at its rate so far; -1 until a hundredth of it is done (unknown).
  double eta_s = -1;
};
using BuildProgress = Progress;  // the name build's callback had

struct LONGTAIL_API BuildOptions {
  std::vector<std::string> catalog_files;  // JSON Lines, one SKU per line. REQUIRES: non-empty.
  std::string shops_file;                  // JSON Lines seller records. Default: none.
  std::string index_dir;                   // REQUIRES: non-empty. Replaced atomically on success.
  int shards = 1;                          // Default: 1. Range 1..256.
  int threads = 0;                         // Default: 0 = one per core (capped at shards).
  OnError on_error = OnError::Fail;
  std::string rejects_file;                // With Skip: each rejected line + its reason.
  bool learn_lexicon = true;               // add catalog words (brands, attrs, new words)
  // Ranking profile (TOML) whose [build] table sets the build-time signal constants
  // (docs/ranking.md). Default: empty = the built-in default profile.
  std::string profile;
  // Called about twice a second (Progress). Default: none.
  std::function<void(const Progress&)> progress;
  // Testing hook: throw a DataError after this many records were indexed (0 = never). Used to
  // prove that a failed build leaves the previous index intact.
  uint64_t fail_after_records = 0;
  // Serving shards (docs/index-format.md, "Serving shards"): no termlist table and the stored
  // fields compressed a block of SKUs at a time outside Xapian; smaller and faster to build, but
  // the index takes no `update` (rebuild it, or build an updatable one). Default: false.
  bool serving = false;
  // Synonym rules (docs/ranking.md, "Synonyms"): one rule a line, "土豆, 马铃薯, 洋芋" (equivalent)
  // or "手提电脑 => 笔记本电脑" (one-way), "#" comments. Stored with the index and applied at query
  // time. A bad line is a UsageError "FILE:LINE: reason" before anything is written. Default: none.
  std::string synonyms_file;
  // Brand names in both scripts learned from the catalog (Nike/耐克 in brand fields, titles that
  // write one beside the other) become equivalent rules applied after synonyms_file's, so a query
  // for 耐克 finds a title that says only Nike. Default: true.
  bool brand_aliases = true;
};

struct LONGTAIL_API BuildSummary {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t items = 0;   // distinct item_id
  uint64_t shops = 0;   // shop records read
  int shards = 0;
  double seconds = 0;
  // Where the time went: pass 1 (validate, statistics, vocabulary, integrity model; the lexicon
  // built from it) and pass 2 (analyze, write the shards, commit). The rest is publishing.
  double scan_seconds = 0, index_seconds = 0;
  // Writing the catalog's vocabulary for pinyin and typo correction (spelling.tsv), part of
  // publishing, and its size.
  double spelling_seconds = 0;
  uint64_t spelling_bytes = 0;
  std::vector<RecordError> errors;  // the first 100 rejected records
};

// Builds a complete index from a catalog. Streams the input with bounded memory; writes into a
// temporary directory next to index_dir and swaps it in only when complete.
// Throws UsageError (bad options), DataError (bad record with OnError::Fail, I/O).
LONGTAIL_API BuildSummary build_index(const BuildOptions& options);

// ---------------------------------------------------------------------------------------------
// Updating an index in place (docs/index-format.md, "Updates")

struct LONGTAIL_API UpdateOptions {
  // Delta files (JSON Lines): each line upserts a SKU by sku_id (a complete record, as in a
  // catalog), or removes one: {"sku_id":"s1","deleted":true}. Applied in order; a later line for
  // the same sku_id wins. May be empty: then only the shops file is applied (and an interrupted
  // earlier update is completed, which every update does first).
  std::vector<std::string> catalog_files;
  std::string shops_file;             // Shop records upserted by shop_id. Default: none.
  std::string index_dir;              // REQUIRES: an existing index with local shards.
  // Fail (default): the whole delta is validated first and a bad record stops the update before
  // the index is touched. Skip: bad records are reported (and written to rejects_file) and the
  // rest is applied.
  OnError on_error = OnError::Fail;
  std::string rejects_file;
  // Records per batch. A batch is atomic for readers and for crashes. Default: 50000; 1..10^6.
  // Each update rewrites Xapian value chunks and a termlist block per changed document, and a
  // commit syncs them all: larger batches share more of both (perf/README.md, "Live updates").
  uint32_t batch_size = 50000;
  // Worker threads for the per-shard steps (the fast path of value-only and unchanged records,
  // shop re-valuation, commits): each shard is a separate database. 0 (default): the machine's
  // cores; at most the number of shards is used.
  uint32_t threads = 0;
  // Testing hook: throw a DataError after this many shard commits (0 = never), leaving the
  // index exactly as a crash between two shard commits would.
  uint64_t fail_after_shard_commits = 0;
  // Replaces the index's synonym rules (as BuildOptions::synonyms_file) without re-indexing: they
  // apply at query time, from the next Searcher open or reopen(). Default: empty = keep them.
  std::string synonyms_file;
  // Called about twice a second (Progress: "validate", then "apply"). Default: none.
  std::function<void(const Progress&)> progress;
};

struct LONGTAIL_API UpdateSummary {
  uint64_t records = 0;         // accepted delta records
  uint64_t added = 0;           // new SKUs
  uint64_t reindexed = 0;       // SKUs whose text, category, brand, attributes, item or shop changed
  uint64_t values_only = 0;     // fast path: only price, fee, sales, reviews, dates or display fields changed
  uint64_t unchanged = 0;       // identical to the indexed record: nothing written
  uint64_t deleted = 0;
  uint64_t delete_missing = 0;  // deletions of SKUs the index does not have (no-ops)
  uint64_t shops_changed = 0;   // shop records added or changed
  uint64_t shop_skus = 0;       // SKUs re-valued because their shop changed
  uint64_t dup_partners = 0;    // existing items marked near-duplicates of an added or changed item
  uint64_t rejected = 0;
  uint64_t batches = 0;         // batches committed by this call
  bool repaired = false;        // an interrupted earlier update was completed first
  bool synonyms_replaced = false;  // UpdateOptions::synonyms_file was stored
  uint64_t synonym_rules = 0;      // rules in it
  uint64_t skus = 0, items = 0; // index totals afterwards
  double seconds = 0;
  std::vector<RecordError> errors;  // the first 100 rejected records
};

// Applies a delta to the live index in place, while searches go on (they see the changes after
// Searcher::reopen()). Takes the index's writer lock. Throws UsageError (bad options, not an
// index, an index with remote shards), DataError (bad record with OnError::Fail, damaged index,
// I/O), IndexMismatchError (index of another schema or analyzer).
LONGTAIL_API UpdateSummary update_index(const UpdateOptions& options);

// ---------------------------------------------------------------------------------------------
// Optimizing an index for serving (docs/index-format.md, "Quality order")

struct LONGTAIL_API OptimizeOptions {
  std::string index_dir;  // REQUIRES: an existing index with local shards, no interrupted update
  // Shards rewritten at once (each shard is copied by one thread). 0 (default): the machine's
  // cores; at most the number of shards is used.
  uint32_t threads = 0;
  // Write serving shards (as BuildOptions::serving): the optimized index takes no more updates.
  bool serving = false;
  // Called about twice a second (Progress: "copy" counts documents of all shards). Default: none.
  std::function<void(const Progress&)> progress;
};

struct LONGTAIL_API OptimizeSummary {
  int shards = 0;
  uint64_t skus = 0;
  uint64_t bytes_before = 0, bytes_after = 0;  // shard bytes on disk
  double seconds = 0;
};

// Rewrites every shard with its documents in decreasing static-prior order (document ids 1, 2, …
// from the best), marks nested tiers of the best-prior listings (the top 1/256, 1/64, 1/16, 1/4
// of each shard) and compacts it, as a new generation made live atomically (a crash leaves the
// old one). Broad queries then search the smallest tier that holds enough of their matches
// instead of every match (docs/ranking.md, "Broad queries"); with tiers off
// (stage1.tier_matches = 0) results are the same as before. Later updates do not move listings
// between tiers: re-indexed ones keep theirs, added ones have none (re-run optimize). Takes the
// writer lock. Memory: about 24 bytes per document of each shard being copied (296 MB peak for
// 10M SKUs in 2 shards on 2 threads). Throws UsageError (not an index, remote shards, an
// interrupted update pending), DataError (damaged index, I/O), IndexMismatchError.
LONGTAIL_API OptimizeSummary optimize_index(const OptimizeOptions& options);

// What discard_update_journal removed and what the index lost with it.
struct LONGTAIL_API JournalDiscard {
  bool found = false;       // there was a journal (false: nothing to do, nothing changed)
  bool readable = false;    // it parsed: `update` could have completed it unless its records are damaged
  std::string damage;       // why it did not parse (when !readable)
  uint64_t batch = 0;       // its batch id (0 when unreadable)
  bool shops = false;       // a batch of shop records (else SKU records)
  uint64_t lines = 0, bytes = 0;
  // Shards that had committed the batch and shards that had not: the batch's records are
  // stale on the latter. Both empty when the journal is unreadable and all shards agree.
  std::vector<int> applied_shards, missing_shards;
  std::vector<std::string> ids;  // the sku_id (shop_id) of each record, when readable: send them again
  uint64_t batch_after = 0;      // the batch every shard and the manifest are at afterwards
};

// Removes the live generation's update journal when `update` cannot complete it (a damaged
// journal freezes the index: update and optimize refuse it). The shards that had not committed
// its batch are marked at the latest batch so that updates go on; what they missed is reported,
// not repaired: send those records again with update_index. Takes the writer lock. Throws
// UsageError (not an index, remote shards), DataError (damaged index, I/O).
LONGTAIL_API JournalDiscard discard_update_journal(const std::string& index_dir);

// ---------------------------------------------------------------------------------------------
// Verifying an index

// One step of check_index.
struct LONGTAIL_API CheckStep {
  std::string status;   // "ok", "WARN" or "FAIL"
  std::string subject;  // what was checked: "CURRENT", "manifest", "lexicon", "journal", "files",
                        // "shops", "signals", "generations", "shard N", "batches", "counts"
  std::string message;
};

struct LONGTAIL_API IndexCheck {
  bool ok = true;
  std::string generation;        // the live generation's directory name (empty if CURRENT is unreadable)
  std::vector<CheckStep> steps;  // in the order they ran
  // The same, one line per step, "ok: …" or "FAIL: …" / "WARN: …".
  std::vector<std::string> lines;
  std::vector<std::string> problems;  // the FAIL steps' messages
};

struct LONGTAIL_API CheckOptions {
  std::string index_dir;  // REQUIRES: non-empty
  // Called about twice a second (Progress: "shards" counts the bytes of the local shards, which
  // Xapian's check reads whole). Default: none.
  std::function<void(const Progress&)> progress;
};

// Verifies CURRENT, the manifest (identity, shard list, counts), the lexicon checksum, the shops
// and signal files, every local shard with Xapian's own consistency check, and that all shards
// agree on the last update batch. Never throws for a damaged index: it reports. Reads every
// block of every shard (minutes for a large index).
LONGTAIL_API IndexCheck check_index(const CheckOptions& options);
LONGTAIL_API IndexCheck check_index(const std::string& index_dir);  // without progress

// ---------------------------------------------------------------------------------------------
// Searching

// Result orders. Every order requires the query to match; integrity removals and demotions
// apply to all of them (docs/ranking.md).
enum class SortOrder : uint8_t {
  Relevance,  // Default. Text relevance (weighted coverage, BM25) blended with signals, then a surface rerank.
  Sales,      // sales_30d (damped by sales trust), descending
  Newness,    // listed_at, newest first
  PriceAsc,   // effective price (price + shipping fee), cheapest first
  PriceDesc,  // effective price, dearest first
  Rating,     // smoothed good-review rate (Wilson lower bound), descending
};
// "relevance", "sales", "newness", "price-asc", "price-desc", "rating"; throws UsageError.
LONGTAIL_API SortOrder parse_sort_order(const std::string& name);
LONGTAIL_API const char* sort_order_name(SortOrder s);

// A shopper's preferences (`--user FILE`). Scaled by the text relevance like every signal: they
// reorder listings that match the query alike.
// JSON form: {"categories": {"女装/连衣裙": 1.0}, "brands": {"优衣库": 0.8},
//             "price_band": [50, 200]}
struct LONGTAIL_API UserPreferences {
  std::map<std::string, double> categories;  // category path prefix -> weight in [-1, 1]
  std::map<std::string, double> brands;      // brand or one of its aliases -> weight in [-1, 1]
  std::optional<double> price_min, price_max;  // usual effective price band
  bool empty() const { return categories.empty() && brands.empty() && !price_min && !price_max; }
  // Parses the JSON form; throws UsageError naming the problem.
  static UserPreferences from_json(const std::string& json);
};

struct LONGTAIL_API SearchRequest {
  std::string query;                                  // free text, analyzed like the titles
  std::vector<std::string> categories;                // category path prefixes ("女装/连衣裙"); OR
  std::vector<std::string> brands;                    // OR
  std::vector<std::string> shops;                     // shop_id; OR
  std::vector<std::pair<std::string, std::string>> attrs;  // key=value; AND across keys
  std::optional<double> price_min, price_max;         // effective price (price + shipping fee)
  uint32_t offset = 0;
  uint32_t limit = 10;                                // Default: 10. Range 1..1000.
  bool collapse = true;                               // one hit per item_id
  SortOrder sort = SortOrder::Relevance;
  std::vector<std::string> facets;                    // any of "category", "brand", "price"
  bool explain = false;                               // fill Hit::explanation
  int64_t now = 0;                                    // Unix seconds for newness. Default: 0 = current time
  // Ranking profile: a TOML file (profiles/default.toml documents every key). Default: empty =
  // the built-in default profile. Loaded once per path and cached by the Searcher (reloaded
  // when the file's modification time changes).
  std::string profile;
  std::optional<UserPreferences> user;
  // When the query as typed finds little (no hit, or no listing with every word), search again
  // for a corrected query if one finds more: pinyin to the catalog's Chinese words (lianyiqun,
  // lian yi qun, lyq -> 连衣裙), Latin typos within 1 edit (4+ letters) or 2 (8+) of a catalog
  // word (iphnoe -> iphone), and Chinese homophones of a catalog word (连衣群 -> 连衣裙).
  // docs/ranking.md, "Pinyin and typos". Default: on.
  bool correct = true;

  // A request as a JSON object with any of the fields above by name ("query", "categories",
  // "brands", "shops", "facets": strings or arrays of strings; "attrs": {"颜色": "红色"} or
  // {"颜色": ["红色", "黑色"]}; "price_min", "price_max", "offset", "limit", "now": numbers;
  // "collapse", "explain", "correct": booleans; "sort": a sort name; "profile": a path; "user":
  // as UserPreferences::from_json). Unset fields keep their defaults. Throws UsageError naming
  // the field (unknown fields too).
  static SearchRequest from_json(const std::string& json);
};

// One signal of a hit's explanation: its raw value, the normalized value the blend uses, the
// profile weight and the contribution (normalized * weight, before penalties).
struct LONGTAIL_API ExplainSignal {
  std::string name;      // "text", "sales", "rating", "shop", "newness", "new_listing", "pref_category", ...
  double raw = 0;
  double normalized = 0;
  double weight = 0;
  double contribution = 0;
  std::string detail;    // human-readable raw inputs ("sales_30d 120, category reference 6.9")
};

// A factor or move applied to a hit, with its reason.
struct LONGTAIL_API ExplainPenalty {
  std::string name;      // "integrity", "shop_penalty", "sales_trust", "duplicate", "diversity", ...
  double factor = 1;     // multiplier applied (1 for moves that only change position)
  std::string reason;
};

struct LONGTAIL_API Explanation {
  double coverage = 0;                       // query terms covered, weighted (== Hit::coverage)
  uint32_t query_terms = 0;                  // meaningful terms of the (analyzed) query
  std::vector<std::string> matched_terms;    // terms it has whole, or "term(parts)" it has parts of
  std::vector<std::string> missing_terms;
  // The synonym rules it matched by ("synonyms.txt:3: 土豆, 马铃薯, 洋芋"): a term it has only by a
  // rule's alternative, listed in matched_terms as "term(alternative)".
  std::vector<std::string> synonyms;
  double bm25 = 0;                           // stage-1 text score (Xapian BM25)
  double stage1_weight = 0;                  // full stage-1 weight (coverage + BM25 + prior)
  uint32_t stage1_rank = 0;                  // 1-based position among stage-1 candidates
  std::vector<ExplainSignal> signals;        // text first, then each signal and preference
  std::vector<ExplainPenalty> penalties;     // integrity factors, reasons, demotions, moves
  double blend = 0;                          // sum of contributions before penalties
  double final_score = 0;                    // == Hit::score
  std::string sort;                          // the order used
  std::string profile;                       // the profile's path or "built-in default"
};

// One SKU of a hit's item (SearchRequest::collapse): what a shopper picks between.
struct LONGTAIL_API Variant {
  std::string sku_id;
  // The SKU's attributes as listed in the catalog, in catalog order (colour before size, as the
  // seller wrote them), so "红色/M" reads the way the listing does.
  std::vector<std::pair<std::string, std::string>> attrs;
  // Whether this SKU matches the query and filters the page was ranked with, covering as much of
  // the query as the item's best-covering SKU.
  bool matched = false;
};

struct LONGTAIL_API Hit {
  uint32_t rank = 0;  // 1-based, counting from offset + 1
  // The SKU shown. With collapse: the item's SKU ranked first in stage 1, i.e. the one matching
  // the query best (attribute values are indexed as text: `连衣裙 红色` shows a red SKU).
  std::string sku_id, item_id, shop_id, title, category, brand;
  // The shown SKU's display fields: the members of its catalog line that longtail does not read
  // (image, url, promotion text, ...; docs/index-format.md), as one JSON object text whose keys
  // and values are byte for byte as the catalog wrote them, e.g. {"image":"https://…/1.jpg"};
  // "{}" when the line had none. to_json() copies it into the hit as "fields". The variants of
  // variant_list carry none (they are read without fetching their documents).
  std::string fields = "{}";
  // The catalog's price and shipping fee; what a shopper pays is price + shipping_fee (price
  // filters and sorts use that sum). price_known is false when the catalog gives no price: price
  // is then 0 and means "no price" (the CLI shows "no price", JSON null); such a listing is in no
  // price range and no price band, and last in both price sorts.
  double price = 0, shipping_fee = 0;
  bool price_known = true;
  double score = 0;        // in [0, 1]; hits are ordered by it (docs/ranking.md, "Stage 2")
  double coverage = 0;     // query terms covered: all counted terms for a full match, else the
                           // weighted share of them (terms weigh by idf and role; parts a share)
  // With collapse: the SKUs of this item that match the query (Variant::matched), counted
  // exactly, the same for local and remote shards. Without collapse: 1.
  uint32_t variants = 1;
  // With collapse: every SKU of this item, matched or not, by sku_id. Without collapse: empty.
  // Found by one extra match over the page's items after ranking (the page costs more, the
  // candidates do not).
  std::vector<Variant> variant_list;
  std::optional<Explanation> explanation;  // with SearchRequest::explain
};

struct LONGTAIL_API FacetValue {
  std::string value;       // category path, brand, or price band "MIN..MAX" ("500.." for the last)
  uint64_t count = 0;      // items (not SKUs)
};

struct LONGTAIL_API Facet {
  std::string name;        // "category", "brand", "price"
  std::vector<FacetValue> values;  // by count descending, then value (price bands in price order)
  // True when the counts cover every matched item; false when they were counted over the
  // stage-2 candidates only (the top `stage1.candidates` items of a larger match set).
  bool exact = true;
};

struct LONGTAIL_API SearchResult {
  std::string query;                  // as given
  // The query the results are for, when it was corrected (SearchRequest::correct); else empty.
  std::string corrected;
  std::vector<std::string> corrections;  // each change: "lianyiqun -> 连衣裙 (pinyin)"
  uint64_t total_estimated = 0;       // matching items (collapsed) or SKUs, estimated
  std::vector<std::string> relaxed;   // when no listing has every query term whole: those the first hit lacks
  std::vector<Hit> hits;
  std::string message;                // e.g. why nothing could be searched
  std::vector<std::string> terms;     // the query's meaningful terms, as matched
  std::vector<Facet> facets;          // in the order requested
  uint32_t candidates = 0;            // items re-ranked by stage 2
  // The share of the index stage 1 searched: 1 = all of it; less for a broad query answered
  // from a tier of the best-prior listings of an optimized index (docs/ranking.md, "Broad
  // queries"; stage1.tier_matches).
  double searched_share = 1.0;
  // Stage 1 read the static prior and the tie-break from in-memory columns
  // (SearcherOptions::stage1_columns) rather than from the index.
  bool stage1_columns = false;
  double stage1_ms = 0, stage2_ms = 0;  // time in Xapian's matcher (+ value fetch) and in re-ranking
};

// The JSON of a search result, as `longtail search --json` prints it (docs/ranking.md lists the
// fields), on one line without a line end. Numbers read back as the same double (the shortest
// form: 12345.67, 1234567.5); prices, fees and effective prices to the cent; a missing price is
// null; each hit's "fields" is Hit::fields as it is (an object; {} when empty). `with_stats` adds
// "candidates", "stage1_ms" and "stage2_ms" (the CLI does with --explain).
LONGTAIL_API std::string to_json(const SearchResult& result, bool with_stats = false);

struct LONGTAIL_API IndexInfo {
  std::string path;
  int schema_version = 0;
  std::string analyzer;        // "longtail-zh/1"
  std::string lexicon_checksum;
  int shards = 0;
  uint64_t skus = 0, items = 0, shops = 0;
  std::string built_at;        // ISO 8601 UTC
  uint64_t batch = 0;          // last update batch the Searcher sees (0 = as built)
  std::string updated_at;      // when the last update was applied (ISO 8601 UTC; empty = never)
  std::string generation;      // the generation directory's name the Searcher reads ("gen-…")
};

struct LONGTAIL_API SearcherOptions {
  // Hold the values stage 1 reads for every matching listing (static prior, sku_id) in memory,
  // per local shard: on a large index a broad query then reads far fewer index blocks
  // (docs/perf-history.md, "Session 7"). The same hits (docs/ranking.md, "Stage-1 columns",
  // names the one exception, in the columns' favour). Costs about 8 bytes plus the sku_id's
  // length per listing, and a scan of two value streams when the Searcher opens and whenever it
  // first sees a new update batch (meanwhile queries run without them). Ignored for indexes
  // with remote shards. Default: off (a one-off search does not pay for the scan).
  bool stage1_columns = false;
};

// Opens an index for searching. Thread-safe: search() may be called from many threads at once.
class LONGTAIL_API Searcher {
 public:
  // Throws UsageError if the directory is not an index, IndexMismatchError if it was built by
  // another schema/analyzer version, DataError if it is damaged.
  explicit Searcher(const std::string& index_dir, const SearcherOptions& options = {});
  ~Searcher();
  Searcher(Searcher&&) noexcept;
  Searcher& operator=(Searcher&&) noexcept;

  SearchResult search(const SearchRequest& request) const;
  // The SKU with this sku_id, as a hit of a search for it alone, or nullopt when the index does not
  // have it: its stored fields, price and fee, item and, in variant_list, every SKU of its item by
  // sku_id (this one matched; Hit::variants 1). rank 1; score, coverage 0; no explanation. Reads
  // the state a search would. Thread-safe. Throws DataError (damaged stored fields, I/O).
  std::optional<Hit> get(const std::string& sku_id) const;
  // Picks up the latest committed state of the index: a new generation from a build, or the
  // latest complete update batch. Cheap when nothing changed (it re-reads CURRENT and each
  // shard's revision: well under a millisecond for a local index). Thread-safe; searches running
  // meanwhile finish on the state they started with. Queries never see half an update batch.
  void reopen();
  IndexInfo info() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The library version, "MAJOR.MINOR.PATCH".
LONGTAIL_API const char* version();

}  // namespace longtail
