// longtail_soak: live-update measurements on a seeded synthetic catalog (perf/README.md,
// "Live updates").
//
//   longtail_soak throughput --skus N [--shards S] [--updates M] [--seed X] [--work DIR]
//       Builds an index of N generated SKUs, then times update_index() on deltas of M records:
//       values-only changes (price, sales, reviews: the fast path), shop DSR changes (every SKU
//       of the changed shops re-valued), title changes (full re-analysis), new SKUs and deletions. Each run is checked (the summary must count M of
//       its kind) so a broken path cannot look fast. Last, the plain-Xapian floor of the fast
//       path: the same documents' values rewritten with no longtail logic at all.
//
//   longtail_soak soak --skus N [--shards S] [--seconds T] [--threads 2] [--delta 2000] [--seed X]
//       Searches on T threads (queries.tsv of the generated catalog, a reopen() every 50 ms)
//       while the main thread applies a stream of generated deltas (70% values-only changes, 20%
//       new SKUs, 10% deletions) for T seconds. Reports QPS, latency percentiles, errors, and
//       then checks that every acknowledged update is visible: each changed SKU's stored record
//       equals its last acknowledged version, each deleted SKU is gone, and each new SKU is found
//       by searching for its unique title word.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <xapian.h>

#include <longtail/longtail.h>

#include "index/builder.h"
#include "index/catalog.h"
#include "format/document.h"
#include "index/index_dir.h"
#include "format/layout.h"
#include "perf/generator.h"
#include "perf/qrels.h"
#include "common/json_writer.h"

namespace fs = std::filesystem;
using namespace longtail;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Setup {
  std::string work, index, catalog_dir;
  std::vector<index::SkuRecord> records;  // the generated catalog, in order
  std::vector<std::string> queries;
  double build_seconds = 0;
};

Setup prepare(uint64_t skus, int shards, uint64_t seed, const std::string& work) {
  Setup s;
  s.work = work;
  s.catalog_dir = work + "/catalog";
  s.index = work + "/index";
  fs::create_directories(work);
  perf::GeneratorParams p;
  p.skus = skus;
  p.seed = seed;
  perf::generate_catalog(p, s.catalog_dir);
  BuildOptions o;
  o.catalog_files = {s.catalog_dir + "/catalog.jsonl"};
  o.shops_file = s.catalog_dir + "/shops.jsonl";
  o.index_dir = s.index;
  o.shards = shards;
  o.threads = 2;
  auto t0 = Clock::now();
  build_index(o);
  s.build_seconds = since(t0);
  index::LineReader reader(o.catalog_files[0]);
  index::RecordParser parser;
  index::LineReader::Line line;
  while (reader.next(line)) {
    RecordError err;
    index::SkuRecord r;
    if (parser.parse_sku(line.text, r, err)) s.records.push_back(std::move(r));
  }
  for (const auto& q : perf::read_queries(s.catalog_dir + "/queries.tsv")) s.queries.push_back(q.text);
  return s;
}

// A delta line back into a record (the soak's own lines: they parse).
bool parse_line(const std::string& line, index::SkuRecord& r) {
  index::RecordParser parser;
  RecordError err;
  return parser.parse_sku(line, r, err);
}

void write_delta(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) f << l << '\n';
}

std::string deletion(const std::string& sku) {
  std::string o;
  json::Writer(o).object().field("sku_id", sku).field("deleted", true).end();
  return o;
}

UpdateSummary apply_delta(const std::string& index_dir, const std::string& delta, const std::string& shops = "") {
  UpdateOptions u;
  u.index_dir = index_dir;
  if (!delta.empty()) u.catalog_files = {delta};
  u.shops_file = shops;
  return update_index(u);
}

// The plain-Xapian floor of the values-only fast path, on the same index and SKUs: per shard (in
// parallel, as the updater), one transaction that fetches each document in document order, reads
// its data (the updater reads it to compare records), clears its values and writes as many new
// values as a document has, then commits. The data is not written: the fast path leaves it alone
// unless the integrity verdict changes (docs/index-format.md "Values"). It garbles the values: run
// it last. No parsing, no record comparison, no signals, no integrity: only what Xapian must do to
// rewrite a document's values. Returns seconds.
double xapian_floor(const std::string& index_dir, const std::vector<std::string>& skus, int threads) {
  const std::string gen = index::live_generation(index_dir);
  const auto manifest = index::read_manifest(gen);
  unsigned nvalues = 0;  // values per document, as the first document has them
  {
    Xapian::Database db(gen + "/" + manifest.shard_paths[0]);
    nvalues = db.get_document(*db.postlist_begin("")).values_count();
  }
  auto t0 = Clock::now();
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next++) < manifest.shard_paths.size();) {
      Xapian::WritableDatabase db(gen + "/" + manifest.shard_paths[k], Xapian::DB_OPEN);
      std::vector<Xapian::docid> ids;
      for (const auto& sku : skus) {
        const std::string t = std::string(index::prefix::kSku) + sku;
        auto pl = db.postlist_begin(t);
        if (pl != db.postlist_end(t)) ids.push_back(*pl);
      }
      std::sort(ids.begin(), ids.end());
      db.begin_transaction(true);
      for (Xapian::docid did : ids) {
        Xapian::Document doc = db.get_document(did);
        const std::string data = doc.get_data();
        if (data.empty()) throw std::runtime_error("document without data");
        doc.clear_values();
        for (unsigned v = 0; v < nvalues; ++v) doc.add_value(v, Xapian::sortable_serialise(double(did) + v));
        db.replace_document(did, doc);
      }
      db.commit_transaction();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return since(t0);
}

// ---------------------------------------------------------------------------------------------

int throughput(uint64_t skus, int shards, uint64_t updates, uint64_t seed, const std::string& work) {
  auto s = prepare(skus, shards, seed, work);
  std::printf("catalog: %llu generated SKUs (seed %llu), %d shards, built in %.1f s\n",
              static_cast<unsigned long long>(s.records.size()), static_cast<unsigned long long>(seed), shards,
              s.build_seconds);
  std::mt19937_64 rng(seed);
  const uint64_t m = std::min<uint64_t>(updates, s.records.size());
  std::vector<size_t> pick(s.records.size());
  for (size_t i = 0; i < pick.size(); ++i) pick[i] = i;
  std::shuffle(pick.begin(), pick.end(), rng);
  const std::string delta = work + "/delta.jsonl";
  auto run = [&](const char* name, std::vector<std::string> lines, uint64_t UpdateSummary::*counter) {
    write_delta(delta, lines);
    auto t0 = Clock::now();
    UpdateSummary r = apply_delta(s.index, delta);
    double secs = since(t0);
    bool ok = r.*counter == lines.size();
    std::printf("%-34s %8zu records  %7.2f s  %9.0f updates/s  (%llu batches)%s\n", name, lines.size(), secs,
                double(lines.size()) / secs, static_cast<unsigned long long>(r.batches),
                ok ? "" : "  COUNT MISMATCH");
    return ok;
  };
  bool ok = true;
  std::vector<std::string> lines;
  for (uint64_t i = 0; i < m; ++i) {  // values only: price, sales and reviews move
    auto r = s.records[pick[i]];
    r.price = std::round(r.price * (0.8 + 0.4 * double(rng() % 1000) / 1000.0) * 100) / 100 + 0.01;
    r.sales_30d += 1 + int64_t(rng() % 50);
    r.reviews += 1;
    r.good_reviews += 1;
    lines.push_back(index::record_json(r));
  }
  ok &= run("values only (fast path)", lines, &UpdateSummary::values_only);
  ok &= run("same delta again (unchanged)", lines, &UpdateSummary::unchanged);
  lines.clear();
  {  // shop DSR changes: shops in random order until their SKUs reach M; every SKU of each is re-valued
    std::unordered_map<std::string, uint64_t> per_shop;
    for (const auto& r : s.records) ++per_shop[r.shop_id];
    index::RejectSink strict(OnError::Fail, "");
    std::vector<index::ShopRecord> shops;
    for (auto& [id, shop] : index::read_shops(s.catalog_dir + "/shops.jsonl", strict))
      if (per_shop.count(id)) shops.push_back(std::move(shop));
    std::sort(shops.begin(), shops.end(), [](const auto& a, const auto& b) { return a.shop_id < b.shop_id; });
    std::shuffle(shops.begin(), shops.end(), rng);  // sorted first: the order depends on the seed only
    std::vector<std::string> shop_lines;
    uint64_t covered = 0;
    for (auto& shop : shops) {
      if (covered >= m) break;
      auto nudge = [&](double& dsr) { dsr = std::clamp(dsr + (rng() % 2 ? 0.05 : -0.05), 1.0, 5.0); };
      nudge(shop.dsr_description);
      nudge(shop.dsr_service);
      nudge(shop.dsr_shipping);
      nudge(shop.dsr_delivery);
      shop.ratings_6m += 10;
      shop_lines.push_back(index::shop_to_json(shop));
      covered += per_shop[shop.shop_id];
    }
    const std::string shops_delta = work + "/shops-delta.jsonl";
    write_delta(shops_delta, shop_lines);
    auto t0 = Clock::now();
    UpdateSummary r = apply_delta(s.index, "", shops_delta);
    const double secs = since(t0);
    const bool shop_ok = r.shops_changed == shop_lines.size() && r.shop_skus == covered;
    std::printf("%-34s %8llu records  %7.2f s  %9.0f updates/s  (%zu shops, %llu batches)%s\n",
                "shop DSR changed (SKUs re-valued)", static_cast<unsigned long long>(covered), secs,
                double(covered) / secs, shop_lines.size(), static_cast<unsigned long long>(r.batches),
                shop_ok ? "" : "  COUNT MISMATCH");
    ok &= shop_ok;
  }
  for (uint64_t i = 0; i < m; ++i) {  // title changes: full re-analysis
    auto r = s.records[pick[i]];
    r.title += " 新款" + std::to_string(i % 97);
    lines.push_back(index::record_json(r));
  }
  ok &= run("title changed (re-analyzed)", lines, &UpdateSummary::reindexed);
  lines.clear();
  for (uint64_t i = 0; i < m; ++i) {  // new SKUs: copies of existing ones under new ids
    auto r = s.records[pick[i]];
    r.sku_id = "new-" + std::to_string(i);
    r.item_id = "newitem-" + std::to_string(i / 3);
    lines.push_back(index::record_json(r));
  }
  ok &= run("new SKUs (added)", lines, &UpdateSummary::added);
  lines.clear();
  for (uint64_t i = 0; i < m; ++i) lines.push_back(deletion("new-" + std::to_string(i)));
  ok &= run("deletions", lines, &UpdateSummary::deleted);
  // Last: plain Xapian rewriting the values of the values-only run's documents.
  std::vector<std::string> picked;
  for (uint64_t i = 0; i < m; ++i) picked.push_back(s.records[pick[i]].sku_id);
  const int workers = int(std::min<unsigned>(std::max(1u, std::thread::hardware_concurrency()), unsigned(shards)));
  const double floor = xapian_floor(s.index, picked, workers);
  std::printf("%-34s %8zu records  %7.2f s  %9.0f updates/s  (plain Xapian, %d workers)\n", "floor: values rewritten",
              picked.size(), floor, double(picked.size()) / floor, workers);
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

int soak(uint64_t skus, int shards, double seconds, int threads, uint64_t delta_size, uint64_t seed,
         const std::string& work) {
  auto s = prepare(skus, shards, seed, work);
  if (s.queries.empty()) throw DataError("soak: the generated catalog has no queries");
  std::printf("catalog: %llu generated SKUs (seed %llu), %zu queries, %d shards, built in %.1f s\n",
              static_cast<unsigned long long>(s.records.size()), static_cast<unsigned long long>(seed),
              s.queries.size(), shards, s.build_seconds);

  Searcher searcher(s.index);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0}, reopens{0};
  std::atomic<uint64_t> reopen_us{0}, reopen_max_us{0};  // time spent in reopen(), microseconds
  std::mutex lat_mu;
  std::vector<double> latencies;  // milliseconds
  std::string first_error;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 131 + uint64_t(t));
      std::vector<double> mine;
      auto last_reopen = Clock::now();
      while (!stop) {
        if (t == 0 && Clock::now() - last_reopen > std::chrono::milliseconds(50)) {
          try {
            auto r0 = Clock::now();
            searcher.reopen();
            auto us = uint64_t(since(r0) * 1e6);
            reopen_us += us;
            if (us > reopen_max_us) reopen_max_us = us;
            ++reopens;
          } catch (const std::exception& e) {
            ++errors;
            std::lock_guard lk(lat_mu);
            if (first_error.empty()) first_error = std::string("reopen: ") + e.what();
          }
          last_reopen = Clock::now();
        }
        SearchRequest req;
        req.query = s.queries[rng() % s.queries.size()];
        auto t0 = Clock::now();
        try {
          auto r = searcher.search(req);
          if (r.hits.size() > req.limit) throw DataError("more hits than the limit");
        } catch (const std::exception& e) {
          ++errors;
          std::lock_guard lk(lat_mu);
          if (first_error.empty()) first_error = e.what();
        }
        mine.push_back(since(t0) * 1000);
      }
      std::lock_guard lk(lat_mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }

  // The updater: values-only changes, new SKUs, deletions. `expected` is the last acknowledged
  // state of every SKU a delta touched ("" = deleted).
  std::mt19937_64 rng(seed);
  std::unordered_map<std::string, std::string> expected;
  std::vector<std::string> added;  // new sku ids, for later deletions and the final search check
  std::unordered_map<std::string, index::SkuRecord> current;  // latest version of touched SKUs
  uint64_t acknowledged = 0, batches = 0, new_count = 0, update_calls = 0;
  double update_seconds = 0;
  const std::string delta = work + "/delta.jsonl";
  auto t_start = Clock::now();
  while (since(t_start) < seconds) {
    std::vector<std::string> lines;
    std::unordered_map<std::string, std::string> pending;
    for (uint64_t i = 0; i < delta_size; ++i) {
      uint64_t dice = rng() % 100;
      if (dice < 70) {
        const auto& base = s.records[rng() % s.records.size()];
        auto it = current.find(base.sku_id);
        if (it == current.end() && expected.count(base.sku_id)) continue;  // deleted earlier
        index::SkuRecord r = it != current.end() ? it->second : base;
        r.price = double(1 + rng() % 100000) / 100.0;
        r.sales_30d += int64_t(rng() % 20);
        current[r.sku_id] = r;
        lines.push_back(index::record_json(r));
        pending[r.sku_id] = lines.back();
      } else if (dice < 90 || added.empty()) {
        index::SkuRecord r = s.records[rng() % s.records.size()];
        r.sku_id = "soak-" + std::to_string(new_count);
        r.item_id = "soakitem-" + std::to_string(new_count);
        r.title += " soakword" + std::to_string(new_count);
        ++new_count;
        current[r.sku_id] = r;
        added.push_back(r.sku_id);
        lines.push_back(index::record_json(r));
        pending[r.sku_id] = lines.back();
      } else {
        size_t k = rng() % added.size();
        std::string id = added[k];
        added[k] = added.back();
        added.pop_back();
        current.erase(id);
        lines.push_back(deletion(id));
        pending[id] = "";
      }
    }
    write_delta(delta, lines);
    auto t0 = Clock::now();
    UpdateSummary r = apply_delta(s.index, delta);
    update_seconds += since(t0);
    ++update_calls;
    batches += r.batches;
    acknowledged += lines.size();
    for (auto& [k, v] : pending) expected[k] = std::move(v);
  }
  double elapsed = since(t_start);
  stop = true;
  for (auto& th : pool) th.join();

  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double q) {
    return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, size_t(q * double(latencies.size())))];
  };
  std::printf("soak: %.1f s, %d search threads, deltas of %llu records\n", elapsed, threads,
              static_cast<unsigned long long>(delta_size));
  std::printf("searches: %zu (%.0f QPS), latency ms p50 %.2f p95 %.2f p99 %.2f max %.2f, reopens %llu "
              "(mean %.0f us, max %.0f us), errors %llu%s%s\n",
              latencies.size(), double(latencies.size()) / elapsed, pct(0.50), pct(0.95), pct(0.99),
              latencies.empty() ? 0.0 : latencies.back(), static_cast<unsigned long long>(reopens.load()),
              reopens ? double(reopen_us) / double(reopens) : 0.0, double(reopen_max_us.load()),
              static_cast<unsigned long long>(errors.load()), first_error.empty() ? "" : ": ", first_error.c_str());
  std::printf("updates: %llu records acknowledged in %llu update calls (%llu batches), %.0f records/s while serving\n",
              static_cast<unsigned long long>(acknowledged), static_cast<unsigned long long>(update_calls),
              static_cast<unsigned long long>(batches), double(acknowledged) / update_seconds);

  // Nothing lost: the stored record of every touched SKU is its last acknowledged version.
  uint64_t lost = 0, checked = 0;
  {
    std::string gen = index::live_generation(s.index);
    auto m = index::read_manifest(gen);
    Xapian::Database db;
    for (const auto& p : m.shard_paths) db.add_database(Xapian::Database(gen + "/" + p));
    for (const auto& [sku, want] : expected) {
      ++checked;
      std::string term = std::string(index::prefix::kSku) + sku;
      auto pl = db.postlist_begin(term);
      bool present = pl != db.postlist_end(term);
      if (want.empty() || !present) {
        lost += want.empty() == present;
        continue;
      }
      index::SkuRecord have, expect;  // compare records, not bytes (stored data may carry more)
      const Xapian::Document doc = db.get_document(*pl);  // the item's document: the SKU's variant record
      bool same = index::read_record(doc, doc.get_data(), sku, have) && parse_line(want, expect) &&
                  index::same_record(have, expect);
      lost += !same;
    }
  }
  // And searchable: a fresh searcher finds new SKUs by their unique word. The probe turns shop
  // screening off: listings of blocked shops or shops over the violation limit are removed from
  // results by design (docs/ranking.md, "Removals"), and the generator gives some SKUs such shops.
  Searcher fresh(s.index);
  const std::string probe_profile = s.work + "/probe-profile.toml";
  {
    std::ofstream pf(probe_profile);
    pf << "[integrity]\nmax_violations = 1000000000\nremove_blocked = false\n";
  }
  uint64_t unfound = 0, probed = 0;
  for (size_t i = 0; i < added.size(); i += std::max<size_t>(1, added.size() / 200)) {
    SearchRequest req;
    req.profile = probe_profile;
    req.query = "soakword" + added[i].substr(5);
    ++probed;
    auto r = fresh.search(req);
    if (r.hits.size() != 1 || r.hits[0].sku_id != added[i]) {
      ++unfound;
      std::fprintf(stderr, "not found: %s (query %s): %zu hits%s%s\n", added[i].c_str(), req.query.c_str(), r.hits.size(),
                   r.hits.empty() ? "" : ", first ", r.hits.empty() ? "" : r.hits[0].sku_id.c_str());
    }
  }
  auto c = check_index(s.index);
  std::printf("verify: %llu SKUs touched, %llu not in their last acknowledged state; %llu of %llu new SKUs probed "
              "not found by search; check: %s\n",
              static_cast<unsigned long long>(checked), static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(unfound), static_cast<unsigned long long>(probed),
              c.ok ? "sound" : c.problems.front().c_str());
  return lost == 0 && unfound == 0 && errors == 0 && c.ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"longtail_soak: live-update throughput and soak measurements"};
  app.require_subcommand(1);
  uint64_t skus = 100000, seed = 1, updates = 20000, delta = 2000;
  int shards = 2, threads = 2;
  double seconds = 60;
  std::string work;
  auto common = [&](CLI::App* c) {
    c->add_option("--skus", skus, "Generated catalog size");
    c->add_option("--shards", shards, "Shards");
    c->add_option("--seed", seed, "Generator seed");
    c->add_option("--work", work, "Work directory (default: a temporary one, removed afterwards)");
  };
  auto* tp = app.add_subcommand("throughput", "Time update_index() per kind of change");
  common(tp);
  tp->add_option("--updates", updates, "Records per delta");
  auto* sk = app.add_subcommand("soak", "Searches on threads while deltas stream in");
  common(sk);
  sk->add_option("--seconds", seconds, "Duration");
  sk->add_option("--threads", threads, "Search threads");
  sk->add_option("--delta", delta, "Records per update call");
  CLI11_PARSE(app, argc, argv);
  bool temp = work.empty();
  if (temp) work = (fs::temp_directory_path() / ("longtail-soak-" + std::to_string(::getpid()))).string();
  int rc = 1;
  try {
    rc = tp->parsed() ? throughput(skus, shards, updates, seed, work)
                      : soak(skus, shards, seconds, threads, delta, seed, work);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "longtail_soak: %s\n", e.what());
  }
  if (temp) fs::remove_all(work);
  return rc;
}
