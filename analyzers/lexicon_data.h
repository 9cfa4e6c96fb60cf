// Lexicon::Data — the compact in-memory word table (internal to analyzers/).
//
// Words live in one byte pool; an open-addressing hash table (FNV-1a over the UTF-8 bytes,
// linear probing) maps every word AND every code-point prefix of a word to a node, so the
// segmenter can extend a candidate one code point (or one unit) at a time, hashing
// incrementally, and stop as soon as the bytes are no longer a prefix of any word.
// Memory for the jieba dictionary (349k words): about 20 MB.
#pragma once

#include <cmath>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzers/analyzer.h"

namespace longtail::analysis {

struct Lexicon::Data {
  struct Node {
    uint32_t off = 0;     // bytes in pool
    uint32_t len = 0;
    uint32_t freq = 0;    // 0 for prefix-only nodes
    uint16_t tag = 0;     // index into tags
    uint8_t is_word = 0;  // 1: a word; 0: only a prefix of longer words
    uint8_t reserved = 0; // keeps the struct 16 bytes with no indeterminate padding
  };
  static_assert(sizeof(Node) == 16);

  // Look-up slot: everything the segmenter needs in 32 bytes (one probe, usually one cache
  // line); words of up to 12 bytes (4 Han characters) are compared in place.
  struct Slot {
    uint32_t check = 0;   // high 32 bits of the mixed hash; 0 with len 0 = empty
    uint32_t freq = 0;    // 0 for prefix-only entries
    float logp = 0;       // ln(freq / total_freq); unknown-word score for prefix-only entries
    uint32_t node = 0;    // index into nodes
    uint16_t len = 0;     // bytes (0 = empty slot)
    uint8_t is_word = 0;  // 0 for prefixes and for join-only entries
    uint8_t join = 0;     // a join-only entry (tag "join"): see kJoinTag
    char inl[12] = {};    // the bytes when len <= 12
  };
  static_assert(sizeof(Slot) == 32);

  std::string pool;
  std::vector<Node> nodes;
  std::vector<uint32_t> words;   // node indices of the words, in entry order
  std::vector<Slot> slots;       // size is a power of two, load <= 0.625
  std::vector<std::string> tags;
  std::vector<uint8_t> catalog_tag;  // per tag: 1 for catalog words (brand, attr, cat, learned)
  // Entries tagged kJoinTag are not words: the DAG, frequency() and tag() ignore them. They
  // name runs of two or three single characters that plain mode joins into one piece when the
  // path leaves exactly that run single (LexiconLearner::Options::join_*).
  static constexpr const char* kJoinTag = "join";
  uint64_t total_freq = 0;
  double log_total = 0.0;        // ln(total_freq)

  // Cache-friendly filters in front of `slots` (which is ~32 MB and misses the cache on every
  // probe): a Bloom filter over all entries (512 KB, 2 bits per entry, ~5% false positives)
  // answers most failed look-ups, and a dense table answers single BMP characters.
  static constexpr unsigned kBloomBits = 22;
  std::vector<uint64_t> bloom;
  struct CharInfo {
    float logp = 0;       // as Slot::logp
    uint8_t present = 0;  // the character is a word or a prefix of one
    uint8_t is_word = 0;
    // How much the character is a word ending, in 1/255: (e + 1) / (s + e + 2) of the
    // lexicon's words of two or more characters, e ending with it and s starting with it
    // (jieba: 器 0.97, 袋 0.91, 女 0.47, 小 0.10). Plain mode attaches a single character that is
    // mostly a word ending to the word before it (kTailAttach in analyzer.cpp).
    uint8_t tail = 0;
    uint8_t reserved = 0;
  };
  std::vector<CharInfo> bmp;  // indexed by code point < 0x10000
  // The code point of the three-byte UTF-8 sequence at p (every Han character of the BMP), or
  // -1 when p does not start one; p must have three readable bytes.
  static int bmp3(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (u[0] & 0xF0u) == 0xE0u ? static_cast<int>(((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu))
                                   : -1;
  }

  static constexpr uint64_t kHashInit = 1469598103934665603ull;
  static uint64_t hash_add(uint64_t h, const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(p[i]);
      h *= 1099511628211ull;
    }
    return h;
  }
  static uint64_t hash(std::string_view s) { return hash_add(kHashInit, s.data(), s.size()); }
  // Slot position and check bits from an FNV hash (FNV's low bits cluster; mix them first).
  static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }

  bool maybe_present(uint64_t mixed) const {
    constexpr uint64_t m = (uint64_t{1} << kBloomBits) - 1;
    const uint64_t b1 = mixed & m, b2 = (mixed >> kBloomBits) & m;
    return ((bloom[b1 >> 6] >> (b1 & 63)) & (bloom[b2 >> 6] >> (b2 & 63)) & 1) != 0;
  }

  // The slot for exactly `s` (whose FNV hash is h), or nullptr.
  const Slot* find(uint64_t h, std::string_view s) const {
    const size_t mask = slots.size() - 1;
    h = mix(h);
    if (!maybe_present(h)) return nullptr;
    const auto check = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& sl = slots[i];
      if (sl.len == 0) return nullptr;
      if (sl.check != check || sl.len != s.size()) continue;
      const char* bytes = sl.len <= sizeof(sl.inl) ? sl.inl : pool.data() + nodes[sl.node].off;
      if (std::memcmp(bytes, s.data(), s.size()) == 0) return &sl;
    }
  }
  const Slot* find(std::string_view s) const { return find(hash(s), s); }
  std::string_view text(const Node& n) const { return std::string_view(pool).substr(n.off, n.len); }
  const std::string& tag_of(const Node& n) const { return tags[n.tag]; }
  bool is_catalog(const Slot& s) const { return catalog_tag[nodes[s.node].tag] != 0; }

  // Fills slots from nodes (and log_total, catalog_tag). Called once the nodes are final.
  void build_slots();
};

namespace detail {

// The checksum a lexicon file (Lexicon::save) carries of everything after it; load() rejects a
// file whose checksum does not match. The lexicon fuzz target sets it so that its mutations reach
// the tables behind it.
uint64_t file_checksum(std::string_view payload);

// Analyzer::analyze with the lexicon given; fine = leave compositional base-dictionary compounds
// out of the path (Analyzer::analyze sets it for Mode::Plain only). The learner measures words
// against the coarse path (fine = false), the one index and query modes use.
std::vector<Token> analyze_with(const Lexicon& lexicon, std::string_view text, Mode mode, bool fine);

// Builds a Data from entries whose words are already normalized. Duplicate words keep the
// larger frequency (and the tag that came with it). Empty words are skipped.
class LexiconBuilder {
 public:
  explicit LexiconBuilder(size_t expected_words);
  void add(std::string_view word, uint32_t freq, std::string_view tag);
  std::shared_ptr<Lexicon::Data> finish();

 private:
  uint32_t tag_id(std::string_view tag);
  uint32_t insert_node(uint64_t h, std::string_view s, bool& created);
  void grow();
  std::shared_ptr<Lexicon::Data> d_;
  std::vector<uint64_t> index_;  // build-time table: (hash >> 32) << 32 | (node + 1)
  size_t used_ = 0;
  std::string last_tag_;  // tag_id cache: dictionaries list words of one tag in long runs
  uint32_t last_tag_id_ = 0;
};

}  // namespace detail
}  // namespace longtail::analysis
