// Proving that a BPF program implements a profile's Policy: the entry point
// `sysfence verify` and `sysfence compile` (proof before writing) call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "policy/policy.h"
#include "verify/equiv.h"
#include "verify/stack.h"

namespace sysfence::verify {

// Why a counterexample differs, as far as the two answers, the profile's
// decision and a second run of both sides tell. Checked in this order; the
// first that fits is the cause.
enum class Cause : uint8_t {
  kArch,             // an arch value the profile does not cover (its bad-arch action)
  kFilterLacksArch,  // an ABI the profile covers that the filter answers as any foreign arch value
  kEnosys,           // numbers above the profile's largest: ENOSYS on one side only
  kActionData,       // the same action kind with other data (errno, trap or trace value)
  kNoSyscallNumber,  // the filter answers every syscall of the ABI alike; the profile does not
  kArgumentWidth,    // both agree once the upper 32 bits of the arguments the profile reads at 32 bits are
                     // cleared, and not where the low words alone (the upper halves folded in) differ alike
  kUnlistedSyscall,  // the profile lists the syscall; the filter gives it the default action, whatever the arguments
  kRuleOverlap,      // the syscall's rules overlap with different actions: the profile takes the most restrictive
  kDefaultAction,    // the profile leaves the input to its default action; the filter decides otherwise
  kOther,            // the conditions or actions of the rules differ
};

// The stable id ("unlisted-syscall", "argument-width", "rule-overlap", ...) and the sentence
// the text report uses after "N are" / "1 is".
std::string_view cause_id(Cause c);
std::string_view cause_text(Cause c);

// One confirmed difference: the interpreter runs the program on `data` and
// gets filter_action; policy::evaluate on the same data gives
// policy_action; they differ.
struct Counterexample {
  SeccompWords words{};
  SeccompData data;   // in the byte order of the input's ABI
  std::string input;  // describe_input(): arch and syscall by name, args in hex
  Action filter_action;
  Action policy_action;
  std::string filter_where;  // "ret at instruction 41"
  std::string policy_where;  // "rule for execve (x86_64) at default:120 (syscalls[52])"
  // The whole region decided this way ("nr == 0x3b (execve)",
  // "args[0].lo == 0x1", ...); empty for differences found by testing.
  std::vector<std::string> region;
  std::string syscall;  // the syscall's name on its ABI; empty when the table has none
  Cause cause = Cause::kOther;
  // A filter stack only (`stacked`): the filter whose answer the kernel
  // keeps for this input (its kernel index, 0 = the oldest, and its name); none
  // when every filter allows.
  bool stacked = false;
  std::optional<size_t> deciding_filter;
  std::string deciding_filter_name;
};

struct Verification {
  EquivResult equiv;  // A = the program, B = the policy
  std::vector<Counterexample> counterexamples;
  bool equivalent() const { return equiv.verdict == EquivResult::Verdict::kEquivalent; }
};

// The counterexamples of one cause: how many, and the distinct syscall names
// among them in the order found.
struct CauseGroup {
  Cause cause = Cause::kOther;
  size_t count = 0;
  std::vector<std::string> syscalls;
  // A filter stack only: the filters that decide the group's
  // counterexamples ("filter 1 (b.bpf)"; "no filter (every filter allows)"),
  // distinct, in the order found.
  bool stacked = false;
  std::vector<std::string> deciding_filters;
};
// Largest group first (ties in Cause order).
std::vector<CauseGroup> group_by_cause(const Verification& v);
// The group's sentence after "N are" / "1 is": cause_text, except for a
// stack, where it names the deciding filters and, for no-syscall-number and
// unlisted-syscall, says what the stack does without guessing how one
// filter was built (cause_text's libseccomp explanation is about one filter).
std::string group_text(const CauseGroup& g);

// Errors: the program is not a valid seccomp filter (the validator's
// message). Otherwise the verdict, proof statistics and confirmed
// counterexamples (at most options.max_mismatches).
Expected<Verification> prove_equivalent(const bpf::Program& program, const policy::Policy& policy,
                                        const EquivOptions& options = {});

// The same for a filter stack (verify/stack.h), combined as the kernel does;
// each counterexample names the deciding filter.
Expected<Verification> prove_stack_equivalent(const StackProcedure& stack, const policy::Policy& policy,
                                              const EquivOptions& options = {});

// "equivalent (proved: 1234 paths, 5678 word constraints)" or the
// counterexamples / the not-proved explanation, as the CLI prints it: how
// many there are, the groups by cause, and the first `max_shown` in detail.
std::string format_verification(const Verification& v, size_t max_shown = SIZE_MAX);

}  // namespace sysfence::verify
