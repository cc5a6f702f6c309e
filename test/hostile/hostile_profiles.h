// Hostile but valid seccomp profiles, generated at run time: the shapes that
// once cost unbounded time or memory, at any size. The regression tests run
// them through the built binary under rlimits; bench/bounds_bench.cc measures
// how the cost of each scales; `gen_hostile` writes one to a file for timing
// by hand (`/usr/bin/time -v sysfence compile FILE`).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sysfence::hostile {

enum class Shape {
  kConditions,      // n rules on ioctl, 3 range conditions each on args 0-2
  kEqConditions,    // n rules on ioctl, 3 equality conditions each
  kOneName,         // n entries naming read, one name each
  kDuplicateNames,  // one entry naming read n times
  kManyNames,       // n entries naming every x86_64 syscall in one list
  kSplit,           // one entry with n conditions on args[0]: n rules (runc splits them)
  kDeep,            // n rules on ioctl, 6 range conditions on all six args
  kIncludes,        // n entries with long includes/excludes lists
  kArchMap,         // an archMap of n entries, the native one last with n sub-architectures
  kLongStrings,     // n unknown names of 1000 characters each, and a long comment
  kWidth,           // n entries with an operand wider than a 32-bit argument
  kForeignNames,    // n entries naming syscalls only other ABIs have
  kSplitNames,      // one entry naming every x86_64 syscall with n conditions on args[0]
  kAllArches,       // n entries naming read, "architectures" listing all 26 ABIs
};

struct ShapeInfo {
  Shape shape;
  std::string_view name;
  // Entries (or conditions, names) that fill about 16 MiB or the parser's
  // 2^20 values, whichever comes first: the hostile size.
  size_t at_limit;
};

std::span<const ShapeInfo> shapes();
std::optional<Shape> parse_shape(std::string_view name);
const ShapeInfo& info(Shape s);

// The profile's JSON text (Docker format, defaultAction ERRNO); the same
// (shape, n) gives the same bytes.
std::string profile(Shape s, size_t n);

}  // namespace sysfence::hostile
