// The compiler's intermediate form: a DAG of word tests, each one classic-BPF
// conditional jump, optionally preceded by the load of the word it tests and
// an `and` with a mask. Leaves are returns. Nodes are hash-consed, so
// identical subtrees (the same tests leading to the same outcomes) exist
// once, and identical returns exist once (the builder then keeps one copy per
// 256-instruction window).
//
// A node can be entered at its load or past it: a parent that already tested
// the same word leaves it in A, so the child skips the load ("load each word
// at most once per path"). The load instruction is emitted only when some
// edge enters there.
//
// This is also pass 6, layout and emission (compile.h lists the passes):
// emit() orders the nodes topologically (every node after all of its
// parents, the smaller child right after its parent) and hands them to the
// label builder, which adds trampolines and shares returns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/builder.h"
#include "bpf/insn.h"
#include "compiler/tree.h"

namespace sysfence::compiler {

using NodeId = uint32_t;

// Where control goes: a node, entered at its load (`load`) or right after it.
struct Edge {
  NodeId node = 0;
  bool load = false;
  friend bool operator==(const Edge&, const Edge&) = default;
};

struct Node {
  enum class Kind : uint8_t { kReturn, kTest };
  Kind kind = Kind::kReturn;
  uint32_t ret = 0;  // kReturn: the filter's return value
  // kTest: [ld word]; [A &= mask]; if (A <op> k) goto on_true else on_false
  uint32_t word = 0;  // byte offset in seccomp_data
  bool has_mask = false;
  uint32_t mask = 0;
  uint16_t op = 0;  // kJeq, kJgt, kJge or kJset
  uint32_t k = 0;
  Edge on_true;
  Edge on_false;
  friend bool operator==(const Node&, const Node&) = default;
};

class Graph {
 public:
  Edge ret(uint32_t value);
  // A test node. The returned edge enters at the load when A does not hold
  // `word` (`a_holds` is what the caller's A holds, if known).
  Edge test(uint32_t word, uint16_t op, uint32_t k, Edge on_true, Edge on_false, std::optional<uint32_t> a_holds);
  Edge masked_test(uint32_t word, uint32_t mask, uint16_t op, uint32_t k, Edge on_true, Edge on_false,
                   std::optional<uint32_t> a_holds);
  // Re-targets an edge for a caller whose A holds `a_holds`.
  Edge enter(NodeId id, std::optional<uint32_t> a_holds) const;

  const Node& node(NodeId id) const { return nodes_[id]; }
  size_t size() const { return nodes_.size(); }

 private:
  NodeId intern(const Node& n);
  static size_t hash(const Node& n);
  // Doubles the index and puts every node back.
  void grow_index();
  std::vector<Node> nodes_;
  // The nodes by hash: open addressing over node ids (kNoSlot: empty), at
  // most half full. A compile interns a few thousand nodes; a node-per-entry
  // map allocated for each of them.
  static constexpr NodeId kNoSlot = ~NodeId{0};
  std::vector<NodeId> index_;
};

// The tests of a decision tree over `word` as graph nodes; leaf i of the
// tree goes to leaf_edges[i]. The returned edge assumes A already holds
// `word` (re-enter it with Graph::enter for a caller where A holds something
// else); inner nodes never reload it.
Edge lower_tree(Graph& g, const DecisionTree& tree, uint32_t word, std::span<const Edge> leaf_edges);

// Instructions executed from `e` to its return (loads, masks, jumps and the
// return) for the given seccomp_data words. Relies on the graph's invariant
// that an edge entering past a load is only taken where A holds that word.
unsigned path_length(const Graph& g, Edge e, const SeccompWords& words);

// Instructions the nodes reachable from `e` take once laid out (loads where
// some edge enters at them, masks, jumps, one per distinct return; jumps too
// long for a conditional's 8-bit offset are not counted).
size_t subgraph_insns(const Graph& g, Edge e);

// The same count over the union of the subgraphs added so far: a lower
// bound on the program that contains them all.
class InsnCounter {
 public:
  explicit InsnCounter(const Graph& g) : g_(g) {}
  void add(Edge e);
  size_t insns() const { return insns_; }
  // Back to an empty union, keeping the buffers.
  void clear() {
    seen_.assign(seen_.size(), kUnseen);
    insns_ = 0;
  }

 private:
  static constexpr uint8_t kUnseen = 0;
  static constexpr uint8_t kPastLoad = 1;  // reached, only past its load so far
  static constexpr uint8_t kAtLoad = 2;    // reached; entered at its load
  const Graph& g_;
  std::vector<uint8_t> seen_;  // per node id
  std::vector<Edge> stack_;    // add()'s, kept between calls
  size_t insns_ = 0;
};

struct EmitResult {
  bpf::Program program;
  bpf::Builder::LayoutStats layout;
};

// Lays out every node reachable from `entry` (the program starts there; A
// holds nothing yet, so `entry` normally enters at a load).
Expected<EmitResult> emit(const Graph& g, Edge entry);

}  // namespace sysfence::compiler
