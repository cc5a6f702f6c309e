// The generated syscall tables as the binary stores them: no pointers.
// Written at build time by //syscalls:pack_syscall_tables from the committed
// generated tables (syscalls/generated/*.inc), whose entries hold a
// string_view per name: in a position-independent binary each of those
// ~10,800 pointers is a relocation the loader writes at start-up, whatever
// the command. Here names are ids into one pool, and the name index that
// numbers_by_name() searches is built by the packing tool, not at run time.
// Internal to the syscalls package.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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

// FNV-1a with its high bits folded down; the packing tool and the lookup
// must agree on it.
constexpr size_t name_hash(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
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
