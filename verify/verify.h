// Proving that a BPF program implements a profile's Policy: the entry point
// `sysfence verify` and `sysfence compile` (proof before writing) call.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "policy/policy.h"
#include "verify/equiv.h"

namespace sysfence::verify {

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
};

struct Verification {
  EquivResult equiv;  // A = the program, B = the policy
  std::vector<Counterexample> counterexamples;
  bool equivalent() const { return equiv.verdict == EquivResult::Verdict::kEquivalent; }
};

// Errors: the program is not a valid seccomp filter (the validator's
// message). Otherwise the verdict, proof statistics and confirmed
// counterexamples (at most options.max_mismatches).
Expected<Verification> prove_equivalent(const bpf::Program& program, const policy::Policy& policy,
                                        const EquivOptions& options = {});

// "equivalent (proved: 1234 paths, 5678 word constraints)" or the
// counterexamples / the not-proved explanation, as the CLI prints it.
std::string format_verification(const Verification& v);

}  // namespace sysfence::verify
