// Near-duplicate clustering of items across all shards in bounded memory (docs/integrity.md).
//
// Each item contributes one ItemPrint (64-bit weighted SimHash of its title words, a 256-bit
// one-bit MinHash sketch of the same words, leaf category, effective price, shop). Candidates
// are found as in Manku, Jain and Das Sarma (WWW 2007): for each of the four 16-bit blocks of
// the SimHash, prints are sorted by (leaf, block) and compared within equal runs, so every pair
// within Hamming distance 3 in the same leaf meets in at least one block table. A candidate pair
// becomes an edge when it also passes the price band and the sketch's Jaccard estimate; edges
// are joined into clusters (union-find). Variants (one item_id) are one print, never a pair.
//
// Memory: prints are appended to a file during the scan (72 bytes per item on disk). finish()
// partitions that file per block into ceil(items * 72 / memory_bytes) parts by hash of
// (leaf, block) and sorts one part at a time, so RAM holds one part (<= memory_bytes) plus the
// union-find over the items that have at least one edge (about 64 bytes per clustered item).
// Not thread-safe while adding; find() and the counters are safe to call concurrently after
// finish().
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "index/simhash.h"

namespace longtail::index {

struct ItemPrint {
  uint64_t item = 0;      // term_hash(item_id)
  uint64_t shop = 0;      // term_hash(shop_id)
  uint64_t fp = 0;        // weighted SimHash
  MinHash256 sketch{};    // one-bit MinHash of the same words (verification)
  uint32_t leaf = 0;      // leaf category id
  float price = 0;        // effective price of the item's first SKU, CNY
  uint64_t brand = 0;     // identity (IntegrityModel::identity): the brand field's hash in the
                          // high 16 bits (0 = none), the title's specification numbers in the low
                          // 48 (four 12-bit slots by unit, one bit per value); see spec_conflict()
};
static_assert(sizeof(ItemPrint) == 72);

// Two listings cannot be duplicates when both name a brand and the brands differ, or when for
// some unit both titles give numbers and neither's values include the other's (2014年 vs 2015年;
// 1.5匹 vs 1.5匹 + 1匹 is no conflict: a re-listing may add a number).
inline bool spec_conflict(uint64_t a, uint64_t b) {
  const uint64_t ba = a >> 48, bb = b >> 48;
  if (ba && bb && ba != bb) return true;
  for (int slot = 0; slot < 4; ++slot) {
    const uint32_t x = uint32_t(a >> (slot * 12)) & 0xFFF, y = uint32_t(b >> (slot * 12)) & 0xFFF;
    if (x && y && (x & y) != x && (x & y) != y) return true;
  }
  return false;
}

struct DupParams {
  int max_hamming = 3;              // SimHash distance of a candidate pair. Range 0..3 (4 blocks).
  int same_shop_max_hamming = 3;    // ... of two items of one shop in one leaf, compared in a pass
                                    // of their own (a shop's items meet each other whatever their
                                    // prints, so long block runs of a large catalog do not hide them).
                                    // Range 0..64; below max_hamming: no such pass.
  double min_jaccard = 0.6;         // sketch Jaccard estimate of an edge. Range (0, 1].
  double price_ratio = 1.3;         // higher / lower effective price of an edge at most this. >= 1.
  uint32_t max_group_compare = 2048;  // within one (leaf, block) run, each print is compared with
                                      // at most this many following prints (sorted by fingerprint).
                                      // 128 lost 3 points of recall at 1M SKUs: a leaf's prints
                                      // share blocks, so its runs are long (docs/integrity.md).
  uint32_t max_update_lookup = 128;   // an update reads at most this many block-table entries on
                                      // each side of a changed item's place (index/updater.cpp)
  uint64_t memory_bytes = 256ull << 20;  // RAM for one sorted part. Default 256 MB.
};

// An item's place in a cluster.
// Clusters are the connected components of all edges; a same-shop group is a connected
// component of the edges between two items of ONE shop (so two listings of a shop that are
// only linked through another shop's listing are not a same-shop group).
struct DupMembership {
  uint64_t root = 0;        // smallest item hash of the cluster: the cluster's identity
  uint64_t shop = 0;
  uint64_t group = 0;       // smallest item hash of the same-shop group (0 = none)
  uint32_t size = 0;        // items in the cluster
  uint32_t shop_size = 0;   // items in the same-shop group (1 = none)
  char kind() const { return shop_size >= 2 ? 'S' : 'X'; }
  // "d<root hex>" for a cross-shop member; members of one same-shop group share
  // "d<group hex>s" so ranking keeps only the best of them.
  std::string cluster_id() const;
};

class NearDupClusterer {
 public:
  // `dir`: where the prints file and temporary parts go (created if missing). With write =
  // false the prints file is left alone (a loaded index: only memberships are read).
  NearDupClusterer(std::string dir, DupParams params, bool write = true);
  ~NearDupClusterer();
  NearDupClusterer(const NearDupClusterer&) = delete;
  NearDupClusterer& operator=(const NearDupClusterer&) = delete;

  void add(const ItemPrint& p);  // throws DataError on I/O failure
  void finish();                 // clusters; throws DataError on I/O failure

  const DupMembership* find(uint64_t item) const;
  // Same-shop groups (a shop's >= 2 items in one cluster) per shop.
  uint32_t shop_groups(uint64_t shop) const;
  uint64_t prints() const { return n_; }
  uint64_t clustered_items() const { return members_.size(); }
  uint64_t clusters() const { return clusters_; }
  uint64_t candidate_pairs() const { return candidates_; }
  uint64_t edges() const { return edges_; }
  // The prints file (kept for updates: the updater re-clusters changed items against it).
  std::string prints_path() const { return dir_ + "/integrity-prints.bin"; }

  // Cluster memberships as fixed binary records (for the index generation), and back.
  void save_memberships(const std::string& path) const;
  // The sorted block tables of the prints file (for updates; PrintLookup reads them): one
  // BlockEntry per print and block, sorted by (key, fp, ordinal), by external merge sort in runs of
  // at most memory_bytes (temporary runs in dir/tmp-blocks). Call after finish(). Throws DataError.
  void save_block_table(const std::string& path) const;
  void load_memberships(const std::string& path);

  // True if two prints form an edge under `params` (same leaf, distinct items, fingerprint,
  // price band and sketch all within bounds).
  static bool is_edge(const ItemPrint& a, const ItemPrint& b, const DupParams& params);

 private:
  struct Edge {
    uint64_t a, shop_a, b, shop_b;
  };
  void scan_part(std::vector<ItemPrint>& part, int block, std::vector<Edge>& edges);
  void count_shop_groups();

  std::string dir_;
  DupParams p_;
  std::FILE* out_ = nullptr;
  uint64_t n_ = 0, clusters_ = 0, candidates_ = 0, edges_ = 0;
  std::unordered_map<uint64_t, DupMembership> members_;
  std::unordered_map<uint64_t, uint32_t> shop_groups_;
};

// ------------------------------------------------------------------------------------------
// Lookups after the build: an update compares a changed item with the existing items' prints
// without loading them (docs/integrity.md, "Updates").

// One entry of the sorted block table: the print at `ordinal` of integrity-prints.bin, under
// block_key(leaf, block, its block value).
struct BlockEntry {
  uint64_t key = 0;      // block_key()
  uint64_t fp = 0;       // the print's fingerprint (order within a run, as in the build's scan)
  uint64_t ordinal = 0;  // record number in the prints file
};
static_assert(sizeof(BlockEntry) == 24);

// block in bits 48-49, leaf in bits 16-47, the block's 16-bit value in bits 0-15.
inline uint64_t block_key(uint32_t leaf, int block, uint16_t value) {
  return (uint64_t(block) << 48) | (uint64_t(leaf) << 16) | value;
}

// Read-only lookups in a block table and its prints file by binary search (pread; nothing is
// loaded: RAM is O(1) in the catalog size, about 4 * (log2(entries) + 2 * per_side) reads a
// lookup). Thread-safe.
class PrintLookup {
 public:
  // Throws DataError if a file cannot be opened or the table's size is not whole entries.
  PrintLookup(const std::string& table_path, const std::string& prints_path);
  ~PrintLookup();
  PrintLookup(const PrintLookup&) = delete;
  PrintLookup& operator=(const PrintLookup&) = delete;

  // For each of the four blocks, the prints of p's (leaf, block value) run nearest to p's
  // fingerprint: at most `per_side` on each side of its place (the build compares each print
  // with up to DupParams::max_group_compare followers). Appended to `out`; an item may appear more than once. Throws DataError
  // on a read failure.
  void candidates(const ItemPrint& p, uint32_t per_side, std::vector<ItemPrint>& out) const;
  uint64_t entries() const { return n_; }

 private:
  BlockEntry entry(uint64_t i) const;
  std::string table_path_, prints_path_;
  int table_fd_ = -1, prints_fd_ = -1;
  uint64_t n_ = 0, prints_ = 0;
};

// Prints of the items that updates added or re-titled since the build: an append-only file of
// ItemPrint records beside the block table, where the last record of an item wins. Loaded whole
// while an update runs: RAM is O(items changed since the build), not O(catalog); a rebuild
// starts it empty. Appending the same records again (a redone batch) changes nothing, and a torn
// last record (a crash while appending) is ignored and overwritten.
class UpdatedPrints {
 public:
  explicit UpdatedPrints(std::string path);  // throws DataError if the file cannot be read

  // The item's latest print here, or nullptr (then the build's print, if any, is current).
  const ItemPrint* latest(uint64_t item) const;
  // Latest prints sharing p's leaf and one block value, at most `per_key` (the most recent) per
  // block, appended to `out`.
  void candidates(const ItemPrint& p, uint32_t per_key, std::vector<ItemPrint>& out) const;
  // Adds a print (visible to candidates() at once); written by flush().
  void add(const ItemPrint& p);
  // Appends the prints added since the last flush and fsyncs. Throws DataError on I/O failure.
  void flush();
  uint64_t size() const { return prints_.size(); }

 private:
  void index(uint32_t i);
  std::string path_;
  uint64_t valid_bytes_ = 0;  // whole records in the file
  std::vector<ItemPrint> prints_;
  size_t flushed_ = 0;  // prints_[0, flushed_) are in the file
  std::unordered_map<uint64_t, uint32_t> latest_;          // item -> index in prints_
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_key_;  // block_key -> indices in prints_, oldest first
};

}  // namespace longtail::index
