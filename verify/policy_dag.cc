#include "verify/policy_dag.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <span>
#include <vector>

#include "policy/operators.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::verify {

namespace {

using Ref = DecisionDag::Ref;
using policy::ArgCondition;
using policy::CmpOp;

constexpr unsigned kNrWord = kOffsetNr / 4;
constexpr unsigned kArchWord = kOffsetArch / 4;
// Under AUDIT_ARCH_X86_64: x32 from __X32_SYSCALL_BIT up (unsigned), except
// -1, which a tracer sets to skip a call and which keeps the x86_64 rules.
constexpr uint32_t kX32First = 0x40000000U;
constexpr uint32_t kSkippedCall = 0xffffffffU;

// The rule leaves' labels ("rule for ioctl (x86_64) at default:120
// (syscalls[52])"), written only when read.
class RuleLabels : public LeafLabels {
 public:
  uint32_t add(syscalls::ArchId arch, uint32_t nr, const policy::SourceRef& s) {
    if (files_.empty() || files_.back() != s.file) files_.push_back(s.file);
    rules_.push_back({arch, nr, static_cast<uint32_t>(files_.size() - 1), s.line, s.entry});
    return static_cast<uint32_t>(rules_.size() - 1);
  }

  std::string label(uint32_t tag) const override {
    const Rule& r = rules_[tag];
    const syscalls::Arch& arch = syscalls::arch(r.arch);
    const auto name = syscalls::table(r.arch).name(r.nr);
    std::string out = name ? fmt::format("rule for {} ({}) at ", *name, arch.name)
                           : fmt::format("rule for nr {} ({}) at ", r.nr, arch.name);
    out += files_[r.file].empty() ? std::string("profile") : files_[r.file];
    if (r.line != 0) out += fmt::format(":{}", r.line);
    out += fmt::format(" (syscalls[{}])", r.entry);
    return out;
  }

 private:
  struct Rule {
    syscalls::ArchId arch;
    uint32_t nr;
    uint32_t file;  // index in files_
    uint32_t line;
    uint32_t entry;
  };
  std::vector<std::string> files_;
  std::vector<Rule> rules_;
};

class Builder {
 public:
  explicit Builder(DecisionDag& dag) : dag_(dag), labels_(std::make_shared<RuleLabels>()) {}

  std::shared_ptr<const LeafLabels> labels() const { return labels_; }

  Ref build(const policy::Policy& policy) {
    const Ref bad_arch = dag_.leaf(policy.bad_arch_action, "bad-arch action (architecture not in the policy)");
    // Audit values in the policy, in its order; x32 is reached only through
    // AUDIT_ARCH_X86_64: nr 0x40000000..0xfffffffe is x32's, 0..0x3fffffff
    // and 0xffffffff x86_64's (x32's when the policy has no x86_64).
    const policy::ArchPolicy* x86_64 = policy.find(syscalls::ArchId::kX86_64);
    const policy::ArchPolicy* x32 = policy.find(syscalls::ArchId::kX32);
    const uint32_t x86_64_audit = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
    std::vector<std::pair<uint32_t, Ref>> dispatch;
    bool x86_64_done = false;
    for (const policy::ArchPolicy& a : policy.arches) {
      const uint32_t audit = syscalls::arch(a.arch).audit_arch;
      if (a.arch == syscalls::ArchId::kX86_64 || a.arch == syscalls::ArchId::kX32) {
        if (x86_64_done) continue;
        x86_64_done = true;
        dispatch.emplace_back(x86_64_audit, x86_64_dispatch(policy, x86_64, x32));
        continue;
      }
      if (std::any_of(dispatch.begin(), dispatch.end(), [&](const auto& d) { return d.first == audit; }))
        continue;  // evaluate() takes the first ABI with this audit value
      dispatch.emplace_back(audit, abi_body(&a, &a, bad_arch));
    }
    Ref next = bad_arch;
    // NOLINTNEXTLINE(modernize-loop-convert): clang-tidy 14 cannot parse libstdc++ 12 views::reverse
    for (auto it = dispatch.rbegin(); it != dispatch.rend(); ++it)
      next = dag_.test(kArchWord, WordAtom::Eq(it->first), it->second, next);
    return next;
  }

 private:
  // One interval of syscall numbers with the same body.
  struct Segment {
    uint32_t lo;
    uint32_t hi;
    Ref body;
  };

  // AUDIT_ARCH_X86_64: x32 owns 0x40000000..0xfffffffe, x86_64 the rest
  // (-1 included; x32 when the policy has no x86_64), and runc's ENOSYS stub
  // goes by bit 30 (policy::evaluate): a number with bit 30 set is compared
  // with x32's threshold, the others with x86_64's. Where that differs from
  // the owner's threshold (policy::x86_64_thresholds_follow_owner),
  // 0x80000000..0xbfffffff and -1 are told apart.
  Ref x86_64_dispatch(const policy::Policy& policy, const policy::ArchPolicy* x86_64, const policy::ArchPolicy* x32) {
    const Ref bad_x32 =
        dag_.leaf(policy.bad_arch_action, "bad-arch action (x32 syscall number, x32 not in the policy)");
    const Ref bad_x86_64 = dag_.leaf(policy.bad_arch_action, "bad-arch action (x86_64 not in the policy)");
    const policy::ArchPolicy* skipped_owner = x86_64 != nullptr ? x86_64 : x32;
    if (x86_64 != nullptr && policy::x86_64_thresholds_follow_owner(policy)) {
      const Ref native_body = abi_body(x86_64, x86_64, bad_x86_64);
      const Ref upper = dag_.test(kNrWord, WordAtom::Eq(kSkippedCall), native_body, abi_body(x32, x32, bad_x32));
      return dag_.test(kNrWord, WordAtom::Ge(kX32First), upper, native_body);
    }
    auto stub = [&](uint32_t nr) { return policy::enosys_owner_x86_64(policy, nr); };
    const Ref native_body = abi_body(x86_64, stub(0), bad_x86_64);
    const Ref x32_body = abi_body(x32, stub(kX32First), bad_x32);
    // 0x80000000..0xbfffffff: x32's numbers (libseccomp), bit 30 clear (runc).
    const Ref bit31_body = abi_body(x32, stub(0x80000000U), bad_x32);
    const Ref skipped_body = abi_body(skipped_owner, stub(kSkippedCall), bad_x32);
    const Ref x32_numbers = dag_.test(kNrWord, WordAtom::MaskedEq(kX32First, kX32First), x32_body, bit31_body);
    const Ref upper = dag_.test(kNrWord, WordAtom::Eq(kSkippedCall), skipped_body, x32_numbers);
    return dag_.test(kNrWord, WordAtom::Ge(kX32First), upper, native_body);
  }

  // The numbers of ABI `owner`: its rules, else its default action (`missing`
  // when the ABI is not in the policy), or ENOSYS above the threshold of
  // `stub` (runc's stub; the owner itself but on AUDIT_ARCH_X86_64).
  Ref abi_body(const policy::ArchPolicy* owner, const policy::ArchPolicy* stub, Ref missing) {
    const std::string abi = owner != nullptr ? std::string(syscalls::arch(owner->arch).name) : "";
    const Ref default_leaf =
        owner != nullptr ? dag_.leaf(owner->default_action, fmt::format("default action ({})", abi)) : missing;
    const bool has_above = stub != nullptr && stub->enosys_above.has_value();
    const uint32_t above = has_above ? *stub->enosys_above : 0;
    const Ref enosys_leaf =
        has_above ? dag_.leaf(Action::Errno(stub->enosys_errno), fmt::format("ENOSYS for syscall numbers above {} ({})",
                                                                             above, syscalls::arch(stub->arch).name))
                  : default_leaf;
    // The numbers without rules: default up to the threshold, ENOSYS above.
    auto gap = [&](uint64_t lo, uint64_t hi, std::vector<Segment>& out) {
      if (lo > hi) return;
      if (!has_above || hi <= above) {
        out.push_back({static_cast<uint32_t>(lo), static_cast<uint32_t>(hi), default_leaf});
      } else if (lo > above) {
        out.push_back({static_cast<uint32_t>(lo), static_cast<uint32_t>(hi), enosys_leaf});
      } else {
        out.push_back({static_cast<uint32_t>(lo), above, default_leaf});
        out.push_back({above + 1, static_cast<uint32_t>(hi), enosys_leaf});
      }
    };
    std::vector<Segment> segments;
    uint64_t next = 0;
    if (owner != nullptr) {
      segments.reserve(2 * owner->rules.size() + 3);
      for (const auto& [nr, rules] : owner->rules) {
        if (nr > next) gap(next, uint64_t{nr} - 1, segments);
        segments.push_back({nr, nr, syscall_body(*owner, nr, rules, default_leaf)});
        next = uint64_t{nr} + 1;
      }
    }
    gap(next, 0xffffffffULL, segments);
    return search(segments, 0, segments.size());
  }

  // Balanced binary search over [first, last) segments by `nr >= lo`.
  Ref search(const std::vector<Segment>& s, size_t first, size_t last) {
    if (last - first == 1) return s[first].body;
    const size_t mid = first + (last - first) / 2;
    const Ref upper = search(s, mid, last);
    const Ref lower = search(s, first, mid);
    return dag_.test(kNrWord, WordAtom::Ge(s[mid].lo), upper, lower);
  }

  Ref syscall_body(const policy::ArchPolicy& a, uint32_t nr, std::span<const policy::Rule> rules, Ref no_match) {
    const syscalls::Arch& arch = syscalls::arch(a.arch);
    if (rules.size() == 1 && rules[0].conditions.empty())  // the common case, without the sorting below
      return dag_.leaf(rules[0].action, labels_->add(a.arch, nr, rules[0].source));
    std::vector<const policy::Rule*>& order = order_;
    order.clear();
    for (const auto& r : rules) order.push_back(&r);
    // The first match in this order is the most restrictive match.
    std::stable_sort(order.begin(), order.end(), [](const policy::Rule* x, const policy::Rule* y) {
      return more_restrictive(x->action, y->action);
    });
    // Rules after the first one without conditions can never decide: a
    // profile listing a syscall thousands of times gets one leaf, not
    // thousands.
    const auto always =
        std::find_if(order.begin(), order.end(), [](const policy::Rule* r) { return r->conditions.empty(); });
    if (always != order.end()) order.erase(always + 1, order.end());
    Ref next = no_match;
    // NOLINTNEXTLINE(modernize-loop-convert): clang-tidy 14 cannot parse libstdc++ 12 views::reverse
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const policy::Rule& r = **it;
      const Ref hit = dag_.leaf(r.action, labels_->add(a.arch, nr, r.source));
      next = conjunction(r.conditions, arch.endian, hit, next);
    }
    return next;
  }

  Ref conjunction(const std::vector<ArgCondition>& conds, Endian e, Ref all_hold, Ref otherwise) {
    Ref next = all_hold;
    // NOLINTNEXTLINE(modernize-loop-convert): clang-tidy 14 cannot parse libstdc++ 12 views::reverse
    for (auto it = conds.rbegin(); it != conds.rend(); ++it) {
      next = condition(*it, e, next, otherwise);
    }
    return next;
  }

  Ref condition(const ArgCondition& c, Endian e, Ref t, Ref f) {
    if (c.index >= 6) return f;  // evaluate(): an out-of-range index never holds
    const unsigned lo = arg_lo_offset(c.index, e) / 4;
    const unsigned hi = arg_hi_offset(c.index, e) / 4;
    const auto vlo = static_cast<uint32_t>(c.value);
    const auto vhi = static_cast<uint32_t>(c.value >> 32);
    // MASKED_EQ compares only the datum's bits inside the mask (operators.h).
    // The word-by-word decomposition below is deliberately this file's own,
    // not the compiler's, so that a proof does not share its derivation.
    const uint64_t datum = policy::masked_datum(c.value, c.value_two);
    const auto dlo = static_cast<uint32_t>(datum);
    const auto dhi = static_cast<uint32_t>(datum >> 32);
    if (c.width == policy::ArgWidth::k32) {
      switch (c.op) {
        case CmpOp::kEq: return dag_.test(lo, WordAtom::Eq(vlo), t, f);
        case CmpOp::kNe: return dag_.test(lo, WordAtom::Ne(vlo), t, f);
        case CmpOp::kLt: return dag_.test(lo, WordAtom::Lt(vlo), t, f);
        case CmpOp::kLe: return dag_.test(lo, WordAtom::Le(vlo), t, f);
        case CmpOp::kGt: return dag_.test(lo, WordAtom::Gt(vlo), t, f);
        case CmpOp::kGe: return dag_.test(lo, WordAtom::Ge(vlo), t, f);
        case CmpOp::kMaskedEq: return dag_.test(lo, WordAtom::MaskedEq(vlo, dlo), t, f);
      }
      return f;
    }
    switch (c.op) {
      case CmpOp::kEq: return dag_.test(hi, WordAtom::Eq(vhi), dag_.test(lo, WordAtom::Eq(vlo), t, f), f);
      case CmpOp::kNe: return dag_.test(hi, WordAtom::Eq(vhi), dag_.test(lo, WordAtom::Eq(vlo), f, t), t);
      case CmpOp::kMaskedEq:
        return dag_.test(hi, WordAtom::MaskedEq(vhi, dhi), dag_.test(lo, WordAtom::MaskedEq(vlo, dlo), t, f), f);
      case CmpOp::kGt:
        return dag_.test(hi, WordAtom::Gt(vhi), t,
                         dag_.test(hi, WordAtom::Eq(vhi), dag_.test(lo, WordAtom::Gt(vlo), t, f), f));
      case CmpOp::kGe:
        return dag_.test(hi, WordAtom::Gt(vhi), t,
                         dag_.test(hi, WordAtom::Eq(vhi), dag_.test(lo, WordAtom::Ge(vlo), t, f), f));
      case CmpOp::kLt:
        return dag_.test(hi, WordAtom::Lt(vhi), t,
                         dag_.test(hi, WordAtom::Eq(vhi), dag_.test(lo, WordAtom::Lt(vlo), t, f), f));
      case CmpOp::kLe:
        return dag_.test(hi, WordAtom::Lt(vhi), t,
                         dag_.test(hi, WordAtom::Eq(vhi), dag_.test(lo, WordAtom::Le(vlo), t, f), f));
    }
    return f;
  }

  DecisionDag& dag_;
  std::shared_ptr<RuleLabels> labels_;
  std::vector<const policy::Rule*> order_;  // syscall_body's, kept to reuse its memory
};

}  // namespace

DecisionDag policy_dag(const policy::Policy& policy) {
  DecisionDag dag;
  // Per ABI: a search node and a leaf per syscall with rules and per gap,
  // a few nodes per condition; an estimate, to spare the regrowth.
  size_t nodes = 8;
  size_t leaves = 8;
  for (const policy::ArchPolicy& a : policy.arches) {
    nodes += 4 + 2 * a.rules.size();
    leaves += 4 + a.rules.size();
    for (const auto& [nr, rules] : a.rules) {
      leaves += rules.size();
      for (const policy::Rule& r : rules) nodes += 3 * r.conditions.size();
    }
  }
  dag.reserve(nodes, leaves);
  Builder b(dag);
  dag.set_root(b.build(policy));
  dag.set_labels(b.labels());
  return dag;
}

}  // namespace sysfence::verify
