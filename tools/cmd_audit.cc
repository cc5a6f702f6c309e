// sysfence audit (PROFILE | --bpf FILE) [--arch A] [--fail-on SEVERITY]
//                [--caps LIST] [--kernel X.Y] [--unknown-syscalls enosys|default]
//                [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--raw-endian little|big] [--max-paths N]
//                [--strict]
//
// Security findings with a severity and a one-line fix (audit/program_audit.h
// lists the checks). --bpf FILE audits any raw filter (in the byte order of
// --arch, default native; --raw-endian overrides); PROFILE audits the profile
// as resolved for --arch and the program sysfence compiles from it.
//   exit 0  no finding at or above --fail-on (default: high)
//   exit 1  some finding at or above --fail-on
//   exit 2  bad usage or bad input
// The default threshold is `high`: critical and high findings are ways
// through the filter (no arch check, x32 numbers, 64-bit comparisons of
// 32-bit arguments, a default of ALLOW, namespaces); medium and below are
// hardening advice that Docker's own default profile does not follow either
// (it allows ptrace on kernels >= 4.8, for instance).
#include <fmt/format.h>

#include <optional>
#include <string>

#include "audit/finding.h"
#include "audit/profile_audit.h"
#include "audit/program_audit.h"
#include "base/text.h"
#include "bpf/raw.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/output.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "bpf"},        {.name = "arch"},      {.name = "fail-on"},
    {.name = "caps"},       {.name = "kernel"},    {.name = "arg-width"},
    {.name = "bad-arch"},   {.name = "semantics"}, {.name = "unknown-syscalls"},
    {.name = "raw-endian"}, {.name = "max-paths"}, {.name = "strict", .takes_value = false},
};

constexpr std::string_view kUsage =
    "usage: sysfence audit (PROFILE|default|- | --bpf FILE) [--arch A] "
    "[--fail-on info|low|medium|high|critical] [--caps LIST|docker-default|all|none] [--kernel X.Y] "
    "[--unknown-syscalls enosys|default] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--raw-endian "
    "little|big] [--max-paths N] "
    "[--strict]";

// Far above the kernel's 4096 instructions (32 KiB).
constexpr size_t kMaxRawBytes = size_t{8} * 1024 * 1024;

int run_audit(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const bool bpf_mode = parsed->has("bpf");
  if (bpf_mode == (parsed->positionals.size() == 1) || parsed->positionals.size() > 1) {
    return cli::usage_error(fmt::format("give exactly one of PROFILE and --bpf FILE\n{}", kUsage));
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

  std::optional<audit::Report> report;
  if (bpf_mode) {
    for (const char* flag : {"caps", "kernel", "arg-width", "unknown-syscalls", "bad-arch", "semantics", "strict"}) {
      if (parsed->has(flag)) return cli::usage_error(fmt::format("--{} applies to a PROFILE, not to --bpf", flag));
    }
    Endian byte_order = (*arch)->endian;
    if (auto e = parsed->get("raw-endian")) {
      if (*e == "little") byte_order = Endian::kLittle;
      else if (*e == "big") byte_order = Endian::kBig;
      else return cli::usage_error(fmt::format("--raw-endian must be little or big, not \"{}\"", *e));
    }
    const std::string path = parsed->get_or("bpf", "");
    const std::string shown = path == "-" ? "<stdin>" : path;
    auto bytes = cli::read_input(path, kMaxRawBytes);
    if (!bytes) return cli::usage_error(bytes.error().message);
    auto prog =
        bpf::read_raw(std::span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()), byte_order, shown);
    if (!prog) return cli::usage_error(prog.error().message);
    audit::ProgramAuditOptions options;
    // The arch the filter is for only when the user said so; otherwise the
    // ABIs the filter itself tells apart.
    options.arch = parsed->has("arch") ? *arch : nullptr;
    options.max_paths = max_paths;
    auto audited = audit::audit_program(*prog, options);
    if (!audited) return cli::usage_error(fmt::format("{}: {}", shown, audited.error().message));
    report = std::move(*audited);
    report->scope.insert(report->scope.begin(), fmt::format("filter {}", shown));
  } else {
    if (parsed->has("raw-endian")) return cli::usage_error("--raw-endian applies to --bpf, not to a PROFILE");
    profile::ReadOptions read_options;
    read_options.strict = parsed->has("strict");
    auto loaded = profile::load_profile(parsed->positionals[0], read_options);
    if (!loaded) return cli::usage_error(loaded.error().message);
    for (const std::string& f : loaded->strict_findings) fmt::print(stderr, "sysfence: {}\n", one_line(f));
    const profile::ResolveFlags flags = cli::resolve_flags(*parsed, std::string((*arch)->name));
    auto ropts = profile::make_resolve_options(flags);
    if (!ropts) return cli::usage_error(ropts.error().message);
    auto resolution = profile::resolve(loaded->profile, *ropts);
    if (!resolution) return cli::usage_error(resolution.error().message);
    // The width warnings become constant-width findings: no second copy on stderr.
    audit::ProfileAuditOptions options;
    options.native = *arch;
    options.arg_width = ropts->arg_width;
    options.max_paths = max_paths;
    auto audited = audit::audit_profile(loaded->profile, *resolution, options);
    if (!audited) return cli::usage_error(audited.error().message);
    report = std::move(*audited);
  }
  fmt::print("{}", audit::format_report(*report));
  return audit::has_finding_at_or_above(*report, *fail_on) ? cli::kExitMismatch : cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--bpf FILE", "audit a raw filter (any origin) instead of a PROFILE; - for stdin"},
    {"--arch A", cli::help::kArch},
    {"--fail-on SEVERITY", "exit 1 for a finding at or above info|low|medium|high|critical (default: high)"},
    {"--caps LIST", cli::help::kCaps},
    {"--kernel X.Y", cli::help::kKernel},
    {"--unknown-syscalls enosys|default", cli::help::kUnknownSyscalls},
    {"--arg-width abi|64", cli::help::kArgWidth},
    {"--bad-arch ACTION", cli::help::kBadArch},
    {"--semantics runc|libseccomp", cli::help::kSemantics},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--max-paths N", "paths of a --bpf filter walked before the audit reports itself incomplete (default 200000)"},
    {"--strict", cli::help::kStrict},
};

const cli::Registration kRegistration{{"audit",
                                       "security findings on a profile or any BPF filter, with severities and fixes",
                                       &run_audit, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
