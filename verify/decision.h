// A decision diagram over seccomp_data words: each inner node tests one
// WordAtom on one word, each leaf is an action. It is the constraint
// language of the checker made into a program, so a specification (a
// profile's Policy, built by verify/policy_dag.h) and a BPF program can
// be walked together. Nodes are shared (a DAG), built bottom-up, so the
// diagram is acyclic by construction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "verify/procedure.h"

namespace sysfence::verify {

// Labels a diagram's builder writes only when someone reads them: a
// profile's diagram has a leaf per rule, and its labels are read only for
// the few leaves a difference names.
class LeafLabels {
 public:
  virtual ~LeafLabels() = default;
  virtual std::string label(uint32_t tag) const = 0;
};

class DecisionDag : public Procedure {
 public:
  // A node or a leaf (leaves have kLeafBit set).
  using Ref = uint32_t;
  static constexpr Ref kLeafBit = 0x80000000U;

  // A leaf deciding `action`; `label` says where the decision comes from
  // ("rule at profile.json:12 (entry 3)", "default action").
  Ref leaf(Action action, std::string label);
  // A leaf whose label is labels->label(tag), written when read.
  Ref leaf(Action action, uint32_t tag);
  void set_labels(std::shared_ptr<const LeafLabels> labels) { labels_ = std::move(labels); }
  // if (atom holds on word) goto if_true else goto if_false.
  Ref test(unsigned word, WordAtom atom, Ref if_true, Ref if_false);
  void set_root(Ref root) { root_ = root; }
  // Room for this many nodes and leaves (a builder that can count them).
  void reserve(size_t nodes, size_t leaves) {
    nodes_.reserve(nodes);
    leaves_.reserve(leaves);
  }
  Ref root() const { return root_; }

  size_t node_count() const { return nodes_.size(); }
  std::string label(uint32_t leaf_index) const;

  Walk walk(PathState& state, const LeafFn& on_leaf) const override;
  Action run(const SeccompWords& input) const override;
  // The leaf `run` reaches (its index, as Outcome::where reports it).
  uint32_t run_leaf(const SeccompWords& input) const;
  std::string describe(const Outcome& leaf) const override;
  void collect_constants(WordConstants& out) const override;
  std::optional<uint32_t> to_diagram(DagPool& pool) const override;

 private:
  struct Node {
    uint8_t word;
    WordAtom atom;
    Ref if_true;
    Ref if_false;
  };
  static constexpr uint32_t kNoTag = 0xffffffffU;
  struct Leaf {
    Action action;
    std::string label;
    uint32_t tag = kNoTag;  // else the label is labels_->label(tag)
  };
  std::vector<Node> nodes_;
  std::vector<Leaf> leaves_;
  std::shared_ptr<const LeafLabels> labels_;
  Ref root_ = 0;
};

}  // namespace sysfence::verify
