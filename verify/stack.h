// A filter stack as one decision procedure: every filter is walked
// symbolically under the constraints of the filters walked before it, so a
// path of the stack is a joint path of all of them (exactly satisfiable, per
// word), and its outcome is the filters' outcomes combined by the kernel's
// rule (bpf/stack.h: the strictly lowest action part wins, walking from the
// newest; all ALLOW gives SECCOMP_RET_ALLOW). Every input follows exactly
// one path of each filter, hence exactly one path of the stack: the product
// walk of verify/equiv.h over a StackProcedure stays a proof.
//
// A `ret A` whose action class the path fixes combines like a constant (only
// its class matters unless it wins, and then the leaf keeps A symbolic); one
// that selects no defined action, or any filter path outside the fragment,
// makes the joint path unsupported (the checker then tests, and says so).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "bpf/stack.h"
#include "verify/procedure.h"
#include "verify/symbolic.h"

namespace sysfence::verify {

class StackProcedure : public Procedure {
 public:
  // `stack` in installation order (the oldest first) with a name per filter
  // in the same order. Error: "NAME: <validator message>" for an invalid one.
  static Expected<StackProcedure> create(std::vector<bpf::Program> stack, std::vector<std::string> names);

  Walk walk(PathState& state, const LeafFn& on_leaf) const override;
  Action run(const SeccompWords& input) const override;
  // "filter 1 (a.bpf): ret at instruction 3", "every filter allows".
  std::string describe(const Outcome& leaf) const override;
  void collect_constants(WordConstants& out) const override;
  uint64_t run_cost() const override;
  // The stack as one diagram (Procedure::to_diagram): the newest filter's,
  // each of its answers replaced by the older filters' diagrams with every
  // answer combined the kernel's way, so that the diagrams' walk and the
  // satisfiability search prove stacks as they prove single filters;
  // nullopt when a filter is no diagram.
  std::optional<uint32_t> to_diagram(DagPool& pool) const override;

  size_t size() const { return filters_.size(); }
  // The kernel's index (= installation position) of the filter deciding
  // `input` (nullopt: every filter allows).
  std::optional<size_t> deciding_filter(const SeccompWords& input) const;
  // The name of the filter the kernel numbers `index` (0 = the oldest).
  const std::string& name(size_t index) const { return names_[index]; }

 private:
  StackProcedure(std::vector<BpfProcedure> filters, std::vector<std::string> names, bpf::StackInterpreter interp)
      : filters_(std::move(filters)), names_(std::move(names)), interp_(std::move(interp)) {}

  std::vector<BpfProcedure> filters_;  // installation order
  std::vector<std::string> names_;     // installation order
  bpf::StackInterpreter interp_;
};

}  // namespace sysfence::verify
