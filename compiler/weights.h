// How often each syscall is expected: the weights the optimal search tree
// minimizes expected executed instructions under, and that `stats` averages
// with.
//
//  uniform  every number an ABI's table spans (bias .. largest number) counts
//           1, assigned or not: a caller is equally likely to issue any of
//           them. This is the "mean over nr 0..N" that benchmarks report.
//  hot      a built-in table of the syscalls that dominate real workloads
//           (servers, shells, language runtimes, as strace -c shows them),
//           plus a small uniform floor so that the rest still gets a sensible
//           tree.
//  FILE     strace -c's summary as it is (also of `strace -f -c -S calls`,
//           -w, several ABIs: the calls column of every row), or `name
//           count` lines (`#` comments and blank lines allowed), plus the
//           same floor.
//
// Weights are per syscall name, so one file serves every ABI: each ABI's
// table maps the names to its own numbers. The x32 ABI is rarely enabled (most
// distribution kernels boot with it off): its numbers count 1/100 so that the
// x86_64 tree pays as little as possible for sharing its number space.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::compiler {

class Weights {
 public:
  // x32 shares its number space with x86_64 but is almost never enabled:
  // its numbers weigh this much of the others.
  static constexpr double kX32Factor = 0.01;

  static Weights Uniform();
  static Weights Hot();
  // `source` names the file in error messages ("w.txt:3:5: ...").
  static Expected<Weights> Parse(std::string_view text, std::string_view source);
  // The `--weights` flag: "uniform", "hot", or a file: strace -c's output or
  // `name count` lines (at most 1 MiB; errors name the file).
  static Expected<Weights> FromFlag(std::string_view spec);

  // Expected share of calls with seccomp_data.nr in [lo, hi] on `abi`
  // (any scale; only ratios matter).
  double range(syscalls::ArchId abi, uint32_t lo, uint32_t hi) const;
  // range() for one ABI, its syscall table looked up once: for callers that
  // weigh many ranges of one ABI (every interval of a number space).
  class OfAbi {
   public:
    OfAbi(const Weights& w, syscalls::ArchId abi);
    // Inline: the floor is all there is under uniform weights.
    double range(uint32_t lo, uint32_t hi) const {
      double total = 0;
      if (lo <= last_ && hi >= first_) {
        const uint32_t a = std::max(lo, first_);
        const uint32_t b = std::min(hi, last_);
        total += w_.floor_ * (static_cast<double>(b - a) + 1);
      }
      if (!w_.named_.empty()) total = add_named(total, lo, hi);
      if (abi_ == syscalls::ArchId::kX32) total *= kX32Factor;
      return total;
    }

   private:
    // `total` plus the named syscalls' weights in [lo, hi], added one by one.
    double add_named(double total, uint32_t lo, uint32_t hi) const;

    const Weights& w_;
    syscalls::ArchId abi_;
    const syscalls::Table& table_;
    uint32_t first_;
    uint32_t last_;
  };
  OfAbi of(syscalls::ArchId abi) const { return OfAbi(*this, abi); }

  // The weight of one number, for averaging (the floor included).
  double number(syscalls::ArchId abi, uint32_t nr) const { return range(abi, nr, nr); }
  // The weight of one number without the floor: what a weighted mean over
  // "the syscalls that matter" averages with (uniform: 1 in range).
  double measured(syscalls::ArchId abi, uint32_t nr) const;

  bool is_uniform() const { return named_.empty(); }
  // range() gives what Uniform()'s does: every number of a table counts 1.
  bool counts_numbers() const { return named_.empty() && floor_ == 1; }
  std::string_view description() const { return description_; }
  // (name, count), sorted by name.
  const std::vector<std::pair<std::string, double>>& named() const { return named_; }
  // A file's names that no ABI's table has, whose counts weigh nothing (a
  // typo would otherwise go unnoticed): one warning per distinct name, where
  // it first appears ("w.txt:3:1: unknown syscall \"raed\" (no architecture
  // has it; did you mean read?); its count is ignored"), in file order; past
  // the first 256, one counting the rest.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::vector<std::pair<std::string, double>> named_;
  std::vector<std::string> warnings_;
  double floor_ = 1;  // weight of every number in an ABI's table range
  std::string description_;
};

}  // namespace sysfence::compiler
