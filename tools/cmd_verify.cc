// sysfence verify --profile PROFILE --bpf FILE [--arch A[,B..]|native]
//                 [--caps LIST|docker-default|all|none] [--kernel X.Y]
//                 [--unknown-syscalls enosys|default] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S]
//                 [--raw-endian little|big] [--max-counterexamples N] [--strict]
//
// Proves that the raw filter FILE implements PROFILE as resolved for the
// architecture (and the sub-architectures the profile pairs with it; a comma
// list keeps only the ABIs listed, as `compile` does): for every
// seccomp_data, the filter's action equals policy::evaluate's.
//   exit 0  "equivalent (proved: N paths, M word constraints)"
//   exit 1  counterexamples (each confirmed by the interpreter and by
//           policy::evaluate), or "not proved" when part of the filter is
//           outside the symbolic fragment and testing found no difference
//   exit 2  bad usage or bad input (profile or filter)
// --arg-width 64 compares arguments as libseccomp does (all 64 bits on 64-bit
// ABIs, the low word on its 32-bit ones); abi (the default) compares the arguments the
// kernel reads as 32-bit on their low word only (profile::ArgWidthMode).
// A filter stack (--bpf repeated, the first the oldest, or --bpf DIR, a dump
// directory) is proved as the kernel combines it (verify/stack.h); each
// counterexample names the filter whose answer the kernel keeps.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/filter_stack.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"
#include "tools/cli/resolve_flags.h"
#include "verify/json.h"
#include "verify/verify.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "profile"},    {.name = "bpf", .repeatable = true}, {.name = "arch"},
    {.name = "raw-endian"}, {.name = "max-counterexamples"},     {.name = "enosys-newer", .takes_value = false},
    {.name = "format"},
};
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence verify --profile PROFILE|default|- --bpf FILE [--bpf FILE..]|DIR [--arch A[,B..]|native] "
    "[--caps LIST|docker-default|all|none] [--kernel X.Y] [--unknown-syscalls enosys|default] "
    "[--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--raw-endian little|big] [--max-counterexamples N] "
    "[--format text|json] [--strict]";

// Counterexamples collected (and counted); --max-counterexamples of them are
// shown. Past this many the count reads "at least".
constexpr size_t kMaxCollected = 10000;

int run_verify(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (!parsed->positionals.empty() || !parsed->has("profile") || !parsed->has("bpf")) {
    return cli::usage_error(kUsage);
  }
  verify::EquivOptions eopts;
  eopts.max_mismatches = kMaxCollected;
  size_t max_shown = 3;
  if (auto n = parsed->get("max-counterexamples")) {
    auto v = cli::parse_u64(*n);
    if (!v || *v == 0 || *v > 100000) {
      return cli::usage_error(fmt::format("invalid --max-counterexamples \"{}\": expected 1..100000", *n));
    }
    max_shown = *v;
  }
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  auto arches = cli::parse_arch_list(parsed->get_or("arch", "native"));
  if (!arches) return cli::usage_error(arches.error().message);
  auto request = cli::pipeline_request(*parsed, parsed->get_or("profile", "default"), *arches);
  if (!request) return cli::usage_error(request.error().message);
  auto byte_order = cli::raw_endian(*parsed, arches->native->endian);
  if (!byte_order) return cli::usage_error(byte_order.error().message);

  // The policy only: the program to prove is the user's.
  request->last = pipeline::Stage::kRestrictAbis;
  request->target.newer_syscalls_enosys = parsed->has("enosys-newer");
  auto built = cli::run_pipeline(*request);
  if (!built) return cli::usage_error(built.error().message);

  auto stack = cli::read_filter_stack(*parsed, *byte_order);
  if (!stack) return cli::usage_error(stack.error().message);

  // One filter: the program's own proof; several: the kernel's combination
  // (its errors already name the filter).
  auto v = stack->size() == 1
               ? pipeline::prove(stack->programs[0], built->resolution.policy, eopts)
               : pipeline::prove_stack(std::move(stack->programs), stack->names, built->resolution.policy, eopts);
  if (!v && stack->size() == 1) return cli::usage_error(fmt::format("{}: {}", stack->names[0], v.error().message));
  if (!v) return cli::usage_error(v.error().message);
  if (*format == cli::OutputFormat::kJson) cli::print_json("verify", verify::to_json(*v, max_shown));
  else fmt::print("{}", verify::format_verification(*v, max_shown));
  return v->equivalent() ? cli::kExitOk : cli::kExitMismatch;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--profile PROFILE", cli::help::kProfile},
    {"--bpf FILE|DIR", cli::help::kBpfStack},
    {"--arch A[,B..]|native", cli::help::kArchList},
    {"--caps LIST", cli::help::kCaps},
    {"--enosys-newer", cli::help::kEnosysNewer},
    {"--kernel X.Y", cli::help::kKernel},
    {"--downgrade-actions FROM=TO,..", cli::help::kDowngradeActions},
    {"--unknown-syscalls enosys|default", cli::help::kUnknownSyscalls},
    {"--arg-width abi|64", cli::help::kArgWidth},
    {"--bad-arch ACTION", cli::help::kBadArch},
    {"--rule-combination most-restrictive|libseccomp", cli::help::kRuleCombination},
    {"--semantics runc|libseccomp", cli::help::kSemantics},
    {"--multiplex exact|libseccomp", cli::help::kMultiplex},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--max-counterexamples N",
     "counterexamples printed in detail (default 3); all are counted (up to 10000) and grouped by cause"},
    {"--format text|json", cli::help::kFormat},
    {"--strict", cli::help::kStrict},
};

const cli::Registration kRegistration{
    {"verify", "prove a raw filter or filter stack implements a profile (or show counterexamples)", &run_verify, kUsage,
     kFlagHelp}};

}  // namespace
}  // namespace sysfence
