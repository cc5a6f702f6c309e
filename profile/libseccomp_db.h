// libseccomp's rule database for one syscall, internal to profile/: the
// tree's nodes and the operations db.c performs on them when a rule is added
// (insertion in level order, pruning, the EEXIST refusal), in
// libseccomp_db.cc; the chains a rule becomes and the walk of the program
// gen_bpf writes for the tree are in libseccomp_tree.cc (the public entry,
// libseccomp_tree.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "policy/policy.h"
#include "profile/libseccomp_codegen.h"
#include "profile/libseccomp_tree.h"

namespace sysfence::profile::libseccomp_db {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;

using codegen::Test;

struct Node {
  uint8_t arg = 0;
  bool high = false;  // the argument's high word (64-bit ABIs)
  Test test = Test::kEq;
  CmpOp op_orig = CmpOp::kEq;  // the rule's operator: orders the level
  uint32_t mask = 0;
  uint32_t datum = 0;
  uint64_t datum_full = 0;  // the rule's whole operand
  int nxt_t = -1, nxt_f = -1, lvl_prv = -1, lvl_nxt = -1;
  bool act_t_flg = false, act_f_flg = false;
  uint32_t act_t = 0, act_f = 0;  // encoded actions
  size_t src_t = 0, src_f = 0;    // the rule whose action each branch gives
  int refcnt = 0;
};

// Iteration state of pruning (db.c's db_iter_state flags).
constexpr unsigned kMatch = 0x1, kMatchOnce = 0x2, kXFinished = 0x10, kNFinished = 0x20, kXPrefix = 0x100,
                   kNPrefix = 0x200;
constexpr unsigned kMatchSet = kMatch | kMatchOnce;
constexpr unsigned kRedundant = kMatch | kXFinished | kNPrefix;

struct IterState {
  unsigned flags = 0;
  uint32_t action = 0;
};

// A path of libseccomp's program for `rules` as a policy rule: the rule
// whose action it gives, with the path's word tests (less those its exact
// words decide) for conditions.
policy::Rule path_rule(const std::vector<policy::Rule>& rules, const codegen::Path& p);

class Tree {
 public:
  Tree(const std::vector<policy::Rule>& rules, bool wide, size_t max_steps)
      : rules_(rules), wide_(wide), max_steps_(max_steps) {
    nodes_.reserve(rules.size() * 18 + 1);
  }

  // Adds rule `i` as db_rule_add does; false: refused (culprit() is the earlier rule).
  bool add_rule(size_t i);
  size_t culprit() const { return culprit_; }
  // The nodes of the syscall's tree, each once: what db.c counts in its
  // entry (node_cnt), whose priority in gen_bpf's order of syscalls is
  // 0xffff minus this (libseccomp 2.5.4's export_pfc agrees where pruning,
  // merging and shared chains change the tree).
  int64_t node_count();
  // The budget of steps ran out: the tree is abandoned half-way (every
  // operation returns at its next step) and nothing read from it counts.
  bool exhausted() const { return exhausted_; }
  // The accepting paths of libseccomp's program; false when they exceed the
  // bounds. `stale`: some comparison sees another word than its node's.
  bool paths(std::vector<policy::Rule>& out, bool& stale);
  // The same program, to run on single inputs; false when it exceeds the
  // bounds (`unconditional` set instead where one unconditional rule answers
  // alone, neither where nothing but the default does).
  bool executable(std::optional<codegen::Executable>& out, std::optional<size_t>& unconditional);
  // The tree as gen_bpf reads it, for a filter of several syscalls' trees:
  // its nodes and its top level's first node (-1: no argument tests, as
  // for an unconditional rule). False when the budget ran out.
  bool for_filter(std::vector<codegen::Node>& nodes, int& first);

 private:
  Node& n(int i) { return nodes_[static_cast<size_t>(i)]; }
  // The tree's nodes as gen_bpf reads them.
  std::vector<codegen::Node> codegen_nodes();
  // One unit of work; false once the budget is spent. A flag rather than an
  // exception: the first exception a process throws maps the unwinder and the
  // C++ runtime's unwind tables (~150-300 KiB of resident pages).
  bool step() {
    if (++steps_ > max_steps_) exhausted_ = true;
    return !exhausted_;
  }
  int get(int i) {
    if (i >= 0) ++n(i).refcnt;
    return i;
  }
  bool leaf(int i) { return n(i).nxt_t < 0 && n(i).nxt_f < 0; }
  bool zombie(int i) { return leaf(i) && !n(i).act_t_flg && !n(i).act_f_flg; }
  int first_of_level(int i) {
    while (n(i).lvl_prv >= 0) {
      if (!step()) return i;
      i = n(i).lvl_prv;
    }
    return i;
  }
  static unsigned arg_priority(const Node& a) { return (a.arg << 1U) + (a.high ? 1U : 0U); }
  static unsigned op_priority(CmpOp op);
  bool chain_eq(int a, int b) {
    const Node& x = n(a);
    const Node& y = n(b);
    return arg_priority(x) == arg_priority(y) && x.test == y.test && x.datum == y.datum && x.mask == y.mask;
  }
  bool chain_lt(int a, int b);

  unsigned put(int& node);
  unsigned tree_put(int& tree);
  unsigned level_clean(int node);
  unsigned tree_remove(int& tree, int node);
  bool act_check(int tree, uint32_t action);  // false: another action below (EEXIST)
  unsigned prune(int& existing, int fresh, IterState& state);
  bool tree_add(int& existing, int fresh);

  struct Chain {
    int chains = -1;
    std::array<int, 4> prev{-1, -1, -1, -1};
    bool tf = false;
  };
  int new_node() {
    nodes_.emplace_back();
    return static_cast<int>(nodes_.size() - 1);
  }
  void link(Chain& c, int node);
  void gen_64(Chain& c, const ArgCondition& a);
  void gen_32(Chain& c, const ArgCondition& a);
  Chain gen(size_t i);

  const std::vector<policy::Rule>& rules_;
  bool wide_;
  std::vector<Node> nodes_;
  size_t max_steps_;
  size_t steps_ = 0;
  bool exhausted_ = false;
  size_t culprit_ = 0;
  // The syscall's entry: its tree, or its unconditional action.
  bool has_entry_ = false;
  int root_ = -1;
  uint32_t action_ = 0;
  size_t action_src_ = 0;
};

}  // namespace sysfence::profile::libseccomp_db
