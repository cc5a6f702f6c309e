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

}  // namespace sysfence::verify::small_diagrams
