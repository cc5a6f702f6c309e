#include "profile/libseccomp_codegen.h"

#include <algorithm>
#include <span>
#include <unordered_map>
#include <utility>

#include "policy/overlap.h"

namespace sysfence::profile::codegen {

namespace {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;

constexpr uint32_t kFull = 0xffffffffU;

// Where a jump goes: a block (by its index), a rule's action, the default
// action; while a level is being written also the next node of the level
// (kNext) or a sub-level (kLevel, `id` its node).
struct Target {
  enum Kind : uint8_t { kDefault, kAction, kBlock, kNext, kLevel } kind = kDefault;
  int id = -1;
  uint32_t action = 0;
  size_t src = 0;
};

// One block as gen_bpf writes it. `acc_start`: the state the block relies on
// (nullopt: it loads its word, or the layout prepended a reload).
struct Block {
  bool load = false;  // loads `word`'s argument word
  bool and_mask = false;
  Word word;  // the node's word and mask
  Test test = Test::kEq;
  uint32_t datum = 0;
  Target jt, jf;
  std::optional<Word> acc_start;
  Word acc_end;
  std::optional<Word> reload;  // prepended by the layout: loads this word, masks it
  bool placed = false;
  // The tree (of a filter's several) that wrote the block first: its
  // action targets name that tree's rules.
  size_t owner = 0;
};

// The instructions of a block, by which gen_bpf shares identical ones (its
// hash table; jump targets by what they reach). The state a block was
// written for is not part of it. Packed into four words and hashed: in an
// ordered map of tuples, finding and adding the blocks of 43 syscalls'
// programs (spread600) cost 0.39M instructions, hashed 0.15M.
struct BlockKey {
  std::array<uint64_t, 4> words{};
  friend bool operator==(const BlockKey&, const BlockKey&) = default;
};

struct BlockKeyHash {
  size_t operator()(const BlockKey& k) const {
    uint64_t h = 0;
    for (const uint64_t w : k.words) h = (h ^ w) * 0x9e3779b97f4a7c15U;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

// A jump's target by what it reaches: its kind and its block, or the action.
std::pair<uint64_t, uint64_t> target_key(const Target& t) {
  if (t.kind == Target::kAction) return {t.kind, uint64_t{0xffffffffU} << 32 | t.action};
  return {t.kind, uint64_t{static_cast<uint32_t>(t.id)} << 32};
}

// A block's key with the state it relies on: the identity of blocks of
// different syscalls (see Writer::intern).
struct StateKey {
  BlockKey block;
  uint64_t state = 0;
  friend bool operator==(const StateKey&, const StateKey&) = default;
};

struct StateKeyHash {
  size_t operator()(const StateKey& k) const { return BlockKeyHash{}(k.block) ^ (k.state * 0x9e3779b97f4a7c15U); }
};

uint64_t state_word(const std::optional<Word>& w) {
  if (!w) return 0;
  return uint64_t{1} << 63 | uint64_t{w->arg} << 40 | uint64_t{w->high} << 32 | w->mask;
}

BlockKey block_key(const Block& b) {
  // The jump's opcode: == and MASKED_EQ write the same one.
  const uint64_t jump = b.test == Test::kGt ? 1 : b.test == Test::kGe ? 2 : 0;
  const uint64_t arg = b.load ? b.word.arg : 0;
  const uint64_t high = b.load && b.word.high ? 1 : 0;
  const uint64_t mask = b.and_mask ? b.word.mask : 0;
  const auto [jt_kind, jt] = target_key(b.jt);
  const auto [jf_kind, jf] = target_key(b.jf);
  BlockKey key;
  key.words[0] = uint64_t{b.load} | arg << 1 | high << 9 | uint64_t{b.and_mask} << 10 | jump << 11 | mask << 32;
  key.words[1] = uint64_t{b.datum} | jt_kind << 32 | jf_kind << 40;
  key.words[2] = jt;
  key.words[3] = jf;
  return key;
}

class Writer {
 public:
  Writer(const std::vector<Node>& nodes, size_t max_paths, size_t& steps)
      : nodes_(&nodes), max_paths_(max_paths), steps_(steps) {
    // A block per node, give or take the shared ones and those of sub-levels
    // written once per parent.
    blocks_.reserve(std::min(nodes.size(), kMaxBlocks));
  }

  Program run(int first);
  std::vector<Program> run_filter(std::span<const TreeInFilter> trees, std::span<const size_t> layout);
  Executable layout(int first);
  // The budget ran out or the program outgrew its bounds: what run() or
  // layout() returned does not count.
  bool failed() const { return failed_; }

 private:
  // One unit of work; false once the budget is spent or the writer failed
  // (every function then returns at its next step). A flag rather than an
  // exception: the first exception a process throws maps the unwinder and
  // the C++ runtime's unwind tables (~150-300 KiB of resident pages).
  bool step() {
    if (!failed_ && steps_ == 0) budget_spent_ = true;
    if (failed_ || steps_ == 0) return fail();
    --steps_;
    return true;
  }
  bool fail() {
    failed_ = true;
    return false;
  }
  const Node& node(int i) const { return (*nodes_)[static_cast<size_t>(i)]; }
  Block& block(int i) { return blocks_[static_cast<size_t>(i)]; }

  Block write_node(const Node& n, Word& acc);
  int level(int first, Target nxt, Word a_state);
  int append(Block b);
  int intern(Block b);
  void place(int id, const Word& jumper_end);
  void walk(int id, Word a, std::vector<ArgCondition>& conds, const policy::Conjunction& sat);
  // The paths of the program from block `head` (the syscall's test passed)
  // into out_, within the bounds on their conditions.
  void read_paths(int head);
  // The rule of the current tree whose action a branch gives (`t`, an
  // action target of a block another tree wrote first).
  std::optional<size_t> own_source(const Target& t) const;

  // The tree being written or read (a filter's trees are written one after
  // another into one set of blocks).
  const std::vector<Node>* nodes_;
  size_t tree_ = 0;
  size_t max_paths_;
  size_t& steps_;
  std::vector<Block> blocks_;
  // level()'s blocks while it writes them, a stack for its recursion: one
  // buffer for the whole program (a list of their own cost every level an
  // allocation and its regrowth).
  std::vector<Block> written_;
  std::unordered_map<BlockKey, int, BlockKeyHash> shared_;
  // Blocks of a later syscall identical to an earlier syscall's but for the
  // state they rely on (kept apart, see intern).
  std::unordered_map<StateKey, int, StateKeyHash> apart_;
  bool masked_order_ = false;  // some path compares a masked word by order
  bool failed_ = false;
  bool budget_spent_ = false;  // failed_ for want of steps, not a bound
  Program out_;
};

// _gen_bpf_node: the block for one node, given what the accumulator holds
// (`acc`, updated to what it holds after the block).
Block Writer::write_node(const Node& n, Word& acc) {
  Block b;
  b.owner = tree_;
  b.word = n.word;
  b.test = n.test;
  b.datum = n.datum;
  b.acc_start = acc;
  if (n.word.arg != acc.arg || n.word.high != acc.high || (n.word.mask & acc.mask) != n.word.mask) {
    b.load = true;
    b.acc_start.reset();
    acc = Word{n.word.arg, n.word.high, kFull};
  }
  if (n.word.mask != acc.mask) {
    b.and_mask = true;
    acc.mask = n.word.mask;
  }
  b.acc_end = acc;
  auto branch = [](int sub, bool act, uint32_t action, size_t src) {
    if (sub >= 0) return Target{Target::kLevel, sub, 0, 0};
    if (act) return Target{Target::kAction, -1, action, src};
    return Target{Target::kNext, -1, 0, 0};
  };
  b.jt = branch(n.nxt_t, n.act_t_flg, n.act_t, n.src_t);
  b.jf = branch(n.nxt_f, n.act_f_flg, n.act_f, n.src_f);
  return b;
}

// A new block of the program; -1 past kMaxBlocks.
int Writer::append(Block b) {
  if (blocks_.size() >= kMaxBlocks) {
    fail();
    return -1;
  }
  blocks_.push_back(std::move(b));
  return static_cast<int>(blocks_.size() - 1);
}

// Adds a finished block to the program, or finds the identical block
// written before (which keeps the state it was written for).
int Writer::intern(Block b) {
  if (!step()) return -1;
  const BlockKey key = block_key(b);
  const auto it = shared_.find(key);
  if (it == shared_.end()) {
    const int id = append(std::move(b));
    if (id >= 0) shared_.emplace(key, id);
    return id;
  }
  const Block& first = block(it->second);
  if (first.owner == b.owner || first.acc_start == b.acc_start) {
    // Shared by two nodes that expect different words: which of them the
    // block serves right depends on the layout.
    if (first.acc_end != b.acc_end) out_.stale = true;
    return it->second;
  }
  // Across syscalls libseccomp 2.5.4's filters share such blocks only where
  // they rely on the same state: two syscalls' `== 5` blocks after a load
  // of args[0] are one block, after loads of args[0] and args[1] two. (Its
  // hash compares the blocks' instruction structs byte for byte, padding
  // included, which seems to keep residue of the last load written.)
  const StateKey apart{key, state_word(b.acc_start)};
  if (auto a = apart_.find(apart); a != apart_.end()) return a->second;
  const int id = append(std::move(b));
  if (id >= 0) apart_.emplace(apart, id);
  return id;
}

// _gen_bpf_chain: the blocks of the level starting at `first`, whose last
// node falls through to `nxt`; `a_state` is what the accumulator holds on
// entry. The blocks are written in level order, then resolved from the last
// to the first (each one's sub-levels, true branch first, falling through to
// the next block of this level) and shared.
int Writer::level(int first, Target nxt, Word a_state) {
  // This level's blocks are written[base, end): the sub-levels written while
  // they are resolved go above them, and are gone when they return.
  const size_t base = written_.size();
  Word acc = a_state;
  for (int i = first; i >= 0; i = node(i).lvl_nxt) {
    if (!step()) {
      written_.resize(base);
      return -1;
    }
    written_.push_back(write_node(node(i), acc));
  }
  const size_t count = written_.size() - base;
  int resolved = -1;
  for (size_t k = count; k-- > 0;) {
    const Target next = k + 1 < count ? Target{Target::kBlock, resolved, 0, 0} : nxt;
    // By index: a sub-level's blocks may move this level's.
    for (const bool truth : {true, false}) {
      Target t = truth ? written_[base + k].jt : written_[base + k].jf;
      if (t.kind == Target::kLevel) t = Target{Target::kBlock, level(t.id, next, written_[base + k].acc_end), 0, 0};
      else if (t.kind == Target::kNext) t = next;
      (truth ? written_[base + k].jt : written_[base + k].jf) = t;
    }
    resolved = intern(std::move(written_[base + k]));
  }
  written_.resize(base);
  return resolved;
}

// The layout's pull of blocks behind the blocks that jump to them: the
// first jumper found places a block, and a block that relies on the
// accumulator gets a reload of the word it relies on if that jumper leaves
// another state.
void Writer::place(int id, const Word& jumper_end) {
  Block& b = block(id);
  if (b.placed || !step()) return;
  b.placed = true;
  if (b.acc_start && *b.acc_start != jumper_end) {
    b.reload = b.acc_start;
    b.acc_start.reset();
  }
  const Word end = b.acc_end;
  const Target jt = b.jt;
  const Target jf = b.jf;
  if (jt.kind == Target::kBlock) place(jt.id, end);
  if (jf.kind == Target::kBlock) place(jf.id, end);
}

// The program run from block `id` with `a` in the accumulator, on the
// inputs that satisfy `conds` (`sat`: the same conditions, some input
// satisfies them). Each step adds a test's conditions to a copy of `sat` and
// asks only about the arguments they name: the others' values are as before.
void Writer::walk(int id, Word a, std::vector<ArgCondition>& conds, const policy::Conjunction& sat) {
  if (!step()) return;
  const Block& b = block(id);
  if (b.reload) a = *b.reload;
  if (b.load) a = Word{b.word.arg, b.word.high, kFull};
  if (b.and_mask) a.mask &= b.word.mask;
  if (a.arg == Word::kNr) {  // cannot happen: the first block loads
    fail();
    return;
  }
  if (a != b.acc_end) out_.stale = true;
  for (const bool truth : {true, false}) {
    masked_order_ = masked_order_ || (a.mask != kFull && (b.test == Test::kGt || b.test == Test::kGe));
    const Target t = truth ? b.jt : b.jf;
    for (const auto& piece : word_test(a, b.test, b.datum, truth)) {
      if (!step()) return;  // the walk is bounded by the caller's budget too
      const size_t before = conds.size();
      conds.insert(conds.end(), piece.begin(), piece.end());
      policy::Conjunction next = sat;
      unsigned named = 0;
      for (const ArgCondition& c : piece) {
        next.add(c);
        named |= c.index < 6 ? 1u << c.index : 0x3fu;
      }
      if (next.satisfiable(named)) {
        if (t.kind == Target::kBlock) {
          walk(t.id, a, conds, next);
        } else if (t.kind == Target::kAction) {
          const std::optional<size_t> src = b.owner == tree_ ? std::optional<size_t>(t.src) : own_source(t);
          if (!src || out_.paths.size() >= max_paths_) {
            fail();
            return;
          }
          out_.paths.push_back({conds, *src});
        }
      }
      conds.resize(before);
    }
  }
}

std::optional<size_t> Writer::own_source(const Target& t) const {
  // A shared block is identical to the one this tree wrote, whose branch
  // gave the same action: the tree has a rule with it.
  for (const Node& n : *nodes_) {
    if (n.act_t_flg && n.act_t == t.action) return n.src_t;
    if (n.act_f_flg && n.act_f == t.action) return n.src_f;
  }
  return std::nullopt;
}

void Writer::read_paths(int head) {
  // The syscall's own test leaves the syscall number in the accumulator.
  const Word nr{};
  out_ = Program{};
  masked_order_ = false;
  std::vector<ArgCondition> conds;
  walk(head, nr, conds, policy::Conjunction{});
  if (failed_) return;
  // Each failed == or MASKED_EQ test, and each masked word compared by
  // order, splits into up to 32 pieces, one per bit; multiplied along the
  // paths they can outgrow what the compiler fits in a filter.
  size_t total = 0;
  for (const Path& p : out_.paths) total += p.conditions.size();
  if (total > kMaxConditions || (masked_order_ && total > kMaxMaskedOrderConditions)) fail();
}

Program Writer::run(int first) {
  const Word nr{};
  const int head = level(first, Target{}, nr);
  if (failed_) return {};
  place(head, nr);
  if (!failed_) read_paths(head);
  if (failed_) return {};
  return std::move(out_);
}

// gen_bpf writes a filter's syscalls one after another into one hash table
// of blocks (`trees` in that order: a block identical to one written
// before is that block), then lays them out pulling blocks behind the
// syscalls in `layout` order: a shared block's reload is decided by the
// first jumper of all.
std::vector<Program> Writer::run_filter(std::span<const TreeInFilter> trees, std::span<const size_t> layout) {
  const Word nr{};
  std::vector<int> heads(trees.size(), -1);
  for (size_t k = 0; k < trees.size() && !failed_; ++k) {
    nodes_ = trees[k].nodes;
    tree_ = k;
    if (trees[k].first >= 0) heads[k] = level(trees[k].first, Target{}, nr);
  }
  for (const size_t k : layout)
    if (!failed_ && k < heads.size() && heads[k] >= 0) place(heads[k], nr);
  // Which tree reaches each block (kShared: more than one). A tree whose
  // blocks are all its own was written and laid out as it would be alone:
  // reading its paths (which a tree of overlapping rules can multiply past
  // kMaxConditions) tells nothing new.
  constexpr int kUnseen = -1;
  constexpr int kShared = -2;
  std::vector<int> reached_by(blocks_.size(), kUnseen);
  std::vector<size_t> visited(blocks_.size(), trees.size());  // the tree whose walk met the block last
  std::vector<std::vector<int>> reached(trees.size());
  for (size_t k = 0; k < trees.size() && !failed_; ++k) {
    if (heads[k] < 0) continue;
    std::vector<int> stack{heads[k]};
    while (!stack.empty() && step()) {
      const int id = stack.back();
      stack.pop_back();
      if (visited[static_cast<size_t>(id)] == k) continue;
      visited[static_cast<size_t>(id)] = k;
      int& by = reached_by[static_cast<size_t>(id)];
      by = by == kUnseen ? static_cast<int>(k) : kShared;
      reached[k].push_back(id);
      for (const Target* t : {&block(id).jt, &block(id).jf})
        if (t->kind == Target::kBlock) stack.push_back(t->id);
    }
  }
  std::vector<Program> out(trees.size());
  for (size_t k = 0; k < trees.size() && !failed_; ++k) {
    if (heads[k] < 0) continue;
    if (std::all_of(reached[k].begin(), reached[k].end(),
                    [&](int id) { return reached_by[static_cast<size_t>(id)] == static_cast<int>(k); })) {
      out[k].own_blocks = true;
      continue;
    }
    nodes_ = trees[k].nodes;
    tree_ = k;
    read_paths(heads[k]);
    if (failed_ && !budget_spent_) {
      // Past a bound on this tree's paths: the blocks are all written, the
      // other trees' paths can still be read.
      failed_ = false;
      out[k] = Program{};
      out[k].unread = true;
      continue;
    }
    out[k] = std::move(out_);
  }
  if (failed_) return {};
  return out;
}

// The blocks as laid out (run()'s, without its walk of every path).
Executable Writer::layout(int first) {
  const Word nr{};
  const int head = level(first, Target{}, nr);
  if (failed_) return {};
  place(head, nr);
  if (failed_) return {};
  Executable out;
  out.head = static_cast<size_t>(head);
  out.steps.reserve(blocks_.size());
  for (const Block& b : blocks_) {
    Executable::Step s;
    s.reload = b.reload;
    s.load = b.load;
    s.and_mask = b.and_mask;
    s.word = b.word;
    s.test = b.test;
    s.datum = b.datum;
    for (const bool truth : {false, true}) {
      const Target& t = truth ? b.jt : b.jf;
      auto& kind = s.kind[truth ? 1 : 0];
      auto& target = s.target[truth ? 1 : 0];
      if (t.kind == Target::kBlock) kind = Executable::Step::kBlock, target = static_cast<size_t>(t.id);
      else if (t.kind == Target::kAction) kind = Executable::Step::kAction, target = t.src;
      else kind = Executable::Step::kDefault;
    }
    out.steps.push_back(s);
  }
  // The syscall's own test leaves the syscall number in the accumulator: the
  // first block loads its word (walk() checks the same on every path).
  const Executable::Step& h = out.steps[out.head];
  if (!h.load && !h.reload) fail();
  return out;
}

// The inputs for which `x & mask != datum` (datum within mask), as disjoint
// MASKED_EQ pieces: the first differing bit of the mask, bit by bit.
void differing_bits(uint8_t index, uint32_t mask, uint32_t datum, bool high,
                    std::vector<std::vector<ArgCondition>>& out) {
  const unsigned shift = high ? 32 : 0;
  const ArgWidth width = high ? ArgWidth::k64 : ArgWidth::k32;
  uint32_t prefix = 0;
  for (unsigned b = 0; b < 32; ++b) {
    const uint32_t bit = uint32_t{1} << b;
    if (!(mask & bit)) continue;
    const uint32_t piece_datum = (datum & prefix) | (~datum & bit);
    out.push_back({{index, CmpOp::kMaskedEq, uint64_t{prefix | bit} << shift, uint64_t{piece_datum} << shift, width}});
    prefix |= bit;
  }
}

// word_test for a high word with the full mask, as conditions on the whole
// 64-bit argument.
std::vector<std::vector<ArgCondition>> high_word_test(uint8_t i, Test test, uint32_t datum, bool truth) {
  std::vector<std::vector<ArgCondition>> out;
  constexpr ArgWidth w = ArgWidth::k64;
  const uint64_t h = uint64_t{datum} << 32;
  const uint64_t above = (uint64_t{datum} + 1) << 32;  // unused where datum is kFull
  switch (test) {
    case Test::kGt:
      if (truth && datum != kFull) out.push_back({{i, CmpOp::kGe, above, 0, w}});
      if (!truth) {
        if (datum == kFull) out.emplace_back();
        else out.push_back({{i, CmpOp::kLt, above, 0, w}});
      }
      break;
    case Test::kGe:
      if (truth) out.push_back({{i, CmpOp::kGe, h, 0, w}});
      else if (datum != 0) out.push_back({{i, CmpOp::kLt, h, 0, w}});
      break;
    case Test::kEq:
    case Test::kMaskedEq:
      if (truth) {
        out.push_back({{i, CmpOp::kMaskedEq, 0xffffffff00000000ULL, h, w}});
      } else {
        if (datum != 0) out.push_back({{i, CmpOp::kLt, h, 0, w}});
        if (datum != kFull) out.push_back({{i, CmpOp::kGe, above, 0, w}});
      }
      break;
  }
  return out;
}

// `(word & mask) == datum` for the masked word's bits in `mask` (a subset of
// its mask): one MASKED_EQ, or no condition where `mask` is empty.
std::vector<ArgCondition> masked_piece(const Word& word, uint32_t mask, uint32_t datum) {
  if (mask == 0) return {};
  if (word.high) return {{word.arg, CmpOp::kMaskedEq, uint64_t{mask} << 32, uint64_t{datum} << 32, ArgWidth::k64}};
  return {{word.arg, CmpOp::kMaskedEq, mask, datum, ArgWidth::k32}};
}

// `x > k` (`greater`) or `x < k` for x = word & m, as disjoint MASKED_EQ
// pieces: by the highest bit where x and k differ (the bits above it equal;
// x's bits outside m are 0).
void masked_order(const Word& word, uint32_t k, bool greater, std::vector<std::vector<ArgCondition>>& out) {
  const uint32_t m = word.mask;
  for (int b = 31; b >= 0; --b) {
    const uint32_t bit = uint32_t{1} << b;
    const uint32_t above = b == 31 ? 0 : ~((bit << 1) - 1);
    const uint32_t prefix = above & m;
    if ((k & bit) == 0) {
      if (greater && (m & bit)) out.push_back(masked_piece(word, prefix | bit, (k & prefix) | bit));
      continue;
    }
    if (!greater) out.push_back(masked_piece(word, prefix | (m & bit), k & prefix));
    // k has this bit and x cannot (outside m): x < k is decided here.
    if (!(m & bit)) return;
  }
}

}  // namespace

std::vector<std::vector<ArgCondition>> word_test(const Word& word, Test test, uint32_t datum, bool truth) {
  std::vector<std::vector<ArgCondition>> out;
  const uint8_t i = word.arg;
  const uint32_t m = word.mask;
  if (m != kFull) {
    const bool never = (datum & ~m) != 0;  // x == datum cannot hold
    const bool eq_wanted = test == Test::kEq || test == Test::kMaskedEq ? truth : test == Test::kGt ? !truth : truth;
    if (eq_wanted && !never) out.push_back(masked_piece(word, m, datum));
    if (test == Test::kEq || test == Test::kMaskedEq) {
      if (!truth) {
        if (never) out.emplace_back();
        else differing_bits(i, m, datum, word.high, out);
      }
      return out;
    }
    masked_order(word, datum, truth, out);
    return out;
  }
  if (word.high) return high_word_test(i, test, datum, truth);
  constexpr ArgWidth w = ArgWidth::k32;
  switch (test) {
    case Test::kEq:
    case Test::kMaskedEq: out.push_back({{i, truth ? CmpOp::kEq : CmpOp::kNe, datum, 0, w}}); break;
    case Test::kGt: out.push_back({{i, truth ? CmpOp::kGt : CmpOp::kLe, datum, 0, w}}); break;
    case Test::kGe: out.push_back({{i, truth ? CmpOp::kGe : CmpOp::kLt, datum, 0, w}}); break;
  }
  return out;
}

std::optional<size_t> Executable::run(const std::array<uint64_t, 6>& args) const {
  Word a{};
  size_t id = head;
  // Every jump goes forward (gen_bpf writes no loops): at most one visit per
  // block; the bound only guards against a malformed layout.
  for (size_t visits = 0; visits <= steps.size(); ++visits) {
    const Step& b = steps[id];
    if (b.reload) a = *b.reload;
    if (b.load) a = Word{b.word.arg, b.word.high, kFull};
    if (b.and_mask) a.mask &= b.word.mask;
    const uint64_t arg = a.arg < args.size() ? args[a.arg] : 0;
    const uint32_t x = static_cast<uint32_t>(a.high ? arg >> 32 : arg) & a.mask;
    const bool truth = b.test == Test::kGt ? x > b.datum : b.test == Test::kGe ? x >= b.datum : x == b.datum;
    const size_t k = truth ? 1 : 0;
    if (b.kind[k] == Step::kAction) return b.target[k];
    if (b.kind[k] == Step::kDefault) return std::nullopt;
    id = b.target[k];
  }
  return std::nullopt;
}

std::optional<Executable> emitted_executable(const std::vector<Node>& nodes, int first, size_t& steps) {
  if (first < 0) return std::nullopt;
  Writer writer(nodes, 0, steps);
  Executable out = writer.layout(first);
  if (writer.failed()) return std::nullopt;
  return out;
}

std::optional<std::vector<Program>> emitted_programs(std::span<const TreeInFilter> trees, std::span<const size_t> layout,
                                                     size_t max_paths, size_t& steps) {
  static const std::vector<Node> kNone;
  Writer writer(trees.empty() ? kNone : *trees.front().nodes, max_paths, steps);
  std::vector<Program> out = writer.run_filter(trees, layout);
  if (writer.failed()) return std::nullopt;
  return out;
}

std::optional<Program> emitted_program(const std::vector<Node>& nodes, int first, size_t max_paths, size_t& steps) {
  if (first < 0) return Program{};
  Writer writer(nodes, max_paths, steps);
  Program out = writer.run(first);
  if (writer.failed()) return std::nullopt;
  return out;
}

}  // namespace sysfence::profile::codegen
