// A decision procedure over seccomp_data, seen symbolically: something that
// can enumerate its paths under a set of word constraints (for the proof) and
// evaluate one concrete input (for counterexample confirmation and testing).
// A BPF program (verify/symbolic.h) and a decision diagram (verify/decision.h,
// which is how a profile's Policy enters the checker) are both procedures;
// verify/equiv.h proves two procedures equal by a product walk.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/seccomp.h"
#include "verify/sym_value.h"
#include "verify/word_set.h"

namespace sysfence::verify {

class DagPool;

// seccomp_data as 16 32-bit words (word i = byte offset 4*i).
inline constexpr unsigned kWordCount = kSeccompDataSize / 4;

// The conjunction of word constraints along the current path — or, during a
// product walk, along a path of each of two procedures. One WordSet per
// input word; additions are undone in LIFO order through `undo_to(mark)`.
// Invariant: after every add() that returned kSat, every word is satisfiable
// and witness() is a concrete input satisfying the whole conjunction.
class PathState {
 public:
  size_t mark() const { return trail_.size(); }
  void undo_to(size_t mark);

  // Adds `atom` on word `word` (< kWordCount) and decides the word's new
  // conjunction. On kUnsat / kUnknown the atom stays added: the caller
  // undoes to its mark.
  Sat add(unsigned word, const WordAtom& atom);

  // What the current constraints already say about `atom` on `word`
  // (WordSet::implies): a walk takes a decided branch without add().
  Implied implies(unsigned word, const WordAtom& atom) const { return words_[word].implies(atom); }

  const WordSet& word(unsigned i) const { return words_[i]; }
  const std::array<WordSet, kWordCount>& words() const { return words_; }
  SeccompWords witness() const;
  // Atoms on the current path, over all words.
  size_t depth() const { return trail_.size(); }
  // Every add() ever made (the size of the explored proof tree).
  uint64_t atoms_added() const { return atoms_added_; }

  // Instructions the walks over this state may still step through, all
  // together (BpfProcedure's walker charges one per instruction): a
  // program's paths can grow far longer than the joint paths the checker
  // counts (a filter stack walks each later filter anew under every path of
  // the ones before it). Unlimited unless set.
  void set_step_budget(uint64_t steps) { steps_left_ = steps; }
  bool step_budget_spent() const { return steps_left_ == 0; }
  // One instruction more; false once the budget is spent.
  bool charge_step() {
    if (steps_left_ == 0) return false;
    --steps_left_;
    return true;
  }

 private:
  std::array<WordSet, kWordCount> words_;
  std::vector<std::pair<uint8_t, WordSet::Undo>> trail_;
  uint64_t atoms_added_ = 0;
  uint64_t steps_left_ = ~uint64_t{0};
};

// How a path ends.
struct Outcome {
  enum class Kind : uint8_t {
    kAction,       // the procedure decides `action` (raw value `ret`)
    kUnsupported,  // the path leaves the symbolic fragment at `where`
  };
  Kind kind = Kind::kAction;
  Action action;
  uint32_t ret = 0;
  // `ret A` where A depends on the input: the return value is `value`
  // evaluated on the input. The path has fixed the action bits to those of
  // `action` when action.known(); otherwise to no known action at all (then
  // `action` is only some unknown value). action.data and ret are meaningless.
  bool symbolic_ret = false;
  SymValue value;
  // BPF: the instruction index of the `ret` (or of the unsupported
  // instruction); decision diagram: the leaf's index.
  uint32_t where = 0;
  std::string reason;  // kUnsupported: what is outside the fragment and why
  // In a filter stack (verify/stack.h): the kernel's index of the filter
  // whose leaf decides (0 = the oldest), kEveryFilterAllows when none does.
  uint32_t filter = 0;
  static constexpr uint32_t kEveryFilterAllows = 0xffffffffU;
};

// The action a leaf decides for one concrete input on its path.
Action leaf_action(const Outcome& leaf, const SeccompWords& input);

enum class Walk : uint8_t { kContinue, kStop };
using LeafFn = std::function<Walk(const Outcome&)>;

// Constants a procedure compares each input word with; `any` collects those
// whose word a quick scan cannot tell. Used only to build test inputs for
// the (clearly labelled) testing fallback.
struct WordConstants {
  std::array<std::vector<uint32_t>, kWordCount> per_word;
  std::vector<uint32_t> any;
};

class Procedure {
 public:
  virtual ~Procedure() = default;

  // Calls `on_leaf` once for every path that is satisfiable together with
  // the constraints already in `state`, while `state` holds that path's
  // constraints too. Infeasible branches are pruned, never visited. Leaves
  // `state` as it found it. Returns kStop as soon as on_leaf does.
  virtual Walk walk(PathState& state, const LeafFn& on_leaf) const = 0;

  // The procedure's answer for one concrete input.
  virtual Action run(const SeccompWords& input) const = 0;

  // Where a leaf is, for people: "ret at insn 41", "rule at docker.json:120".
  virtual std::string describe(const Outcome& leaf) const = 0;

  virtual void collect_constants(WordConstants& out) const = 0;

  // The procedure added to `pool` as a decision diagram over word atoms
  // with a constant action at every leaf, and its root; nullopt when it is
  // not one (a path outside that fragment). The proof's fast path
  // (verify/dag_pool.h) needs both sides as diagrams.
  virtual std::optional<uint32_t> to_diagram(DagPool& /*pool*/) const { return std::nullopt; }
  // The most instructions one run() can take (the testing fallback's
  // budget counts them): a program's length; 1 for a specification.
  virtual uint64_t run_cost() const { return 1; }
};

}  // namespace sysfence::verify
