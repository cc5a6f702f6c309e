#include "test/compiler/support.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <span>

#include "bpf/interp.h"
#include "measure/cache.h"
#include "syscalls/table.h"

namespace sysfence::compiler::testing {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;

namespace {

Action random_action(Rng& rng) {
  switch (rng.below(10)) {
    case 0: return Action::KillProcess();
    case 1: return Action::KillThread();
    case 2: return Action::Trap();
    case 3: return Action::Errno(static_cast<uint16_t>(rng.below(4)));
    case 4: return Action::Errno(static_cast<uint16_t>(rng.below(0x10000)));
    case 5: return Action::UserNotif();
    case 6: return Action::Trace(static_cast<uint16_t>(rng.below(3)));
    case 7: return Action::Log();
    default: return Action::Allow();
  }
}

// A syscall number for rules: mostly from the table, sometimes one it does
// not know (unassigned, past the end, far away).
uint32_t random_nr(Rng& rng, syscalls::ArchId abi) {
  const syscalls::Table& t = syscalls::table(abi);
  const uint32_t bias = syscalls::arch(abi).nr_bias;
  if (rng.chance(85) && !t.entries().empty()) {
    return t.entries()[rng.below(static_cast<uint32_t>(t.entries().size()))].nr;
  }
  switch (rng.below(3)) {
    case 0: return bias + rng.below(t.max_nr() - bias + 40);
    case 1: return t.max_nr() + 1 + rng.below(30);
    default: return rng.next32();
  }
}

ArgCondition random_condition(Rng& rng) {
  ArgCondition c;
  c.index = static_cast<uint8_t>(rng.chance(3) ? 6 : rng.below(rng.chance(70) ? 2 : 6));
  c.op = static_cast<CmpOp>(rng.below(7));
  c.width = rng.chance(25) ? ArgWidth::k32 : ArgWidth::k64;
  if (c.op == CmpOp::kMaskedEq) {
    uint64_t mask;
    switch (rng.below(5)) {
      case 0: mask = uint64_t{1} << rng.below(64); break;
      case 1: mask = rng.next32(); break;
      case 2: mask = 0xffffffffULL; break;
      case 3: mask = ~uint64_t{0}; break;
      default: mask = rng.next(); break;
    }
    c.value = mask;
    c.value_two = rng.chance(85) ? (rng.chance(30) ? 0 : rng.next() & mask) : rng.next();
  } else {
    c.value = interesting_value(rng);
  }
  return c;
}

void add_unique(std::vector<uint64_t>& v, uint64_t x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// Argument values around each constant the rules of one syscall compare.
std::vector<std::vector<uint64_t>> arg_candidates(std::span<const policy::Rule> rules) {
  std::vector<std::vector<uint64_t>> c(6);
  for (auto& v : c) {
    add_unique(v, 0);
    add_unique(v, ~uint64_t{0});
  }
  for (const policy::Rule& r : rules) {
    for (const ArgCondition& k : r.conditions) {
      if (k.index >= 6) continue;
      auto& v = c[k.index];
      const uint64_t x = k.value;
      const uint64_t hi = x & 0xffffffff00000000ULL;
      const uint64_t lo = x & 0xffffffffULL;
      if (k.op == CmpOp::kMaskedEq) {
        const uint64_t m = k.value;
        const uint64_t d = k.value_two;
        for (uint64_t y :
             std::initializer_list<uint64_t>{d, d | ~m, d ^ m, m, d ^ (m & (~m + 1)), d ^ (m & 0xffffffff00000000ULL),
                                             d ^ (m & 0xffffffffULL), d & 0xffffffffULL, d & ~0xffffffffULL}) {
          add_unique(v, y);
        }
        continue;
      }
      for (uint64_t y : std::initializer_list<uint64_t>{x, x - 1, x + 1, lo, hi, hi | ((lo + 1) & 0xffffffffULL),
                                                        hi | ((lo - 1) & 0xffffffffULL), (hi + 0x100000000ULL) | lo,
                                                        (hi - 0x100000000ULL) | lo, 0xffffffff00000000ULL | lo,
                                                        0x0000000100000000ULL | lo}) {
        add_unique(v, y);
      }
    }
  }
  return c;
}

std::string describe_data(const SeccompData& d) {
  return fmt::format("arch=0x{:08x} nr={} (0x{:x}) args=[{:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}]", d.arch, d.nr, d.nr,
                     d.args[0], d.args[1], d.args[2], d.args[3], d.args[4], d.args[5]);
}

}  // namespace

uint64_t interesting_value(Rng& rng) {
  switch (rng.below(9)) {
    case 0: return 0;
    case 1: return rng.below(16);
    case 2: return rng.next32();
    case 3: return 0xffffffffULL;
    case 4: return ~uint64_t{0};
    case 5: return static_cast<uint64_t>(-static_cast<int64_t>(rng.below(100) + 1));  // sign-extended
    case 6: return (uint64_t{rng.below(4)} << 32) | rng.below(8);
    case 7: return uint64_t{1} << rng.below(64);
    default: return rng.next();
  }
}

policy::Policy random_policy(Rng& rng, const RandomPolicyOptions& o) {
  policy::Policy p;
  p.bad_arch_action = random_action(rng);
  std::vector<syscalls::ArchId> abis{o.native};
  for (syscalls::ArchId sub : syscalls::default_sub_arches(o.native)) {
    if (rng.chance(60)) abis.push_back(sub);
  }
  const auto enosys = static_cast<uint16_t>(rng.chance(80) ? 38 : rng.between(1, 300));
  for (syscalls::ArchId abi : abis) {
    policy::ArchPolicy ap;
    ap.arch = abi;
    ap.default_action = random_action(rng);
    ap.enosys_errno = enosys;
    const unsigned n = rng.below(o.max_syscalls_with_rules + 1);
    for (unsigned i = 0; i < n; ++i) {
      const uint32_t nr = random_nr(rng, abi);
      auto& rules = ap.rules[nr];
      const unsigned nrules = rng.chance(10) ? 0 : rng.between(1, o.max_rules_per_syscall);
      for (unsigned r = 0; r < nrules; ++r) {
        policy::Rule rule;
        rule.action = rng.chance(30) ? ap.default_action : random_action(rng);
        const unsigned nc = rng.chance(35) ? 0 : rng.between(1, o.max_conditions);
        for (unsigned c = 0; c < nc; ++c) rule.conditions.push_back(random_condition(rng));
        rules.push_back(std::move(rule));
      }
    }
    if (rng.chance(50)) {
      const syscalls::Table& t = syscalls::table(abi);
      const uint32_t bias = syscalls::arch(abi).nr_bias;
      ap.enosys_above = rng.chance(70) ? bias + rng.below(t.max_nr() - bias + 1) : rng.next32();
    }
    p.arches.push_back(std::move(ap));
  }
  return p;
}

std::vector<Probe> probes(const policy::Policy& policy) {
  std::vector<Probe> out;
  if (policy.arches.empty()) {
    for (uint32_t arch : {0u, 0xc000003eu, 0xffffffffu}) {
      Probe pr;
      pr.data.arch = arch;
      out.push_back(pr);
    }
    return out;
  }
  const syscalls::Arch& native = syscalls::arch(policy.arches.front().arch);
  // Numbers: each ABI's range up to its largest number + 64 (ARM's private
  // calls as a range of their own), every bias range, the 32-bit extremes,
  // around every rule number and ENOSYS threshold.
  std::set<uint32_t> nrs;
  auto range = [&](uint64_t lo, uint64_t hi) {
    for (uint64_t n = lo; n <= hi && n <= 0xffffffffULL; ++n) nrs.insert(static_cast<uint32_t>(n));
  };
  for (const policy::ArchPolicy& ap : policy.arches) {
    const syscalls::Table& t = syscalls::table(ap.arch);
    const uint32_t bias = syscalls::arch(ap.arch).nr_bias;
    uint32_t regular_max = bias;
    for (const syscalls::Syscall& s : t.entries()) {
      if (s.nr - bias < 0x10000) regular_max = std::max(regular_max, s.nr);
      else range(uint64_t{s.nr} - 2, uint64_t{s.nr} + 2);
    }
    range(bias, uint64_t{regular_max} + 64);
    if (t.max_nr() != regular_max) range(t.max_nr(), uint64_t{t.max_nr()} + 64);
    for (const auto& [nr, rules] : ap.rules) range(nr == 0 ? 0 : uint64_t{nr} - 1, uint64_t{nr} + 1);
    if (ap.enosys_above) {
      range(*ap.enosys_above == 0 ? 0 : uint64_t{*ap.enosys_above} - 1, uint64_t{*ap.enosys_above} + 2);
    }
  }
  for (uint32_t b : {0u, 4000u, 5000u, 6000u, 0x40000000u, 0x80000000u, 0xc0000000u}) {
    range(b == 0 ? 0 : uint64_t{b} - 4, uint64_t{b} + 40);
  }
  for (uint32_t n : {0x3fffffffu, 0x7ffffffeu, 0x7fffffffu, 0xbfffffffu, 0xfffffffeu, 0xffffffffu}) {
    nrs.insert(n);
  }

  // Arch values: the policy's, some it does not cover, and nonsense.
  std::vector<uint32_t> arches;
  for (const policy::ArchPolicy& ap : policy.arches) {
    const uint32_t a = syscalls::arch(ap.arch).audit_arch;
    if (std::find(arches.begin(), arches.end(), a) == arches.end()) arches.push_back(a);
  }
  for (const syscalls::Arch& a : syscalls::all_arches()) {
    if (std::find(arches.begin(), arches.end(), a.audit_arch) == arches.end() &&
        (a.id == syscalls::ArchId::kX86_64 || a.id == syscalls::ArchId::kI386 || a.id == syscalls::ArchId::kAarch64 ||
         a.id == syscalls::ArchId::kMips)) {
      arches.push_back(a.audit_arch);
    }
  }
  arches.push_back(0);
  arches.push_back(0xffffffffU);

  auto endian_of = [&](uint32_t audit) {
    for (const syscalls::Arch& a : syscalls::all_arches()) {
      if (a.audit_arch == audit) return a.endian;
    }
    return native.endian;
  };
  for (uint32_t a : arches) {
    for (uint32_t nr : nrs) {
      Probe pr;
      pr.data.arch = a;
      pr.data.nr = nr;
      pr.endian = endian_of(a);
      out.push_back(pr);
    }
  }

  // Arguments, for every number with rules: each candidate value alone in
  // its argument, and mixtures.
  for (const policy::ArchPolicy& ap : policy.arches) {
    const syscalls::Arch& a = syscalls::arch(ap.arch);
    for (const auto& [nr, rules] : ap.rules) {
      const auto cand = arg_candidates(rules);
      Rng rng(nr * 0x9e3779b97f4a7c15ULL + a.audit_arch);
      Probe base;
      base.data.arch = a.audit_arch;
      base.data.nr = nr;
      base.endian = a.endian;
      for (unsigned i = 0; i < 6; ++i) {
        for (uint64_t v : cand[i]) {
          Probe pr = base;
          pr.data.args[i] = v;
          out.push_back(pr);
        }
      }
      for (int k = 0; k < 48; ++k) {
        Probe pr = base;
        for (unsigned i = 0; i < 6; ++i) {
          const auto& c = cand[i];
          pr.data.args[i] = rng.chance(20) ? rng.next() : c[rng.below(static_cast<uint32_t>(c.size()))];
        }
        out.push_back(pr);
      }
    }
  }
  return out;
}

std::string Mismatch::describe() const {
  return fmt::format("{}: expected {}, filter says {}", describe_data(probe.data), to_string(expected),
                     to_string(actual));
}

CheckResult check_equivalence(const policy::Policy& policy, const bpf::Program& program) {
  CheckResult res;
  auto in = bpf::Interpreter::create(program);
  if (!in) {
    res.error = in.error().message;
    return res;
  }
  for (const Probe& pr : probes(policy)) {
    ++res.inputs;
    const Action expected = policy::evaluate(policy, pr.data).action;
    const Action actual = in->run(pr.data, pr.endian).action();
    if (!(expected == actual)) {
      ++res.mismatch_count;
      if (res.mismatches.size() < 10) res.mismatches.push_back(Mismatch{pr, expected, actual});
    }
  }
  return res;
}

std::vector<std::string> uncached_constant_allows(const policy::Policy& policy, const bpf::Program& program) {
  std::vector<std::string> out;
  for (const policy::ArchPolicy& ap : policy.arches) {
    if (!measure::abi_has_action_cache(ap.arch)) continue;
    const syscalls::Arch& a = syscalls::arch(ap.arch);
    for (const syscalls::Syscall& s : syscalls::table(ap.arch).entries()) {
      if (s.nr >= measure::kActionCacheLimit) continue;
      auto it = ap.rules.find(s.nr);
      const bool constant =
          it == ap.rules.end() ||
          std::all_of(it->second.begin(), it->second.end(), [](const policy::Rule& r) { return r.conditions.empty(); });
      if (!constant) continue;
      SeccompData d;
      d.arch = a.audit_arch;
      d.nr = s.nr;
      if (encode(policy::evaluate(policy, d).action) != encode(Action::Allow())) continue;
      if (!measure::kernel_caches_allow(program, a.audit_arch, s.nr)) {
        out.push_back(fmt::format("{}:{}", a.name, s.name));
      }
    }
  }
  return out;
}

policy::Policy errno_policy(const policy::Policy& p) {
  std::vector<Action> actions{p.bad_arch_action};
  for (const policy::ArchPolicy& ap : p.arches) {
    actions.push_back(ap.default_action);
    actions.push_back(Action::Errno(ap.enosys_errno));
    for (const auto& [nr, rules] : ap.rules) {
      for (const policy::Rule& r : rules) actions.push_back(r.action);
    }
  }
  std::sort(actions.begin(), actions.end(), more_restrictive);
  actions.erase(std::unique(actions.begin(), actions.end()), actions.end());
  std::map<std::pair<ActionKind, uint16_t>, Action> to;
  for (size_t i = 0; i < actions.size(); ++i) {
    to[{actions[i].kind, actions[i].data}] = Action::Errno(static_cast<uint16_t>(100 + i));
  }
  auto map = [&](Action a) { return to.at({a.kind, a.data}); };
  policy::Policy q = p;
  q.bad_arch_action = map(q.bad_arch_action);
  for (policy::ArchPolicy& ap : q.arches) {
    ap.default_action = map(ap.default_action);
    ap.enosys_errno = map(Action::Errno(ap.enosys_errno)).data;
    for (auto& [nr, rules] : ap.rules) {
      for (policy::Rule& r : rules) r.action = map(r.action);
    }
  }
  return q;
}

}  // namespace sysfence::compiler::testing
