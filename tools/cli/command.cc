#include "tools/cli/command.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
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

const Command* find_command(std::string_view name) {
  for (const Command& c : registry())
    if (c.name == name) return &c;
  return nullptr;
}

std::string command_help(const Command& command) {
  std::string out = fmt::format("{}\n\n{}\n", command.usage, command.synopsis);
  if (command.flags.empty()) return out;
  size_t width = 0;
  for (const FlagHelp& f : command.flags) width = std::max(width, f.flag.size());
  out += "\noptions:\n";
  for (const FlagHelp& f : command.flags) out += fmt::format("  {:<{}}  {}\n", f.flag, width, f.description);
  return out;
}

int run_guarded(CommandFn fn, std::span<const std::string> args, int failure_exit) {
  try {
    return fn(args);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sysfence: internal error: {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "sysfence: internal error\n");
  }
  return failure_exit;
}

}  // namespace sysfence::cli
