// One conformance table: a libseccomp regression test's filter as Docker
// profiles, the builds that compile them, and its simulator rows. The format
// (README.md here) follows libseccomp's `.tests` rows so that a row can be
// compared with the original by eye; this reader shares no code with
// sysfence's own readers.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sysfence::conformance {

// One compilation: the profile it compiles (by name; "" is `[profile]`)
// and the command-line flags it takes besides the fixed ones
// (`--semantics libseccomp --kernel 6.1`), e.g. `--arch x86_64,i386`.
struct Build {
  int line = 0;
  std::string profile;
  std::vector<std::string> flags;
};

// A row as written: arch selector, syscall, six arguments, result. Every
// cell but the result may be a range `lo-hi` (sampled at its edges).
struct Row {
  int line = 0;
  std::string arches;   // "all", "all_64", "x86_64,i386", "all,-aarch64"
  std::string syscall;  // a name, a number, -1, or a range
  std::array<std::string, 6> args;
  // ALLOW, KILL, KILL_PROCESS, TRAP, LOG, ERRNO(n), TRACE(n): libseccomp's
  // answer; `LIBSECCOMP|SYSFENCE` when sysfence's own semantics answers
  // otherwise by design (its bad-arch action, ENOSYS above the profile's
  // syscalls, the most restrictive of overlapping rules).
  std::string result;
  std::string libseccomp_result() const { return result.substr(0, result.find('|')); }
  std::string sysfence_result() const {
    const size_t bar = result.find('|');
    return bar == std::string::npos ? result : result.substr(bar + 1);
  }
};

struct Table {
  std::string name;  // the file name without extension: "02-sim-basic"
  std::map<std::string, std::string, std::less<>> profiles;
  std::vector<Build> builds;
  std::vector<Row> rows;
  // `[sysfence]`: the rows are also run with sysfence's own semantics, with
  // these flags added (e.g. `--arg-width 64` where a made-up syscall stands
  // in for one whose arguments are not ints); nullopt: libseccomp's only.
  std::optional<std::vector<std::string>> sysfence_flags;
};

// Errors come back as text naming file:line.
struct ParseOutcome {
  std::optional<Table> table;
  std::string error;
};
ParseOutcome parse_table(std::string_view name, std::string_view text);

// A cell as the values it stands for: "N" is 0 (libseccomp's simulator
// leaves an unnamed argument 0), "-1" is all ones, `lo-hi` gives lo, lo+1,
// the middle, hi-1 and hi (without repeats); with `every`, every value of
// the range as libseccomp's own runner takes them (ranges of at most 2^16
// values). nullopt: not a number.
std::optional<std::vector<uint64_t>> cell_values(std::string_view cell, bool every = false);

// The filter return value a result spells, from the kernel's SECCOMP_RET_*
// constants: KILL is libseccomp's SCMP_ACT_KILL (= KILL_THREAD).
std::optional<uint32_t> expected_ret(std::string_view result);

}  // namespace sysfence::conformance
