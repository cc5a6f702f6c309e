#include "verify/paths.h"

namespace sysfence::verify {

using bpf::Insn;

Expected<PathExplorer> PathExplorer::create(bpf::Program program) {
  auto interp = bpf::Interpreter::create(program);
  if (!interp) return fail(interp.error().message);
  auto proc = BpfProcedure::create(std::move(program));
  if (!proc) return fail(proc.error().message);
  return PathExplorer(std::move(*proc), std::move(*interp));
}

WalkStats walk_paths(const Procedure& procedure, std::span<const Constraint> constraints, WalkLimits limits,
                     const std::function<void(const Path&)>& visit) {
  WalkStats stats;
  PathState state;
  for (const Constraint& c : constraints)
    if (state.add(c.word, c.atom) != verify::Sat::kSat) return stats;  // no input at all
  if (limits.max_paths == 0 || limits.max_atoms == 0) {
    stats.truncated = true;
    return stats;
  }
  const uint64_t start = state.atoms_added();
  Path path;
  procedure.walk(state, [&](const verify::Outcome& leaf) {
    path.outcome = leaf;
    path.words = state.words();
    path.witness = state.witness();
    visit(path);
    stats.atoms = state.atoms_added() - start;
    if (++stats.paths >= limits.max_paths || stats.atoms >= limits.max_atoms) {
      stats.truncated = true;
      return verify::Walk::kStop;
    }
    return verify::Walk::kContinue;
  });
  stats.atoms = state.atoms_added() - start;
  return stats;
}

WalkStats PathExplorer::walk(std::span<const Constraint> constraints, WalkLimits limits,
                             const std::function<void(const Path&)>& visit) const {
  return walk_paths(proc_, constraints, limits, visit);
}

std::vector<Path> PathExplorer::paths(std::span<const Constraint> constraints, WalkLimits limits,
                                      WalkStats* stats) const {
  std::vector<Path> out;
  const WalkStats s = walk(constraints, limits, [&](const Path& p) { out.push_back(p); });
  if (stats != nullptr) *stats = s;
  return out;
}

std::vector<uint32_t> PathExplorer::trace(const SeccompWords& input) const {
  std::vector<bpf::TraceStep> steps;
  interp_.run_traced(input, steps);
  std::vector<uint32_t> pcs;
  pcs.reserve(steps.size());
  for (const auto& s : steps) pcs.push_back(s.pc);
  return pcs;
}

std::vector<WordUse> PathExplorer::word_uses(const SeccompWords& input) const {
  using namespace bpf;
  const Program& prog = program();
  uint32_t a = 0;
  uint32_t x = 0;
  std::array<uint32_t, kMemWords> mem{};
  std::vector<WordUse> uses;
  for (uint32_t pc : trace(input)) {
    const Insn& in = prog[pc];
    const uint16_t code = in.code;
    switch (insn_class(code)) {
      case kLd:
      case kLdx: {
        uint32_t src = 0;
        if (insn_mode(code) == kAbs && in.k < kSeccompDataSize) src = 1u << (in.k / 4);
        else if (insn_mode(code) == kMem && in.k < kMemWords) src = mem[in.k];
        (insn_class(code) == kLd ? a : x) = src;
        break;
      }
      case kSt:
        if (in.k < kMemWords) mem[in.k] = a;
        break;
      case kStx:
        if (in.k < kMemWords) mem[in.k] = x;
        break;
      case kAlu:
        if (insn_src(code) == kX && insn_op(code) != kNeg) a |= x;
        break;
      case kMisc:
        if (code == (kMisc | kTax)) x = a;
        else if (code == (kMisc | kTxa)) a = x;
        break;
      case kJmp:
        if (insn_op(code) != kJa) uses.push_back(WordUse{pc, insn_src(code) == kX ? (a | x) : a});
        break;
      case kRet:
        if (insn_rval(code) == kRetA) uses.push_back(WordUse{pc, a});
        break;
    }
  }
  return uses;
}

std::vector<verify::WordAtom> atoms_of(const WordSet& set) {
  // A contradiction (Gt 0xffffffff, clashing known bits) is recorded in the
  // set's state, not in its normal form: say it with two atoms.
  WordSet copy = set;
  if (copy.check() == verify::Sat::kUnsat) return {verify::WordAtom::Eq(0), verify::WordAtom::Ne(0)};
  std::vector<verify::WordAtom> atoms;
  if (set.lo() != 0) atoms.push_back(verify::WordAtom::Ge(set.lo()));
  if (set.hi() != 0xffffffffU) atoms.push_back(verify::WordAtom::Le(set.hi()));
  if (set.known_mask() != 0) atoms.push_back(verify::WordAtom::MaskedEq(set.known_mask(), set.known_bits()));
  for (uint32_t e : set.excluded()) atoms.push_back(verify::WordAtom::Ne(e));
  for (const auto& c : set.clauses()) atoms.push_back(verify::WordAtom::MaskedNe(c.mask, c.value));
  return atoms;
}

std::optional<WordSet> restrict(const WordSet& set, std::span<const verify::WordAtom> atoms) {
  WordSet out = set;
  for (const verify::WordAtom& atom : atoms) out.add(atom);
  if (out.check() != verify::Sat::kSat) return std::nullopt;
  return out;
}

std::optional<WordSet> intersect(const WordSet& a, const WordSet& b) {
  const std::vector<verify::WordAtom> atoms = atoms_of(b);
  return restrict(a, atoms);
}

}  // namespace sysfence::verify
