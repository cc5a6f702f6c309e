#include "compiler/partition.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <span>

namespace sysfence::compiler {

namespace {

using syscalls::ArchId;

constexpr uint32_t kMax = 0xffffffffU;
// __X32_SYSCALL_BIT. Under AUDIT_ARCH_X86_64 x32 owns 0x40000000..0xfffffffe
// (libseccomp's unsigned `jge 0x40000000`) and x86_64 the rest, -1 included:
// the number a tracer sets to skip a call gets the normal processing
// (policy::evaluate's comment has the whole story).
constexpr uint32_t kX32Bit = 0x40000000U;

// AUDIT_ARCH_X86_64's segments: x32 on 0x40000000..0xfffffffe and x86_64
// on the rest (-1 included; with x32 alone, as libseccomp's x32 filter, -1
// goes with the x32 numbers). runc's stub tests bit 30 instead: with a
// threshold on neither ABI, or on both as runc's stub sets them, that makes
// no difference (policy::x86_64_thresholds_follow_owner); with one alone
// 0x80000000..0xbfffffff and -1 take it from the other side
// (policy::evaluate's comment).
std::vector<NumberSegment> x86_64_segments(const policy::Policy& policy) {
  const policy::ArchPolicy* x64 = policy.find(ArchId::kX86_64);
  const policy::ArchPolicy* x32 = policy.find(ArchId::kX32);
  if (x64 != nullptr && policy::x86_64_thresholds_follow_owner(policy)) {
    return {{0, kX32Bit - 1, ArchId::kX86_64, x64, x64},
            {kX32Bit, kMax - 1, ArchId::kX32, x32, x32},
            {kMax, kMax, ArchId::kX86_64, x64, x64}};
  }
  auto stub = [&](uint32_t nr) { return policy::enosys_owner_x86_64(policy, nr); };
  constexpr uint32_t kBit31 = 0x80000000U;
  const ArchId skipped = x64 != nullptr ? ArchId::kX86_64 : ArchId::kX32;
  return {{0, kX32Bit - 1, ArchId::kX86_64, x64, stub(0)},
          {kX32Bit, kBit31 - 1, ArchId::kX32, x32, stub(kX32Bit)},
          {kBit31, kBit31 + kX32Bit - 1, ArchId::kX32, x32, stub(kBit31)},
          {kBit31 + kX32Bit, kMax - 1, ArchId::kX32, x32, stub(kBit31 + kX32Bit)},
          {kMax, kMax, skipped, x64 != nullptr ? x64 : x32, stub(kMax)}};
}

// At most two intervals per number with rules (it and the gap before it),
// plus each segment's last gap split at the ENOSYS bound.
size_t most_intervals(const NumberSpace& space) {
  size_t named = 0;
  for (const NumberSegment& seg : space.segments) {
    if (seg.policy != nullptr) named += seg.policy->rules.size();
  }
  return 2 * named + 2 * space.segments.size() + 1;
}

}  // namespace

std::vector<NumberSpace> number_spaces(const policy::Policy& policy) {
  std::vector<NumberSpace> spaces;
  spaces.reserve(policy.arches.size());  // at most one per ABI
  const uint32_t x86_64_audit = syscalls::arch(ArchId::kX86_64).audit_arch;
  for (const policy::ArchPolicy& ap : policy.arches) {
    const syscalls::Arch& a = syscalls::arch(ap.arch);
    auto it =
        std::find_if(spaces.begin(), spaces.end(), [&](const NumberSpace& s) { return s.audit_arch == a.audit_arch; });
    if (it == spaces.end()) {
      NumberSpace s;
      s.audit_arch = a.audit_arch;
      s.endian = a.endian;
      spaces.push_back(std::move(s));
      it = spaces.end() - 1;
    }
    if (std::find(it->abis.begin(), it->abis.end(), ap.arch) == it->abis.end()) {
      it->abis.push_back(ap.arch);
    }
  }
  for (NumberSpace& s : spaces) {
    if (s.audit_arch == x86_64_audit) {
      s.endian = Endian::kLittle;
      s.segments = x86_64_segments(policy);
    } else {
      // As policy::evaluate: the first ABI in policy order with this value.
      const policy::ArchPolicy* p = policy.find(s.abis.front());
      s.segments = {{0, kMax, s.abis.front(), p, p}};
    }
  }
  return spaces;
}

Action unnamed_number_action(const policy::ArchPolicy& policy, uint32_t nr) {
  if (policy.enosys_above && nr > *policy.enosys_above) return Action::Errno(policy.enosys_errno);
  return policy.default_action;
}

uint32_t LeafTable::add_constant(Action a) {
  const auto id = static_cast<uint32_t>(leaves_.size());
  constants_.emplace_back(a, id);
  leaves_.push_back(RuleSet{{}, a});
  return id;
}

uint32_t LeafTable::intern(RuleSet s) {
  if (s.constant()) return intern_constant(s.otherwise);
  auto it = index_.find(s);
  if (it != index_.end()) return it->second;
  const auto id = static_cast<uint32_t>(leaves_.size());
  leaves_.push_back(s);
  index_.emplace(std::move(s), id);
  return id;
}

std::vector<Interval> partition(const NumberSpace& space, Action bad_arch_action, LeafTable& leaves, bool merge) {
  std::vector<Interval> out;
  out.reserve(most_intervals(space));
  // Inlined: GCC kept it out of line, a call per named number (~30,000
  // instructions per compile of Docker's default).
  auto add = [&](uint32_t lo, uint32_t hi, uint32_t leaf, bool mergeable) __attribute__((always_inline)) {
    if ((merge || mergeable) && !out.empty() && out.back().leaf == leaf && out.back().hi + 1 == lo) {
      out.back().hi = hi;
      return;
    }
    out.push_back(Interval{lo, hi, leaf});
  };
  auto constant = [&](Action a) { return leaves.intern_constant(a); };
  // The leaf of the last single unconditional rule's action (none yet: no
  // leaf is interned before a number needs it, which keeps leaf ids in
  // order of appearance).
  std::optional<Action> last_action;
  uint32_t last_leaf = 0;

  for (const NumberSegment& seg : space.segments) {
    // Numbers without rules: the default action (the bad-arch action outside
    // the filter's ABIs), then ENOSYS above the largest number the profile
    // names.
    const Action otherwise = seg.policy != nullptr ? seg.policy->default_action : bad_arch_action;
    const bool bad_arch = seg.policy == nullptr;
    // The numbers above this answer ENOSYS (2^32: none does), and the
    // leaf of the others, interned when a gap first needs it (the order of
    // appearance), then at hand for every gap of the segment.
    const uint64_t enosys_above =
        seg.enosys != nullptr && seg.enosys->enosys_above ? uint64_t{*seg.enosys->enosys_above} : uint64_t{kMax} + 1;
    std::optional<uint32_t> otherwise_leaf;
    auto otherwise_constant = [&] {
      return otherwise_leaf ? *otherwise_leaf : *(otherwise_leaf = constant(otherwise));
    };
    auto gap = [&](uint32_t a, uint32_t b) {
      if (enosys_above < b) {
        const auto e = static_cast<uint32_t>(enosys_above);
        if (a <= e) add(a, e, otherwise_constant(), bad_arch);
        add(std::max(a, e + 1), b, constant(Action::Errno(seg.enosys->enosys_errno)), false);
        return;
      }
      add(a, b, otherwise_constant(), bad_arch);
    };
    if (seg.policy == nullptr) {
      gap(seg.lo, seg.hi);
      continue;
    }
    const policy::ArchPolicy& p = *seg.policy;
    uint64_t cursor = seg.lo;
    const auto end = p.rules.upper_bound(seg.hi);
    for (auto it = p.rules.lower_bound(seg.lo); it != end; ++it) {
      const uint32_t nr = it->first;
      if (cursor < nr) gap(static_cast<uint32_t>(cursor), nr - 1);
      const std::span<const policy::Rule> rules = it->second;
      uint32_t leaf = 0;
      if (rules.size() == 1 && rules.front().conditions.empty()) {
        // Most numbers: one unconditional rule, mostly the same action as
        // the number before.
        if (!last_action || !(rules.front().action == *last_action)) {
          last_action = rules.front().action;
          last_leaf = constant(*last_action);
        }
        leaf = last_leaf;
      } else {
        const std::optional<Action> outcome = unconditional_outcome(rules, p.default_action);
        leaf = outcome ? constant(*outcome) : leaves.intern(rule_set(rules, p.default_action));
      }
      add(nr, nr, leaf, false);
      cursor = uint64_t{nr} + 1;
    }
    if (cursor <= seg.hi) gap(static_cast<uint32_t>(cursor), seg.hi);
  }
  return out;
}

std::vector<double> interval_weights(const NumberSpace& space, std::span<const Interval> intervals, const Weights& w) {
  // Segment by segment, each one's table looked up once and its weights
  // kept at hand while its intervals take their part (in segment order, as
  // a sum per interval would add them): a loop over the segments for every
  // interval cost ~60 instructions per interval.
  std::vector<double> out(intervals.size(), 0.0);
  size_t first = 0;  // the first interval that reaches the segment
  for (const NumberSegment& seg : space.segments) {
    while (first < intervals.size() && intervals[first].hi < seg.lo) ++first;
    const Weights::OfAbi of = w.of(seg.abi);
    for (size_t i = first; i < intervals.size() && intervals[i].lo <= seg.hi; ++i) {
      out[i] += of.range(std::max(intervals[i].lo, seg.lo), std::min(intervals[i].hi, seg.hi));
    }
  }
  return out;
}

}  // namespace sysfence::compiler
