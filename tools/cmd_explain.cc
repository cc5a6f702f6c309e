// sysfence explain SYSCALL [--profile P] [--arch A] [--caps LIST|docker-default|all|none]
//                          [--kernel X.Y] [--unknown-syscalls enosys|default] [--arg-width abi|64] [--bad-arch ACTION]
//                          [--semantics S]
//                          [--strict]
//
// Which rule decides SYSCALL (a name or a number) and why: the ABI and number,
// the decision (with the argument conditions when it depends on them), the
// profile entries behind it (file:line) and what became of them, and when it
// is blocked, the reason from the seed document's table.
#include <fmt/format.h>

#include <string>

#include "profile/explain.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "profile"},
    {.name = "arch"},
    {.name = "caps"},
    {.name = "kernel"},
    {.name = "unknown-syscalls"},
    {.name = "arg-width"},
    {.name = "bad-arch"},
    {.name = "semantics"},
    {.name = "strict", .takes_value = false},
};

constexpr std::string_view kUsage =
    "usage: sysfence explain SYSCALL [--profile PROFILE|default|-] [--arch A] "
    "[--caps LIST|docker-default|all|none] [--kernel X.Y] [--unknown-syscalls enosys|default] "
    "[--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--strict]";

int run_explain(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (parsed->positionals.size() != 1) return cli::usage_error(kUsage);

  profile::ReadOptions read_options;
  read_options.strict = parsed->has("strict");
  auto loaded = profile::load_profile(parsed->get_or("profile", "default"), read_options);
  if (!loaded) return cli::usage_error(loaded.error().message);

  const profile::ResolveFlags flags = cli::resolve_flags(*parsed, parsed->get("arch"));
  auto options = profile::make_resolve_options(flags);
  if (!options) return cli::usage_error(options.error().message);

  auto resolution = profile::resolve(loaded->profile, *options);
  if (!resolution) return cli::usage_error(resolution.error().message);
  profile::print_warnings(*resolution);

  auto text = profile::explain_syscall(loaded->profile, *resolution, *options, parsed->positionals[0]);
  if (!text) return cli::usage_error(text.error().message);
  fmt::print("{}", *text);
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--profile PROFILE", cli::help::kProfile},
    {"--arch A", cli::help::kArch},
    {"--caps LIST", cli::help::kCaps},
    {"--kernel X.Y", cli::help::kKernel},
    {"--unknown-syscalls enosys|default", cli::help::kUnknownSyscalls},
    {"--arg-width abi|64", cli::help::kArgWidth},
    {"--bad-arch ACTION", cli::help::kBadArch},
    {"--semantics runc|libseccomp", cli::help::kSemantics},
    {"--strict", cli::help::kStrict},
};

const cli::Registration kRegistration{
    {"explain", "which profile rule decides a syscall, and why", &run_explain, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
