// sysfence resolve [--arch A] NAME|NR ...   and   sysfence resolve --arch A --list
//
// Prints "name<TAB>number" per argument (a number argument prints its name),
// or the whole table of an ABI in number order. Numbers are what
// seccomp_data.nr carries (bias included: x32 0x40000000, MIPS 4000/5000/6000).
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},
    {.name = "list", .takes_value = false},
};

// " (did you mean \"X\"?)" for a near name, else nothing.
std::string suggestion(std::optional<std::string_view> near) {
  return near ? fmt::format(R"( (did you mean "{}"?))", *near) : std::string();
}
constexpr std::string_view kUsage =
    "usage: sysfence resolve [--arch A] NAME|NR ...  or  sysfence resolve --arch A --list";

int run_resolve(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);
  const syscalls::Table& table = syscalls::table(**arch);
  const bool list = parsed->has("list");
  if (list && !parsed->positionals.empty()) return cli::usage_error("resolve: --list takes no NAME|NR arguments");
  if (!list && parsed->positionals.empty()) return cli::usage_error(kUsage);

  std::string out;
  if (list) {
    for (const auto& s : table.entries()) out += fmt::format("{}\t{}\n", s.name, s.nr);
    fmt::print("{}", out);
    return cli::kExitOk;
  }
  // Resolve everything first: on a bad argument print nothing but the error.
  for (const auto& arg : parsed->positionals) {
    if (auto nr = cli::parse_u64(arg)) {
      const syscalls::Syscall* s = *nr <= UINT32_MAX ? table.find(static_cast<uint32_t>(*nr)) : nullptr;
      if (s == nullptr)
        return cli::usage_error(
            fmt::format("no syscall number {} on {} (numbers run up to {})", arg, (*arch)->name, table.max_nr()));
      out += fmt::format("{}\t{}\n", s->name, s->nr);
      continue;
    }
    const syscalls::Syscall* s = table.find(arg);
    if (s == nullptr)
      return cli::usage_error(
          fmt::format(R"(unknown syscall "{}" on {}{})", arg, (*arch)->name, suggestion(table.nearest_name(arg))));
    // An alias prints under the name it was asked for, with the shared number.
    out += fmt::format("{}\t{}\n", arg, s->nr);
  }
  fmt::print("{}", out);
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", cli::help::kArch},
    {"--list", "print the ABI's whole table in number order"},
};

const cli::Registration kRegistration{
    {"resolve", "syscall names <-> numbers for any ABI (--arch A, --list)", &run_resolve, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
