// Lexicon::Data — the compact in-memory word table (internal to analyzers/).
//
// Words live in one byte pool; an open-addressing hash table (FNV-1a over the UTF-8 bytes,
// linear probing) maps every word AND every code-point prefix of a word to a node, so the
// segmenter can extend a candidate one code point (or one unit) at a time, hashing
// incrementally, and stop as soon as the bytes are no longer a prefix of any word.
// Memory for the jieba dictionary (349k words): about 20 MB.
#pragma once

#include <cmath>
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
  };

  std::string pool;
  std::vector<Node> nodes;
  std::vector<uint32_t> words;   // node indices of the words, in entry order
  // (hash >> 32) << 32 | (node index + 1); 0 = empty; size is a power of two. The stored hash
  // half lets probes skip non-matching slots without touching the node or the pool.
  std::vector<uint64_t> slots;
  std::vector<std::string> tags;
  uint64_t total_freq = 0;
  double log_total = 0.0;        // ln(total_freq)

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

  // The node for exactly `s` (whose hash is h), or nullptr.
  const Node* find(uint64_t h, std::string_view s) const {
    const size_t mask = slots.size() - 1;
    h = mix(h);
    const uint64_t check = h & 0xFFFFFFFF00000000ull;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t v = slots[i];
      if (v == 0) return nullptr;
      if ((v & 0xFFFFFFFF00000000ull) != check) continue;
      const Node& n = nodes[(v & 0xFFFFFFFFu) - 1];
      if (n.len == s.size() && pool.compare(n.off, n.len, s) == 0) return &n;
    }
  }
  const Node* find(std::string_view s) const { return find(hash(s), s); }
  std::string_view text(const Node& n) const { return std::string_view(pool).substr(n.off, n.len); }
  const std::string& tag_of(const Node& n) const { return tags[n.tag]; }
};

namespace detail {

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
  size_t used_ = 0;
  std::string last_tag_;  // tag_id cache: dictionaries list words of one tag in long runs
  uint32_t last_tag_id_ = 0;
};

}  // namespace detail
}  // namespace longtail::analysis
