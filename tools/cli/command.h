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

// One line of a command's help: `{"--arch A", "the ABI to resolve for"}`.
struct FlagHelp {
  std::string_view flag;
  std::string_view description;
};

struct Command {
  std::string_view name;
  std::string_view synopsis;  // one line for `sysfence help`
  CommandFn run;
  std::string_view usage;           // "usage: sysfence NAME ...", for `sysfence NAME --help`
  std::span<const FlagHelp> flags;  // every flag, described in `sysfence NAME --help`
};

// Calls `fn` so that no exception escapes it: an unexpected one is reported
// as "sysfence: internal error: ..." and answered `failure_exit`. For the
// commands whose exit status is another program's (run, record), where
// main's catch-all would answer 2, which that program may mean.
int run_guarded(CommandFn fn, std::span<const std::string> args, int failure_exit);

// Static registration in the command's translation unit (they are srcs of the
// binary, so the linker keeps them):
//   const Registration r{{"resolve", "one line", &run, kUsage, kFlagHelp}};
struct Registration {
  explicit Registration(Command c);
};

std::span<const Command> commands();

// The registered command called `name`, or nullptr.
const Command* find_command(std::string_view name);

// `sysfence NAME --help`: the usage line, the synopsis and one line per flag.
std::string command_help(const Command& command);

}  // namespace sysfence::cli
