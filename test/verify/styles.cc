#include "test/verify/styles.h"

#include <algorithm>
#include <map>
#include <span>
#include <vector>

#include "bpf/builder.h"
#include "syscalls/table.h"

namespace sysfence::verify::testing {

namespace {

using policy::ArchPolicy;
using policy::ArgCondition;
using policy::CmpOp;
using syscalls::ArchId;

constexpr uint32_t kX32Bit = 0x40000000U;
constexpr uint32_t kSkippedCall = 0xffffffffU;  // -1: a tracer skipping the call

class Renderer {
 public:
  Renderer(const policy::Policy& p, Style s) : policy_(p), style_(s) {}

  Expected<bpf::Program> run() {
    const bpf::Label body = b_.new_label();
    if (style_ == Style::kRuncStub) stub(body);
    b_.bind(body);
    dispatch_arches();
    return b_.finish();
  }

 private:
  // The distinct audit values in policy order; x86_64 and x32 share one.
  struct Abi {
    uint32_t audit;
    const ArchPolicy* native;  // x86_64 under AUDIT_ARCH_X86_64, else the ABI
    const ArchPolicy* x32;     // only under AUDIT_ARCH_X86_64
    bool x86_64_audit;
  };
  std::vector<Abi> abis() const {
    std::vector<Abi> out;
    const uint32_t x86_64 = syscalls::arch(ArchId::kX86_64).audit_arch;
    for (const ArchPolicy& a : policy_.arches) {
      const uint32_t audit = syscalls::arch(a.arch).audit_arch;
      auto it = std::find_if(out.begin(), out.end(), [&](const Abi& x) { return x.audit == audit; });
      if (it == out.end()) {
        out.push_back({audit, nullptr, nullptr, audit == x86_64});
        it = out.end() - 1;
      }
      if (a.arch == ArchId::kX32) {
        if (!it->x32) it->x32 = &a;
      } else if (!it->native) {
        it->native = &a;
      }
    }
    return out;
  }

  bpf::Target bad_arch() const { return bpf::Target::Return(encode(policy_.bad_arch_action)); }

  // runc: per arch, numbers above the last known syscall answer ENOSYS
  // before the real filter runs.
  void stub(bpf::Label body) {
    b_.load_word(kOffsetArch);
    for (const Abi& abi : abis()) {
      const bpf::Label here = b_.new_label();
      const bpf::Label next = b_.new_label();
      b_.branch(bpf::kJeq, abi.audit, bpf::Target::To(here), bpf::Target::To(next));
      b_.bind(here);
      b_.load_word(kOffsetNr);
      if (abi.x86_64_audit) {
        // runc's stub tells x32 by bit 30, unlike the body (libseccomp's
        // split); with both ABIs and ENOSYS on both, as random_policy makes
        // them, every number the two split differently is above both maxima.
        const bpf::Label x32 = b_.new_label();
        const bpf::Label native = b_.new_label();
        b_.branch(bpf::kJset, kX32Bit, bpf::Target::To(x32), bpf::Target::To(native));
        b_.bind(native);
        enosys_check(abi.native, body);
        b_.bind(x32);
        enosys_check(abi.x32, body);
      } else {
        enosys_check(abi.native, body);
      }
      b_.bind(next);
    }
    b_.jump(bpf::Target::To(body));
  }

  void enosys_check(const ArchPolicy* a, bpf::Label body) {
    if (a && a->enosys_above) {
      b_.branch(bpf::kJgt, *a->enosys_above, bpf::Target::Return(encode(Action::Errno(a->enosys_errno))),
                bpf::Target::To(body));
    } else {
      b_.jump(bpf::Target::To(body));
    }
  }

  void dispatch_arches() {
    b_.load_word(kOffsetArch);
    const std::vector<Abi> list = abis();
    std::vector<bpf::Label> blocks;
    for (const Abi& abi : list) {
      blocks.push_back(b_.new_label());
      const bpf::Label next = b_.new_label();
      b_.branch(bpf::kJeq, abi.audit, bpf::Target::To(blocks.back()), bpf::Target::To(next));
      b_.bind(next);
    }
    b_.jump(bad_arch());
    for (size_t i = 0; i < list.size(); ++i) {
      b_.bind(blocks[i]);
      b_.load_word(kOffsetNr);
      if (list[i].x86_64_audit) {
        // libseccomp's split: an unsigned `jge 0x40000000`, then -1 back to
        // the x86_64 rules (to x32's when there is no x86_64).
        const bpf::Label x32 = b_.new_label();
        const bpf::Label native = b_.new_label();
        const bpf::Label upper = b_.new_label();
        const bpf::Target to_x32 = list[i].x32 ? bpf::Target::To(x32) : bad_arch();
        const bpf::Target to_native = list[i].native ? bpf::Target::To(native) : bad_arch();
        b_.branch(bpf::kJge, kX32Bit, bpf::Target::To(upper), to_native);
        b_.bind(upper);
        b_.branch(bpf::kJeq, kSkippedCall, list[i].native ? to_native : to_x32, to_x32);
        if (list[i].native) {
          b_.bind(native);
          numbers(*list[i].native);
        }
        if (list[i].x32) {
          b_.bind(x32);
          numbers(*list[i].x32);
        }
      } else {
        numbers(*list[i].native);
      }
    }
  }

  // A = nr. The numbers with rules, then what the others answer.
  void numbers(const ArchPolicy& a) {
    const bool enosys = a.enosys_above && style_ != Style::kRuncStub;
    std::vector<uint32_t> nrs;
    std::map<uint32_t, bpf::Target> bodies;
    for (const auto& [nr, rules] : a.rules) {
      nrs.push_back(nr);
      // A syscall whose most restrictive rule is unconditional jumps
      // straight to that return, as libseccomp's output does.
      const policy::Rule* first = most_restrictive(rules);
      bodies.emplace(
          nr, first->conditions.empty() ? bpf::Target::Return(encode(first->action)) : bpf::Target::To(b_.new_label()));
    }
    const bpf::Label fallback = b_.new_label();
    if (style_ == Style::kBinaryTree && !nrs.empty()) {
      tree(nrs, 0, nrs.size(), bodies, fallback);
    } else {
      for (uint32_t nr : nrs) {
        const bpf::Label next = b_.new_label();
        b_.branch(bpf::kJeq, nr, bodies.at(nr), bpf::Target::To(next));
        b_.bind(next);
      }
      b_.jump(bpf::Target::To(fallback));
    }
    b_.bind(fallback);
    if (enosys) {
      b_.branch(bpf::kJgt, *a.enosys_above, bpf::Target::Return(encode(Action::Errno(a.enosys_errno))),
                bpf::Target::Return(encode(a.default_action)));
    } else {
      b_.ret(encode(a.default_action));
    }
    for (const auto& [nr, rules] : a.rules) {
      const bpf::Target& t = bodies.at(nr);
      if (t.is_return()) continue;
      b_.bind(t.label());
      syscall_rules(a, rules);
    }
  }

  void tree(const std::vector<uint32_t>& nrs, size_t first, size_t last, const std::map<uint32_t, bpf::Target>& bodies,
            bpf::Label fallback) {
    if (last - first == 1) {
      b_.branch(bpf::kJeq, nrs[first], bodies.at(nrs[first]), bpf::Target::To(fallback));
      return;
    }
    const size_t mid = first + (last - first) / 2;
    const bpf::Label upper = b_.new_label();
    const bpf::Label lower = b_.new_label();
    b_.branch(bpf::kJge, nrs[mid], bpf::Target::To(upper), bpf::Target::To(lower));
    b_.bind(lower);
    tree(nrs, first, mid, bodies, fallback);
    b_.bind(upper);
    tree(nrs, mid, last, bodies, fallback);
  }

  static const policy::Rule* most_restrictive(std::span<const policy::Rule> rules) {
    const policy::Rule* best = &rules.front();
    for (const auto& r : rules)
      if (more_restrictive(r.action, best->action)) best = &r;
    return best;
  }

  void syscall_rules(const ArchPolicy& a, std::span<const policy::Rule> rules) {
    std::vector<const policy::Rule*> order;
    order.reserve(rules.size());
    for (const auto& r : rules) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const policy::Rule* x, const policy::Rule* y) {
      return more_restrictive(x->action, y->action);
    });
    for (const policy::Rule* r : order) {
      const bpf::Label next = b_.new_label();
      for (const ArgCondition& c : r->conditions) condition(c, syscalls::arch(a.arch).endian, bpf::Target::To(next));
      b_.ret(encode(r->action));
      b_.bind(next);
    }
    b_.ret(encode(a.default_action));
  }

  // Falls through when `c` holds, jumps to `fail` when not.
  void condition(const ArgCondition& c, Endian e, bpf::Target fail) {
    if (c.index >= 6) {
      b_.jump(fail);
      return;
    }
    const bpf::Label ok = b_.new_label();
    const bpf::Target pass = bpf::Target::To(ok);
    const auto vlo = static_cast<uint32_t>(c.value);
    const auto vhi = static_cast<uint32_t>(c.value >> 32);
    // libseccomp keeps only the datum's bits inside the mask (db.c masks each
    // word's datum when the rule is added).
    const uint64_t datum = c.value_two & c.value;
    const auto dlo = static_cast<uint32_t>(datum);
    const auto dhi = static_cast<uint32_t>(datum >> 32);
    const uint32_t lo = arg_lo_offset(c.index, e);
    const uint32_t hi = arg_hi_offset(c.index, e);
    auto low_word = [&](uint16_t op, uint32_t k, bpf::Target t, bpf::Target f) {
      b_.load_word(lo);
      b_.branch(op, k, t, f);
    };
    if (c.width == policy::ArgWidth::k32) {
      switch (c.op) {
        case CmpOp::kEq: low_word(bpf::kJeq, vlo, pass, fail); break;
        case CmpOp::kNe: low_word(bpf::kJeq, vlo, fail, pass); break;
        case CmpOp::kGt: low_word(bpf::kJgt, vlo, pass, fail); break;
        case CmpOp::kGe: low_word(bpf::kJge, vlo, pass, fail); break;
        case CmpOp::kLt: low_word(bpf::kJge, vlo, fail, pass); break;
        case CmpOp::kLe: low_word(bpf::kJgt, vlo, fail, pass); break;
        case CmpOp::kMaskedEq:
          b_.load_word(lo);
          b_.emit(bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, vlo));
          b_.branch(bpf::kJeq, dlo, pass, fail);
          break;
      }
      b_.bind(ok);
      return;
    }
    const bpf::Label low = b_.new_label();
    const bpf::Label equal_high = b_.new_label();
    b_.load_word(hi);
    switch (c.op) {
      case CmpOp::kEq:
        b_.branch(bpf::kJeq, vhi, bpf::Target::To(low), fail);
        b_.bind(low);
        low_word(bpf::kJeq, vlo, pass, fail);
        break;
      case CmpOp::kNe:
        b_.branch(bpf::kJeq, vhi, bpf::Target::To(low), pass);
        b_.bind(low);
        low_word(bpf::kJeq, vlo, fail, pass);
        break;
      case CmpOp::kGt:
      case CmpOp::kGe:
        b_.branch(bpf::kJgt, vhi, pass, bpf::Target::To(equal_high));
        b_.bind(equal_high);
        b_.branch(bpf::kJeq, vhi, bpf::Target::To(low), fail);
        b_.bind(low);
        low_word(c.op == CmpOp::kGt ? bpf::kJgt : bpf::kJge, vlo, pass, fail);
        break;
      case CmpOp::kLt:
      case CmpOp::kLe:
        b_.branch(bpf::kJge, vhi, bpf::Target::To(equal_high), pass);
        b_.bind(equal_high);
        b_.branch(bpf::kJeq, vhi, bpf::Target::To(low), fail);
        b_.bind(low);
        if (c.op == CmpOp::kLt) low_word(bpf::kJge, vlo, fail, pass);
        else low_word(bpf::kJgt, vlo, fail, pass);
        break;
      case CmpOp::kMaskedEq:
        b_.emit(bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, vhi));
        b_.branch(bpf::kJeq, dhi, bpf::Target::To(low), fail);
        b_.bind(low);
        b_.load_word(lo);
        b_.emit(bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, vlo));
        b_.branch(bpf::kJeq, dlo, pass, fail);
        break;
    }
    b_.bind(ok);
  }

  const policy::Policy& policy_;
  Style style_;
  bpf::Builder b_;
};

uint64_t pick(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

Action random_action(std::mt19937_64& rng) {
  switch (pick(rng, 9)) {
    case 0: return Action::KillProcess();
    case 1: return Action::KillThread();
    case 2: return Action::Trap();
    case 3: return Action::Errno(1);
    case 4: return Action::Errno(13);
    case 5: return Action::Log();
    case 6: return Action::Trace(3);
    case 7: return Action::Errno(38);
    default: return Action::Allow();
  }
}

}  // namespace

Expected<bpf::Program> render(const policy::Policy& policy, Style style) { return Renderer(policy, style).run(); }

policy::Policy random_policy(std::mt19937_64& rng, ArchId native) {
  static constexpr uint64_t kValues[] = {0,
                                         1,
                                         2,
                                         5,
                                         0xff,
                                         0x7fffffff,
                                         0x80000000,
                                         0xffffffff,
                                         0x100000000,
                                         0x100000005,
                                         0xffffffff00000000,
                                         0xfffffffffffffffe,
                                         0xffffffffffffffff};
  auto value = [&]() -> uint64_t { return pick(rng, 5) == 0 ? rng() : kValues[pick(rng, std::size(kValues))]; };
  policy::Policy p;
  p.bad_arch_action = random_action(rng);
  std::vector<ArchId> ids = {native};
  for (ArchId s : syscalls::default_sub_arches(native)) ids.push_back(s);
  const bool enosys = pick(rng, 2) == 0;
  uint32_t entry = 0;
  for (ArchId id : ids) {
    ArchPolicy a;
    a.arch = id;
    a.default_action = random_action(rng);
    const auto entries = syscalls::table(id).entries();
    const int count = 1 + static_cast<int>(pick(rng, 25));
    for (int i = 0; i < count; ++i) {
      const syscalls::Syscall& s = entries[pick(rng, entries.size())];
      const int nrules = 1 + static_cast<int>(pick(rng, 3));
      for (int r = 0; r < nrules; ++r) {
        policy::Rule rule;
        rule.action = random_action(rng);
        rule.source = {"random", 0, entry++, "", false, 0, {}};
        const int nconds = static_cast<int>(pick(rng, 4));
        for (int k = 0; k < nconds; ++k) {
          ArgCondition c;
          c.index = static_cast<uint8_t>(pick(rng, 6));
          c.op = static_cast<CmpOp>(pick(rng, 7));
          c.value = value();
          c.width = pick(rng, 3) == 0 ? policy::ArgWidth::k32 : policy::ArgWidth::k64;
          if (c.op == CmpOp::kMaskedEq) c.value_two = pick(rng, 4) == 0 ? value() : value() & c.value;
          rule.conditions.push_back(c);
        }
        a.rules[s.nr].push_back(rule);
      }
    }
    if (enosys) a.enosys_above = syscalls::table(id).max_nr();
    p.arches.push_back(std::move(a));
  }
  return p;
}

}  // namespace sysfence::verify::testing
