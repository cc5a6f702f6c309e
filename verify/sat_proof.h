// The proof's last resort for pairs the diagrams' walk (verify/dag_pool.h)
// cannot finish: whether some input reaches leaves of different actions in
// the two diagrams, as a satisfiability problem over the input's bits,
// decided by verify/sat_solver.h.
//
// The walk keeps, per state, the path's constraints on each word its
// residuals still test; rules on flag masks leave clauses over the same bits
// in many combinations, and two filters that test them in different orders
// have more joint states than any budget (100 such rules on one syscall:
// past 2,000,000 leaf pairs). The solver instead learns which partial
// assignments of bits cannot lead to a difference and never tries them
// again.
//
// The encoding, with every variable tied to its definition both ways, so
// that an input that the two diagrams decide differently satisfies it with
// each variable at its value on that input:
// - a variable per bit of each input word that some test reads;
// - a variable per distinct test (word, atom): == and masked == as the
//   conjunction of the bits they fix, > as a carry chain over the bits,
//   !=, <=, <, >= and masked != as negations of those;
// - a variable per node of each diagram, "the input's path passes here",
//   true at the root, and per branch "passes here and the test goes this
//   way"; a node is passed when one of the branches into it is taken;
// - for each action a leaf of the first diagram decides, "the first decides
//   it and the second does not", and a clause that one of those holds.
// Unsatisfiable: no input tells the diagrams apart, a proof.
#pragma once

#include <cstdint>

#include "verify/dag_pool.h"

namespace sysfence::verify {

struct SatProof {
  bool proved = false;
  // The solver found an input the diagrams decide differently (its answer
  // checked against both diagrams).
  bool different = false;
  SeccompWords witness{};  // when `different`: that input
  uint64_t conflicts = 0;
  uint32_t variables = 0;
  size_t clauses = 0;
};

// Proves that the diagrams at `a` and `b` of `pool` decide every input alike,
// within the solver's bounds (SatSolver::solve); `proved` false otherwise.
SatProof prove_by_sat(const DagPool& pool, DagPool::Ref a, DagPool::Ref b, uint64_t max_conflicts,
                      uint64_t max_visits = ~uint64_t{0});
// The same for two procedures (Procedure::to_diagram); not proved when
// either is not a diagram.
SatProof prove_by_sat(const Procedure& a, const Procedure& b, uint64_t max_conflicts,
                      uint64_t max_visits = ~uint64_t{0});

}  // namespace sysfence::verify
