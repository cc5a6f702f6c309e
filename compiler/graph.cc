#include "compiler/graph.h"

#include <algorithm>
#include <cassert>

namespace sysfence::compiler {

size_t Graph::hash(const Node& n) {
  // The fields packed into four words, each multiplied by its own odd
  // constant (independent products, no chain), the high half folded into
  // the low one that the index masks.
  const uint64_t a = (uint64_t{n.ret} << 32 | n.word) * 0x9e3779b97f4a7c15ULL;
  const uint64_t b = (uint64_t{n.mask} << 32 | n.k) * 0xc2b2ae3d27d4eb4fULL;
  const uint64_t c =
      (uint64_t{n.op} << 16 | uint64_t{n.has_mask} << 8 | static_cast<uint64_t>(n.kind)) * 0x165667b19e3779f9ULL;
  const uint64_t d = (uint64_t{n.on_true.node * 2 + n.on_true.load} << 32 | (n.on_false.node * 2 + n.on_false.load)) *
                     0x27d4eb2f165667c5ULL;
  const uint64_t h = a ^ b ^ c ^ d;
  return static_cast<size_t>(h ^ (h >> 32));
}

void Graph::grow_index() {
  // Room for the few hundred nodes of a typical profile before the first
  // doubling.
  constexpr size_t kFirstSize = 1024;
  // The nodes get as much room at once (the index is at most half full),
  // instead of a doubling from one node up.
  if (index_.empty()) nodes_.reserve(kFirstSize / 2);
  index_.assign(index_.empty() ? kFirstSize : 2 * index_.size(), kNoSlot);
  const size_t mask = index_.size() - 1;
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    size_t slot = hash(nodes_[id]) & mask;
    while (index_[slot] != kNoSlot) slot = (slot + 1) & mask;
    index_[slot] = id;
  }
}

NodeId Graph::intern(const Node& n) {
  if (2 * (nodes_.size() + 1) > index_.size()) grow_index();
  const size_t mask = index_.size() - 1;
  size_t slot = hash(n) & mask;
  for (; index_[slot] != kNoSlot; slot = (slot + 1) & mask) {
    if (nodes_[index_[slot]] == n) return index_[slot];
  }
  const auto id = static_cast<NodeId>(nodes_.size());
  index_[slot] = id;
  nodes_.push_back(n);
  return id;
}

Edge Graph::ret(uint32_t value) {
  Node n;
  n.kind = Node::Kind::kReturn;
  n.ret = value;
  return Edge{intern(n), false};
}

Edge Graph::enter(NodeId id, std::optional<uint32_t> a_holds) const {
  const Node& n = nodes_[id];
  if (n.kind == Node::Kind::kReturn) return Edge{id, false};
  return Edge{id, !(a_holds && *a_holds == n.word)};
}

Edge Graph::test(uint32_t word, uint16_t op, uint32_t k, Edge on_true, Edge on_false, std::optional<uint32_t> a_holds) {
  // A test whose branches agree decides nothing.
  if (on_true == on_false) return on_true;
  Node n;
  n.kind = Node::Kind::kTest;
  n.word = word;
  n.op = op;
  n.k = k;
  n.on_true = on_true;
  n.on_false = on_false;
  // enter() for a test node, without reading it back.
  return Edge{intern(n), !(a_holds && *a_holds == word)};
}

Edge Graph::masked_test(uint32_t word, uint32_t mask, uint16_t op, uint32_t k, Edge on_true, Edge on_false,
                        std::optional<uint32_t> a_holds) {
  if (on_true == on_false) return on_true;
  Node n;
  n.kind = Node::Kind::kTest;
  n.word = word;
  n.has_mask = true;
  n.mask = mask;
  n.op = op;
  n.k = k;
  n.on_true = on_true;
  n.on_false = on_false;
  // enter() for a test node, without reading it back.
  return Edge{intern(n), !(a_holds && *a_holds == word)};
}

namespace {

// lower_tree for any tree: an iterative post-order (trees can be deep:
// linear chains).
Edge lower_tree_in_post_order(Graph& g, const DecisionTree& tree, uint32_t word, std::span<const Edge> leaf_edges) {
  // Not lowered yet: no edge enters a node's test from below (nodes only
  // point to nodes made before them), so this marks none.
  constexpr Edge kTodo{~NodeId{0}, true};
  std::vector<Edge> edge(tree.nodes.size(), kTodo);
  auto done = [&](int32_t id) { return !(edge[id] == kTodo); };
  std::vector<int32_t> stack{tree.root};
  while (!stack.empty()) {
    const int32_t id = stack.back();
    if (done(id)) {
      stack.pop_back();
      continue;
    }
    const TreeNode& n = tree.nodes[id];
    if (n.kind == TreeNode::Kind::kLeaf) {
      edge[id] = leaf_edges[n.leaf];
      stack.pop_back();
      continue;
    }
    if (!done(n.above) || !done(n.below)) {
      if (!done(n.above)) stack.push_back(n.above);
      if (!done(n.below)) stack.push_back(n.below);
      continue;
    }
    const uint16_t op = n.kind == TreeNode::Kind::kSplit ? bpf::kJge : bpf::kJeq;
    edge[id] = g.test(word, op, n.k, edge[n.above], edge[n.below], word);
    stack.pop_back();
  }
  return edge[tree.root];
}

}  // namespace

Edge lower_tree(Graph& g, const DecisionTree& tree, uint32_t word, std::span<const Edge> leaf_edges) {
  // The trees of tree.h put every node after its children (TreeMaker adds a
  // node once they exist) and hold no node their root does not reach: they
  // are lowered in index order, children first, in one pass up to the root
  // (a post-order walk over a stack took twice the instructions per node).
  // A tree made otherwise takes the walk; a node its root did not reach
  // would only add a graph node nothing enters. Which order the tests are
  // interned in changes their node ids only, never the graph.
  // Scratch kept between calls: the argument compiler lowers a small tree
  // for every interval split, and the allocations cost more than the work.
  thread_local std::vector<Edge> edge;
  const auto root = static_cast<size_t>(tree.root);
  edge.resize(root + 1);
  for (size_t i = 0; i <= root; ++i) {
    const TreeNode& n = tree.nodes[i];
    if (n.kind == TreeNode::Kind::kLeaf) {
      if (n.leaf >= leaf_edges.size()) return lower_tree_in_post_order(g, tree, word, leaf_edges);
      edge[i] = leaf_edges[n.leaf];
      continue;
    }
    const auto above = static_cast<size_t>(n.above);
    const auto below = static_cast<size_t>(n.below);
    if (above >= i || below >= i) return lower_tree_in_post_order(g, tree, word, leaf_edges);
    const uint16_t op = n.kind == TreeNode::Kind::kSplit ? bpf::kJge : bpf::kJeq;
    edge[i] = g.test(word, op, n.k, edge[above], edge[below], word);
  }
  return edge[root];
}

unsigned path_length(const Graph& g, Edge e, const SeccompWords& words) {
  unsigned n = 0;
  while (true) {
    const Node& nd = g.node(e.node);
    if (nd.kind == Node::Kind::kReturn) return n + 1;
    n += e.load ? 2 : 1;
    uint32_t a = words[nd.word / 4];
    if (nd.has_mask) {
      a &= nd.mask;
      ++n;
    }
    bool taken = false;
    switch (nd.op) {
      case bpf::kJeq: taken = a == nd.k; break;
      case bpf::kJgt: taken = a > nd.k; break;
      case bpf::kJge: taken = a >= nd.k; break;
      case bpf::kJset: taken = (a & nd.k) != 0; break;
    }
    e = taken ? nd.on_true : nd.on_false;
  }
}

void InsnCounter::add(Edge e) {
  // The graph grows between calls (more subtrees are added to it): the
  // marks grow ahead of it, as the stack does from its first call, so that
  // a compile's many small additions do not reallocate them each time.
  if (seen_.size() < g_.size()) {
    if (seen_.capacity() < g_.size()) seen_.reserve(std::max<size_t>(2 * g_.size(), 1024));
    seen_.resize(g_.size(), kUnseen);
  }
  if (stack_.capacity() == 0) stack_.reserve(256);
  std::vector<Edge>& stack = stack_;
  stack.assign(1, e);
  while (!stack.empty()) {
    const Edge x = stack.back();
    stack.pop_back();
    uint8_t& seen = seen_[x.node];
    if (seen != kUnseen) {
      if (x.load && seen == kPastLoad) {
        seen = kAtLoad;
        ++insns_;
      }
      continue;
    }
    seen = x.load ? kAtLoad : kPastLoad;
    const Node& nd = g_.node(x.node);
    if (nd.kind == Node::Kind::kReturn) {
      ++insns_;
      continue;
    }
    insns_ += 1 + (x.load ? 1 : 0) + (nd.has_mask ? 1 : 0);
    stack.push_back(nd.on_true);
    stack.push_back(nd.on_false);
  }
}

size_t subgraph_insns(const Graph& g, Edge e) {
  InsnCounter c(g);
  c.add(e);
  return c.insns();
}

namespace {

constexpr size_t kSizeCap = 1 << 20;

// Subtree sizes (shared nodes counted once per parent, capped): only used
// to put the smaller child right after its parent, which keeps the other
// jump short. A node only points to nodes interned before it, so one pass
// in id order sees every child before its parents (nodes `entry` does not
// reach get a size too, never read).
std::vector<size_t> subtree_sizes(const Graph& g, Edge entry) {
  const size_t n = std::min<size_t>(g.size(), size_t{entry.node} + 1);
  std::vector<size_t> size(n, 0);
  for (NodeId id = 0; id < n; ++id) {
    const Node& nd = g.node(id);
    if (nd.kind == Node::Kind::kReturn) continue;
    assert(nd.on_true.node < id && nd.on_false.node < id);
    size[id] = std::min(kSizeCap, std::min(kSizeCap, 1 + size[nd.on_true.node]) + size[nd.on_false.node]);
  }
  return size;
}

// The layout: a DFS that visits the larger child first (on_true on a tie),
// so that in the reverse post-order the smaller ends up right after the
// parent. A frame holds its children in visiting order, found once.
std::vector<NodeId> layout_order(const Graph& g, Edge entry, const std::vector<size_t>& size) {
  struct Visit {
    NodeId id;
    NodeId child[2];
    uint8_t count;  // children: 0 for a return
    uint8_t next;   // the next child to visit
  };
  auto visit = [&](NodeId id) {
    const Node& nd = g.node(id);
    if (nd.kind == Node::Kind::kReturn) return Visit{id, {0, 0}, 0, 0};
    const NodeId t = nd.on_true.node;
    const NodeId f = nd.on_false.node;
    return size[f] > size[t] ? Visit{id, {f, t}, 2, 0} : Visit{id, {t, f}, 2, 0};
  };
  std::vector<uint8_t> seen(g.size(), 0);
  std::vector<NodeId> order;  // post-order
  order.reserve(g.size());
  std::vector<Visit> stack;
  stack.reserve(64);  // the graph's depth: a few dozen for a profile's program
  stack.push_back(visit(entry.node));
  seen[entry.node] = 1;
  while (!stack.empty()) {
    Visit& v = stack.back();
    if (v.next < v.count) {
      const NodeId c = v.child[v.next++];
      if (seen[c] == 0) {
        seen[c] = 1;
        // A return has no children: done as soon as it is reached, with no
        // frame of its own.
        if (g.node(c).kind == Node::Kind::kReturn) {
          order.push_back(c);
        } else {
          stack.push_back(visit(c));
        }
      }
      continue;
    }
    order.push_back(v.id);
    stack.pop_back();
  }
  std::reverse(order.begin(), order.end());
  return order;
}

// How the edges into each node enter it: at its load, past it, or both
// (bits of kEnteredAtLoad and kEnteredPastLoad).
constexpr uint8_t kEnteredAtLoad = 1;
constexpr uint8_t kEnteredPastLoad = 2;
std::vector<uint8_t> entries(const Graph& g, Edge entry, const std::vector<NodeId>& order) {
  std::vector<uint8_t> entered(g.size(), 0);
  entered[entry.node] = entry.load ? kEnteredAtLoad : kEnteredPastLoad;
  for (NodeId id : order) {
    const Node& nd = g.node(id);
    if (nd.kind != Node::Kind::kTest) continue;
    entered[nd.on_true.node] |= nd.on_true.load ? kEnteredAtLoad : kEnteredPastLoad;
    entered[nd.on_false.node] |= nd.on_false.load ? kEnteredAtLoad : kEnteredPastLoad;
  }
  return entered;
}

}  // namespace

Expected<EmitResult> emit(const Graph& g, Edge entry) {
  const std::vector<NodeId> order = layout_order(g, entry, subtree_sizes(g, entry));
  const std::vector<uint8_t> entered = entries(g, entry, order);

  bpf::Builder b;
  // A test node's labels, the first of them here: its load's where some
  // edge enters at the load, then its test's where some edge enters past
  // it. Only those: a label bound for nothing costs the layout an item.
  std::vector<bpf::Label> first_label(g.size());
  size_t items = 1;
  for (NodeId id : order) {
    const Node& nd = g.node(id);
    if (nd.kind != Node::Kind::kTest) continue;
    const uint8_t how = entered[id];
    first_label[id] = b.new_label();
    if (how == (kEnteredAtLoad | kEnteredPastLoad)) b.new_label();
    // Bound test and branch; bound load and load; mask.
    items += ((how & kEnteredPastLoad) != 0 ? 2 : 1) + ((how & kEnteredAtLoad) != 0 ? 2 : 0) + (nd.has_mask ? 1 : 0);
  }
  b.reserve(items);
  auto test_label = [&](NodeId id) {
    return bpf::Label{first_label[id].id + ((entered[id] & kEnteredAtLoad) != 0 ? 1 : 0)};
  };
  auto target = [&](Edge e) {
    const Node& nd = g.node(e.node);
    if (nd.kind == Node::Kind::kReturn) return bpf::Target::Return(nd.ret);
    return bpf::Target::To(e.load ? first_label[e.node] : test_label(e.node));
  };
  if (g.node(entry.node).kind == Node::Kind::kReturn) {
    b.ret(g.node(entry.node).ret);
  }
  for (NodeId id : order) {
    const Node& nd = g.node(id);
    if (nd.kind != Node::Kind::kTest) continue;
    if ((entered[id] & kEnteredAtLoad) != 0) {
      b.bind(first_label[id]);
      b.load_word(nd.word);
    }
    if ((entered[id] & kEnteredPastLoad) != 0) b.bind(test_label(id));
    if (nd.has_mask) b.emit(bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, nd.mask));
    b.branch(nd.op, nd.k, target(nd.on_true), target(nd.on_false));
  }
  auto prog = b.finish();
  if (!prog) return fail(prog.error().message);
  return EmitResult{std::move(*prog), b.layout_stats()};
}

}  // namespace sysfence::compiler
