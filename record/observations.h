// What a recording saw: the syscalls a program and its descendants made, per
// ABI, with the argument values `--args` needs. The recorder (record/recorder.h)
// fills it; the profile generator (record/profile_gen.h) turns it into a Docker
// profile; merge and diff work on the generated profiles, not on this.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "syscalls/arch.h"

namespace sysfence::record {

// Argument tuples kept per syscall (distinct values only): enough for the
// argument rules of `--args`, bounded so a busy program cannot grow it.
inline constexpr size_t kMaxArgTuplesPerSyscall = 4096;

struct SyscallKey {
  syscalls::ArchId arch{};
  uint32_t nr = 0;  // as seccomp_data.nr carries it (x32's numbers with the x32 bit)
  friend auto operator<=>(const SyscallKey&, const SyscallKey&) = default;
};

struct SyscallRecord {
  uint64_t count = 0;
  // Distinct argument tuples seen (only for the syscalls whose arguments
  // `--args` turns into rules; empty otherwise), at most kMaxArgTuplesPerSyscall.
  std::set<std::array<uint64_t, 6>> args;
  bool args_truncated = false;  // more distinct tuples were seen than kept
};

struct Observations {
  std::map<SyscallKey, SyscallRecord> calls;
  // Calls per program (the executable's path, else the task's comm), for the
  // "top callers" summary.
  std::map<std::string, uint64_t> callers;
  std::vector<std::string> command;  // argv of the recorded command
  std::string started_at;            // UTC, ISO 8601 ("2026-12-02T03:15:00Z")
};

}  // namespace sysfence::record
