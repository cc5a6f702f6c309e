#include "test/verify/small_diagrams.h"

#include <cstdint>

namespace sysfence::verify::small_diagrams {

DecisionDag build(const std::vector<NodeSpec>& spec, const std::vector<Action>& leaves) {
  DecisionDag d;
  std::vector<DecisionDag::Ref> refs;
  refs.reserve(leaves.size() + spec.size());
  for (const Action& a : leaves) refs.push_back(d.leaf(a, "leaf"));
  for (const NodeSpec& s : spec) refs.push_back(d.test(s.word, s.atom, refs[s.if_true], refs[s.if_false]));
  d.set_root(refs.back());
  return d;
}

bool equal_everywhere(const DecisionDag& a, const DecisionDag& b) {
  SeccompWords in{};
  for (uint32_t v4 = 0; v4 < 32; ++v4) {
    for (uint32_t v5 = 0; v5 < 32; ++v5) {
      in[4] = v4;
      in[5] = v5;
      if (a.run(in) != b.run(in)) return false;
    }
  }
  return true;
}

WordAtom random_atom(std::mt19937_64& rng) {
  const auto k = static_cast<uint32_t>(rng() % 16);
  const auto mask = static_cast<uint32_t>(1 + rng() % 15);
  return atom_of_kind(static_cast<unsigned>(rng() % 8), k, mask);
}

WordAtom atom_of_kind(unsigned kind, uint32_t k, uint32_t mask) {
  switch (kind % 8) {
    case 0: return WordAtom::Eq(k);
    case 1: return WordAtom::Ne(k);
    case 2: return WordAtom::Gt(k);
    case 3: return WordAtom::Ge(k);
    case 4: return WordAtom::Lt(k);
    case 5: return WordAtom::Le(k);
    case 6: return WordAtom::MaskedEq(mask, k & mask);
    default: return WordAtom::MaskedNe(mask, k & mask);
  }
}

std::vector<NodeSpec> random_spec(std::mt19937_64& rng, size_t nodes) {
  std::vector<NodeSpec> spec;
  spec.reserve(nodes);
  for (size_t i = 0; i < nodes; ++i) {
    const size_t built = 3 + i;  // three leaves first
    spec.push_back({4 + static_cast<unsigned>(rng() % 2), random_atom(rng), rng() % built, rng() % built});
  }
  return spec;
}

}  // namespace sysfence::verify::small_diagrams
