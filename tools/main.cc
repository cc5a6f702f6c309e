// sysfence: seccomp profiles -> classic BPF. The CLI is thin: each subcommand
// (tools/cmd_*.cc) parses its flags, calls the libraries and prints.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "base/text.h"
#include "tools/cli/command.h"

namespace {

void print_help() {
  fmt::print("usage: sysfence COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : sysfence::cli::commands()) fmt::print("  {:<9} {}\n", c.name, c.synopsis);
}

}  // namespace

int main(int argc, char** argv) {
  // Exceptions never cross the CLI: anything unexpected is reported as an
  // internal error with exit code 2, never a crash.
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
      print_help();
      return args.empty() ? sysfence::cli::kExitUsage : sysfence::cli::kExitOk;
    }
    for (const auto& c : sysfence::cli::commands()) {
      if (c.name == args[0]) {
        std::vector<std::string> rest(args.begin() + 1, args.end());
        return c.run(rest);
      }
    }
    fmt::print(stderr, "sysfence: unknown command {} (see `sysfence help`)\n", sysfence::quote(args[0]));
    return sysfence::cli::kExitUsage;
  } catch (const std::bad_alloc&) {
    std::fputs("sysfence: out of memory\n", stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sysfence: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("sysfence: internal error\n", stderr);
  }
  return sysfence::cli::kExitUsage;
}
