// The key of a state of the diagrams' memoized walk (verify/dag_pool.h):
// the two residual diagrams and, of the path's constraints on each word
// they still test, what the rest of the walk can depend on.
//
// The verdict from a state is whether the two residuals agree on every
// input of the product of the words' constraint sets. It depends on a
// word's set only through which cells of the partition of the word's values
// by the residuals' tests on it the set meets: two states with the same
// residuals whose sets meet the same cells have the same verdict. The key
// leaves out the constraints that cannot change the cells met, so that such
// states share one key and the walk proves them once:
// - excluded values the bounds or known bits rule out already, and those
//   (no remaining test names them) whose cell surely keeps other values of
//   the set;
// - on a word that the residuals read only through masked tests (and whose
//   set has no bounds and no exclusions), known bits and clauses
//   (w & m) != k on bits no test reads, where a value of the set can always
//   be found in the cell without them (keep_cells() says when).
//
// Usage, in a walk over the diagrams at `a` and `b` of one pool:
//
//   StateKeys keys(pool);
//   keys.start(a, b);
//   std::vector<uint32_t> key;
//   keys.push(key, residual_a, residual_b, path_state);  // memo look-up
//   ...
//   pool.end_collect();
//   keys.forget_nodes();  // freed slots are reused
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "verify/dag_pool.h"
#include "verify/procedure.h"
#include "verify/word_set.h"

namespace sysfence::verify {

class StateKeys {
 public:
  using Ref = DagPool::Ref;

  explicit StateKeys(const DagPool& pool) : pool_(pool) {}

  // Before a walk of the diagrams at `a` and `b`: every residual the walk
  // meets tests some of their tests.
  void start(Ref a, Ref b);
  // Appends the key of the state (residuals `a` and `b`, constraints
  // `state`) to `key`. The residuals must be restricted by `state`
  // (DagPool::restrict on every word it constrains), as the walk's are: the
  // key counts on them testing no value the state excludes. A walk's calls
  // pass one PathState, and call changed(w) whenever word w's set changes
  // (add, undo): a word's part of the key is kept until then.
  void push(std::vector<uint32_t>& key, Ref a, Ref b, const PathState& state);
  void changed(unsigned w) { fragments_[w].valid = false; }
  // After the pool freed nodes: what is remembered about them goes (their
  // slots hold other nodes next).
  void forget_nodes();

  // The bits of word `w` that the tests on it in the diagram at `r` read:
  // a masked test its mask, any other test every bit (exposed for tests).
  uint32_t reads(Ref r, unsigned w);
  // The nodes reads() looked at (the rest of a walk's time, beside the
  // pool's work()).
  uint64_t work() const { return work_; }

 private:
  // What the tests of the two walked diagrams on one word can tell apart.
  struct WordTests {
    std::vector<uint32_t> cuts;  // x where an ordered test tells x - 1 from x, sorted
    uint32_t masks = 0;          // the union of the masked tests' masks
    size_t constants = 0;        // distinct constants of the == / != tests
  };
  // Narrows `known_mask` and `clauses` (the set's own) to those the key
  // needs, where the residuals read word `w` only through masks.
  void keep_cells(Ref a, Ref b, unsigned w, const WordSet& s, uint32_t& known_mask,
                  std::span<const WordSet::Clause>& clauses);
  bool push_word(std::vector<uint32_t>& key, Ref a, Ref b, unsigned w, const WordSet& s);
  void push_exclusions(std::vector<uint32_t>& key, unsigned w, const WordSet& s) const;
  static bool cell_keeps_others(const WordSet& s, uint32_t e, int min_block_bits, const std::vector<uint32_t>& cuts,
                                std::vector<uint32_t>::const_iterator next_cut);
  int min_cell_block_bits(unsigned w, const WordSet& s) const;

  const DagPool& pool_;
  std::array<WordTests, kWordCount> tests_;
  // reads() of the nodes a key has asked about, by node and word
  // (direct-mapped, grown while more than half full, up to kMaxReadSlots):
  // a few hundred in most proofs, where a table beside every node of the
  // pool would take far more memory. A cache: a new entry takes the place
  // of the one in its slot (find_read; a walk over hundreds of rules on
  // flag masks asks about millions). 4096 slots rather than 16,384: the
  // larger table (and the half-size one it was rehashed from) were 290 of
  // the 1,020 KiB heap peak of 50 allowed + 100 flag rules on ioctl, and
  // saved flags/30's proof 1M instructions of 25.5M.
  struct ReadEntry {
    Ref node;
    uint32_t word;  // kNoWord where free
    uint32_t mask;
  };
  static constexpr uint32_t kNoWord = ~uint32_t{0};
  static constexpr size_t kMaxReadSlots = size_t{1} << 12;  // 48 KiB
  ReadEntry* find_read(Ref r, unsigned w);
  void grow_reads();
  void clear_reads();
  std::vector<ReadEntry> reads_;
  uint64_t work_ = 0;
  size_t reads_count_ = 0;
  std::vector<WordSet::Clause> kept_clauses_;  // keep_cells()', kept to reuse its memory
  // Each word's part of the last key that computed it without keep_cells(),
  // valid until changed().
  struct Fragment {
    bool valid = false;
    std::vector<uint32_t> words;
  };
  std::array<Fragment, kWordCount> fragments_;
};

}  // namespace sysfence::verify
