#include "index/dedup.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <queue>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <longtail/longtail.h>

namespace fs = std::filesystem;

namespace longtail::index {

namespace {

const uint64_t kNoShop = term_hash("");

inline uint64_t mix(uint64_t x) { return hash_mix(x); }

// Pass 0-3: a SimHash block table; pass kShopPass: the items of one (leaf, shop).
constexpr int kShopPass = 4;

inline uint64_t part_key(const ItemPrint& p, int block) {
  if (block == kShopPass) return mix((uint64_t(p.leaf) << 32) ^ p.shop ^ (uint64_t(block) << 50));
  return mix((uint64_t(p.leaf) << 16) ^ simhash_block(p.fp, block) ^ (uint64_t(block) << 50));
}

std::FILE* open_or_throw(const std::string& path, const char* mode) {
  std::FILE* f = std::fopen(path.c_str(), mode);
  if (!f) throw DataError(path + ": cannot open: " + std::strerror(errno));
  return f;
}

// Reads up to `max` prints; returns how many were read.
size_t read_prints(std::FILE* f, std::vector<ItemPrint>& out, size_t max) {
  out.resize(max);
  size_t n = std::fread(out.data(), sizeof(ItemPrint), max, f);
  out.resize(n);
  return n;
}

struct UnionFind {
  std::unordered_map<uint64_t, uint32_t> index;
  std::vector<uint32_t> parent;
  std::vector<uint64_t> item, shop;
  uint32_t id(uint64_t it, uint64_t sh) {
    auto [pos, fresh] = index.emplace(it, uint32_t(parent.size()));
    if (fresh) {
      parent.push_back(uint32_t(parent.size()));
      item.push_back(it);
      shop.push_back(sh);
    }
    return pos->second;
  }
  uint32_t find(uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(uint32_t a, uint32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    // The root keeps the smaller item hash, so a cluster's identity does not depend on order.
    if (item[a] < item[b]) parent[b] = a;
    else parent[a] = b;
  }
};

}  // namespace

std::string DupMembership::cluster_id() const {
  char buf[48];
  if (kind() == 'S')
    std::snprintf(buf, sizeof buf, "d%016" PRIx64 "s", group);
  else
    std::snprintf(buf, sizeof buf, "d%016" PRIx64, root);
  return buf;
}

NearDupClusterer::NearDupClusterer(std::string dir, DupParams params, bool write) : dir_(std::move(dir)), p_(params) {
  if (p_.max_hamming < 0 || p_.max_hamming > 3) throw UsageError("duplicates: max_hamming must be in 0..3");
  if (!(p_.min_jaccard > 0 && p_.min_jaccard <= 1)) throw UsageError("duplicates: min_jaccard must be in (0, 1]");
  if (!(p_.price_ratio >= 1)) throw UsageError("duplicates: price_ratio must be >= 1");
  if (!write) return;
  fs::create_directories(dir_);
  out_ = open_or_throw(prints_path(), "wb");
}

NearDupClusterer::~NearDupClusterer() {
  if (out_) std::fclose(out_);
}

void NearDupClusterer::add(const ItemPrint& p) {
  if (!out_) throw UsageError("duplicates: add() after finish()");
  if (std::fwrite(&p, sizeof p, 1, out_) != 1) throw DataError(prints_path() + ": write failed");
  ++n_;
}

bool NearDupClusterer::is_edge(const ItemPrint& a, const ItemPrint& b, const DupParams& params) {
  if (a.item == b.item || a.leaf != b.leaf) return false;
  if (spec_conflict(a.brand, b.brand)) return false;
  if (hamming64(a.fp, b.fp) > params.max_hamming) return false;
  double lo = std::min(a.price, b.price), hi = std::max(a.price, b.price);
  if (hi > lo * params.price_ratio + 1e-9) return false;
  return minhash_jaccard(minhash_distance(a.sketch, b.sketch)) >= params.min_jaccard;
}

void NearDupClusterer::scan_part(std::vector<ItemPrint>& part, int block, std::vector<Edge>& edges) {
  // Within a (leaf, block) run the fingerprint order puts equal and close prints side by side.
  // The shop pass: within a (leaf, shop) run every item meets the shop's others (up to the cap),
  // with the looser fingerprint distance same_shop_max_hamming: a shop re-listing its own item
  // may change the words that weigh most, and the word-set Jaccard still has to pass.
  const bool shop_pass = block == kShopPass;
  auto key = [block, shop_pass](const ItemPrint& p) -> uint64_t { return shop_pass ? p.shop : simhash_block(p.fp, block); };
  std::sort(part.begin(), part.end(), [&key](const ItemPrint& a, const ItemPrint& b) {
    if (a.leaf != b.leaf) return a.leaf < b.leaf;
    uint64_t ka = key(a), kb = key(b);
    if (ka != kb) return ka < kb;
    if (a.fp != b.fp) return a.fp < b.fp;
    return a.item < b.item;
  });
  DupParams params = p_;
  if (shop_pass) params.max_hamming = p_.same_shop_max_hamming;
  for (size_t i = 0; i < part.size(); ++i) {
    const ItemPrint& a = part[i];
    if (shop_pass && a.shop == kNoShop) continue;
    for (size_t j = i + 1, cmp = 0; j < part.size() && cmp < p_.max_group_compare; ++j, ++cmp) {
      const ItemPrint& b = part[j];
      if (b.leaf != a.leaf || key(b) != key(a)) break;
      if (a.item == b.item) continue;
      ++candidates_;
      if (is_edge(a, b, params)) edges.push_back(a.item < b.item ? Edge{a.item, a.shop, b.item, b.shop} : Edge{b.item, b.shop, a.item, a.shop});
    }
  }
}

void NearDupClusterer::finish() {
  if (!out_) throw UsageError("duplicates: finish() called twice");
  if (std::fclose(out_) != 0) throw DataError(prints_path() + ": write failed");
  out_ = nullptr;

  const uint64_t parts = std::max<uint64_t>(1, (n_ * sizeof(ItemPrint) + p_.memory_bytes - 1) / p_.memory_bytes);
  const size_t chunk = size_t(std::min<uint64_t>(n_ + 1, std::max<uint64_t>(1, p_.memory_bytes / sizeof(ItemPrint))));
  std::vector<Edge> edges;
  std::vector<ItemPrint> buf;
  const std::string tmp = dir_ + "/tmp-dedup";
  for (int block = 0; block <= kShopPass; ++block) {
    if (block == kShopPass && p_.same_shop_max_hamming < p_.max_hamming) break;
    if (parts == 1) {
      std::FILE* f = open_or_throw(prints_path(), "rb");
      read_prints(f, buf, size_t(n_));
      std::fclose(f);
      scan_part(buf, block, edges);
      continue;
    }
    // Partition by hash of (leaf, block value): equal keys land in the same part.
    fs::create_directories(tmp);
    std::vector<std::FILE*> files;
    for (uint64_t k = 0; k < parts; ++k) files.push_back(open_or_throw(tmp + "/p" + std::to_string(k), "w+b"));
    std::FILE* in = open_or_throw(prints_path(), "rb");
    while (read_prints(in, buf, chunk) > 0)
      for (const auto& p : buf)
        if (std::fwrite(&p, sizeof p, 1, files[part_key(p, block) % parts]) != 1) throw DataError(tmp + ": write failed");
    std::fclose(in);
    for (auto* f : files) {
      std::fflush(f);
      long size = std::ftell(f);
      std::rewind(f);
      read_prints(f, buf, size_t(size) / sizeof(ItemPrint));
      std::fclose(f);
      scan_part(buf, block, edges);
    }
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  buf.clear();
  buf.shrink_to_fit();

  // The same pair is usually found in several block tables.
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
  edges.erase(std::unique(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) { return x.a == y.a && x.b == y.b; }),
              edges.end());
  edges_ = edges.size();

  UnionFind uf, same;  // all edges; edges within one shop
  for (const auto& e : edges) {
    uf.unite(uf.id(e.a, e.shop_a), uf.id(e.b, e.shop_b));
    // Listings without a shop_id are never "the same shop".
    if (e.shop_a == e.shop_b && e.shop_a != kNoShop) same.unite(same.id(e.a, e.shop_a), same.id(e.b, e.shop_b));
  }
  edges.clear();
  edges.shrink_to_fit();
  std::unordered_map<uint32_t, uint32_t> size, same_size;  // root -> items
  for (uint32_t x = 0; x < uf.parent.size(); ++x) ++size[uf.find(x)];
  for (uint32_t x = 0; x < same.parent.size(); ++x) ++same_size[same.find(x)];
  for (uint32_t x = 0; x < uf.parent.size(); ++x) {
    uint32_t r = uf.find(x);
    DupMembership m;
    m.root = uf.item[r];
    m.shop = uf.shop[x];
    m.size = size[r];
    m.shop_size = 1;
    if (auto it = same.index.find(uf.item[x]); it != same.index.end()) {
      uint32_t g = same.find(it->second);
      m.group = same.item[g];
      m.shop_size = same_size[g];
    }
    members_[uf.item[x]] = m;
  }
  count_shop_groups();
}

void NearDupClusterer::count_shop_groups() {
  shop_groups_.clear();
  std::unordered_map<uint64_t, bool> seen;  // same-shop groups counted
  std::unordered_map<uint64_t, bool> roots;
  for (const auto& [item, m] : members_) {
    roots.emplace(m.root, true);
    if (m.kind() == 'S' && seen.emplace(m.group, true).second) ++shop_groups_[m.shop];
  }
  clusters_ = roots.size();
}

const DupMembership* NearDupClusterer::find(uint64_t item) const {
  auto it = members_.find(item);
  return it == members_.end() ? nullptr : &it->second;
}

uint32_t NearDupClusterer::shop_groups(uint64_t shop) const {
  auto it = shop_groups_.find(shop);
  return it == shop_groups_.end() ? 0 : it->second;
}

void NearDupClusterer::save_memberships(const std::string& path) const {
  std::FILE* f = open_or_throw(path, "wb");
  for (const auto& [item, m] : members_) {
    uint64_t rec[5] = {item, m.root, m.shop, m.group, (uint64_t(m.size) << 32) | m.shop_size};
    if (std::fwrite(rec, sizeof rec, 1, f) != 1) {
      std::fclose(f);
      throw DataError(path + ": write failed");
    }
  }
  if (std::fclose(f) != 0) throw DataError(path + ": write failed");
}

void NearDupClusterer::load_memberships(const std::string& path) {
  std::FILE* f = open_or_throw(path, "rb");
  members_.clear();
  shop_groups_.clear();
  uint64_t rec[5];
  while (std::fread(rec, sizeof rec, 1, f) == 1) {
    DupMembership m;
    m.root = rec[1];
    m.shop = rec[2];
    m.group = rec[3];
    m.size = uint32_t(rec[4] >> 32);
    m.shop_size = uint32_t(rec[4]);
    members_[rec[0]] = m;
  }
  std::fclose(f);
  count_shop_groups();
}

// ------------------------------------------------------------------------------------------
// Block tables

namespace {

bool entry_less(const BlockEntry& a, const BlockEntry& b) {
  if (a.key != b.key) return a.key < b.key;
  if (a.fp != b.fp) return a.fp < b.fp;
  return a.ordinal < b.ordinal;
}

void write_entries(std::FILE* f, const std::vector<BlockEntry>& v, const std::string& path) {
  if (!v.empty() && std::fwrite(v.data(), sizeof(BlockEntry), v.size(), f) != v.size()) throw DataError(path + ": write failed");
}

// pread of exactly `n` bytes at `off`; false at end of file.
bool read_at(int fd, void* buf, size_t n, uint64_t off) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, off_t(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
    off += uint64_t(r);
  }
  return true;
}

uint64_t file_bytes(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw DataError(path + ": cannot stat: " + std::strerror(errno));
  return uint64_t(st.st_size);
}

}  // namespace

void NearDupClusterer::save_block_table(const std::string& path) const {
  if (out_) throw UsageError("duplicates: save_block_table() before finish()");
  const size_t run_cap = size_t(std::max<uint64_t>(4, p_.memory_bytes / sizeof(BlockEntry)));
  const std::string tmp = dir_ + "/tmp-blocks";
  std::vector<std::string> runs;
  std::vector<BlockEntry> buf;
  std::vector<ItemPrint> prints;
  auto spill = [&] {
    std::sort(buf.begin(), buf.end(), entry_less);
    fs::create_directories(tmp);
    runs.push_back(tmp + "/r" + std::to_string(runs.size()));
    std::FILE* f = open_or_throw(runs.back(), "wb");
    write_entries(f, buf, runs.back());
    if (std::fclose(f) != 0) throw DataError(runs.back() + ": write failed");
    buf.clear();
  };
  std::FILE* in = open_or_throw(prints_path(), "rb");
  uint64_t ordinal = 0;
  while (read_prints(in, prints, 4096) > 0)
    for (const auto& p : prints) {
      for (int b = 0; b < 4; ++b) {
        buf.push_back(BlockEntry{block_key(p.leaf, b, simhash_block(p.fp, b)), p.fp, ordinal});
        if (buf.size() >= run_cap) spill();
      }
      ++ordinal;
    }
  std::fclose(in);
  const std::string part = path + ".tmp";
  std::FILE* out = open_or_throw(part, "wb");
  if (runs.empty()) {
    std::sort(buf.begin(), buf.end(), entry_less);
    write_entries(out, buf, part);
  } else {
    if (!buf.empty()) spill();
    buf.shrink_to_fit();
    // k-way merge of the sorted runs, one entry per run in memory.
    struct Head {
      BlockEntry e;
      size_t run;
    };
    auto greater = [](const Head& a, const Head& b) { return entry_less(b.e, a.e); };
    std::priority_queue<Head, std::vector<Head>, decltype(greater)> heap(greater);
    std::vector<std::FILE*> files;
    for (size_t r = 0; r < runs.size(); ++r) {
      files.push_back(open_or_throw(runs[r], "rb"));
      BlockEntry e;
      if (std::fread(&e, sizeof e, 1, files.back()) == 1) heap.push({e, r});
    }
    while (!heap.empty()) {
      Head h = heap.top();
      heap.pop();
      if (std::fwrite(&h.e, sizeof h.e, 1, out) != 1) throw DataError(part + ": write failed");
      if (std::fread(&h.e, sizeof h.e, 1, files[h.run]) == 1) heap.push(h);
    }
    for (auto* f : files) std::fclose(f);
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  if (std::fflush(out) != 0 || ::fsync(::fileno(out)) != 0 || std::fclose(out) != 0) throw DataError(part + ": write failed");
  std::error_code ec;
  fs::rename(part, path, ec);
  if (ec) throw DataError(path + ": cannot rename into place: " + ec.message());
}

PrintLookup::PrintLookup(const std::string& table_path, const std::string& prints_path)
    : table_path_(table_path), prints_path_(prints_path) {
  table_fd_ = ::open(table_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (table_fd_ < 0) throw DataError(table_path + ": cannot open: " + std::strerror(errno));
  prints_fd_ = ::open(prints_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (prints_fd_ < 0) {
    ::close(table_fd_);
    throw DataError(prints_path + ": cannot open: " + std::strerror(errno));
  }
  uint64_t bytes = file_bytes(table_fd_, table_path), pbytes = file_bytes(prints_fd_, prints_path);
  if (bytes % sizeof(BlockEntry) != 0 || pbytes % sizeof(ItemPrint) != 0) {
    ::close(table_fd_);
    ::close(prints_fd_);
    throw DataError((bytes % sizeof(BlockEntry) ? table_path : prints_path) + ": damaged (size is not whole records)");
  }
  n_ = bytes / sizeof(BlockEntry);
  prints_ = pbytes / sizeof(ItemPrint);
}

PrintLookup::~PrintLookup() {
  ::close(table_fd_);
  ::close(prints_fd_);
}

BlockEntry PrintLookup::entry(uint64_t i) const {
  BlockEntry e;
  if (!read_at(table_fd_, &e, sizeof e, i * sizeof e)) throw DataError(table_path_ + ": read failed");
  return e;
}

void PrintLookup::candidates(const ItemPrint& p, uint32_t per_side, std::vector<ItemPrint>& out) const {
  for (int b = 0; b < 4; ++b) {
    const BlockEntry probe{block_key(p.leaf, b, simhash_block(p.fp, b)), p.fp, 0};
    // First entry not less than the probe: p's place in its run.
    uint64_t lo = 0, hi = n_;
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      if (entry_less(entry(mid), probe)) lo = mid + 1;
      else hi = mid;
    }
    auto take = [&](uint64_t i) {
      BlockEntry e = entry(i);
      if (e.key != probe.key) return false;
      if (e.ordinal >= prints_) throw DataError(table_path_ + ": damaged (entry beyond the prints file)");
      ItemPrint ip;
      if (!read_at(prints_fd_, &ip, sizeof ip, e.ordinal * sizeof ip)) throw DataError(prints_path_ + ": read failed");
      out.push_back(ip);
      return true;
    };
    for (uint64_t i = lo, k = 0; i < n_ && k < per_side && take(i); ++i, ++k) {
    }
    for (uint64_t i = lo, k = 0; i > 0 && k < per_side && take(i - 1); --i, ++k) {
    }
  }
}

// ------------------------------------------------------------------------------------------
// Prints written by updates

UpdatedPrints::UpdatedPrints(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (!fs::exists(path_, ec)) return;
  std::FILE* f = open_or_throw(path_, "rb");
  std::vector<ItemPrint> buf;
  while (read_prints(f, buf, 4096) > 0)
    for (const auto& p : buf) {
      prints_.push_back(p);
      index(uint32_t(prints_.size() - 1));
    }
  std::fclose(f);
  flushed_ = prints_.size();
  valid_bytes_ = uint64_t(flushed_) * sizeof(ItemPrint);
}

void UpdatedPrints::index(uint32_t i) {
  const ItemPrint& p = prints_[i];
  auto [it, fresh] = latest_.emplace(p.item, i);
  if (!fresh) {
    // The older print of the item leaves the block index.
    const ItemPrint& old = prints_[it->second];
    for (int b = 0; b < 4; ++b) {
      auto& v = by_key_[block_key(old.leaf, b, simhash_block(old.fp, b))];
      std::erase(v, it->second);
    }
    it->second = i;
  }
  for (int b = 0; b < 4; ++b) by_key_[block_key(p.leaf, b, simhash_block(p.fp, b))].push_back(i);
}

const ItemPrint* UpdatedPrints::latest(uint64_t item) const {
  auto it = latest_.find(item);
  return it == latest_.end() ? nullptr : &prints_[it->second];
}

void UpdatedPrints::candidates(const ItemPrint& p, uint32_t per_key, std::vector<ItemPrint>& out) const {
  for (int b = 0; b < 4; ++b) {
    auto it = by_key_.find(block_key(p.leaf, b, simhash_block(p.fp, b)));
    if (it == by_key_.end()) continue;
    const auto& v = it->second;
    for (size_t k = v.size() > per_key ? v.size() - per_key : 0; k < v.size(); ++k) out.push_back(prints_[v[k]]);
  }
}

void UpdatedPrints::add(const ItemPrint& p) {
  prints_.push_back(p);
  index(uint32_t(prints_.size() - 1));
}

void UpdatedPrints::flush() {
  if (flushed_ == prints_.size()) return;
  // "r+b" at the end of the whole records: a torn record left by a crash is overwritten.
  std::FILE* f = std::fopen(path_.c_str(), "r+b");
  if (!f) f = open_or_throw(path_, "w+b");
  if (::ftruncate(::fileno(f), off_t(valid_bytes_)) != 0 || std::fseek(f, long(valid_bytes_), SEEK_SET) != 0) {
    std::fclose(f);
    throw DataError(path_ + ": cannot append: " + std::strerror(errno));
  }
  size_t n = prints_.size() - flushed_;
  bool ok = std::fwrite(prints_.data() + flushed_, sizeof(ItemPrint), n, f) == n;
  ok = std::fflush(f) == 0 && ok;
  ok = ::fsync(::fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) throw DataError(path_ + ": write failed");
  flushed_ = prints_.size();
  valid_bytes_ = uint64_t(flushed_) * sizeof(ItemPrint);
}

}  // namespace longtail::index
