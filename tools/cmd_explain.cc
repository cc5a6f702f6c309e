// sysfence explain SYSCALL [--profile P] [--arch A] [--caps LIST|docker-default|all|none]
//                          [--kernel X.Y] [--unknown-syscalls enosys|default] [--arg-width abi|64] [--bad-arch ACTION]
//                          [--semantics S]
//                          [--strict]
//
// Which rule decides SYSCALL (a name or a number) and why: the ABI and number,
// the decision (with the argument conditions when it depends on them), the
// profile entries behind it (file:line) and what became of them, and when it
// is blocked, the reason from Docker's profile documentation.
#include <fmt/format.h>

#include <string>

#include "pipeline/pipeline.h"
#include "profile/explain.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "profile"},
    {.name = "arch"},
    {.name = "format"},
    {.name = "enosys-newer", .takes_value = false},
};
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence explain SYSCALL [--profile PROFILE|default|-] [--arch A] "
    "[--caps LIST|docker-default|all|none] [--kernel X.Y] [--unknown-syscalls enosys|default] "
    "[--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--strict] [--format text|json]";

int run_explain(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  // SYSCALL may follow `--` (`explain -- -1`).
  std::vector<std::string> subjects = parsed->positionals;
  subjects.insert(subjects.end(), parsed->after_dashdash.begin(), parsed->after_dashdash.end());
  if (subjects.size() != 1) return cli::usage_error(cli::positional_count_problem(subjects.size(), "syscall"), kUsage);

  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  auto request =
      cli::pipeline_request(*parsed, parsed->get_or("profile", "default"), cli::ArchList{.native = *arch, .keep = {}});
  if (!request) return cli::usage_error(request.error().message);
  request->last = pipeline::Stage::kResolve;
  request->target.newer_syscalls_enosys = parsed->has("enosys-newer");
  auto built = cli::run_pipeline(*request);
  if (!built) return cli::usage_error(built.error().message);

  if (*format == cli::OutputFormat::kJson) {
    auto doc = profile::explain_json(built->profile, built->resolution, request->resolve, subjects[0]);
    if (!doc) return cli::usage_error(doc.error().message);
    cli::print_json("explain", *doc);
    return cli::kExitOk;
  }
  auto text = profile::explain_syscall(built->profile, built->resolution, request->resolve, subjects[0]);
  if (!text) return cli::usage_error(text.error().message);
  fmt::print("{}", *text);
  return cli::kExitOk;
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--profile PROFILE", cli::help::kProfile}, {"--arch A", cli::help::kArch},
    {"--caps LIST", cli::help::kCaps},          {"--enosys-newer", cli::help::kEnosysNewer},
    {"--format text|json", cli::help::kFormat},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{
    {"explain", "which profile rule decides a syscall, and why", &run_explain, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
