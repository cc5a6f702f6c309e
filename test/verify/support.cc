#include "test/verify/support.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "bpf/interp.h"
#include "bpf/validate.h"

namespace sysfence::verify::testing {

namespace {

constexpr uint16_t kJumpOps[] = {bpf::kJeq, bpf::kJgt, bpf::kJge, bpf::kJset};
constexpr uint16_t kAluOps[] = {bpf::kAdd, bpf::kSub, bpf::kMul, bpf::kDiv, bpf::kOr,
                                bpf::kAnd, bpf::kLsh, bpf::kRsh, bpf::kXor};
constexpr uint32_t kReturns[] = {kRetAllow,      kRetKillProcess, kRetKillThread, kRetTrap,      kRetErrno | 1,
                                 kRetErrno | 13, kRetErrno | 38,  kRetLog,        kRetTrace | 1, kRetUserNotif};

uint32_t pick(std::mt19937_64& rng, uint32_t n) { return static_cast<uint32_t>(rng() % n); }

// Changes one field of instruction i; false when the kind of change does not
// apply to it.
bool mutate_insn(bpf::Program& p, size_t i, std::mt19937_64& rng, std::string& what) {
  bpf::Insn& in = p[i];
  const bpf::Insn before = in;
  const uint16_t cls = bpf::insn_class(in.code);
  const bool cond_jump = cls == bpf::kJmp && bpf::insn_op(in.code) != bpf::kJa;
  switch (pick(rng, 4)) {
    case 0:  // jump target
      if (!cond_jump) return false;
      {
        const uint32_t room = static_cast<uint32_t>(std::min<size_t>(p.size() - i - 1, 256));
        if (room == 0) return false;
        uint8_t& field = pick(rng, 2) ? in.jt : in.jf;
        field = static_cast<uint8_t>(pick(rng, room));
      }
      break;
    case 1:  // constant
      if (cls == bpf::kMisc || (cls == bpf::kRet && in.code != (bpf::kRet | bpf::kRetK))) return false;
      if (cls == bpf::kLd && bpf::insn_mode(in.code) == bpf::kAbs) {
        in.k = 4 * pick(rng, 16);
      } else {
        switch (pick(rng, 4)) {
          case 0: in.k += 1; break;
          case 1: in.k -= 1; break;
          case 2: in.k ^= 1u << pick(rng, 32); break;
          default: in.k = static_cast<uint32_t>(rng()); break;
        }
      }
      break;
    case 2:  // operator
      if (cond_jump) {
        in.code = static_cast<uint16_t>(bpf::kJmp | kJumpOps[pick(rng, 4)] | bpf::insn_src(in.code));
        if (pick(rng, 4) == 0) in.code ^= bpf::kX;
      } else if (cls == bpf::kAlu && bpf::insn_op(in.code) != bpf::kNeg) {
        in.code = static_cast<uint16_t>(bpf::kAlu | kAluOps[pick(rng, 9)] | bpf::insn_src(in.code));
      } else {
        return false;
      }
      break;
    default:  // return value
      if (in.code != (bpf::kRet | bpf::kRetK)) return false;
      in.k = kReturns[pick(rng, 10)];
      break;
  }
  if (in == before) return false;
  what = fmt::format("insn {}: code {:#x} jt {} jf {} k {:#x} -> code {:#x} jt {} jf {} k {:#x}", i, before.code,
                     before.jt, before.jf, before.k, in.code, in.jt, in.jf, in.k);
  return true;
}

std::vector<uint32_t> word_pool(const bpf::Program& a, const bpf::Program& b) {
  std::set<uint32_t> s = {0, 1, 0xffffffffU, 0x7fffffffU, 0x80000000U, 0x40000000U};
  for (const bpf::Program* p : {&a, &b}) {
    for (const bpf::Insn& in : *p) {
      for (uint32_t d : {0u, 1u, 0xffffffffu}) s.insert(in.k + d);
    }
  }
  return {s.begin(), s.end()};
}

}  // namespace

std::optional<bpf::Program> mutate_once(const bpf::Program& p, std::mt19937_64& rng, std::string* what) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    bpf::Program m = p;
    std::string w;
    if (!mutate_insn(m, pick(rng, static_cast<uint32_t>(m.size())), rng, w)) continue;
    if (!bpf::validate(m)) continue;
    if (what) *what = w;
    return m;
  }
  return std::nullopt;
}

std::optional<SeccompWords> find_difference(const bpf::Program& a, const bpf::Program& b, int count, uint64_t seed) {
  auto ia = bpf::Interpreter::create(a);
  auto ib = bpf::Interpreter::create(b);
  if (!ia || !ib) return std::nullopt;
  const std::vector<uint32_t> pool = word_pool(a, b);
  uint64_t state = seed;
  auto next = [&state]() {  // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (int i = 0; i < count; ++i) {
    SeccompWords in{};
    for (uint32_t& w : in) {
      const uint64_t r = next();
      const auto kind = static_cast<uint32_t>(r & 7);
      w = kind < 5 ? pool[(r >> 32) % pool.size()] : kind == 5 ? 0 : static_cast<uint32_t>(r >> 32);
    }
    if (ia->run(in).ret != ib->run(in).ret) return in;  // the raw values: no decoding shared
  }
  return std::nullopt;
}

std::string check_counterexamples(const verify::Procedure& a, const verify::Procedure& b,
                                  const verify::EquivResult& r) {
  for (const verify::Mismatch& m : r.mismatches) {
    const Action ra = a.run(m.input);
    const Action rb = b.run(m.input);
    if (ra == rb) return fmt::format("counterexample where both answer {}", to_string(ra));
    if (ra != m.a_action || rb != m.b_action)
      return fmt::format("counterexample reports {} / {} but runs give {} / {}", to_string(m.a_action),
                         to_string(m.b_action), to_string(ra), to_string(rb));
    if (m.region_known) {
      for (unsigned w = 0; w < verify::kWordCount; ++w)
        if (!m.region[w].contains(m.input[w])) return fmt::format("counterexample outside its region (word {})", w);
    }
  }
  return "";
}

RandomDag random_dag(std::mt19937_64& rng, int nodes, const std::vector<uint32_t>& constants) {
  struct Node {
    unsigned word;
    verify::WordAtom atom;
    verify::DecisionDag::Ref t, f;
  };
  const unsigned words[] = {0, 1, 4, 5, 6, 7};
  RandomDag out;
  std::vector<Action> leaf_actions;
  std::vector<verify::DecisionDag::Ref> refs;
  const int leaves = 2 + static_cast<int>(pick(rng, 4));
  for (int i = 0; i < leaves; ++i) {
    const Action a = decode(kReturns[pick(rng, 10)]);
    leaf_actions.push_back(a);
    refs.push_back(out.dag.leaf(a, fmt::format("leaf {}", i)));
  }
  std::vector<Node> made;
  std::vector<verify::DecisionDag::Ref> node_refs;
  for (int i = 0; i < nodes; ++i) {
    const unsigned w = words[pick(rng, 6)];
    const auto op = static_cast<verify::WordOp>(pick(rng, 8));
    uint32_t k = constants[pick(rng, static_cast<uint32_t>(constants.size()))];
    uint32_t mask = 0xffffffffU;
    if (op == verify::WordOp::kMaskedEq || op == verify::WordOp::kMaskedNe) {
      mask = constants[pick(rng, static_cast<uint32_t>(constants.size()))] | (1u << pick(rng, 32));
      k &= mask;
    }
    // Prefer recent nodes as children so the diagram is deep, not flat.
    auto child = [&]() {
      if (!node_refs.empty() && pick(rng, 3) != 0)
        return node_refs[node_refs.size() - 1 -
                         pick(rng, std::min<uint32_t>(3, static_cast<uint32_t>(node_refs.size())))];
      return refs[pick(rng, static_cast<uint32_t>(refs.size()))];
    };
    const verify::DecisionDag::Ref t = child();
    const verify::DecisionDag::Ref f = child();
    const verify::WordAtom atom{op, k, mask};
    const verify::DecisionDag::Ref r = out.dag.test(w, atom, t, f);
    if (r == t) continue;  // t == f: no node
    made.push_back({w, atom, t, f});
    node_refs.push_back(r);
  }
  const verify::DecisionDag::Ref root = node_refs.empty() ? refs[0] : node_refs.back();
  out.dag.set_root(root);

  // Render: nodes from the root down (decreasing index: children come
  // later, so every jump is forward), then one `ret` per leaf.
  auto is_leaf = [](verify::DecisionDag::Ref r) { return (r & verify::DecisionDag::kLeafBit) != 0; };
  std::vector<size_t> node_pos(made.size());
  std::vector<size_t> leaf_pos(leaf_actions.size());
  auto size_of = [](const Node& n) {
    return (n.atom.op == verify::WordOp::kMaskedEq || n.atom.op == verify::WordOp::kMaskedNe) ? 3u : 2u;
  };
  size_t pos = 0;
  const int top = is_leaf(root) ? -1 : static_cast<int>(root);
  for (int i = top; i >= 0; --i) {
    node_pos[static_cast<size_t>(i)] = pos;
    pos += size_of(made[static_cast<size_t>(i)]);
  }
  for (size_t i = 0; i < leaf_actions.size(); ++i) leaf_pos[i] = pos++;
  auto target = [&](verify::DecisionDag::Ref r) {
    return is_leaf(r) ? leaf_pos[r & ~verify::DecisionDag::kLeafBit] : node_pos[r];
  };
  bpf::Program& p = out.program;
  for (int i = top; i >= 0; --i) {
    const Node& n = made[static_cast<size_t>(i)];
    p.push_back(bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, n.word * 4));
    uint32_t k = n.atom.k;
    uint16_t op = bpf::kJeq;
    bool swap = false;
    switch (n.atom.op) {
      case verify::WordOp::kEq: break;
      case verify::WordOp::kNe: swap = true; break;
      case verify::WordOp::kGt: op = bpf::kJgt; break;
      case verify::WordOp::kGe: op = bpf::kJge; break;
      case verify::WordOp::kLt:
        op = bpf::kJge;
        swap = true;
        break;
      case verify::WordOp::kLe:
        op = bpf::kJgt;
        swap = true;
        break;
      case verify::WordOp::kMaskedEq: p.push_back(bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, n.atom.mask)); break;
      case verify::WordOp::kMaskedNe:
        p.push_back(bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, n.atom.mask));
        swap = true;
        break;
    }
    const size_t here = p.size();
    const size_t t = target(swap ? n.f : n.t);
    const size_t f = target(swap ? n.t : n.f);
    p.push_back(
        bpf::jump(bpf::kJmp | op | bpf::kK, k, static_cast<uint8_t>(t - here - 1), static_cast<uint8_t>(f - here - 1)));
  }
  for (const Action& a : leaf_actions) p.push_back(bpf::stmt(bpf::kRet | bpf::kRetK, encode(a)));
  return out;
}

}  // namespace sysfence::verify::testing
