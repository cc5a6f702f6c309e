// A small flag parser shared by the subcommands: `--flag value`,
// `--flag=value`, boolean `--flag`, positionals, and `--` ending the flags.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace sysfence::cli {

struct FlagSpec {
  std::string_view name;    // without dashes: "arch"
  bool takes_value = true;  // false: a boolean switch
  bool repeatable = false;  // may be given several times
  char short_name = 0;      // e.g. 'o' for -o
  // The value is a file the command writes (-o, --svg); every other value
  // and positional may name a file it reads, which write_output will not
  // replace.
  bool names_output = false;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>, std::less<>> flags;
  std::vector<std::string> positionals;
  std::vector<std::string> after_dashdash;  // everything after `--`
  bool saw_dashdash = false;

  bool has(std::string_view flag) const { return flags.find(flag) != flags.end(); }
  // The last value given for a flag.
  std::optional<std::string> get(std::string_view flag) const;
  std::string get_or(std::string_view flag, std::string_view fallback) const;
  std::vector<std::string> all(std::string_view flag) const;
};

// Errors: "unknown option --frmat: did you mean --format? (--help lists every
// option)", "option --arch needs a value".
// When `stop_at_first_positional` is set (run's CMD), everything from the
// first positional on is collected into after_dashdash.
Expected<ParsedArgs> parse_args(std::span<const std::string> args, std::span<const FlagSpec> specs,
                                bool stop_at_first_positional = false);

// Unsigned integers in decimal or 0x-hex (the CLI's number syntax).
std::optional<uint64_t> parse_u64(std::string_view text);

// Prints "sysfence: <message>" to stderr and returns kExitUsage.
int usage_error(std::string_view message);
// "sysfence: PROBLEM" and the command's usage line below it, exit 2: a bad
// combination of arguments says which, not only how they go.
int usage_error(std::string_view problem, std::string_view usage);
// "one FILE.s at a time: 2 given", "no FILE.s given": a positional
// argument count other than one.
std::string positional_count_problem(size_t given, std::string_view what);

}  // namespace sysfence::cli
