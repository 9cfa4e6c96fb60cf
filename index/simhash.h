// Title fingerprints for near-duplicate detection (docs/integrity.md, "Duplicate listings").
//
//   * simhash64: Charikar's SimHash over weighted features (Manku, Jain and Das Sarma, WWW 2007):
//     each feature's 64-bit hash votes +w / -w on every bit; the fingerprint keeps the sign.
//     Near-duplicates differ in few bits; Hamming distance <= 3 is found exactly with four
//     16-bit block tables (two fingerprints within distance 3 agree on at least one block).
//   * minhash256: 256 one-bit minwise hashes of a feature set (Li and Koenig, "b-bit minwise
//     hashing", WWW 2010). Two sets with Jaccard similarity J agree on each bit with probability
//     (1 + J) / 2, so the Hamming distance of two sketches estimates 256 * (1 - J) / 2 (standard
//     deviation about 7 bits at J = 0.4).
// All functions are pure and thread-safe.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace longtail::index {

// 64-bit hash of a term (XXH3), the feature identity used by fingerprints and statistics.
uint64_t term_hash(std::string_view term);

// A 64-bit finalizer (MurmurHash3 fmix64): combines ids into table keys.
inline uint64_t hash_mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ULL;
  return x ^ (x >> 33);
}

// SimHash of weighted features (feature hash, weight > 0). An empty set gives 0.
uint64_t simhash64(const std::vector<std::pair<uint64_t, double>>& features);

// The b-th 16-bit block of a fingerprint, b in [0, 4): bits [16b, 16b + 16).
inline uint16_t simhash_block(uint64_t fp, int b) { return uint16_t(fp >> (16 * b)); }

inline int hamming64(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

// 256 one-bit minwise hashes of a set of feature hashes (duplicates in `features` are harmless).
// An empty set gives all zero bits.
using MinHash256 = std::array<uint64_t, 4>;
MinHash256 minhash256(const std::vector<uint64_t>& features);

inline int minhash_distance(const MinHash256& a, const MinHash256& b) {
  return std::popcount(a[0] ^ b[0]) + std::popcount(a[1] ^ b[1]) + std::popcount(a[2] ^ b[2]) +
         std::popcount(a[3] ^ b[3]);
}
// The Jaccard similarity a sketch distance estimates: 1 - 2 * distance / 256, clamped to [0, 1].
double minhash_jaccard(int distance);

}  // namespace longtail::index
