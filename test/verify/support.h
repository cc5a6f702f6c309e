// Test support for the equivalence checker: single-instruction mutations,
// an independent randomized differential tester, and random decision
// diagrams with a straightforward BPF rendering of each.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "verify/decision.h"
#include "verify/equiv.h"

namespace sysfence::verify::testing {

// One random single-instruction change that the validator still accepts:
// a jump target, a constant (jump operand, load offset, immediate, ALU
// operand), an operator (jeq/jgt/jge/jset, ALU op, K<->X) or a return value.
// nullopt when no valid mutant was found in a few attempts. `what` says
// what changed ("insn 7: jf 3 -> 1").
std::optional<bpf::Program> mutate_once(const bpf::Program& p, std::mt19937_64& rng, std::string* what = nullptr);

// An independent differential tester: `count` inputs whose words are drawn
// from the constants of both programs (+-1), a few fixed boundaries and
// random values. Returns the first input on which the interpreter answers
// differently.
std::optional<SeccompWords> find_difference(const bpf::Program& a, const bpf::Program& b, int count, uint64_t seed);

// For every mismatch: a.run != b.run on its input (the counterexample is
// real). Returns a description of the first failure, empty when all hold.
std::string check_counterexamples(const verify::Procedure& a, const verify::Procedure& b, const verify::EquivResult& r);

// A random decision diagram over the given words (small constant pool so
// that tests overlap) and the same diagram rendered as BPF, one load and
// one or two instructions per node.
struct RandomDag {
  verify::DecisionDag dag;
  bpf::Program program;
};
RandomDag random_dag(std::mt19937_64& rng, int nodes, const std::vector<uint32_t>& constants);

}  // namespace sysfence::verify::testing
