#include "verify/dag_pool.h"

#include <algorithm>
#include <bit>
#include <initializer_list>
#include <span>
#include <unordered_map>
#include <utility>

#include "verify/state_key.h"

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
  static_assert(sizeof(Stored) == 32);
  if (if_true == if_false) return if_true;
  ++work_;
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
  stored_mut(r) =
      Stored{atom.k, atom.mask, if_true, if_false, constants, reads, static_cast<uint8_t>(word), atom.op, 0, 0};
  index_[slot] = r;
  return r;
}

uint32_t DagPool::depth(std::initializer_list<Ref> roots) const {
  // Postorder over an explicit stack, each node's depth once (0: not yet
  // known; a node's depth is at least 1).
  std::vector<uint32_t> known(count_, 0);
  auto of = [&](Ref r) { return is_leaf(r) ? 0 : known[r]; };
  std::vector<Ref> stack;
  uint32_t deepest = 0;
  for (const Ref root : roots) {
    if (!is_leaf(root)) stack.push_back(root);
    while (!stack.empty()) {
      const Ref r = stack.back();
      if (known[r] != 0) {
        stack.pop_back();
        continue;
      }
      const Stored& n = stored(r);
      const bool true_pending = !is_leaf(n.if_true) && known[n.if_true] == 0;
      const bool false_pending = !is_leaf(n.if_false) && known[n.if_false] == 0;
      if (true_pending) stack.push_back(n.if_true);
      if (false_pending) stack.push_back(n.if_false);
      if (true_pending || false_pending) continue;
      known[r] = 1 + std::max(of(n.if_true), of(n.if_false));
      stack.pop_back();
    }
    deepest = std::max(deepest, of(root));
  }
  return deepest;
}

DagPool::Ref DagPool::map_leaves(Ref root, const std::function<Ref(Ref)>& replace) {
  // Postorder over an explicit stack (a diagram may be of any depth), each
  // node and leaf mapped once.
  std::unordered_map<Ref, Ref> mapped;
  auto done = [&](Ref r) { return mapped.find(r) != mapped.end(); };
  std::vector<Ref> stack{root};
  while (!stack.empty()) {
    const Ref r = stack.back();
    if (done(r)) {
      stack.pop_back();
      continue;
    }
    if (is_leaf(r)) {
      mapped.emplace(r, replace(r));
      stack.pop_back();
      continue;
    }
    const Ref t = stored(r).if_true;
    const Ref f = stored(r).if_false;
    if (!done(t) || !done(f)) {
      if (!done(t)) stack.push_back(t);
      if (!done(f)) stack.push_back(f);
      continue;
    }
    // node() may add a chunk: the fields are read before it.
    const Node n = at(r);
    mapped.emplace(r, node(n.word, n.atom, mapped.at(t), mapped.at(f)));
    stack.pop_back();
  }
  return mapped.at(root);
}

void DagPool::begin_collect() { marked_.assign(count_, false); }

void DagPool::mark(Ref root) {
  // Iterative: a diagram may be of any depth.
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
    for (Ref n = 0; n < count_; ++n) stored_mut(n).memo_stamp = 0;
    stamp_ = 1;
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
  // The memo: `r`'s result when this call met it already.
  ++work_;
  Stored& n = stored_mut(r);  // chunks never move: valid while node() adds
  if (n.memo_stamp == stamp_) return n.memo_result;
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
  // `r` is in use (the caller holds it): node() took no slot of it.
  n.memo_stamp = stamp_;
  n.memo_result = out;
  return out;
}

namespace {

// The memoized product walk over two residual diagrams (see the header).
class DiagramWalk {
 public:
  DiagramWalk(DagPool& pool, uint64_t max_leaf_pairs, uint64_t max_work, const DiagramMemory& memory,
              DiagramProof& proof)
      : pool_(pool),
        max_leaf_pairs_(max_leaf_pairs),
        max_work_(max_work),
        proof_(proof),
        proved_(memory.memo_words),
        min_collect_nodes_(memory.collect_nodes),
        collect_at_(memory.collect_nodes) {}

  bool run(DagPool::Ref a, DagPool::Ref b) {
    keys_.start(a, b);
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
      if (++proof_.leaf_pairs > max_leaf_pairs_) {
        proof_.over_budget = true;
        return false;
      }
      return pool_.action(a) == pool_.action(b);
    }
    // The residuals stay on walked_ (the collections' roots, with the
    // memo's keys) and the key on key_stack_ while the branches below push
    // theirs.
    if (pool_.work() + keys_.work() > max_work_) {
      proof_.over_budget = true;
      return false;
    }
    walked_.push_back(a);
    walked_.push_back(b);
    if (pool_.node_count() >= collect_at_) collect();
    const size_t key_begin = key_stack_.size();
    keys_.push(key_stack_, a, b, state_);
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
      keys_.changed(n.word);
      if (s == Sat::kSat)
        ok = agree(pool_.restrict(a, n.word, state_, &side), pool_.restrict(b, n.word, state_, &side));
      else if (s == Sat::kUnknown) ok = false;  // the full walk says why
      state_.undo_to(mark);
      keys_.changed(n.word);
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
    keys_.forget_nodes();
    ++proof_.collections;
    collect_at_ = std::max(min_collect_nodes_, 2 * pool_.node_count());
  }

  DagPool& pool_;
  const uint64_t max_leaf_pairs_;
  const uint64_t max_work_;
  DiagramProof& proof_;
  PathState state_;
  KeySet proved_;
  std::vector<uint32_t> key_stack_;  // the keys of the states being walked, outermost first
  std::vector<Ref> walked_;          // the residuals of the states being walked
  StateKeys keys_{pool_};
  const size_t min_collect_nodes_;
  size_t collect_at_;  // node count at which the pool is collected next
};

}  // namespace

DiagramProof prove_by_diagrams(DagPool& pool, DagPool::Ref a, DagPool::Ref b, uint64_t max_leaf_pairs,
                               const DiagramMemory& memory, uint64_t max_work) {
  DiagramProof proof;
  // Fewer nodes than the limit cannot make a path longer than it.
  if (pool.node_count() > kMaxDiagramDepth && pool.depth({a, b}) > kMaxDiagramDepth) {
    proof.too_deep = true;
    return proof;
  }
  proof.proved = DiagramWalk(pool, max_leaf_pairs, max_work, memory, proof).run(a, b);
  return proof;
}

DiagramProof prove_by_diagrams(const Procedure& a, const Procedure& b, uint64_t max_leaf_pairs,
                               const DiagramMemory& memory, uint64_t max_work) {
  DagPool pool;
  const std::optional<DagPool::Ref> ra = a.to_diagram(pool);
  if (!ra) return {};
  const std::optional<DagPool::Ref> rb = b.to_diagram(pool);
  if (!rb) return {};
  return prove_by_diagrams(pool, *ra, *rb, max_leaf_pairs, memory, max_work);
}

}  // namespace sysfence::verify
