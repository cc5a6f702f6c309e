#include "verify/decision.h"

#include <cassert>

#include "verify/dag_pool.h"

namespace sysfence::verify {

DecisionDag::Ref DecisionDag::leaf(Action action, std::string label) {
  leaves_.push_back(Leaf{action, std::move(label), kNoTag});
  return static_cast<Ref>(leaves_.size() - 1) | kLeafBit;
}

DecisionDag::Ref DecisionDag::leaf(Action action, uint32_t tag) {
  leaves_.push_back(Leaf{action, {}, tag});
  return static_cast<Ref>(leaves_.size() - 1) | kLeafBit;
}

std::string DecisionDag::label(uint32_t leaf_index) const {
  const Leaf& l = leaves_[leaf_index];
  if (l.tag == kNoTag || labels_ == nullptr) return l.label;
  return labels_->label(l.tag);
}

DecisionDag::Ref DecisionDag::test(unsigned word, WordAtom atom, Ref if_true, Ref if_false) {
  assert(word < kWordCount);
  // Children exist before their parent: the diagram cannot have a cycle.
  assert((if_true & kLeafBit) ? (if_true & ~kLeafBit) < leaves_.size() : if_true < nodes_.size());
  assert((if_false & kLeafBit) ? (if_false & ~kLeafBit) < leaves_.size() : if_false < nodes_.size());
  if (if_true == if_false) return if_true;
  nodes_.push_back(Node{static_cast<uint8_t>(word), atom, if_true, if_false});
  return static_cast<Ref>(nodes_.size() - 1);
}

Walk DecisionDag::walk(PathState& state, const LeafFn& on_leaf) const {
  const size_t base = state.mark();
  struct Pending {
    Ref ref;
    size_t mark;
    bool constrained;
    uint8_t word;
    WordAtom atom;
  };
  std::vector<Pending> stack{{root_, base, false, 0, {}}};
  while (!stack.empty()) {
    const Pending p = stack.back();
    stack.pop_back();
    state.undo_to(p.mark);
    Outcome out;
    bool have_leaf = false;
    if (p.constrained) {
      const Sat s = state.add(p.word, p.atom);
      if (s == Sat::kUnsat) continue;
      if (s == Sat::kUnknown) {
        out.kind = Outcome::Kind::kUnsupported;
        out.reason = "the constraint solver's search budget ran out on this branch";
        have_leaf = true;
      }
    }
    Ref at = p.ref;
    while (!have_leaf) {
      if (at & kLeafBit) {
        const uint32_t i = at & ~kLeafBit;
        out.action = leaves_[i].action;
        out.ret = encode(out.action);
        out.where = i;
        have_leaf = true;
        break;
      }
      const Node& n = nodes_[at];
      // A test the path already decides has one satisfiable side.
      const Implied known = state.implies(n.word, n.atom);
      if (known != Implied::kUnknown) {
        at = known == Implied::kTrue ? n.if_true : n.if_false;
        continue;
      }
      const size_t mark = state.mark();
      stack.push_back({n.if_false, mark, true, n.word, negate(n.atom)});
      const Sat s = state.add(n.word, n.atom);
      if (s == Sat::kSat) {
        at = n.if_true;
        continue;
      }
      if (s == Sat::kUnknown) {
        out.kind = Outcome::Kind::kUnsupported;
        out.reason = "the constraint solver's search budget ran out on this branch";
        have_leaf = true;
        break;
      }
      state.undo_to(mark);
      break;
    }
    if (have_leaf && on_leaf(out) == Walk::kStop) {
      state.undo_to(base);
      return Walk::kStop;
    }
  }
  state.undo_to(base);
  return Walk::kContinue;
}

uint32_t DecisionDag::run_leaf(const SeccompWords& input) const {
  Ref at = root_;
  while (!(at & kLeafBit)) {
    const Node& n = nodes_[at];
    at = holds(n.atom, input[n.word]) ? n.if_true : n.if_false;
  }
  return at & ~kLeafBit;
}

Action DecisionDag::run(const SeccompWords& input) const { return leaves_[run_leaf(input)].action; }

std::string DecisionDag::describe(const Outcome& leaf) const {
  if (leaf.kind == Outcome::Kind::kUnsupported) return leaf.reason;
  return label(leaf.where);
}

void DecisionDag::collect_constants(WordConstants& out) const {
  for (const Node& n : nodes_) {
    out.per_word[n.word].push_back(n.atom.k);
    if (n.atom.op == WordOp::kMaskedEq || n.atom.op == WordOp::kMaskedNe) {
      // Values just inside and outside the masked pattern.
      out.per_word[n.word].push_back(n.atom.k | ~n.atom.mask);
      out.per_word[n.word].push_back(n.atom.k ^ n.atom.mask);
    }
  }
}

std::optional<uint32_t> DecisionDag::to_diagram(DagPool& pool) const {
  // Children come before their parents (test() builds bottom-up), so one
  // pass in index order copies every node after its children, at any
  // depth (a profile may repeat one conditional rule 100,000 times): the
  // proof leaves a diagram deeper than its walk takes to the
  // satisfiability search (prove_by_diagrams reports it too_deep).
  if (!(root_ & kLeafBit) && root_ >= nodes_.size()) return std::nullopt;  // an empty diagram
  std::vector<DagPool::Ref> copied(nodes_.size());
  auto ref = [&](Ref r) { return (r & kLeafBit) ? pool.leaf(leaves_[r & ~kLeafBit].action) : copied[r]; };
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    copied[i] = pool.node(n.word, n.atom, ref(n.if_true), ref(n.if_false));
  }
  return ref(root_);
}

}  // namespace sysfence::verify
