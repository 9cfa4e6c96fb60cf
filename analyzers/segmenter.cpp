#include "analyzers/segmenter.h"

#include <cmath>
#include <limits>

namespace longtail::analysis::detail {

void segment(const Lexicon::Data& lex, std::string_view norm, const SegUnit* units, size_t n,
             SegmentScratch& s, std::vector<uint32_t>& path_ends, std::vector<Edge>* words) {
  if (n == 0) return;
  s.route.assign(n + 1, 0.0);
  s.next.assign(n + 1, 0);
  const double log_total = lex.log_total;
  for (size_t i = n; i-- > 0;) {
    uint64_t h = Lexicon::Data::kHashInit;
    double best = -std::numeric_limits<double>::infinity();
    uint32_t best_to = static_cast<uint32_t>(i + 1);
    bool single_seen = false;
    for (size_t j = i; j < n; ++j) {
      h = Lexicon::Data::hash_add(h, norm.data() + units[j].byte_b, units[j].byte_e - units[j].byte_b);
      const std::string_view cand = norm.substr(units[i].byte_b, units[j].byte_e - units[i].byte_b);
      const Lexicon::Data::Node* node = lex.find(h, cand);
      if (node == nullptr) break;
      if (!node->is_word) continue;
      const double f = node->freq > 0 ? static_cast<double>(node->freq) : 1.0;
      const double score = std::log(f) - log_total + s.route[j + 1];
      if (j == i) single_seen = true;
      if (score > best) {
        best = score;
        best_to = static_cast<uint32_t>(j + 1);
      }
      if (words != nullptr && j > i) words->push_back(Edge{static_cast<uint32_t>(i), static_cast<uint32_t>(j + 1), node->freq});
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
  }
  for (size_t i = 0; i < n; i = s.next[i]) path_ends.push_back(s.next[i]);
}

}  // namespace longtail::analysis::detail
