// The proof's fast path: both procedures as hash-consed decision diagrams
// over word atoms in one pool, compared by a product walk that remembers
// what it has proved.
//
// The plain product walk (verify/equiv.h) enumerates joint paths, and a
// filter whose argument checks come in stages (the first argument decides
// some rules, then the second ...) has as many paths as the products of its
// stages' branches; the policy side re-tests every rule under each. Here a
// walk state is the pair of *residual* diagrams — each side with every test
// the path constraints already decide replaced by its outcome (hash-consed,
// so equal residuals are one node) — together with the constraints on the
// words those residuals still test. The rest of the walk depends on nothing
// else (the words are independent and each one's constraints are
// satisfiable), so a state proved once is proved wherever it recurs: paths
// that join in both diagrams with the same undecided tests are walked once.
//
// It only proves: any difference, solver budget or unsupported construct
// makes it give up, and the caller runs the full walk, which finds and
// confirms the counterexamples (or the not-proved explanation) as before.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "verify/procedure.h"

namespace sysfence::verify {

// The longest path a procedure's diagram may have (Procedure::to_diagram):
// the walks over one recurse along its paths.
inline constexpr uint32_t kMaxDiagramDepth = 2048;

class DagPool {
 public:
  // A node, or a leaf with kLeafBit set.
  using Ref = uint32_t;
  static constexpr Ref kLeafBit = 0x80000000U;

  // The leaf deciding `action` (one per distinct action).
  Ref leaf(Action action);
  // if (atom holds on word) goto if_true else goto if_false; the existing
  // node when there is one, `if_true` when both branches are the same.
  Ref node(unsigned word, const WordAtom& atom, Ref if_true, Ref if_false);

  struct Node {
    uint8_t word;
    WordAtom atom;
    Ref if_true;
    Ref if_false;
    uint16_t words;   // bit w: some test in this diagram reads word w
    uint8_t parents;  // nodes built with this one as a child, up to 2
  };
  static bool is_leaf(Ref r) { return (r & kLeafBit) != 0; }
  const Node& at(Ref r) const { return nodes_[r]; }
  Action action(Ref r) const { return actions_[r & ~kLeafBit]; }
  uint16_t words(Ref r) const { return is_leaf(r) ? 0 : nodes_[r].words; }
  size_t node_count() const { return nodes_.size(); }
  // A node that several nodes lead to: where paths join.
  bool shared(Ref r) const { return !is_leaf(r) && nodes_[r].parents > 1; }

  // `r` with every test on word `word` that `state` decides replaced by the
  // branch it takes; `added` (when not null), the atom just added to the
  // state, decides its own tests (and its negation's) even where
  // WordSet::implies cannot tell (a clause).
  Ref restrict(Ref r, unsigned word, const PathState& state, const WordAtom* added = nullptr);

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t hash(unsigned word, const WordAtom& atom, Ref if_true, Ref if_false);
  void grow_index();
  Ref restrict_node(Ref r, unsigned word, const PathState& state, const WordAtom* added);

  std::vector<Node> nodes_;
  std::vector<Action> actions_;
  std::map<std::tuple<uint8_t, uint16_t, uint16_t>, Ref> leaf_index_;
  // Open addressing over nodes_, at most half full: node() runs for every
  // node a restriction changes. A slot holds the upper half of the node's
  // hash over its index (kEmpty where free), so that a probe reads a node
  // only when the hashes match.
  std::vector<uint64_t> index_;
  // restrict's memo for the current call: result[r] is valid when
  // stamp[r] == generation.
  std::vector<uint32_t> restrict_stamp_;
  std::vector<Ref> restrict_result_;
  uint32_t generation_ = 0;
  WordAtom added_negated_;  // restrict's `added`, negated
};

struct DiagramProof {
  bool proved = false;
  uint64_t leaf_pairs = 0;  // leaf pairs compared (proved states are not walked again)
  uint64_t atoms = 0;       // word constraints added
};

// Proves a == b when both are diagrams (Procedure::to_diagram) and agree on
// every input, comparing at most `max_leaf_pairs` leaf pairs; `proved`
// false otherwise (different, outside the diagrams' fragment, over budget).
DiagramProof prove_by_diagrams(const Procedure& a, const Procedure& b, uint64_t max_leaf_pairs);

}  // namespace sysfence::verify
