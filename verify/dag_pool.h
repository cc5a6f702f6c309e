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
// The state's key (verify/state_key.h) keeps of those constraints only what
// the residuals' tests can tell apart, so that more paths join.
//
// It only proves: any difference, solver budget or unsupported construct
// makes it give up, and the caller runs the full walk, which finds and
// confirms the counterexamples (or the not-proved explanation) as before.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "verify/key_set.h"
#include "verify/procedure.h"

namespace sysfence::verify {

// The longest path (in tests) a diagram may have for the memoized walk
// (prove_by_diagrams), whose state walk and restrict() recurse along its
// paths. The diagrams themselves are built, copied, marked and encoded for
// the satisfiability search (verify/sat_proof.h) without recursion, at any
// depth: a deeper pair goes to the search instead.
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
    unsigned word;
    WordAtom atom;
    Ref if_true;
    Ref if_false;
  };
  static bool is_leaf(Ref r) { return (r & kLeafBit) != 0; }
  Node at(Ref r) const {
    const Stored& n = stored(r);
    return Node{n.word, WordAtom{n.op, n.k, n.mask}, n.if_true, n.if_false};
  }
  Action action(Ref r) const { return actions_[r & ~kLeafBit]; }
  // Bit w: some test in the diagram at `r` reads word w.
  uint16_t words(Ref r) const { return is_leaf(r) ? 0 : stored(r).words; }
  // A 32-bit Bloom filter of the (word, constant) pairs the diagram at `r`
  // tests: without a pair's bit, no test below compares that word with
  // that constant.
  uint32_t constants(Ref r) const { return is_leaf(r) ? 0 : stored(r).constants; }
  static uint32_t constant_bit(unsigned word, uint32_t k) {
    return uint32_t{1} << ((k * 0x9e3779b1U + word * 0x85ebca6bU) >> 27);
  }
  // The nodes node() was asked for (found or added) and the nodes restrict()
  // visited: the bulk of a walk's time.
  uint64_t work() const { return work_; }
  // Nodes in use (freed ones not counted).
  size_t node_count() const { return count_ - free_count_; }
  // Slots ever taken: node_count() plus the freed slots node() reuses.
  size_t slot_count() const { return count_; }
  // The tests on the longest path from `r` to a leaf (0 for a leaf), found
  // without recursion: whether the walk can take the diagram.
  uint32_t depth(Ref r) const { return depth({r}); }
  // The longest of the diagrams at `roots` (one pass over their nodes).
  uint32_t depth(std::initializer_list<Ref> roots) const;

  // The diagram at `r` with every leaf L replaced by the diagram at
  // `replace(L)` (called once per distinct leaf), without recursion. A
  // filter stack's diagram is its newest filter's with each answer replaced
  // by the older filters' diagram combined with it.
  Ref map_leaves(Ref r, const std::function<Ref(Ref)>& replace);

  // Garbage collection, without moving a node: begin_collect(), mark() each
  // node still referred to, end_collect() frees the others (node() reuses
  // their slots; restrict's memo lives for one call, between collections).
  // The walk's residuals are mostly garbage soon after they are built.
  void begin_collect();
  // Keeps `r` and every node below it.
  void mark(Ref r);
  void end_collect();

  // `r` with every test on word `word` that `state` decides replaced by the
  // branch it takes; `added` (when not null), the atom just added to the
  // state, decides its own tests (and its negation's) even where
  // WordSet::implies cannot tell (a masked test on every bit). With
  // `added`, `r` must be restricted by the state as it was before `added`
  // (the walk's residuals are): an exclusion (!=, a clause) is looked for
  // only in the subtrees whose constants() have its constant's bit.
  Ref restrict(Ref r, unsigned word, const PathState& state, const WordAtom* added = nullptr);

 private:
  // 32 bytes, two to a cache line: a restriction builds a node for every
  // test above a decided one, and an argument-heavy policy has tens of
  // thousands of them (the four of `constants` spare a restriction by an
  // exclusion most of its visits: one/200's walk 54.7M -> 48.7M
  // instructions). restrict()'s memo sits in the node it reads anyway
  // (memo_stamp == the call's stamp: memo_result is its result), where a
  // table of the call's own cost a hash and a probe per visit.
  struct Stored {
    uint32_t k;
    uint32_t mask;
    Ref if_true;
    Ref if_false;
    uint32_t constants;
    uint16_t words;
    uint8_t word;
    WordOp op;
    uint32_t memo_stamp;
    Ref memo_result;
  };
  // Nodes live in fixed-size chunks that never move: growing the pool
  // allocates one more chunk instead of copying every node into an array
  // twice the size (which held both at once, doubling the proof's peak).
  static constexpr unsigned kChunkBits = 11;
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;
  static constexpr Ref kFreeSlot = ~Ref{0};
  // A freed slot's word; its if_true links to the next freed slot.
  static constexpr uint8_t kFreedWord = 0xff;

  const Stored& stored(Ref r) const { return chunks_[r >> kChunkBits][r & (kChunkSize - 1)]; }
  static uint64_t hash(unsigned word, const WordAtom& atom, Ref if_true, Ref if_false);
  void grow_index();
  void rehash(size_t slots);
  Stored& stored_mut(Ref r) { return chunks_[r >> kChunkBits][r & (kChunkSize - 1)]; }
  // restrict() below its root, on restrict_word_ by *restrict_state_ and
  // restrict_added_ (members rather than arguments: it recurses on every
  // node above a decided test: one/200's proof 39.1M -> 38.7M).
  Ref restrict_node(Ref r);

  std::vector<std::unique_ptr<Stored[]>> chunks_;
  size_t count_ = 0;
  Ref free_head_ = kFreeSlot;  // the freed slots, linked through if_true
  size_t free_count_ = 0;
  std::vector<Ref> mark_stack_;  // mark()'s, kept between collections
  std::vector<Action> actions_;
  std::map<std::tuple<uint8_t, uint16_t, uint16_t>, Ref> leaf_index_;
  // Open addressing over the nodes, at most two thirds full (kFreeSlot where
  // free): node() runs for every node a restriction changes.
  std::vector<Ref> index_;
  uint64_t work_ = 0;  // work()
  // restrict()'s current call (never 0: a node's memo_stamp 0 is no call's).
  uint32_t stamp_ = 0;
  // A collection's marks, one per slot (only while collecting).
  std::vector<bool> marked_;
  unsigned restrict_word_ = 0;
  const PathState* restrict_state_ = nullptr;
  const WordAtom* restrict_added_ = nullptr;
  WordAtom added_negated_;  // restrict's `added`, negated
  // The constants' bits a subtree needs for restrict to enter it: all of
  // them, or, when the atom added is an exclusion (a != or a clause), the
  // bit of its constant, the only one whose tests it decides.
  uint32_t needle_ = ~uint32_t{0};
};

struct DiagramProof {
  bool proved = false;
  uint64_t leaf_pairs = 0;     // leaf pairs compared (proved states are not walked again)
  uint64_t atoms = 0;          // word constraints added
  uint64_t memo_restarts = 0;  // times the memo of proved states forgot them all
  uint64_t collections = 0;    // times the pool freed the residuals no state refers to
  size_t peak_nodes = 0;       // the pool's slots at the end (the most it held at once)
  // Not proved because the walk compared max_leaf_pairs leaf pairs or did
  // max_work, not because it met leaves of different actions or a set it
  // could not decide.
  bool over_budget = false;
  // Not walked: a diagram is deeper than kMaxDiagramDepth (the caller has
  // the satisfiability search, which takes any depth).
  bool too_deep = false;
};

// The memory the walk may keep. Both bound caches: a forgotten state is
// walked again, a freed residual built again, and the proof is no less a
// proof; an argument-heavy profile's walk builds tens of thousands of
// residuals and proves thousands of states, most of them never met again.
struct DiagramMemory {
  // Words of proved-state keys the memo keeps (4 bytes each; a state's key
  // is a few dozen): past them it forgets every key and starts over.
  size_t memo_words = size_t{1} << 15;
  // Nodes in use at which the pool is collected (at least twice those a
  // collection kept). 2^14 saved one/200's proof 2M of 43.3M instructions
  // in collections, for up to 192 KiB more: the peak of the argument-heavy
  // profiles is within a few hundred KiB of libseccomp's + 2 MiB.
  size_t collect_nodes = size_t{1} << 13;
};

// Proves a == b when both are diagrams (Procedure::to_diagram) and agree on
// every input, comparing at most `max_leaf_pairs` leaf pairs, with at most
// about `max_work` nodes built, restricted or asked what they read
// (DagPool::work, StateKeys::work); `proved` false otherwise (different,
// outside the diagrams' fragment, over budget).
DiagramProof prove_by_diagrams(const Procedure& a, const Procedure& b, uint64_t max_leaf_pairs,
                               const DiagramMemory& memory = {}, uint64_t max_work = ~uint64_t{0});
// The same for the diagrams at `a` and `b` of `pool`, which the walk then
// changes (its collections may free them) unless it reports too_deep.
DiagramProof prove_by_diagrams(DagPool& pool, DagPool::Ref a, DagPool::Ref b, uint64_t max_leaf_pairs,
                               const DiagramMemory& memory = {}, uint64_t max_work = ~uint64_t{0});

}  // namespace sysfence::verify
