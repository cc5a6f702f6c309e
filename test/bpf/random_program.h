// Seeded, reproducible random classic-BPF seccomp programs for differential
// and round-trip tests. The same seed gives the same programs on every
// machine and standard library (no std:: distributions are used).
//
// Three families:
//   valid()   programs the kernel accepts, built instruction by instruction
//             while tracking the kernel's own scratch-memory check, covering
//             every seccomp opcode, X, M[], ALU, long jumps and `ret a`;
//   mutate()  one small change to a valid program: usually invalid, sometimes
//             still valid (boundary cases on both sides of each rule);
//   soup()    short runs of random codes and fields.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bpf/insn.h"

namespace sysfence::bpf::testing {

// splitmix64: tiny, fast, fully specified.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  uint32_t next32() { return static_cast<uint32_t>(next() >> 32); }
  // Uniform in [0, n) (n > 0), by multiply-shift.
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((uint64_t{next32()} * n) >> 32); }
  // Uniform in [lo, hi].
  uint32_t between(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
  bool chance(uint32_t percent) { return below(100) < percent; }
  template <typename T>
  const T& pick(std::span<const T> items) {
    return items[below(static_cast<uint32_t>(items.size()))];
  }

 private:
  uint64_t state_;
};

struct RandomProgramOptions {
  size_t min_length = 2;
  size_t max_length = 48;
  // Percentage of programs whose length is drawn from [max_length, long_length]
  // instead (long programs exercise jump offsets up to 255).
  uint32_t long_percent = 5;
  size_t long_length = 320;
  // Constants that conditions compare against and immediates load: pass the
  // words of the inputs the program will see, so branches go both ways.
  std::vector<uint32_t> constants;
  // seccomp_data word indices (0..15) that `ld [k]` may read. Default: all but
  // the instruction pointer (words 2 and 3).
  std::vector<uint8_t> loadable_words = {0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  // Returns: `ret #k` values are distinct ERRNO(n) per program, except this
  // percentage drawn from the other actions (ALLOW, LOG, TRAP(n), KILL_*,
  // TRACE, USER_NOTIF, ERRNO(0), ERRNO(>4095), undefined action values).
  uint32_t other_action_percent = 8;
  // Of the returns, this percentage is `ret a`; most are preceded by
  // `rsh #s; and #0xfff; or #ERRNO` so that A's bits become an observable
  // errno (the rest return A as it is).
  uint32_t ret_a_percent = 25;
  uint32_t raw_ret_a_percent = 15;
  // Fill fields the kernel ignores (jt/jf of non-jumps, k of `tax`, ...) with
  // random bytes.
  bool garbage_in_unused_fields = true;
};

class RandomProgramGenerator {
 public:
  explicit RandomProgramGenerator(uint64_t seed) : rng_(seed) {}

  Program valid(const RandomProgramOptions& options);
  // One small random change (described in *what when non-null).
  Program mutate(const Program& valid, std::string* what = nullptr);
  // 1..max_length instructions of random codes (weighted towards real
  // opcodes) and random fields.
  Program soup(size_t max_length);

  Rng& rng() { return rng_; }

 private:
  uint32_t pick_constant(const RandomProgramOptions& options);
  uint32_t pick_ret_value(const RandomProgramOptions& options, uint32_t& next_errno);

  Rng rng_;
};

}  // namespace sysfence::bpf::testing
