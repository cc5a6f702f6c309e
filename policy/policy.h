// The Policy IR: what a resolved profile means, per architecture — the single
// specification that the compiler, the verifier and `explain` all read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "syscalls/arch.h"

namespace sysfence::policy {

// The comparison operators; what each means is defined once, in operators.h.
enum class CmpOp : uint8_t { kNe, kLt, kLe, kEq, kGe, kGt, kMaskedEq };

// How an argument is compared.
//  k64: the literal 64-bit comparison libseccomp and Docker make.
//  k32: the kernel reads the argument as a 32-bit value, so only the low word
//       is compared: (u32)arg op (u32)value, and for MASKED_EQ
//       ((u32)arg & (u32)mask) == ((u32)datum & (u32)mask). Constants that do not fit in 32
//       bits (neither zero- nor sign-extended) are reported as warnings by the
//       resolver.
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
  std::string file;     // as the user named it ("default" for the built-in)
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

// Everything that decides the syscalls of one ABI.
struct ArchPolicy {
  syscalls::ArchId arch;
  Action default_action;
  // Syscall number (as seccomp_data.nr carries it) -> rules, ORed. Among the
  // rules that match, the most restrictive action wins (base/seccomp.h order).
  std::map<uint32_t, std::vector<Rule>> rules;
  // runc's ENOSYS handling for syscalls newer than the profile: every number
  // greater than this (unsigned) that has no rule answers ERRNO(ENOSYS).
  std::optional<uint32_t> enosys_above;
  // The ENOSYS errno that answer carries: runc uses its host's value, i.e.
  // the native arch's (38 generic, 89 MIPS, 251 PA-RISC) for every ABI of
  // the filter.
  uint16_t enosys_errno = 38;

  friend bool operator==(const ArchPolicy&, const ArchPolicy&) = default;
};

struct Policy {
  std::vector<ArchPolicy> arches;  // the native arch first, then sub-arches
  // For a seccomp_data.arch the policy does not cover, and for x32 numbers
  // (0x40000000..0xfffffffe under AUDIT_ARCH_X86_64) when x32 is not in
  // `arches`.
  Action bad_arch_action = Action::KillProcess();

  const ArchPolicy* find(syscalls::ArchId id) const;

  friend bool operator==(const Policy&, const Policy&) = default;
};

// The reference evaluator: what the filter for `policy` must answer for `d`.
// Dispatch: d.arch selects the ABI by its AUDIT_ARCH value; under
// AUDIT_ARCH_X86_64 the numbers 0x40000000..0xfffffffe (unsigned, as
// libseccomp's `jge 0x40000000`) belong to x32, 0..0x3fffffff to x86_64, and
// 0xffffffff — the -1 a tracer sets to skip a call — to x86_64 (to x32 when
// only x32 is in the policy), so it gets the normal processing (policy.cc
// says why); an ABI not in the policy gets bad_arch_action.
// Then: rules for d.nr that match (all conditions true) — the most restrictive
// action among them; else ERRNO(enosys_errno) when d.nr has no rules and
// nr > enosys_above; else the default action.
//
// "Most restrictive" is the kernel's precedence between filters
// (base/seccomp.h, restrictiveness_rank / more_restrictive):
//   KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW
// and, between two rules of the same kind with different data (ERRNO(1) vs
// ERRNO(38)), the lower data wins, so the answer never depends on rule order.
struct Decision {
  Action action;
  const ArchPolicy* arch = nullptr;  // null when the arch is not covered
  const Rule* rule = nullptr;        // the winning rule, null for default/ENOSYS/bad arch
};
Decision evaluate(const Policy& policy, const SeccompData& d);

// One condition against one argument value, with the width semantics above
// and the operator's meaning from operators.h.
bool condition_holds(const ArgCondition& c, uint64_t arg);

}  // namespace sysfence::policy
