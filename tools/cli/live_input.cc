#include "tools/cli/live_input.h"

#include <fmt/format.h>

#include <climits>
#include <cstdio>

#include "live/filters.h"
#include "tools/cli/args.h"

namespace sysfence::cli {

Expected<std::vector<bpf::Program>> read_pid_filters(pid_t pid) {
  auto stack = live::read_stack(pid);
  if (!stack) return fail(stack.error().message);
  for (const std::string& note : live::notes(*stack)) fmt::print(stderr, "sysfence: note: {}\n", note);
  std::vector<bpf::Program> out;
  for (live::LiveFilter& f : stack->filters) out.push_back(std::move(f.program));
  return out;
}

Expected<pid_t> parse_pid(std::string_view text) {
  const auto v = parse_u64(text);
  if (!v || *v == 0 || *v > INT_MAX) return fail(fmt::format("invalid --pid \"{}\": expected a process id", text));
  return static_cast<pid_t>(*v);
}

std::string pid_source(std::string_view pid_text) { return fmt::format("process {}", pid_text); }

}  // namespace sysfence::cli
