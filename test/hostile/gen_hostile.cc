// gen_hostile SHAPE [N]: writes a hostile profile (hostile_profiles.h) to
// stdout; N defaults to the shape's size at the parser's limits. Without
// arguments, lists the shapes.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "test/hostile/hostile_profiles.h"

int main(int argc, char** argv) {
  using namespace sysfence::hostile;
  if (argc < 2) {
    for (const auto& s : shapes()) std::printf("%s %zu\n", std::string(s.name).c_str(), s.at_limit);
    return 0;
  }
  const auto shape = parse_shape(argv[1]);
  if (!shape) {
    std::fprintf(stderr, "gen_hostile: unknown shape %s\n", argv[1]);
    return 2;
  }
  const size_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : info(*shape).at_limit;
  const std::string text = profile(*shape, n);
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() ? 0 : 1;
}
