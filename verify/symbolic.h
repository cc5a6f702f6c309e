// Symbolic execution of a classic BPF seccomp filter.
//
// The fragment: the accumulator A and index register X hold either a
// constant or a bitwise image of ONE input word,
//     value = (shift(word, d) & mask) ^ bits,
// which `and`, `or`, `xor` and shifts by constants (and `mul`/`div` by powers
// of two) keep in the same form. Scratch memory M[] holds such values too, so
// plain store/load round trips are tracked. A conditional jump on such a value
// is one WordAtom on that word (jeq/jset always; jgt/jge when the value is an
// order-preserving image of the word: the word itself, or the word shifted
// right with constant bits around it), or, for jgt/jge on any other image
// (`(w & 5) > 3`, libseccomp's stale masked accumulator), a chain of
// single-bit tests from the top bit, each a branch. Everything else — input-dependent
// arithmetic (add/sub/neg, mul/div by non powers of two), comparing two input
// words, `ret A` with an input-dependent A, reading scratch memory that was
// never written — ends the path as Outcome::kUnsupported naming the
// instruction and the reason.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "base/expected.h"
#include "bpf/insn.h"
#include "bpf/interp.h"
#include "verify/procedure.h"
#include "verify/sym_value.h"

namespace sysfence::verify {

// A validated BPF program as a Procedure. `run` is the kernel-exact
// interpreter (bpf/interp.h), which is what confirms every counterexample.
// The walk itself never trusts validity: an instruction it cannot execute
// becomes a kUnsupported leaf, never undefined behaviour.
class BpfProcedure : public Procedure {
 public:
  // Fails with the validator's message when the kernel would reject `program`.
  static Expected<BpfProcedure> create(bpf::Program program);

  Walk walk(PathState& state, const LeafFn& on_leaf) const override;
  Action run(const SeccompWords& input) const override;
  std::string describe(const Outcome& leaf) const override;
  void collect_constants(WordConstants& out) const override;
  std::optional<uint32_t> to_diagram(DagPool& pool) const override;
  uint64_t run_cost() const override { return program_.size(); }

  const bpf::Program& program() const { return program_; }

 private:
  BpfProcedure(bpf::Program program, bpf::Interpreter interp)
      : program_(std::move(program)), interp_(std::move(interp)) {}

  bpf::Program program_;
  bpf::Interpreter interp_;
};

}  // namespace sysfence::verify
