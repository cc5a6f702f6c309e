// Per-ABI syscall tables (generated from the kernel's *.tbl files by
// tools/gen_syscall_tables.py into syscalls/generated/; never hand-edited) and
// their lookup API. See syscalls/README.md for where the numbers come from.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "syscalls/arch.h"

namespace sysfence::syscalls {

// A kernel version "major.minor[.patch]"; patch matters only for the 2.6.x
// series ({2, 6, 16} is 2.6.16) and is 0 from 3.0 on. {0, 0, 0} means the
// sources do not tell. Compares lexicographically.
struct KernelVersion {
  uint16_t major = 0;
  uint16_t minor = 0;
  uint16_t patch = 0;
  constexpr bool known() const { return major != 0; }
  friend constexpr auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};

// "6.13", "2.6.16", "unknown".
std::string to_string(KernelVersion v);

struct Syscall {
  std::string_view name;
  uint32_t nr;          // as seccomp_data.nr carries it: bias included
  KernelVersion since;  // first kernel with it on this ABI; {0,0,0} when unknown
};

// A second name the kernel uses for a table entry's number (e.g. ARM's
// sync_file_range2 for arm_sync_file_range). Lookups by the alias find the
// canonical entry; iteration and name(nr) only ever show the canonical name.
struct SyscallAlias {
  std::string_view alias;
  std::string_view canonical;
};

// Invariants of every table (checked by test/syscalls): entries sorted by
// strictly increasing number, names unique, every number carries the ABI's
// bias; `by_name` (when given) lists every entry index once, in name order;
// aliases are sorted by alias, never collide with an entry name, and name an
// existing entry.
class Table {
 public:
  constexpr Table(ArchId arch, std::span<const Syscall> by_number, std::span<const uint16_t> by_name = {},
                  std::span<const SyscallAlias> aliases = {})
      : arch_(arch), by_number_(by_number), by_name_(by_name), aliases_(aliases) {}

  constexpr ArchId arch() const { return arch_; }
  // Every entry, sorted by number (iteration in number order).
  constexpr std::span<const Syscall> entries() const { return by_number_; }
  constexpr std::span<const SyscallAlias> aliases() const { return aliases_; }
  constexpr size_t size() const { return by_number_.size(); }

  std::optional<uint32_t> number(std::string_view name) const;
  // The name for a number; several names can share one number only where the
  // table documents an alias, and then this returns the canonical one.
  std::optional<std::string_view> name(uint32_t nr) const;
  // By name or documented alias (O(log n)); nullptr when unknown.
  const Syscall* find(std::string_view name) const;
  // By number (O(log n)); nullptr when unknown.
  const Syscall* find(uint32_t nr) const;
  // Largest number in the table (bias included).
  uint32_t max_nr() const;
  // The known name (or alias) closest to `name` by edit distance, for "did
  // you mean" messages; nullopt when none is within typo_distance(name)
  // (edit_distance.h). Ties: the alphabetically first.
  std::optional<std::string_view> nearest_name(std::string_view name) const;

 private:
  // find(name) by the table's own spans (binary search by name, aliases).
  const Syscall* find_in_table(std::string_view name) const;

  ArchId arch_;
  std::span<const Syscall> by_number_;
  std::span<const uint16_t> by_name_;
  std::span<const SyscallAlias> aliases_;
};

const Table& table(ArchId id);
inline const Table& table(const Arch& a) { return table(a.id); }

// One syscall name (an entry name or a documented alias) of any ABI, with
// its number on every ABI that knows it: what table(abi).number(name) gives,
// for all ABIs at once.
class NameNumbers {
 public:
  NameNumbers() = default;
  // `known` has bit (1 << ArchId) set for every ABI whose entry in `nr` holds.
  constexpr NameNumbers(uint32_t known, const std::array<uint32_t, kArchCount>& nr) : known_(known), nr_(nr) {}

  std::optional<uint32_t> on(ArchId abi) const {
    if ((known_ & (uint32_t{1} << static_cast<unsigned>(abi))) == 0) return std::nullopt;
    return nr_[static_cast<size_t>(abi)];
  }

 private:
  static_assert(kArchCount <= 32, "known_ has one bit per ABI");
  uint32_t known_ = 0;  // bit (1 << ArchId): the ABI's table has the name
  std::array<uint32_t, kArchCount> nr_{};
};

// The numbers of `name` on every ABI; nullptr when no ABI knows the name.
// Backed by a hash index over all generated tables, built when the binary
// is built (syscalls/packed_tables.h): resolving a profile looks every name
// up for several ABIs, and one hash replaces a binary search of string
// comparisons per ABI.
const NameNumbers* numbers_by_name(std::string_view name);

// The newest kernel that added a syscall to any ABI's table (the largest
// `since`), read from the generated data without unpacking the tables.
KernelVersion newest_since();

// Table::nearest_name over the names of every ABI: the suggestion for a name
// no ABI knows.
std::optional<std::string_view> nearest_known_name(std::string_view name);

}  // namespace sysfence::syscalls
