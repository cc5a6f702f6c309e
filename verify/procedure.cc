#include "verify/procedure.h"

#include <cassert>

namespace sysfence::verify {

void PathState::undo_to(size_t mark) {
  assert(mark <= trail_.size());
  while (trail_.size() > mark) {
    auto& [w, u] = trail_.back();
    words_[w].undo(u);
    trail_.pop_back();
  }
}

Sat PathState::add(unsigned word, const WordAtom& atom) {
  assert(word < kWordCount);
  ++atoms_added_;
  trail_.emplace_back(static_cast<uint8_t>(word), words_[word].add(atom));
  return words_[word].check();
}

SeccompWords PathState::witness() const {
  SeccompWords w{};
  for (unsigned i = 0; i < kWordCount; ++i) w[i] = words_[i].witness();
  return w;
}

Action leaf_action(const Outcome& leaf, const SeccompWords& input) {
  if (!leaf.symbolic_ret) return leaf.action;
  return decode(leaf.value.eval(input));
}

}  // namespace sysfence::verify
