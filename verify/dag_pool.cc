#include "verify/dag_pool.h"

#include <algorithm>
#include <array>
#include <bit>
#include <functional>
#include <initializer_list>
#include <span>
#include <utility>

namespace sysfence::verify {

namespace {

constexpr uint16_t bit(unsigned word) { return static_cast<uint16_t>(1u << word); }

}  // namespace

uint64_t DagPool::hash(unsigned word, const WordAtom& atom, Ref if_true, Ref if_false) {
  // Two multiply-folds over the fields (node() hashes every node a
  // restriction changes).
  const uint64_t fields = (uint64_t{atom.k} << 32 | atom.mask) ^ (uint64_t{word} << 3 | static_cast<uint64_t>(atom.op));
  const uint64_t links = uint64_t{if_true} << 32 | if_false;
  const __uint128_t p = static_cast<__uint128_t>(fields ^ 0x9e3779b97f4a7c15ULL) * (links ^ 0xc2b2ae3d27d4eb4fULL);
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

DagPool::Ref DagPool::leaf(Action action) {
  const auto key = std::make_tuple(static_cast<uint8_t>(action.kind), action.data, action.unknown_bits);
  auto [it, inserted] = leaf_index_.emplace(key, static_cast<Ref>(actions_.size()) | kLeafBit);
  if (inserted) actions_.push_back(action);
  return it->second;
}

void DagPool::grow_index() { rehash(std::max<size_t>(1024, index_.size() * 2)); }

void DagPool::rehash(size_t slots) {
  // The old index is not read while rehashing (the nodes are): freed first,
  // so that it and its replacement are never held at once.
  index_ = std::vector<Ref>();
  index_.assign(slots, kFreeSlot);
  const size_t mask = slots - 1;
  for (Ref r = 0; r < count_; ++r) {
    if (stored(r).word == kFreedWord) continue;
    const Node n = at(r);
    size_t slot = hash(n.word, n.atom, n.if_true, n.if_false) & mask;
    while (index_[slot] != kFreeSlot) slot = (slot + 1) & mask;
    index_[slot] = r;
  }
}

DagPool::Ref DagPool::node(unsigned word, const WordAtom& atom, Ref if_true, Ref if_false) {
  static_assert(sizeof(Stored) == 24);
  if (if_true == if_false) return if_true;
  if (3 * (node_count() + 1) > 2 * index_.size()) grow_index();
  const size_t mask = index_.size() - 1;
  size_t slot = hash(word, atom, if_true, if_false) & mask;
  for (; index_[slot] != kFreeSlot; slot = (slot + 1) & mask) {
    const Stored& n = stored(index_[slot]);
    if (n.if_true == if_true && n.if_false == if_false && n.k == atom.k && n.word == word && n.op == atom.op &&
        n.mask == atom.mask)
      return index_[slot];
  }
  Ref r = free_head_;
  if (r != kFreeSlot) {
    free_head_ = stored(r).if_true;
    --free_count_;
  } else {
    r = static_cast<Ref>(count_);
    if ((count_ & (kChunkSize - 1)) == 0) {
      chunks_.push_back(std::make_unique_for_overwrite<Stored[]>(kChunkSize));
    }
    ++count_;
  }
  const auto reads = static_cast<uint16_t>(bit(word) | words(if_true) | words(if_false));
  const uint32_t constants = constant_bit(word, atom.k) | this->constants(if_true) | this->constants(if_false);
  stored_mut(r) = Stored{atom.k, atom.mask, if_true, if_false, constants, reads, static_cast<uint8_t>(word), atom.op};
  index_[slot] = r;
  return r;
}

size_t DagPool::memo_slot(Ref r) const {
  const size_t mask = memo_mask_;
  size_t slot = (r * 0x9e3779b9U) & mask;
  while (memo_[slot].stamp == stamp_ && memo_[slot].node != r) slot = (slot + 1) & mask;
  return slot;
}

void DagPool::grow_memo() {
  // Grown with the current call's entries (the others are stale).
  const std::vector<MemoEntry> old = std::exchange(memo_, std::vector<MemoEntry>(2 * memo_.size(), MemoEntry{0, 0, 0}));
  memo_mask_ = memo_.size() - 1;
  const uint32_t stamp = stamp_;
  stamp_ = 1;
  for (const MemoEntry& e : old)
    if (e.stamp == stamp) memo_[memo_slot(e.node)] = MemoEntry{e.node, e.result, stamp_};
}

void DagPool::begin_collect() { marked_.assign(count_, false); }

void DagPool::mark(Ref root) {
  // Iterative: a diagram may be kMaxDiagramDepth deep.
  mark_stack_.push_back(root);
  while (!mark_stack_.empty()) {
    const Ref r = mark_stack_.back();
    mark_stack_.pop_back();
    if (is_leaf(r) || marked_[r]) continue;
    marked_[r] = true;
    mark_stack_.push_back(stored(r).if_true);
    mark_stack_.push_back(stored(r).if_false);
  }
}

void DagPool::end_collect() {
  for (Ref r = 0; r < count_; ++r) {
    Stored& n = stored_mut(r);
    if (marked_[r] || n.word == kFreedWord) continue;
    n.word = kFreedWord;
    n.if_true = free_head_;
    free_head_ = r;
    ++free_count_;
  }
  marked_ = std::vector<bool>();
  if (!index_.empty()) rehash(index_.size());
}

DagPool::Ref DagPool::restrict(Ref r, unsigned word, const PathState& state, const WordAtom* added) {
  if ((words(r) & bit(word)) == 0) return r;  // a leaf, or no test on `word` below
  // A new stamp makes every entry stale; when it wraps, the entries' own
  // stamps are cleared so that none is taken for the new call's.
  if (++stamp_ == 0) {
    std::fill(memo_.begin(), memo_.end(), MemoEntry{0, 0, 0});
    stamp_ = 1;
  }
  memo_count_ = 0;
  if (memo_.empty()) {
    memo_.assign(64, MemoEntry{0, 0, 0});
    memo_mask_ = memo_.size() - 1;
  }
  needle_ = ~uint32_t{0};
  if (added != nullptr) {
    added_negated_ = negate(*added);
    // Excluding a value (w != k, or a clause (w & m) != k on more than one
    // bit, which WordSet::add keeps as a clause) changes what
    // WordSet::implies says only about tests with that constant: the
    // bounds and known bits stay as they were.
    const bool excludes =
        added->op == WordOp::kNe || (added->op == WordOp::kMaskedNe && std::popcount(added->mask) > 1);
    if (excludes) needle_ = constant_bit(word, added->k);
  }
  if ((constants(r) & needle_) == 0) return r;
  restrict_word_ = word;
  restrict_state_ = &state;
  restrict_added_ = added;
  return restrict_node(r);
}

DagPool::Ref DagPool::restrict_node(Ref r) {
  const unsigned word = restrict_word_;
  const WordAtom* added = restrict_added_;
  // Callers pass only nodes with a test on `word` below (words(r) has it):
  // the check sits before each call, which most children fail.
  // The memo's slot for `r`: its result, or where it goes (taken now, so
  // that the result is stored without a second search unless the table
  // grows meanwhile; no node is below itself, so no call below reads it).
  size_t slot = memo_slot(r);
  if (memo_[slot].stamp == stamp_) return memo_[slot].result;
  const size_t memo_mask = memo_mask_;
  memo_[slot] = MemoEntry{r, 0, stamp_};
  if (2 * ++memo_count_ > memo_mask + 1) grow_memo();
  const Stored& n = stored(r);  // chunks never move: valid while node() adds
  Implied known = Implied::kUnknown;
  if (n.word == word) {
    const WordAtom atom{n.op, n.k, n.mask};
    if (added != nullptr && atom == *added) known = Implied::kTrue;
    else if (added != nullptr && atom == added_negated_) known = Implied::kFalse;
    else known = restrict_state_->implies(word, atom);
  }
  const uint16_t reads = bit(word);
  auto below = [&](Ref child) {
    if (is_leaf(child)) return child;
    const Stored& c = stored(child);
    return (c.words & reads) != 0 && (c.constants & needle_) != 0 ? restrict_node(child) : child;
  };
  Ref out = 0;
  if (known == Implied::kTrue) out = below(n.if_true);
  else if (known == Implied::kFalse) out = below(n.if_false);
  else {
    const Ref t = below(n.if_true);
    const Ref f = below(n.if_false);
    out = t == n.if_true && f == n.if_false ? r : node(n.word, WordAtom{n.op, n.k, n.mask}, t, f);
  }
  if (memo_mask_ != memo_mask) slot = memo_slot(r);
  memo_[slot].result = out;
  return out;
}

namespace {

// What the tests of two diagrams on one word can tell apart, for the
// walk's keys: every residual's tests are some of the diagrams' own.
struct WordTests {
  std::vector<uint32_t> cuts;  // x where an ordered test tells x - 1 from x, sorted
  uint32_t masks = 0;          // the union of the masked tests' masks
  size_t constants = 0;        // distinct constants of the == / != tests
};

std::array<WordTests, kWordCount> word_tests(const DagPool& pool, DagPool::Ref a, DagPool::Ref b) {
  std::array<WordTests, kWordCount> tests;
  std::array<std::vector<uint32_t>, kWordCount> constants;
  std::vector<bool> seen(pool.slot_count(), false);
  std::vector<DagPool::Ref> stack = {a, b};
  while (!stack.empty()) {
    const DagPool::Ref r = stack.back();
    stack.pop_back();
    if (DagPool::is_leaf(r) || seen[r]) continue;
    seen[r] = true;
    const DagPool::Node n = pool.at(r);
    stack.push_back(n.if_true);
    stack.push_back(n.if_false);
    WordTests& t = tests[n.word];
    const uint32_t k = n.atom.k;
    switch (n.atom.op) {
      case WordOp::kEq:
      case WordOp::kNe: constants[n.word].push_back(k); break;
      case WordOp::kGt:
      case WordOp::kLe:
        if (k != 0xffffffffU) t.cuts.push_back(k + 1);
        break;
      case WordOp::kGe:
      case WordOp::kLt:
        if (k != 0) t.cuts.push_back(k);
        break;
      case WordOp::kMaskedEq:
      case WordOp::kMaskedNe: t.masks |= n.atom.mask; break;
    }
  }
  for (unsigned w = 0; w < kWordCount; ++w) {
    // The classic algorithms: clang 14 (the fuzz build) cannot instantiate
    // the subrange std::ranges::unique returns with libstdc++ 12.
    std::sort(tests[w].cuts.begin(), tests[w].cuts.end());
    std::sort(constants[w].begin(), constants[w].end());
    tests[w].constants =
        static_cast<size_t>(std::unique(constants[w].begin(), constants[w].end()) - constants[w].begin());
  }
  return tests;
}

// The memoized product walk over two residual diagrams (see the header).
class DiagramWalk {
 public:
  DiagramWalk(DagPool& pool, uint64_t max_leaf_pairs, const DiagramMemory& memory, DiagramProof& proof)
      : pool_(pool),
        max_leaf_pairs_(max_leaf_pairs),
        proof_(proof),
        proved_(memory.memo_words),
        min_collect_nodes_(memory.collect_nodes),
        collect_at_(memory.collect_nodes) {}

  bool run(DagPool::Ref a, DagPool::Ref b) {
    tests_ = word_tests(pool_, a, b);
    for (unsigned w = 0; w < kWordCount; ++w) {
      a = pool_.restrict(a, w, state_);
      b = pool_.restrict(b, w, state_);
    }
    const bool ok = agree(a, b);
    proof_.memo_restarts = proved_.restarts();
    proof_.peak_nodes = pool_.slot_count();
    return ok;
  }

 private:
  using Ref = DagPool::Ref;

  // Both sides restricted on each word the path constrains (canonical
  // residuals, the memo's key).
  bool agree(Ref a, Ref b) {
    if (DagPool::is_leaf(a) && DagPool::is_leaf(b)) {
      if (++proof_.leaf_pairs > max_leaf_pairs_) return false;
      return pool_.action(a) == pool_.action(b);
    }
    // The residuals stay on walked_ (the collections' roots, with the
    // memo's keys) and the key on key_stack_ while the branches below push
    // theirs.
    walked_.push_back(a);
    walked_.push_back(b);
    if (pool_.node_count() >= collect_at_) collect();
    const size_t key_begin = key_stack_.size();
    push_state_key(a, b);
    auto key = [&] { return std::span<const uint32_t>(key_stack_).subspan(key_begin); };
    auto leave = [&](bool ok) {
      key_stack_.resize(key_begin);
      walked_.resize(walked_.size() - 2);
      return ok;
    };
    const uint32_t key_hash = KeySet::hash(key());
    if (proved_.contains(key(), key_hash)) return leave(true);
    // Branch on the first test of B, or of A once B has decided: B is the
    // specification (check_equivalent's second side), whose tests split the
    // inputs by rule, and the filter's residual restricted by them shrinks
    // to few joint states (50 allowed + 200 conditions on ioctl: 8,050 atoms
    // instead of 15,630 branching on the filter first).
    const DagPool::Node n = pool_.at(DagPool::is_leaf(b) ? a : b);
    bool ok = true;
    for (const WordAtom& side : {n.atom, negate(n.atom)}) {
      const size_t mark = state_.mark();
      ++proof_.atoms;
      const Sat s = state_.add(n.word, side);
      if (s == Sat::kSat)
        ok = agree(pool_.restrict(a, n.word, state_, &side), pool_.restrict(b, n.word, state_, &side));
      else if (s == Sat::kUnknown) ok = false;  // the full walk says why
      state_.undo_to(mark);
      if (!ok) break;
    }
    if (ok) proved_.insert(key(), key_hash);
    return leave(ok);
  }

  // Frees the residuals no walked state and no remembered one refers to
  // (a key starts with its two residuals); the next collection when twice
  // as many nodes are in use.
  void collect() {
    pool_.begin_collect();
    for (const Ref r : walked_) pool_.mark(r);
    proved_.for_each([&](std::span<const uint32_t> key) {
      pool_.mark(key[0]);
      pool_.mark(key[1]);
    });
    pool_.end_collect();
    ++proof_.collections;
    collect_at_ = std::max(min_collect_nodes_, 2 * pool_.node_count());
  }

  // The two residuals and the constraints on every word they still test:
  // all the rest of the walk from here depends on.
  void push_state_key(Ref a, Ref b) {
    std::vector<uint32_t>& key = key_stack_;
    key.push_back(a);
    key.push_back(b);
    const uint16_t words = pool_.words(a) | pool_.words(b);
    for (unsigned w = 0; w < kWordCount; ++w) {
      if ((words & bit(w)) == 0) continue;
      // A header naming the word and which parts of its constraint follow:
      // most words a state reads are unconstrained or have one or two
      // parts, and the memo holds thousands of keys.
      const WordSet& s = state_.word(w);
      const size_t header = key.size();
      uint32_t parts = 0;
      key.push_back(0);
      if (s.lo() != 0) {
        parts |= kLo;
        key.push_back(s.lo());
      }
      if (s.hi() != 0xffffffffU) {
        parts |= kHi;
        key.push_back(s.hi());
      }
      if (s.known_mask() != 0) {
        parts |= kKnownBits;
        key.push_back(s.known_mask());
        key.push_back(s.known_bits());
      }
      if (!s.excluded().empty()) {
        parts |= kExcluded;
        push_exclusions(a, b, w, s);
      }
      if (!s.clauses().empty()) {
        parts |= kClauses;
        key.push_back(static_cast<uint32_t>(s.clauses().size()));
        for (const WordSet::Clause& c : s.clauses()) {
          key.push_back(c.mask);
          key.push_back(c.value);
        }
      }
      key[header] = w | parts;
    }
  }

  // Pushes the excluded values of word `w` that the key needs. The verdict
  // from a state is whether a == b on every input of the product of its
  // word sets, so it depends on a word's set only through which cells of
  // the partition of the word's values by the residuals' tests on it the
  // set meets. Excluding a value no remaining == / != test names (its
  // constant's bit in neither diagram) changes none of them when its cell
  // keeps other values of the set: the key leaves out such exclusions
  // (two states whose keys then agree meet the cells the set without them
  // meets). 50 allowed + 70 conditions on ioctl: 2,976 atoms walked ->
  // 2,046 (keeping every exclusion of a word an ordered test is left on,
  // 2,710).
  void push_exclusions(Ref a, Ref b, unsigned w, const WordSet& s) {
    std::vector<uint32_t>& key = key_stack_;
    const size_t count_at = key.size();
    key.push_back(0);
    const std::vector<uint32_t>& excluded = s.excluded();
    const uint32_t tested = pool_.constants(a) | pool_.constants(b);
    const int min_block_bits = min_cell_block_bits(w, s);
    for (const uint32_t e : excluded)
      if ((DagPool::constant_bit(w, e) & tested) != 0 || !cell_keeps_others(w, s, e, min_block_bits)) key.push_back(e);
    key[count_at] = static_cast<uint32_t>(key.size() - count_at - 1);
  }

  // Whether the cell of `e` (named by no == / != test) surely keeps a value
  // of `s` whatever values of it `s` excludes. It holds every value that
  // no ordered test tells from `e`, that agrees with `e` on the bits the
  // masked tests, the known bits and the clauses read (so that it is in
  // the set when `e` would be), and that no == / != test names: counted
  // in the aligned block around `e` within the bounds and between the
  // ordered tests' cuts, they must outnumber the constants tested and the
  // exclusions together (min_cell_block_bits). The diagrams' tests stand
  // for the residuals' (some of them: fewer cuts, masks and constants only
  // make the cell larger).
  bool cell_keeps_others(unsigned w, const WordSet& s, uint32_t e, int min_block_bits) const {
    const std::vector<uint32_t>& cuts = tests_[w].cuts;
    const auto next_cut = std::upper_bound(cuts.begin(), cuts.end(), e);
    const uint32_t low = std::max(s.lo(), next_cut == cuts.begin() ? 0 : *(next_cut - 1));
    const uint32_t high = std::min(s.hi(), next_cut == cuts.end() ? 0xffffffffU : *next_cut - 1);
    if (e < low || e > high) return false;
    // The largest aligned block of 2^bits values around e within [low, high].
    const int below = low == 0 ? 32 : static_cast<int>(std::bit_width(e ^ (low - 1))) - 1;
    const int above = high == 0xffffffffU ? 32 : static_cast<int>(std::bit_width(e ^ (high + 1))) - 1;
    return std::min(below, above) >= min_block_bits;
  }

  // The fewest low bits an aligned block needs for the values in it that
  // agree with one value on the bits fixed (masks, known bits, clauses) to
  // outnumber the constants tested on `w` and the exclusions of `s`: one
  // more than the position of the n-th lowest free bit, for 2^n values
  // more than those; 33 when there are too few free bits.
  int min_cell_block_bits(unsigned w, const WordSet& s) const {
    uint32_t fixed = tests_[w].masks | s.known_mask();
    for (const WordSet::Clause& c : s.clauses()) fixed |= c.mask;
    const auto free_needed = static_cast<int>(std::bit_width(tests_[w].constants + s.excluded().size()));
    if (free_needed == 0) return 0;
    uint32_t free = ~fixed;
    for (int i = 1; i < free_needed && free != 0; ++i) free &= free - 1;  // the lowest free_needed - 1 dropped
    return free == 0 ? 33 : std::countr_zero(free) + 1;
  }

  // A word's key header: the word, and a flag for each part of its
  // constraint that follows.
  static constexpr uint32_t kLo = 1u << 8;
  static constexpr uint32_t kHi = 1u << 9;
  static constexpr uint32_t kKnownBits = 1u << 10;
  static constexpr uint32_t kExcluded = 1u << 11;
  static constexpr uint32_t kClauses = 1u << 12;

  DagPool& pool_;
  const uint64_t max_leaf_pairs_;
  DiagramProof& proof_;
  PathState state_;
  KeySet proved_;
  std::vector<uint32_t> key_stack_;          // the keys of the states being walked, outermost first
  std::vector<Ref> walked_;                  // the residuals of the states being walked
  std::array<WordTests, kWordCount> tests_;  // of the two diagrams walked
  const size_t min_collect_nodes_;
  size_t collect_at_;  // node count at which the pool is collected next
};

}  // namespace

DiagramProof prove_by_diagrams(const Procedure& a, const Procedure& b, uint64_t max_leaf_pairs,
                               const DiagramMemory& memory) {
  DiagramProof proof;
  DagPool pool;
  const std::optional<DagPool::Ref> ra = a.to_diagram(pool);
  if (!ra) return proof;
  const std::optional<DagPool::Ref> rb = b.to_diagram(pool);
  if (!rb) return proof;
  proof.proved = DiagramWalk(pool, max_leaf_pairs, memory, proof).run(*ra, *rb);
  return proof;
}

}  // namespace sysfence::verify
