#include "compiler/prune.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "bpf/insn.h"

namespace sysfence::compiler {

namespace {

constexpr uint32_t kMax32 = 0xffffffffU;
constexpr size_t kWords = sizeof(SeccompWords) / sizeof(uint32_t);

enum class Outcome : uint8_t { kUnknown, kTrue, kFalse };

// What the tests on a path establish about one word: lo <= word <= hi, the
// bits of `ones` set and those of `zeros` clear, and (when not 0) some bit
// of `some` set: a flag test `A & m` on several bits that held; and (when
// `not_mask` is not 0) word & not_mask != not_value: the last equality, of
// the word or of its masked bits, that failed.
// Trivial, so that the rows of a graph's facts are allocated without being
// written (kUnknownWord is what nothing established gives).
struct WordFacts {
  uint32_t lo;
  uint32_t hi;
  uint32_t ones;
  uint32_t zeros;
  uint32_t some;
  uint32_t not_mask;
  uint32_t not_value;
  friend bool operator==(const WordFacts&, const WordFacts&) = default;
};
constexpr WordFacts kUnknownWord{0, kMax32, 0, 0, 0, 0, 0};

// The bits a masked test compares: the word's known bits under the mask.
Outcome decide_masked_eq(const WordFacts& f, uint32_t mask, uint32_t k) {
  if ((k & ~mask) != 0) return Outcome::kFalse;  // (w & m) never has bits outside m
  const uint32_t differ = (f.ones & mask & ~k) | (f.zeros & mask & k);
  if (differ != 0) return Outcome::kFalse;
  if (f.not_mask == mask && f.not_value == k) return Outcome::kFalse;
  // A set bit of `some` under the mask that k does not have.
  if (f.some != 0 && (f.some & ~mask) == 0 && (f.some & k) == 0) return Outcome::kFalse;
  return ((f.ones | f.zeros) & mask) == mask ? Outcome::kTrue : Outcome::kUnknown;
}

Outcome decide_jset(const WordFacts& f, uint32_t k) {
  if ((k & f.ones) != 0) return Outcome::kTrue;
  // Some bit of `some` is set, and not a clear one: one of k's.
  if (f.some != 0 && (f.some & ~f.zeros & ~k) == 0) return Outcome::kTrue;
  if ((k & ~f.zeros) == 0) return Outcome::kFalse;
  return Outcome::kUnknown;
}

// The test's outcome on every word `f` allows, where that is one outcome.
Outcome decide(const WordFacts& f, const Node& n) {
  if (n.has_mask) {
    if (n.op == bpf::kJeq) return decide_masked_eq(f, n.mask, n.k);
    if (n.op == bpf::kJset) return decide_jset(f, n.k & n.mask);
    return Outcome::kUnknown;  // an ordered comparison of a masked word
  }
  switch (n.op) {
    case bpf::kJeq:
      if (n.k < f.lo || n.k > f.hi || (n.k & f.zeros) != 0 || (~n.k & f.ones) != 0) return Outcome::kFalse;
      if (f.some != 0 && (f.some & n.k) == 0) return Outcome::kFalse;
      if (f.not_mask != 0 && (n.k & f.not_mask) == f.not_value) return Outcome::kFalse;
      if (f.lo == f.hi || (f.ones | f.zeros) == kMax32) return Outcome::kTrue;
      return Outcome::kUnknown;
    case bpf::kJgt:
      if (f.lo > n.k) return Outcome::kTrue;
      if (f.hi <= n.k) return Outcome::kFalse;
      return Outcome::kUnknown;
    case bpf::kJge:
      if (f.lo >= n.k) return Outcome::kTrue;
      if (f.hi < n.k) return Outcome::kFalse;
      return Outcome::kUnknown;
    case bpf::kJset:
      return decide_jset(f, n.k);
    default:
      return Outcome::kUnknown;
  }
}

// Bounds from the known bits: the word has at least its set bits and at
// most everything but its clear ones.
void tighten(WordFacts& f) {
  f.lo = std::max(f.lo, f.ones);
  f.hi = std::min(f.hi, ~f.zeros);
}

// A multi-bit flag test held: some bit of `m` is set (the fewer bits the
// more it says; a known set bit says it all).
void some_of(WordFacts& f, uint32_t m) {
  if (std::popcount(m) == 1) {
    f.ones |= m;
  } else if (f.some == 0 || std::popcount(m) < std::popcount(f.some)) {
    f.some = m;
  }
}

// `f` once the (undecided) test `n` went the way `taken` says.
WordFacts after(WordFacts f, const Node& n, bool taken) {
  if (n.has_mask) {
    const uint32_t m = n.mask;
    if (n.op == bpf::kJeq) {
      if (taken) {
        f.ones |= n.k & m;
        f.zeros |= m & ~n.k;
      } else if (n.k == 0) {
        some_of(f, m);  // (w & m) != 0
      } else if (std::popcount(m) == 1 && n.k == m) {
        f.zeros |= m;  // one bit, not set
      } else {
        f.not_mask = m;
        f.not_value = n.k;
      }
    } else if (n.op == bpf::kJset) {
      const uint32_t k = n.k & m;
      if (!taken) f.zeros |= k;
      else some_of(f, k);
    }
    tighten(f);
    return f;
  }
  switch (n.op) {
    case bpf::kJeq:
      if (taken) {
        f = WordFacts{n.k, n.k, n.k, ~n.k, 0, 0, 0};
      } else {
        // Undecided: the word may be k or something else, so lo < hi.
        if (n.k == f.lo) ++f.lo;
        else if (n.k == f.hi) --f.hi;
        f.not_mask = kMax32;
        f.not_value = n.k;
      }
      break;
    case bpf::kJgt:  // undecided: lo <= k < hi
      if (taken) f.lo = n.k + 1;
      else f.hi = n.k;
      break;
    case bpf::kJge:  // undecided: lo < k <= hi
      if (taken) f.lo = n.k;
      else f.hi = n.k - 1;
      break;
    case bpf::kJset:
      if (!taken) f.zeros |= n.k;
      else some_of(f, n.k);
      break;
    default:
      break;
  }
  tighten(f);
  return f;
}

// What holds on both of two sets of paths: the wider bounds, the bits known
// alike.
void meet(WordFacts& into, const WordFacts& other) {
  // Some bit of m set: a known set bit in it, or `some` within it (a path
  // with the word known has no `some` of its own).
  auto has_some = [](const WordFacts& f, uint32_t m) {
    return (f.ones & m) != 0 || (f.some != 0 && (f.some & ~m) == 0);
  };
  uint32_t some = 0;
  for (const uint32_t m : {into.some, other.some, into.some | other.some}) {
    if (m != 0 && has_some(into, m) && has_some(other, m) && (some == 0 || std::popcount(m) < std::popcount(some)))
      some = m;
  }
  into.some = some;
  if (into.not_mask != other.not_mask || into.not_value != other.not_value) into.not_mask = into.not_value = 0;
  into.lo = std::min(into.lo, other.lo);
  into.hi = std::max(into.hi, other.hi);
  into.ones &= other.ones;
  into.zeros &= other.zeros;
}

// The nodes reachable from `root`, every node after all of its parents
// (reverse post-order over an explicit stack: graphs may be deep).
std::vector<NodeId> topological(const Graph& g, NodeId root) {
  // Room for every node up front (each test pushes its two children once):
  // grown by doubling, the two vectors took 16 allocations for Docker's
  // default.
  std::vector<NodeId> post;
  post.reserve(g.size());
  std::vector<uint8_t> state(g.size(), 0);  // 0 new, 1 children pushed, 2 done
  std::vector<NodeId> stack;
  stack.reserve(2 * g.size() + 1);
  stack.push_back(root);
  while (!stack.empty()) {
    const NodeId id = stack.back();
    if (state[id] == 2) {
      stack.pop_back();
      continue;
    }
    const Node& n = g.node(id);
    if (state[id] == 0 && n.kind == Node::Kind::kTest) {
      state[id] = 1;
      stack.push_back(n.on_false.node);
      stack.push_back(n.on_true.node);
      continue;
    }
    state[id] = 2;
    post.push_back(id);
    stack.pop_back();
  }
  std::reverse(post.begin(), post.end());
  return post;
}

// Where each reached node's branches go once the tests they decide are
// bypassed, found parents first with what holds on every path into each test
// (a row of facts per word column).
class Bypass {
 public:
  Bypass(const Graph& g, const std::vector<NodeId>& order, const std::vector<uint32_t>& position,
         const std::array<uint8_t, kWords>& column, size_t columns)
      : g_(g),
        order_(order),
        position_(position),
        column_(column),
        columns_(columns),
        reached_(order.size(), 0),
        target_(order.size()),
        row_of_(order.size()),
        // A row per test at most, none written before its first copy.
        facts_(std::make_unique_for_overwrite<WordFacts[]>(order.size() * columns)) {}

  // False when no test was decided.
  bool run() {
    reached_[0] = 1;  // the entry; A holds nothing and no word is known
    row_of_[0] = 0;
    std::fill_n(facts_.get(), columns_, kUnknownWord);
    rows_ = 1;
    // Parents first: a node's facts are complete once every node before it
    // is done, as a bypassing edge only goes further down, past the node it
    // bypasses.
    for (uint32_t i = 0; i < order_.size(); ++i) {
      const Node& n = g_.node(order_[i]);
      if (reached_[i] == 0 || n.kind == Node::Kind::kReturn) continue;
      branch(i, n, false);
      branch(i, n, true);
    }
    return bypassed_;
  }

  bool reached(uint32_t i) const { return reached_[i] != 0; }
  // The node branch `taken` of the i-th node in order goes to.
  NodeId target(uint32_t i, bool taken) const { return target_[i][taken ? 1 : 0]; }

 private:
  WordFacts* row(uint32_t i) const { return facts_.get() + size_t{row_of_[i]} * columns_; }

  // Follows branch `taken` of node `n` (the i-th in order) past the tests
  // it decides, and passes what holds along it to the node it reaches. The
  // facts along it are the node's own but in its word's column: no copy of
  // the row until a test is reached, and nothing for a return (whose facts
  // nothing reads), which about half of the branches go straight to.
  void branch(uint32_t i, const Node& n, bool taken) {
    NodeId to = taken ? n.on_true.node : n.on_false.node;
    if (g_.node(to).kind == Node::Kind::kReturn) {
      target_[i][taken ? 1 : 0] = to;
      reached_[position_[to]] = 1;
      return;
    }
    const size_t w = column_[n.word / 4];
    const WordFacts* const from = row(i);
    const WordFacts changed = after(from[w], n, taken);
    const auto along = [&](size_t c) -> const WordFacts& { return c == w ? changed : from[c]; };
    while (g_.node(to).kind == Node::Kind::kTest) {
      const Node& next = g_.node(to);
      const Outcome o = decide(along(column_[next.word / 4]), next);
      if (o == Outcome::kUnknown) break;
      to = o == Outcome::kTrue ? next.on_true.node : next.on_false.node;
      bypassed_ = true;
    }
    target_[i][taken ? 1 : 0] = to;
    const uint32_t j = position_[to];
    const bool first = reached_[j] == 0;
    reached_[j] = 1;
    if (g_.node(to).kind == Node::Kind::kReturn) return;
    if (first) {
      row_of_[j] = rows_++;
      WordFacts* const into = row(j);
      std::copy_n(from, columns_, into);
      into[w] = changed;
      return;
    }
    WordFacts* const into = row(j);
    for (size_t c = 0; c < columns_; ++c) {
      // Most paths that join agree on most words: meet(f, f) is f.
      if (!(into[c] == along(c))) meet(into[c], along(c));
    }
  }

  const Graph& g_;
  const std::vector<NodeId>& order_;
  const std::vector<uint32_t>& position_;
  const std::array<uint8_t, kWords>& column_;
  const size_t columns_;
  std::vector<uint8_t> reached_;
  std::vector<std::array<NodeId, 2>> target_;
  std::vector<uint32_t> row_of_;  // per node in order: its row of facts_, once reached
  std::unique_ptr<WordFacts[]> facts_;
  uint32_t rows_ = 0;
  bool bypassed_ = false;
};

}  // namespace

std::optional<Edge> prune_decided_tests(Graph& g, Edge entry) {
  const std::vector<NodeId> order = topological(g, entry.node);
  constexpr uint32_t kUnreached = ~uint32_t{0};
  std::vector<uint32_t> position(g.size(), kUnreached);
  // The words the program tests, numbered densely: the facts of a node are
  // a row of them (Docker's default tests 6 of the 16).
  std::array<uint8_t, kWords> column{};
  size_t columns = 0;
  {
    std::array<bool, kWords> tested{};
    for (uint32_t i = 0; i < order.size(); ++i) {
      position[order[i]] = i;
      const Node& n = g.node(order[i]);
      if (n.kind == Node::Kind::kTest) tested[n.word / 4] = true;
    }
    for (size_t w = 0; w < kWords; ++w) {
      if (tested[w]) column[w] = static_cast<uint8_t>(columns++);
    }
  }
  if (columns == 0) return std::nullopt;  // a lone return
  Bypass bypass(g, order, position, column, columns);
  if (!bypass.run()) return std::nullopt;
  // Children first: each reached node again, with its branches' new targets.
  std::vector<NodeId> rebuilt(order.size());
  for (uint32_t i = static_cast<uint32_t>(order.size()); i-- > 0;) {
    if (!bypass.reached(i)) continue;
    const Node n = g.node(order[i]);  // a copy: interning may move the nodes
    if (n.kind == Node::Kind::kReturn) {
      rebuilt[i] = order[i];
      continue;
    }
    // The children as this node leaves A: its word, or nothing after a mask.
    const std::optional<uint32_t> a = n.has_mask ? std::nullopt : std::optional<uint32_t>(n.word);
    const Edge on_true = g.enter(rebuilt[position[bypass.target(i, true)]], a);
    const Edge on_false = g.enter(rebuilt[position[bypass.target(i, false)]], a);
    // The same branches: the node itself (the graph holds one node per
    // content), found without interning it again.
    if (on_true == n.on_true && on_false == n.on_false) {
      rebuilt[i] = order[i];
      continue;
    }
    rebuilt[i] = (n.has_mask ? g.masked_test(n.word, n.mask, n.op, n.k, on_true, on_false, std::nullopt)
                             : g.test(n.word, n.op, n.k, on_true, on_false, std::nullopt))
                     .node;
  }
  const Edge out = g.enter(rebuilt[0], std::nullopt);
  if (subgraph_insns(g, out) > subgraph_insns(g, entry)) return std::nullopt;
  return out;
}

}  // namespace sysfence::compiler
