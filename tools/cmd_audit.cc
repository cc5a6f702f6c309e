// sysfence audit (PROFILE | --bpf FILE) [--arch A] [--fail-on SEVERITY]
//                [--caps LIST] [--kernel X.Y] [--unknown-syscalls enosys|default]
//                [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--raw-endian little|big] [--max-paths N]
//                [--strict]
//
// Security findings with a severity and a one-line fix (audit/program_audit.h
// lists the checks). --bpf FILE audits any raw filter (in the byte order of
// --arch, default native; --raw-endian overrides); PROFILE audits the profile
// as resolved for --arch and the program sysfence compiles from it. --kernel
// (else the running kernel) is the kernel the filter runs on, for the calls
// it never filters (kernel-exempt); with --bpf it is the only shared flag.
//   exit 0  no finding at or above --fail-on (default: high)
//   exit 1  some finding at or above --fail-on
//   exit 2  bad usage or bad input
// The default threshold is `high`: critical and high findings are ways
// through the filter (no arch check, x32 numbers, 64-bit comparisons of
// 32-bit arguments, a default of ALLOW, namespaces); medium and below are
// hardening advice that Docker's own default profile does not follow either
// (it allows ptrace on kernels >= 4.8, for instance).
// A filter stack (--bpf repeated, the first the oldest, or --bpf DIR, a dump
// directory) is audited as audit/stack_audit.h says: code findings per
// filter, ways through only where the whole stack lets them through.
#include <fmt/format.h>

#include <string>

#include "audit/finding.h"
#include "audit/json.h"
#include "audit/profile_audit.h"
#include "audit/program_audit.h"
#include "audit/stack_audit.h"
#include "base/json.h"
#include "pipeline/pipeline.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/filter_stack.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/live_input.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"
#include "tools/cli/resolve_flags.h"
#include "tools/version.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "bpf", .repeatable = true},
    {.name = "pid"},
    {.name = "arch"},
    {.name = "fail-on"},
    {.name = "raw-endian"},
    {.name = "max-paths"},
    {.name = "format"},
};
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence audit (PROFILE|default|- | --bpf FILE [--bpf FILE..] | --bpf DIR | --pid PID) [--arch A] "
    "[--fail-on info|low|medium|high|critical] [--caps LIST|docker-default|all|none] [--kernel X.Y] "
    "[--unknown-syscalls enosys|default] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--raw-endian "
    "little|big] [--max-paths N] "
    "[--strict]";

// --bpf FILE: any raw filter.
Expected<audit::Report> report_on_filter(const cli::ParsedArgs& parsed, const syscalls::Arch& arch,
                                         uint64_t max_paths) {
  // --kernel names the kernel the filter runs on (the calls it never
  // filters); the other shared flags resolve a profile.
  if (const auto flag = cli::first_resolve_flag(parsed, "kernel"))
    return fail(fmt::format("--{} applies to a PROFILE, not to --bpf or --pid", *flag));
  auto kernel = cli::target_kernel(parsed);
  if (!kernel) return fail(kernel.error().message);
  auto byte_order = cli::raw_endian(parsed, arch.endian);
  if (!byte_order) return fail(byte_order.error().message);
  auto stack = cli::read_filter_stack(parsed, *byte_order);
  if (!stack) return fail(stack.error().message);
  audit::ProgramAuditOptions options;
  // The arch the filter is for only when the user said so; otherwise the
  // ABIs the filter itself tells apart.
  options.arch = parsed.has("arch") ? &arch : nullptr;
  options.max_paths = max_paths;
  options.kernel = *kernel;
  if (stack->size() > 1) return audit::audit_stack(stack->programs, stack->names, options);
  const std::string& shown = stack->names[0];
  auto report = audit::audit_program(stack->programs[0], options);
  if (!report) return fail(fmt::format("{}: {}", shown, report.error().message));
  report->scope.insert(report->scope.begin(), fmt::format("filter {}", shown));
  return report;
}

// PROFILE: the profile as resolved for `arch`, and the program compiled from it.
Expected<audit::Report> report_on_profile(const cli::ParsedArgs& parsed, const syscalls::Arch& arch,
                                          uint64_t max_paths) {
  if (parsed.has("raw-endian")) return fail("--raw-endian applies to --bpf, not to a PROFILE");
  auto request = cli::pipeline_request(parsed, parsed.positionals[0], cli::ArchList{.native = &arch, .keep = {}});
  if (!request) return fail(request.error().message);
  request->last = pipeline::Stage::kResolve;
  auto built = pipeline::run(*request);
  // The resolution warnings become findings (constant-width, masked-datum,
  // unknown-syscall, rule-conflict, errno-range): no second copy on stderr.
  pipeline::Diagnostics shown = built ? built->diagnostics : built.error().diagnostics;
  shown.warnings.clear();
  cli::print_diagnostics(shown);
  if (!built) return fail(built.error().message);
  audit::ProfileAuditOptions options;
  options.native = &arch;
  options.arg_width = request->resolve.arg_width;
  options.max_paths = max_paths;
  options.kernel = request->resolve.kernel;
  return audit::audit_profile(built->profile, built->resolution, options);
}

int run_audit(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const bool bpf_mode = parsed->has("bpf") || parsed->has("pid");
  if (bpf_mode == (parsed->positionals.size() == 1) || parsed->positionals.size() > 1 ||
      (parsed->has("bpf") && parsed->has("pid"))) {
    return cli::usage_error(fmt::format("give exactly one of PROFILE, --bpf FILE and --pid PID\n{}", kUsage));
  }
  const std::string fail_on_text = parsed->get_or("fail-on", "high");
  const auto fail_on = audit::parse_severity(fail_on_text);
  if (!fail_on) {
    return cli::usage_error(
        fmt::format("invalid --fail-on \"{}\": expected info, low, medium, high or critical", fail_on_text));
  }
  uint64_t max_paths = 200'000;
  if (auto n = parsed->get("max-paths")) {
    auto v = cli::parse_u64(*n);
    if (!v || *v == 0 || *v > 100'000'000) {
      return cli::usage_error(fmt::format("invalid --max-paths \"{}\": expected 1..100000000", *n));
    }
    max_paths = *v;
  }
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);
  auto format = cli::parse_format(*parsed, /*allow_sarif=*/true);
  if (!format) return cli::usage_error(format.error().message);

  auto report = bpf_mode ? report_on_filter(*parsed, **arch, max_paths) : report_on_profile(*parsed, **arch, max_paths);
  if (!report) return cli::usage_error(report.error().message);
  std::string audited = parsed->has("pid") ? cli::pid_source(*parsed->get("pid"))
                        : bpf_mode         ? parsed->get_or("bpf", "")
                                           : parsed->positionals[0];
  if (parsed->all("bpf").size() > 1) audited = parsed->all("bpf").front();
  if (*format == cli::OutputFormat::kJson) cli::print_json("audit", audit::to_json(*report));
  else if (*format == cli::OutputFormat::kSarif)
    fmt::print("{}", pretty_json(audit::to_sarif(*report, kVersion, audited == "-" ? "<stdin>" : audited)));
  else fmt::print("{}", audit::format_report(*report));
  return audit::has_finding_at_or_above(*report, *fail_on) ? cli::kExitMismatch : cli::kExitOk;
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--bpf FILE|DIR",
     "audit a raw filter (any origin) instead of a PROFILE; - for stdin; repeat for a filter stack (the first is the "
     "oldest), or a dump directory (filter-0.bpf = the oldest)"},
    {"--pid PID", cli::help::kPid},
    {"--arch A", cli::help::kArch},
    {"--fail-on SEVERITY", "exit 1 for a finding at or above info|low|medium|high|critical (default: high)"},
    {"--caps LIST", cli::help::kCaps},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--max-paths N", "paths of a --bpf filter walked before the audit reports itself incomplete (default 200000)"},
    {"--format text|json|sarif", "text (the default), json (docs/json.md) or a SARIF 2.1.0 log for CI"},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{{"audit",
                                       "security findings on a profile or any BPF filter, with severities and fixes",
                                       &run_audit, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
