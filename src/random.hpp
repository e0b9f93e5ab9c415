#pragma once
// The library's random streams (sampler, WH simulator): xoshiro256** (D. Blackman, S. Vigna,
// "Scrambled linear pseudorandom number generators", ACM TOMS 47 (2021) 36), its state filled with
// successive splitmix64 outputs as the authors recommend. Four words of state, so a stream per θ
// point or per block of events costs nothing to set up (an mt19937_64 seeded through std::seed_seq
// costs ~70 000 instructions) and a number costs a quarter of mt19937_64's; every draw is defined
// here bit for bit, so the results for a seed are the same on every platform and standard library.

#include <cstdint>

namespace sbi::detail {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Xoshiro256 {
 public:
  using result_type = std::uint64_t;

  /// The stream whose state is the splitmix64 sequence started at `seed`.
  explicit Xoshiro256(std::uint64_t seed) {
    // Successive outputs of a splitmix64 generator (a bijection, so never four zero words).
    for (auto& word : state_) {
      word = splitmix64(seed);
      seed += 0x9e3779b97f4a7c15ULL;
    }
  }
  /// An independent stream per (seed, purpose, index).
  Xoshiro256(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index)
      : Xoshiro256(splitmix64(splitmix64(splitmix64(seed) ^ purpose) ^ index)) {}

  // A UniformRandomBitGenerator, for the standard distributions.
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() { return next(); }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n), n ≥ 1, without bias (D. Lemire, ACM TOMACS 29 (2019) 3: the high
  /// word of a 64 × 64-bit product, rejecting the few low words that would favour some values).
  std::uint64_t below(std::uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    u128 product = static_cast<u128>(next()) * n;
    auto low = static_cast<std::uint64_t>(product);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        product = static_cast<u128>(next()) * n;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

}  // namespace sbi::detail
