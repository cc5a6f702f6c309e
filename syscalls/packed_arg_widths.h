// The argument-width data as the binary stores it: no pointers. Strings are
// ids into one deduplicated pool; entries are small fixed records. Written
// at build time by //syscalls:pack_arg_widths from the generated data (whose
// ArgInfo values point at string literals: in a position-independent binary
// each of those ~88,000 pointers is a relocation the loader writes at
// start-up, 3.5 MB of pages and most of the binary's start-up time).
// Internal to the syscalls package.
#pragma once

#include <array>
#include <cstdint>

#include "syscalls/arch.h"

namespace sysfence::syscalls::packed {

using StrId = uint16_t;

struct PackedArg {
  StrId name;
  StrId type;
  uint8_t bits;
};

struct PackedInfo {
  uint32_t nr;
  StrId name;
  StrId entry;
  StrId source;
  uint8_t count;
  uint8_t flags;  // kImplemented | kKnown | kBeyondSix
  std::array<PackedArg, 6> args;
};

inline constexpr uint8_t kImplemented = 1;
inline constexpr uint8_t kKnown = 2;
inline constexpr uint8_t kBeyondSix = 4;

// Defined in the generated packed_arg_widths.cc.
extern const char kPool[];                        // every distinct string, concatenated
extern const uint32_t kStrBegin[];                // string id i: kPool[kStrBegin[i] .. kStrBegin[i + 1])
extern const PackedInfo kInfos[];                 // every ABI's entries, ABI by ABI, each sorted by number
extern const uint32_t kAbiBegin[kArchCount + 1];  // ABI a: kInfos[kAbiBegin[a] .. kAbiBegin[a + 1])
extern const uint8_t kRegisterBits[kArchCount];

}  // namespace sysfence::syscalls::packed
