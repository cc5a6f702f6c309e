// The sysfence CLI: each subcommand lives in its own cmd_*.cc file and
// registers itself here; main() only dispatches.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sysfence::cli {

// Exit codes (the CLI contract; README.md's command line reference).
inline constexpr int kExitOk = 0;
inline constexpr int kExitMismatch = 1;  // verification / equivalence failed, audit findings
inline constexpr int kExitUsage = 2;     // bad usage or bad input

using CommandFn = int (*)(std::span<const std::string> args);

struct Command {
  std::string_view name;
  std::string_view synopsis;  // one line for `sysfence help`
  CommandFn run;
};

// Static registration: `static const Registration r{{"resolve", "...", &run}};`
// in the command's translation unit (they are srcs of the binary, so the
// linker keeps them).
struct Registration {
  explicit Registration(Command c);
};

std::span<const Command> commands();

}  // namespace sysfence::cli
