// Small decision diagrams over words 4 and 5 for the proof's tests: built
// from a list of nodes, and compared by evaluating every input of 0..31 per
// word. That is exact when every constant is below 16 and every mask within
// 0xf: a larger value then behaves like 16 + (value & 0xf).
#pragma once

#include <cstddef>
#include <random>
#include <vector>

#include "base/seccomp.h"
#include "verify/decision.h"
#include "verify/word_set.h"

namespace sysfence::verify::small_diagrams {

struct NodeSpec {
  unsigned word;
  WordAtom atom;
  size_t if_true, if_false;  // indices into the leaves, then the nodes built so far
};

// The leaves, then one node per spec; the root is the last node.
DecisionDag build(const std::vector<NodeSpec>& spec, const std::vector<Action>& leaves);

// Whether `a` and `b` decide alike every input with words 4 and 5 in 0..31
// (and every other word 0).
bool equal_everywhere(const DecisionDag& a, const DecisionDag& b);

// A random test within the exact domain: a constant below 16, a mask within 0xf.
WordAtom random_atom(std::mt19937_64& rng);
// Test `kind` (0..7: ==, !=, >, >=, <, <=, masked ==, masked !=) with
// constant `k` (masked by `mask` for the masked tests).
WordAtom atom_of_kind(unsigned kind, uint32_t k, uint32_t mask);
// `nodes` random nodes over words 4 and 5, each branch to one of three leaves
// or an earlier node.
std::vector<NodeSpec> random_spec(std::mt19937_64& rng, size_t nodes);

}  // namespace sysfence::verify::small_diagrams
