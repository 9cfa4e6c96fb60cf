// longtail::optimize_index: rewrites each shard in decreasing static-prior order, compacted, as a
// new generation (docs/index-format.md, "Quality order").
//
// Why: a broad query (a generic word in a large share of the catalog) costs stage 1 a score and
// value reads for every listing that has the word. Its candidates come from the listings with
// the best static prior anyway, so optimize marks nested tiers of each shard's best-prior
// documents with boolean terms (prefix::kTier) and a broad query searches only the smallest tier
// that still holds enough of its matches (docs/ranking.md, "Broad queries"): its cost no longer
// grows with the catalog. The decreasing prior order keeps each tier a contiguous range of
// document ids, so a tier's postings and values sit together. Xapian 1.4 cannot renumber
// documents in place, so each shard is copied document by document into a fresh database in the
// new order, then compacted.

#include <algorithm>
#include <array>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <xapian.h>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "format/document.h"
#include "index/index_dir.h"
#include "format/layout.h"
#include "index/spelling.h"
#include "index/parallel.h"
#include "index/progress.h"
#include "format/stored.h"
#include "index/updater.h"
#include "index/write_room.h"

namespace fs = std::filesystem;

namespace longtail::index {

namespace {

// Tier level i holds the best kTierShares[i] of a shard's documents (recorded in the manifest,
// which is what searches read).
constexpr std::array<double, 4> kTierShares = {1.0 / 256, 1.0 / 64, 1.0 / 16, 1.0 / 4};

// Copies shard `from` to `to` with its documents in decreasing slot::kStaticPrior order (ties:
// the old document id order; documents without a prior last), then compacts it. Returns the
// number of documents.
uint64_t reorder_shard(const fs::path& from, const fs::path& to, bool serving, ProgressMeter& meter) {
  Xapian::Database in(from.string(), Xapian::DB_BACKEND_GLASS);
  std::vector<double> prior(size_t(in.get_lastdocid()) + 1, -1.0);
  for (auto it = in.valuestream_begin(slot::kStaticPrior); it != in.valuestream_end(slot::kStaticPrior); ++it)
    prior[it.get_docid()] = Xapian::sortable_unserialise(*it);
  std::vector<std::pair<double, Xapian::docid>> order;
  order.reserve(in.get_doccount());
  for (auto it = in.postlist_begin(""); it != in.postlist_end(""); ++it) order.emplace_back(prior[*it], *it);
  std::vector<double>().swap(prior);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });

  const fs::path tmp = to.string() + ".unordered-copy";
  // Room on disk is checked before each Xapian flush; on any failure the copy is abandoned, not
  // committed (index/write_room.h), and the shard being optimized is left as it was.
  auto out_db = std::make_unique<Xapian::WritableDatabase>(
      tmp.string(), Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC | Xapian::DB_BACKEND_GLASS | (serving ? Xapian::DB_NO_TERMLIST : 0));
  WriteRoom room(tmp.string());
  try {
    Xapian::WritableDatabase& out = *out_db;
    // Serving shards: the stored fields go to a block store, written beside the copy and moved
    // into the compacted shard.
    std::unique_ptr<StoredWriter> stored;
    if (serving) stored = std::make_unique<StoredWriter>(tmp.string() + ".stored");
    std::array<uint64_t, kTierShares.size()> tier_end{};  // documents in tier i: ranks < tier_end[i]
    for (size_t i = 0; i < kTierShares.size(); ++i) tier_end[i] = uint64_t(std::ceil(kTierShares[i] * double(order.size())));
    uint64_t skus = 0;  // progress counts SKUs: the variants of the items copied
    std::vector<Stage1Key> table;
    for (uint64_t rank = 0; rank < order.size(); ++rank) {
      Xapian::Document doc = in.get_document(order[rank].second);
      set_tier_terms(doc, tier_end, rank);  // format/document.h
      skus += decode_stage1_table(doc.get_value(slot::kStage1Key), table) ? table.size() : 1;
      if (stored) move_data(doc, *stored);
      room.before_change(&doc);
      out.add_document(doc);
      if ((rank & 255) == 255) {
        meter.add(skus, skus);
        skus = 0;
      }
    }
    meter.add(skus, skus);
    for (auto it = in.metadata_keys_begin(); it != in.metadata_keys_end(); ++it) out.set_metadata(*it, in.get_metadata(*it));
    room.before_commit();
    out.commit();
    // STANDARD compaction leaves room in each block, so the first updates do not split blocks.
    out.compact(to.string(), Xapian::Compactor::STANDARD);
    if (stored) {
      stored->finish();
      fs::rename(tmp.string() + ".stored", to / kStoredFile);
    }
  } catch (...) {
    abandon(std::move(out_db));
    throw;
  }
  out_db->close();
  out_db.reset();
  fs::remove_all(tmp);
  return order.size();
}

}  // namespace

}  // namespace longtail::index

namespace longtail {

static OptimizeSummary optimize_index_impl(const OptimizeOptions& o) {
  using namespace index;
  const auto t0 = std::chrono::steady_clock::now();
  live_generation(o.index_dir);  // UsageError if this is not an index (before the lock makes files)
  WriterLock lock(o.index_dir);
  const fs::path src = live_generation(o.index_dir);
  Manifest m = read_manifest(src.string());
  check_compatible(m, o.index_dir);
  if (fs::exists(src / kJournalFile))
    throw UsageError(o.index_dir + ": an interrupted update is pending; run `longtail update --index " + o.index_dir +
                     "` (it completes it) before optimizing");
  // A damaged file would be copied into the new generation and published as sound.
  if (auto problems = verify_generation_files(src.string(), m); !problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw DataError(all + "; optimize publishes nothing from a damaged generation: rebuild the index with `longtail build`");
  }
  if (m.files.empty()) {  // a manifest without file checksums: the lexicon's own at least
    std::shared_ptr<const analysis::Lexicon> lexicon;
    try {
      lexicon = analysis::Lexicon::load((src / "lexicon.bin").string());
    } catch (const analysis::AnalysisError& e) {
      throw DataError(std::string(e.what()) + "; optimize publishes nothing from a damaged generation: rebuild the "
                      "index with `longtail build`");
    }
    if (lexicon->checksum() != m.lexicon_checksum)
      throw DataError((src / "lexicon.bin").string() + ": does not match the manifest's checksum (damaged); optimize "
                      "publishes nothing from a damaged generation: rebuild the index with `longtail build`");
  }
  for (size_t k = 0; k < m.shard_paths.size(); ++k)
    if (m.shard_paths[k].rfind("tcp ", 0) == 0)
      throw UsageError(o.index_dir + ": shard " + std::to_string(k) + " is remote (" + m.shard_paths[k] +
                       "); optimize the index it is served from");

  if (m.serving)
    throw UsageError(o.index_dir + ": its shards are serving shards (no termlist), whose documents cannot be copied; "
                     "optimize the updatable index they were made from, or rebuild with `longtail build --serving`");

  OptimizeSummary sum;
  sum.shards = m.shards;
  ProgressMeter meter(o.progress);
  const std::string gen_name = new_generation_name();
  const fs::path gen = fs::path(o.index_dir) / gen_name;
  try {
    fs::create_directories(gen);
    copy_generation_files(src.string(), gen.string());
    std::vector<uint64_t> ordered(m.shard_paths.size(), 0);
    // Each shard is copied in order, then compacted (the compaction reports nothing).
    meter.phase("copy", m.skus, "documents");
    parallel_for(m.shard_paths.size(), o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency()),
                 [&](size_t k) { ordered[k] = reorder_shard(src / m.shard_paths[k], gen / m.shard_paths[k], o.serving, meter); });
    meter.flush();
    meter.phase("publish", 0, "");

    for (size_t k = 0; k < m.shard_paths.size(); ++k) {
      sum.bytes_before += dir_bytes((src / m.shard_paths[k]).string());
      sum.bytes_after += dir_bytes((gen / m.shard_paths[k]).string());
      sum.skus += shard_skus(Xapian::Database((gen / m.shard_paths[k]).string()));
    }
    m.ordered_docs = ordered;
    // Rewritten from the optimized shards: words that updates added since the build now have
    // their readings too (updates keep the generation's file as it was).
    write_generation_spelling(gen.string(), m.shard_paths);
    m.tier_shares.assign(kTierShares.begin(), kTierShares.end());
    m.serving = o.serving;
    write_manifest(gen.string(), m);
    publish_generation(o.index_dir, gen_name);
  } catch (const Xapian::Error& e) {
    std::error_code ec;
    fs::remove_all(gen, ec);
    throw DataError(o.index_dir + ": optimize: " + e.get_description());
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(gen, ec);
    throw DataError(o.index_dir + ": optimize: " + e.what());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(gen, ec);
    throw;
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}


OptimizeSummary optimize_index(const OptimizeOptions& o) {
  // Xapian reports I/O failures (a full disk: ENOSPC) as Xapian::Error, which is no
  // longtail::Error: named here with the index, so that a caller's handler (and the CLI: exit 1)
  // sees it as the data error it is instead of an unknown exception.
  try {
    return optimize_index_impl(o);
  } catch (const Xapian::Error& e) {
    throw DataError(o.index_dir + ": " + e.get_description() + " (nothing was published: the index stays as it was)");
  }
}

}  // namespace longtail
