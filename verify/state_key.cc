#include "verify/state_key.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace sysfence::verify {

namespace {

// A word's key header: the word, and a flag for each part of its
// constraint that follows.
constexpr uint32_t kLo = 1u << 8;
constexpr uint32_t kHi = 1u << 9;
constexpr uint32_t kKnownBits = 1u << 10;
constexpr uint32_t kExcluded = 1u << 11;
constexpr uint32_t kClauses = 1u << 12;

bool masked(WordOp op) { return op == WordOp::kMaskedEq || op == WordOp::kMaskedNe; }

}  // namespace

void StateKeys::start(Ref a, Ref b) {
  tests_ = {};
  for (Fragment& f : fragments_) f.valid = false;
  std::array<std::vector<uint32_t>, kWordCount> constants;
  std::vector<bool> seen(pool_.slot_count(), false);
  std::vector<Ref> stack = {a, b};
  while (!stack.empty()) {
    const Ref r = stack.back();
    stack.pop_back();
    if (DagPool::is_leaf(r) || seen[r]) continue;
    seen[r] = true;
    const DagPool::Node n = pool_.at(r);
    stack.push_back(n.if_true);
    stack.push_back(n.if_false);
    WordTests& t = tests_[n.word];
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
    std::sort(tests_[w].cuts.begin(), tests_[w].cuts.end());
    std::sort(constants[w].begin(), constants[w].end());
    tests_[w].constants =
        static_cast<size_t>(std::unique(constants[w].begin(), constants[w].end()) - constants[w].begin());
  }
}

uint32_t StateKeys::reads(Ref r, unsigned w) {
  if ((pool_.words(r) & (1u << w)) == 0) return 0;  // a leaf, or no test on w below
  ++work_;
  if (const ReadEntry* e = find_read(r, w); e->node == r && e->word == w) return e->mask;
  const DagPool::Node n = pool_.at(r);
  // Every bit read, the other branch is not asked.
  uint32_t out = n.word != w ? 0 : masked(n.atom.op) ? n.atom.mask : ~uint32_t{0};
  if (out != ~uint32_t{0}) out |= reads(n.if_true, w);
  if (out != ~uint32_t{0}) out |= reads(n.if_false, w);
  if (2 * (reads_count_ + 1) > reads_.size() && reads_.size() < kMaxReadSlots) grow_reads();
  ReadEntry* e = find_read(r, w);  // the children may have grown the table
  if (e->word == kNoWord) ++reads_count_;
  *e = ReadEntry{r, w, out};
  return out;
}

// The slot of (r, w): its entry, or where to put it (direct-mapped: a new
// entry takes the place of the one there). Emptying the full table instead
// of replacing one entry cost flags/30's walk 20M instructions of its 34.7M
// (76,502 misses of 136,511 look-ups, the residuals' entries forgotten
// between the states that ask for them again); looking for a free slot
// among the next 4 (or 8) before replacing, 29.8M (33.6M): the entries a
// probe finds rarely pay for the probe.
StateKeys::ReadEntry* StateKeys::find_read(Ref r, unsigned w) {
  if (reads_.empty()) grow_reads();
  return &reads_[((uint64_t{r} << 4 | w) * 0x9e3779b97f4a7c15ULL >> 20) & (reads_.size() - 1)];
}

void StateKeys::grow_reads() {
  std::vector<ReadEntry> old = std::exchange(reads_, std::vector<ReadEntry>(std::max<size_t>(64, 2 * reads_.size())));
  for (ReadEntry& e : reads_) e.word = kNoWord;
  reads_count_ = 0;
  for (const ReadEntry& e : old) {
    if (e.word == kNoWord) continue;
    ReadEntry* slot = find_read(e.node, e.word);
    if (slot->word == kNoWord) ++reads_count_;
    *slot = e;
  }
}

void StateKeys::forget_nodes() { clear_reads(); }

void StateKeys::clear_reads() {
  if (reads_count_ == 0) return;
  for (ReadEntry& e : reads_) e.word = kNoWord;
  reads_count_ = 0;
}

void StateKeys::push(std::vector<uint32_t>& key, Ref a, Ref b, const PathState& state) {
  key.push_back(a);
  key.push_back(b);
  const uint16_t words = pool_.words(a) | pool_.words(b);
  for (unsigned w = 0; w < kWordCount; ++w) {
    if ((words & (1u << w)) == 0) continue;
    // A word's part of the key depends on its set and on the walked
    // diagrams' tests, not on the residuals, unless keep_cells() narrows
    // it: kept from the key that computed it until changed(w) (a step of
    // the walk changes one word; one/70's keys took 1.55M of the walk's
    // 6.8M instructions computing every word anew, 0.8M keeping the rest).
    Fragment& f = fragments_[w];
    if (f.valid) {
      key.insert(key.end(), f.words.begin(), f.words.end());
      continue;
    }
    const size_t begin = key.size();
    if (push_word(key, a, b, w, state.word(w))) {
      f.words.assign(key.begin() + static_cast<std::ptrdiff_t>(begin), key.end());
      f.valid = true;
    }
  }
}

// Appends word `w`'s part of the key; false when it depends on the
// residuals `a` and `b` (keep_cells()).
bool StateKeys::push_word(std::vector<uint32_t>& key, Ref a, Ref b, unsigned w, const WordSet& s) {
  // A header naming the word and which parts of its constraint follow:
  // most words a state reads are unconstrained or have one or two parts,
  // and the memo holds thousands of keys.
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
  uint32_t known_mask = s.known_mask();
  std::span<const WordSet::Clause> clauses = s.clauses();
  // Known bits and clauses come from masked tests (== and ordered tests
  // pin bits too, but then the set has bounds).
  const bool narrowed = (known_mask != 0 || !clauses.empty()) && tests_[w].masks != 0 && s.lo() == 0 &&
                        s.hi() == 0xffffffffU && s.excluded().empty();
  if (narrowed) keep_cells(a, b, w, s, known_mask, clauses);
  if (known_mask != 0) {
    parts |= kKnownBits;
    key.push_back(known_mask);
    key.push_back(s.known_bits() & known_mask);
  }
  if (!s.excluded().empty()) {
    parts |= kExcluded;
    push_exclusions(key, w, s);
  }
  if (!clauses.empty()) {
    parts |= kClauses;
    key.push_back(static_cast<uint32_t>(clauses.size()));
    for (const WordSet::Clause& c : clauses) {
      key.push_back(c.mask);
      key.push_back(c.value);
    }
  }
  key[header] = w | parts;
  return !narrowed;
}

// The set's values are those with every known bit at its value that break
// every clause ((w & m) == k false). When the residuals read word `w` only
// through masked tests, their cells are the values' patterns on the bits
// those read (`read`), and when the set has no bounds and no exclusions,
// any value x of the set the key describes has a value y of the full set
// in its cell, built in three steps:
// - a clause with an own bit (read by no test, not known, in no other
//   clause) is left out: where y matches it, flipping that bit breaks it
//   and changes nothing else (each such clause has its own bit);
// - when no clause kept reads both bits `read` has and bits it has not,
//   the clauses on unread bits alone and the unread known bits are left
//   out: y takes its unread bits from a value of the set (it has one),
//   then the previous step;
// - otherwise a known bit outside `read` and every kept clause is left
//   out: y sets it to its value first (no kept clause reads it).
// (100 rules of one to three conditions on flag masks of one to three
// bits, over ioctl, fcntl and prctl: 78,716 word constraints walked ->
// 1,156; 200 such rules: past the budget of 2,000,000 leaf pairs -> 82,716.)
void StateKeys::keep_cells(Ref a, Ref b, unsigned w, const WordSet& s, uint32_t& known_mask,
                           std::span<const WordSet::Clause>& clauses) {
  uint32_t read = reads(a, w);
  if (read != ~uint32_t{0}) read |= reads(b, w);
  if (read == ~uint32_t{0}) return;
  uint32_t in_clauses = 0;      // bits some clause reads
  uint32_t in_two_clauses = 0;  // bits two or more clauses read
  for (const WordSet::Clause& c : s.clauses()) {
    in_two_clauses |= in_clauses & c.mask;
    in_clauses |= c.mask;
  }
  const uint32_t own_bits = ~(read | s.known_mask() | in_two_clauses);
  bool mixed = false;  // some clause kept reads bits on both sides of `read`
  kept_clauses_.clear();
  for (const WordSet::Clause& c : s.clauses()) {
    if ((c.mask & own_bits) != 0) continue;
    kept_clauses_.push_back(c);
    mixed = mixed || ((c.mask & read) != 0 && (c.mask & ~read) != 0);
  }
  if (!mixed) std::erase_if(kept_clauses_, [read](const WordSet::Clause& c) { return (c.mask & read) == 0; });
  uint32_t kept_masks = 0;
  for (const WordSet::Clause& c : kept_clauses_) kept_masks |= c.mask;
  known_mask &= read | kept_masks;
  clauses = kept_clauses_;
}

// Pushes the excluded values of word `w` that the key needs: excluding a
// value no remaining == / != test names changes no cell met when its cell
// keeps other values of the set. No residual names an excluded value: the
// residuals are restricted by the state, which decides every == / != test
// on an excluded value. (50 allowed + 70 conditions on ioctl, 64-bit:
// 2,976 atoms walked -> 2,046 keeping those whose constant's bit the
// residuals' filters have, 1,874 without that, 1,716 leaving out the
// exclusions the bounds or known bits made redundant; keeping every
// exclusion of a word an ordered test is left on, 2,710.)
inline void StateKeys::push_exclusions(std::vector<uint32_t>& key, unsigned w, const WordSet& s) const {
  const size_t count_at = key.size();
  key.push_back(0);
  // A value the bounds or the known bits leave out already: its exclusion
  // (made before they narrowed) changes nothing. The exclusions are sorted:
  // those within the bounds are one run, and the cuts around each are
  // found by one sweep along them.
  const std::vector<uint32_t>& excluded = s.excluded();
  const auto first = std::lower_bound(excluded.begin(), excluded.end(), s.lo());
  const auto last = std::upper_bound(first, excluded.end(), s.hi());
  if (first != last) {
    const int min_block_bits = min_cell_block_bits(w, s);
    const std::vector<uint32_t>& cuts = tests_[w].cuts;
    auto next_cut = cuts.begin();
    for (auto it = first; it != last; ++it) {
      const uint32_t e = *it;
      if ((e & s.known_mask()) != s.known_bits()) continue;
      while (next_cut != cuts.end() && *next_cut <= e) ++next_cut;
      if (!cell_keeps_others(s, e, min_block_bits, cuts, next_cut)) key.push_back(e);
    }
  }
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
// `next_cut`: the first cut above `e` in `cuts`, the word's.
inline bool StateKeys::cell_keeps_others(const WordSet& s, uint32_t e, int min_block_bits,
                                         const std::vector<uint32_t>& cuts,
                                         std::vector<uint32_t>::const_iterator next_cut) {
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
inline int StateKeys::min_cell_block_bits(unsigned w, const WordSet& s) const {
  uint32_t fixed = tests_[w].masks | s.known_mask();
  for (const WordSet::Clause& c : s.clauses()) fixed |= c.mask;
  const auto free_needed = static_cast<int>(std::bit_width(tests_[w].constants + s.excluded().size()));
  if (free_needed == 0) return 0;
  uint32_t free = ~fixed;
  for (int i = 1; i < free_needed && free != 0; ++i) free &= free - 1;  // the lowest free_needed - 1 dropped
  return free == 0 ? 33 : std::countr_zero(free) + 1;
}

}  // namespace sysfence::verify
