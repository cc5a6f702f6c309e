// The generated syscall tables as the binary stores them: no pointers.
// Written at build time by //syscalls:pack_syscall_tables from the committed
// generated tables (syscalls/generated/*.inc), whose entries hold a
// string_view per name: in a position-independent binary each of those
// ~10,800 pointers is a relocation the loader writes at start-up, whatever
// the command. Here names are ids into one pool, and the name index that
// numbers_by_name() searches is built by the packing tool, not at run time.
// Internal to the syscalls package.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::syscalls::packed_tables {

// Every distinct entry name and alias of every ABI, in byte order: id i is
// the i-th name alphabetically.
using NameId = uint16_t;

struct PackedSyscall {
  uint32_t nr;
  NameId name;
  KernelVersion since;
};

struct PackedAlias {
  NameId alias;
  NameId canonical;
};

// Open addressing over the name ids, linear probing: kIndexSlots is a power
// of two, at least twice the number of names, so probe sequences stay short.
inline constexpr size_t kIndexSlots = 4096;
inline constexpr NameId kEmptySlot = 0xffff;

// The `n` <= 8 bytes at `p` as a little-endian word, whatever the host. At
// run time on a little-endian machine: two loads, or three bytes below four
// (the byte loop is what the packing tool may run at compile time, and the
// other byte orders; as a loop, the one to three bytes of most names' tails
// cost ~15 instructions more, in the hash and in the comparison).
constexpr uint64_t name_word(const char* p, size_t n) {
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little && n >= 4) {
    uint32_t lo = 0, hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);  // overlaps `lo` below 8 bytes: the same bytes
    return uint64_t{lo} | uint64_t{hi} << (8 * (n - 4));
  }
  if (!std::is_constant_evaluated() && std::endian::native == std::endian::little && n != 0) {
    // The first, middle and last byte: for one or two bytes, the same bytes
    // again in the same places.
    const auto byte = [p](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
    return byte(0) | byte(n / 2) << (8 * (n / 2)) | byte(n - 1) << (8 * (n - 1));
  }
  uint64_t w = 0;
  for (size_t i = 0; i < n; ++i) w |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return w;
}

// Eight bytes at a time, each word multiplied in and its high half folded
// down; the packing tool and the lookup must agree on it. FNV-1a's byte
// loop cost ~62 instructions per name (names average ten bytes): with it
// numbers_by_name took 134 instructions per call, 92 with this (Docker's
// default looks up 377 names per resolution).
constexpr size_t name_hash(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = (n + 1) * kMul;
  for (; n >= 8; n -= 8, p += 8) {
    h = (h ^ name_word(p, 8)) * kMul;
    h ^= h >> 32;
  }
  if (n != 0) {
    h = (h ^ name_word(p, n)) * kMul;
    h ^= h >> 32;
  }
  return static_cast<size_t>(h ^ (h >> 29));
}

// Defined in the generated packed_syscall_tables.cc.
extern const size_t kNameCount;
extern const char kNamePool[];       // every name, each followed by '\0'
extern const uint32_t kNameBegin[];  // name i: kNamePool + kNameBegin[i], length kNameBegin[i + 1] - kNameBegin[i] - 1
extern const PackedSyscall kEntries[];              // ABI by ABI, each sorted by number
extern const uint32_t kEntryBegin[kArchCount + 1];  // ABI a: kEntries[kEntryBegin[a] .. kEntryBegin[a + 1])
extern const PackedAlias kAliases[];                // ABI by ABI, each sorted by alias
extern const uint32_t kAliasBegin[kArchCount + 1];
extern const NameId kIndex[kIndexSlots];  // a name id or kEmptySlot
extern const NameNumbers kNumbers[];      // name id i: its number on every ABI

}  // namespace sysfence::syscalls::packed_tables
