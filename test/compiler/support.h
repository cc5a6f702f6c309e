// Test support for the compiler: random Policies and the differential check
// "interpreter on the compiled program == policy::evaluate" over the inputs
// that can tell two filters apart (every syscall number of every covered ABI
// up to its table's maximum + 64, the bias ranges, the 32-bit extremes, and
// argument values at and around every constant a rule compares with).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "test/bpf/random_program.h"

namespace sysfence::compiler::testing {

using sysfence::bpf::testing::Rng;

struct RandomPolicyOptions {
  // Native ABI; sub-ABIs are a random subset of syscalls::default_sub_arches.
  syscalls::ArchId native = syscalls::ArchId::kX86_64;
  unsigned max_syscalls_with_rules = 40;
  unsigned max_rules_per_syscall = 4;
  unsigned max_conditions = 3;
};

policy::Policy random_policy(Rng& rng, const RandomPolicyOptions& options);

// A 64-bit value of the kinds filters meet: small numbers, 32-bit values,
// sign-extended negatives, values with high bits, all-ones.
uint64_t interesting_value(Rng& rng);

struct Probe {
  SeccompData data;
  Endian endian = Endian::kLittle;
};

// The inputs the differential check runs (deterministic for a policy).
std::vector<Probe> probes(const policy::Policy& policy);

struct Mismatch {
  Probe probe;
  Action expected;
  Action actual;
  std::string describe() const;
};

struct CheckResult {
  size_t inputs = 0;
  std::vector<Mismatch> mismatches;  // at most 10 kept
  size_t mismatch_count = 0;
  std::string error;  // the program did not validate
};

CheckResult check_equivalence(const policy::Policy& policy, const bpf::Program& program);

// Every constant ALLOW (a syscall without argument rules whose action is
// ALLOW) of an ABI with a kernel action cache must be served by the cache.
// Returns the syscalls that are not (as "abi:nr").
std::vector<std::string> uncached_constant_allows(const policy::Policy& policy, const bpf::Program& program);

// Every action of `p` -> ERRNO(100 + rank), ranks in precedence order: the
// real-kernel tests read which action a filter chose from the errno.
policy::Policy errno_policy(const policy::Policy& p);

}  // namespace sysfence::compiler::testing
