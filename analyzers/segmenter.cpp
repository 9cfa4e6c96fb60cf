#include "analyzers/segmenter.h"

#include <cmath>
#include <limits>

namespace longtail::analysis::detail {

void segment(const Lexicon::Data& lex, std::string_view norm, const SegUnit* units, size_t n,
             SegmentScratch& s, std::vector<uint32_t>& path_ends, std::vector<Edge>* words, bool fine) {
  if (n == 0) return;
  s.route.assign(n + 1, 0.0);
  s.next.assign(n + 1, 0);
  // fine: bit L of word_lens[k] is set when units [k, k+L) are a lexicon word (L < 32).
  if (fine) s.word_lens.assign(n + 1, 0);
  const double log_total = lex.log_total;
  for (size_t i = n; i-- > 0;) {
    uint64_t h = Lexicon::Data::kHashInit;
    double best = -std::numeric_limits<double>::infinity();
    uint32_t best_to = static_cast<uint32_t>(i + 1);
    bool single_seen = false;
    // Hide the latency of the next iteration's first multi-unit probe.
    if (i > 0) {
      const uint64_t h2 = Lexicon::Data::mix(
          Lexicon::Data::hash_add(Lexicon::Data::kHashInit, norm.data() + units[i - 1].byte_b, units[i].byte_e - units[i - 1].byte_b));
      if (lex.maybe_present(h2)) __builtin_prefetch(&lex.slots[h2 & (lex.slots.size() - 1)]);
    }
    uint32_t lens = 0;  // word lengths found from i so far (fine mode)
    size_t j = i;
    const uint32_t first_len = units[i].byte_e - units[i].byte_b;
    if (first_len == 3 && static_cast<unsigned char>(norm[units[i].byte_b]) >= 0xE0) {
      // A single BMP character (every Han unit): the dense table, no hashing.
      const auto* p = reinterpret_cast<const unsigned char*>(norm.data() + units[i].byte_b);
      const char32_t cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
      const auto& ci = lex.bmp[cp];
      if (ci.is_word) {
        single_seen = true;
        best = static_cast<double>(ci.logp) + s.route[i + 1];
        best_to = static_cast<uint32_t>(i + 1);
      }
      if (!ci.present) j = n;  // no word starts with this character
      h = Lexicon::Data::hash_add(h, norm.data() + units[i].byte_b, first_len);
      ++j;
    }
    for (; j < n; ++j) {
      h = Lexicon::Data::hash_add(h, norm.data() + units[j].byte_b, units[j].byte_e - units[j].byte_b);
      const std::string_view cand = norm.substr(units[i].byte_b, units[j].byte_e - units[i].byte_b);
      const Lexicon::Data::Slot* node = lex.find(h, cand);
      if (node == nullptr) break;
      if (!node->is_word) continue;
      if (words != nullptr && j > i) words->push_back(Edge{static_cast<uint32_t>(i), static_cast<uint32_t>(j + 1), node->freq});
      if (fine) {
        const size_t len = j + 1 - i;
        // A base-dictionary word of >= 4 units that is two lexicon words of >= 2 units each
        // (prefixes found earlier in this walk, suffixes in the walks from later positions).
        bool split = false;
        for (size_t l = 2; len >= 4 && l + 2 <= len && l < 32 && !split; ++l)
          split = ((lens >> l) & 1u) != 0 && len - l < 32 && ((s.word_lens[i + l] >> (len - l)) & 1u) != 0;
        if (len < 32) lens |= 1u << len;
        if (split && !lex.is_catalog(*node)) continue;
      }
      const double score = static_cast<double>(node->logp) + s.route[j + 1];
      if (j == i) single_seen = true;
      if (score > best) {
        best = score;
        best_to = static_cast<uint32_t>(j + 1);
      }
    }
    if (!single_seen) {
      const double score = -log_total + s.route[i + 1];  // unknown unit: freq 1
      if (score > best) {
        best = score;
        best_to = static_cast<uint32_t>(i + 1);
      }
    }
    s.route[i] = best;
    s.next[i] = best_to;
    if (fine) s.word_lens[i] = lens;
  }
  for (size_t i = 0; i < n; i = s.next[i]) path_ends.push_back(s.next[i]);
}

}  // namespace longtail::analysis::detail
