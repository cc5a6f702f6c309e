// Passes 1 and 2 (compile.h lists them all): which ABI a syscall number
// belongs to (arch dispatch), and the partition of the whole 32-bit number
// space into maximal intervals of equal behaviour, with what a number no rule
// names does (the ENOSYS interval). Also the weights pass 4 gives intervals.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "base/seccomp.h"
#include "compiler/args.h"
#include "compiler/tree.h"
#include "compiler/weights.h"
#include "policy/policy.h"
#include "syscalls/arch.h"

namespace sysfence::compiler {

// Part of the number space of one AUDIT_ARCH value that belongs to one ABI.
struct NumberSegment {
  uint32_t lo = 0;
  uint32_t hi = 0;
  syscalls::ArchId abi = syscalls::ArchId::kX86_64;
  const policy::ArchPolicy* policy = nullptr;  // null: ABI not in the filter (bad arch)
  // The ABI whose ENOSYS threshold the numbers without rules are compared
  // with (runc's stub), null for none: `policy` itself but under
  // AUDIT_ARCH_X86_64, where the stub goes by bit 30 alone
  // (policy::enosys_owner_x86_64).
  const policy::ArchPolicy* enosys = nullptr;
};

// Everything a filter sees under one seccomp_data.arch value: its number
// space, cut into the ABIs that own each part. Only AUDIT_ARCH_X86_64 has two
// ABIs: x32 on 0x40000000..0xfffffffe (from __X32_SYSCALL_BIT up, unsigned),
// x86_64 on 0..0x3fffffff and on 0xffffffff, the -1 a tracer sets to skip a
// call (x32 takes -1 too when x86_64 is not in the policy); every other value
// has one ABI owning all 2^32 numbers. When only one of x86_64 and x32 has an
// ENOSYS threshold, the parts whose bit 30 differs from their owner's are
// segments of their own (their threshold is the other ABI's, or none).
struct NumberSpace {
  uint32_t audit_arch = 0;
  Endian endian = Endian::kLittle;
  std::vector<NumberSegment> segments;  // sorted, contiguous, cover [0, 2^32-1]
  // The ABIs of the policy under this value, in policy order.
  std::vector<syscalls::ArchId> abis;
};

// Pass 1 (arch dispatch): one number space per AUDIT_ARCH value the policy
// covers, in policy order (the native arch first). A value appears once even
// when two ABIs share it (x86_64 + x32).
std::vector<NumberSpace> number_spaces(const policy::Policy& policy);

// Pass 2's rule for a number that has no rules: ERRNO(ENOSYS) above
// `enosys_above` (syscalls newer than the profile, so that libc falls back —
// clone3 -> clone — as with runc's stub, but as one more interval of the
// tree), else the default action.
Action unnamed_number_action(const policy::ArchPolicy& policy, uint32_t nr);

// Interned outcomes: leaf ids for the intervals. A constant action is a
// RuleSet without rules.
class LeafTable {
 public:
  uint32_t intern(RuleSet s);
  // Constant outcomes are the common case: a short list, no map (inline:
  // partition looks one up for nearly every number a profile names).
  uint32_t intern_constant(Action a) {
    for (const auto& [action, id] : constants_) {
      if (action == a) return id;
    }
    return add_constant(a);
  }
  const RuleSet& at(uint32_t leaf) const { return leaves_[leaf]; }
  size_t size() const { return leaves_.size(); }

 private:
  uint32_t add_constant(Action a);

  std::vector<RuleSet> leaves_;
  std::vector<std::pair<Action, uint32_t>> constants_;
  std::map<RuleSet, uint32_t> index_;
};

// Pass 2: the number space cut into intervals. `merge`: adjacent intervals
// with the same outcome become one (maximal intervals; numbers no table
// knows merge with their neighbours when they behave the same). Without it
// (balanced/linear strategies, like libseccomp) every number that has rules
// is its own interval.
std::vector<Interval> partition(const NumberSpace& space, Action bad_arch_action, LeafTable& leaves, bool merge);

// The weight of each interval under `w` (the owning ABI's weights, summed
// over the segments an interval spans).
std::vector<double> interval_weights(const NumberSpace& space, std::span<const Interval> intervals, const Weights& w);

}  // namespace sysfence::compiler
