// One rule of a policy: an action and the argument conditions under which it
// applies, with where in the profile it came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "policy/shared_text.h"

namespace sysfence::policy {

// The comparison operators; what each means is defined once, in operators.h.
enum class CmpOp : uint8_t { kNe, kLt, kLe, kEq, kGe, kGt, kMaskedEq };

// How an argument is compared.
//  k64: the literal 64-bit comparison libseccomp and Docker make.
//  k32: the kernel reads the argument as a 32-bit value, so only the low word
//       is compared: (u32)arg op (u32)value, and for MASKED_EQ
//       ((u32)arg & (u32)mask) == ((u32)datum & (u32)mask). Constants that do not fit in 32
//       bits (neither zero- nor sign-extended) are reported as warnings by the
//       resolver; under --arg-width abi it decides such conditions instead of
//       truncating them (profile/resolve.h, narrow_reading).
enum class ArgWidth : uint8_t { k64, k32 };

struct ArgCondition {
  uint8_t index = 0;  // 0..5
  CmpOp op = CmpOp::kEq;
  uint64_t value = 0;  // the operand; the mask for MASKED_EQ
  // The datum for MASKED_EQ, unused otherwise. Kept as written: only its bits
  // inside the mask are compared (operators.h, masked_datum).
  uint64_t value_two = 0;
  ArgWidth width = ArgWidth::k64;

  friend bool operator==(const ArgCondition&, const ArgCondition&) = default;
};

// Where a rule came from, so tools can say "profile.json:123".
struct SourceRef {
  SharedText file;      // as the user named it ("default" for the built-in); one buffer for a profile's rules
  uint32_t line = 0;    // 1-based line of the syscalls[] entry; 0 unknown
  uint32_t entry = 0;   // index in syscalls[]
  std::string comment;  // the entry's "comment", if any
  // Set when runc's rule of splitting an entry that repeats an argument index
  // into one rule per condition produced this rule.
  bool split_repeated_index = false;
  uint32_t col = 0;  // 1-based column of the entry's opening brace; 0 unknown
  // Set on a rule the entry's rule on a socket or SysV IPC call produced on
  // that call's multiplexer (socketcall(2) / ipc(2); profile/multiplex.h):
  // the direct call's name ("socket"). Empty for every other rule.
  std::string multiplexed_for;

  friend bool operator==(const SourceRef&, const SourceRef&) = default;
};

// One rule: `action` when every condition holds (a conjunction; empty = always).
struct Rule {
  Action action;
  std::vector<ArgCondition> conditions;
  SourceRef source;

  friend bool operator==(const Rule&, const Rule&) = default;
};

}  // namespace sysfence::policy
