#include "tools/cli/command.h"

#include <algorithm>
#include <vector>

namespace sysfence::cli {
namespace {

std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}

}  // namespace

Registration::Registration(Command c) {
  auto& r = registry();
  r.push_back(c);
  std::sort(r.begin(), r.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
}

std::span<const Command> commands() { return registry(); }

}  // namespace sysfence::cli
