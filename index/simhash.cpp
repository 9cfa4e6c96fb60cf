#include "index/simhash.h"

#include <algorithm>

#include <xxhash.h>

namespace longtail::index {

namespace {
// SplitMix64 finalizer: a cheap, well-mixed 64-bit permutation.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t term_hash(std::string_view term) { return XXH3_64bits(term.data(), term.size()); }

uint64_t simhash64(const std::vector<std::pair<uint64_t, double>>& features) {
  double v[64] = {};
  for (const auto& [h, w] : features) {
    // Re-mix so that related feature hashes (e.g. term_hash of similar strings) vote independently.
    uint64_t x = mix64(h);
    for (int b = 0; b < 64; ++b) v[b] += (x >> b & 1) ? w : -w;
  }
  uint64_t fp = 0;
  for (int b = 0; b < 64; ++b)
    if (v[b] > 0) fp |= uint64_t(1) << b;
  return fp;
}

MinHash256 minhash256(const std::vector<uint64_t>& features) {
  MinHash256 out{0, 0, 0, 0};
  if (features.empty()) return out;
  for (int k = 0; k < 256; ++k) {
    const uint64_t seed = mix64(uint64_t(k) * 0xD6E8FEB86659FD93ULL + 1);
    uint64_t best = ~uint64_t(0), arg = 0;
    for (uint64_t f : features) {
      uint64_t h = mix64(f ^ seed);
      if (h < best) {
        best = h;
        arg = f;
      }
    }
    // One bit of the minimizing feature (not of its hash value), so equal minima give equal bits.
    if (mix64(arg + seed) & 1) out[size_t(k / 64)] |= uint64_t(1) << (k % 64);
  }
  return out;
}

double minhash_jaccard(int distance) { return std::clamp(1.0 - 2.0 * double(distance) / 256.0, 0.0, 1.0); }

}  // namespace longtail::index
