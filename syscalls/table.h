// Per-ABI syscall tables (generated from the kernel's *.tbl files by
// tools/gen_syscall_tables; never hand-edited) and their lookup API.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "syscalls/arch.h"

namespace sysfence::syscalls {

// A kernel version "major.minor" as one comparable number (major*256+minor);
// 0 means the sources do not tell.
struct KernelVersion {
  uint16_t major = 0;
  uint16_t minor = 0;
  friend constexpr auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};

struct Syscall {
  std::string_view name;
  uint32_t nr;           // as seccomp_data.nr carries it: bias included
  KernelVersion since;   // first kernel with it on this ABI; {0,0} when unknown
};

class Table {
 public:
  constexpr Table(ArchId arch, std::span<const Syscall> by_number)
      : arch_(arch), by_number_(by_number) {}

  ArchId arch() const { return arch_; }
  // Every entry, sorted by number (iteration in number order).
  std::span<const Syscall> entries() const { return by_number_; }

  std::optional<uint32_t> number(std::string_view name) const;
  // The name for a number; several names can share one number only where the
  // table documents an alias, and then this returns the canonical one.
  std::optional<std::string_view> name(uint32_t nr) const;
  const Syscall* find(std::string_view name) const;
  // Largest number in the table (bias included).
  uint32_t max_nr() const;

 private:
  ArchId arch_;
  std::span<const Syscall> by_number_;
};

const Table& table(ArchId id);
inline const Table& table(const Arch& a) { return table(a.id); }

}  // namespace sysfence::syscalls
