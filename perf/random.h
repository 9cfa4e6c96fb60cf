// Small, fast, seedable random sources for the generator: SplitMix64 (Steele, Lea, Flood 2014) as
// the stream generator and as the key mixer, and an O(1) Zipf sampler (rejection-inversion,
// Hörmann and Derflinger 1996). Header-only; every object is a value type, not thread-safe.
#pragma once

#include <cmath>
#include <cstdint>

namespace longtail::perf {

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A stream key for (seed, domain, index): independent streams per item, shop, query...
inline uint64_t stream_key(uint64_t seed, uint64_t domain, uint64_t index) {
  return mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ mix64(domain * 0xd1b54a32d192ed03ULL + index));
}

class Rng {
 public:
  explicit Rng(uint64_t state) : s_(state) {}
  uint64_t next() { return mix64(s_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n == 0 gives 0.
  uint32_t below(uint64_t n) {
    return static_cast<uint32_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  uint64_t below64(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  bool chance(double p) { return uniform() < p; }
  // Standard normal (Box-Muller, one value per call).
  double normal() {
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Geometric count of failures before the first success, success probability p, capped.
  uint32_t geometric(double p, uint32_t cap) {
    uint32_t k = 0;
    while (k < cap && !chance(p)) ++k;
    return k;
  }

 private:
  uint64_t s_;
};

// Samples ranks 1..n with P(k) proportional to k^-s (s > 0, s != 1 handled too), O(1) expected.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double s) : n_(n), s_(s) {
    h_x1_ = h_integral(1.5) - 1.0;
    h_n_ = h_integral(static_cast<double>(n) + 0.5);
    cut_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
  }
  uint64_t sample(Rng& r) const {
    for (;;) {
      double u = h_n_ + r.uniform() * (h_x1_ - h_n_);
      double x = h_integral_inverse(u);
      double kd = std::floor(x + 0.5);
      if (kd < 1) kd = 1;
      if (kd > static_cast<double>(n_)) kd = static_cast<double>(n_);
      if (kd - x <= cut_ || u >= h_integral(kd + 0.5) - h(kd)) return static_cast<uint64_t>(kd);
    }
  }

 private:
  static double helper1(double x) {
    return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
  }
  static double helper2(double x) {
    return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
  }
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  double h_integral(double x) const {
    double lx = std::log(x);
    return helper2((1.0 - s_) * lx) * lx;
  }
  double h_integral_inverse(double x) const {
    double t = x * (1.0 - s_);
    if (t < -1.0) t = -1.0;
    return std::exp(helper1(t) * x);
  }
  uint64_t n_;
  double s_, h_x1_, h_n_, cut_;
};

}  // namespace longtail::perf
