// A profile's Policy as a decision diagram over seccomp_data words: the
// specification side of `sysfence verify` and of the proof `compile` makes.
//
// The diagram is built straight from the semantics policy::evaluate
// documents — deliberately naive and independent of the compiler's
// optimizations, so that a proof compares two different constructions:
//   * arch dispatch: one test per covered AUDIT_ARCH value; under
//     AUDIT_ARCH_X86_64 nr 0x40000000..0xfffffffe selects x32, anything
//     else x86_64 (-1, a tracer's skip, too; x32 when the policy has only
//     x32); any other arch value is the bad-arch action;
//   * per ABI, a balanced search over syscall-number intervals: every number
//     with rules is its own interval; the numbers between them answer the
//     default action, or ERRNO(enosys_errno) above enosys_above;
//   * per syscall, the rules in order of restrictiveness (the first that
//     matches is the most restrictive that matches, which is evaluate's
//     rule), each a conjunction of its conditions; a 64-bit comparison is a
//     small diagram over the high and low words (e.g. arg > v is
//     hi > vhi, or hi == vhi and lo > vlo); a k32 condition tests the low
//     word only.
#pragma once

#include <utility>

#include "policy/policy.h"
#include "verify/decision.h"

namespace sysfence::verify {

DecisionDag policy_dag(const policy::Policy& policy);

// The Policy as a Procedure: its diagram (leaves name the rule, "default
// action", ...). The diagram is all it needs: no copy of the policy (a
// profile's worth of rules, as large as the diagram itself).
class PolicyProcedure : public Procedure {
 public:
  explicit PolicyProcedure(const policy::Policy& policy) : dag_(policy_dag(policy)) {}

  Walk walk(PathState& state, const LeafFn& on_leaf) const override { return dag_.walk(state, on_leaf); }
  Action run(const SeccompWords& input) const override { return dag_.run(input); }
  std::string describe(const Outcome& leaf) const override { return dag_.describe(leaf); }
  void collect_constants(WordConstants& out) const override { dag_.collect_constants(out); }
  std::optional<uint32_t> to_diagram(DagPool& pool) const override { return dag_.to_diagram(pool); }

  const DecisionDag& dag() const { return dag_; }

 private:
  DecisionDag dag_;
};

}  // namespace sysfence::verify
