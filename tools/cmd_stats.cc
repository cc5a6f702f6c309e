// sysfence stats (PROFILE | --bpf FILE) [--arch A] [--weights uniform|hot|FILE]
//                [--range LO-HI] [--svg FILE]
//                [--caps ...] [--kernel X.Y] [--unknown-syscalls ...] [--strategy ...]
//                [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--compare]
//
// Measures a filter: its length; per ABI, the instructions the kernel
// executes per syscall number (arguments 0) — max and mean over the number
// range, weighted, and over the allowed numbers; how many syscalls the
// kernel's action cache answers without running the filter; the optimal-tree
// bound. Works on any BPF program (--bpf, raw in the arch's byte order); a
// PROFILE is compiled first (same flags as `compile`) and the compiler's own
// cost model is printed too. --svg draws instructions executed per number.
// --compare compiles the PROFILE with every strategy and prints (and with
// --svg draws) them side by side (measure/compare.h).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "bpf/interp.h"
#include "compiler/compile.h"
#include "measure/compare.h"
#include "measure/stats.h"
#include "pipeline/pipeline.h"
#include "profile/load.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "bpf"},
    {.name = "arch"},
    {.name = "weights"},
    {.name = "strategy"},
    {.name = "svg"},
    {.name = "range"},
    {.name = "compare", .takes_value = false},
};
// A PROFILE is resolved with the same flags as compile.
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence stats (PROFILE | --bpf FILE) [--arch A] [--weights uniform|hot|FILE] "
    "[--range LO-HI] [--svg FILE] [--caps LIST] [--kernel X.Y] "
    "[--unknown-syscalls enosys|default] [--strategy optimal|balanced|linear] [--arg-width abi|64] [--bad-arch ACTION] "
    "[--semantics S] [--strict] [--compare]";

Expected<measure::NumberRange> parse_range(std::string_view s) {
  const size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    auto lo = cli::parse_u64(s.substr(0, dash));
    auto hi = cli::parse_u64(s.substr(dash + 1));
    if (lo && hi && *lo <= *hi && *hi <= 0xffffffffULL) {
      return measure::NumberRange{static_cast<uint32_t>(*lo), static_cast<uint32_t>(*hi)};
    }
  }
  return fail(fmt::format("invalid --range \"{}\": expected LO-HI such as 0-450", s));
}

// ABIs a foreign filter handles: `native` and its sub-arches whose answers
// differ somewhere in their range from the answers to an arch value no ABI
// uses (what the filter does with an unknown arch).
std::vector<syscalls::ArchId> abis_in_filter(const bpf::Program& prog, const syscalls::Arch& native) {
  std::vector<syscalls::ArchId> out{native.id};
  auto in = bpf::Interpreter::create(prog);
  if (!in) return out;
  for (syscalls::ArchId sub : syscalls::default_sub_arches(native.id)) {
    const syscalls::Arch& a = syscalls::arch(sub);
    const syscalls::Table& t = syscalls::table(sub);
    bool differs = false;
    for (const syscalls::Syscall& s : t.entries()) {
      SeccompData d;
      d.nr = s.nr;
      d.arch = a.audit_arch;
      SeccompData bogus = d;
      bogus.arch = 0x7fffffffU;  // no AUDIT_ARCH value looks like this
      if (in->run(d, a.endian).ret != in->run(bogus, a.endian).ret) {
        differs = true;
        break;
      }
    }
    if (differs) out.push_back(sub);
  }
  return out;
}

// --compare: every strategy side by side.
int run_compare(const policy::Policy& policy, const compiler::CompileOptions& copts, const measure::StatsOptions& sopts,
                const std::string& title, const std::optional<std::string>& svg) {
  std::vector<syscalls::ArchId> abis;
  for (const policy::ArchPolicy& ap : policy.arches) abis.push_back(ap.arch);
  auto c = measure::compare_strategies(policy, copts, abis, sopts);
  if (!c) return cli::usage_error(fmt::format("{}: {}", title, c.error().message));
  fmt::print("{}", measure::format_comparison(*c));
  if (svg) {
    if (auto ok = cli::write_output(*svg, measure::comparison_svg(*c, title)); !ok) {
      return cli::usage_error(ok.error().message);
    }
  }
  return cli::kExitOk;
}

// The compiler's own cost model, printed after the measurement.
std::string compiler_model(const compiler::Compiled& compiled, const compiler::CompileOptions& copts) {
  std::string model = fmt::format("compiler model ({} strategy, {} weights):\n", compiler::to_string(copts.strategy),
                                  copts.weights.description());
  for (const compiler::ArchReport& r : compiled.arches) {
    model += fmt::format(
        "  {}: {} intervals, {} comparisons in the number tree, expected {:.2f} instructions "
        "({} before the tree, {:.2f} comparisons, 1 return)\n",
        compiler::abi_names(r.abis), r.intervals, r.tree_tests, r.bound(), r.dispatch_insns, r.tree_cost);
  }
  if (compiled.layout.trampolines > 0) {
    model += fmt::format("  layout: {} trampolines\n", compiled.layout.trampolines);
  }
  return model;
}

int run_stats(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const bool from_bpf = parsed->has("bpf");
  if (parsed->has("compare") && (from_bpf || parsed->has("strategy"))) {
    return cli::usage_error("--compare compiles a PROFILE with every strategy: it takes neither --bpf nor --strategy");
  }
  if (from_bpf ? !parsed->positionals.empty() : parsed->positionals.size() != 1) {
    return cli::usage_error(kUsage);
  }
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);
  const syscalls::Arch& native = **arch;

  measure::StatsOptions sopts;
  auto weights = compiler::Weights::FromFlag(parsed->get_or("weights", "uniform"));
  if (!weights) return cli::usage_error(weights.error().message);
  sopts.weights = *weights;
  if (auto r = parsed->get("range")) {
    auto range = parse_range(*r);
    if (!range) return cli::usage_error(range.error().message);
    sopts.range = *range;
  }

  bpf::Program program;
  std::vector<syscalls::ArchId> abis;
  std::string title;
  std::string model;
  if (from_bpf) {
    const std::string path = *parsed->get("bpf");
    auto prog = cli::read_raw_filter(path, native.endian);
    if (!prog) return cli::usage_error(prog.error().message);
    program = std::move(*prog);
    abis = abis_in_filter(program, native);
    if (auto kernel = parsed->get("kernel")) {
      auto version = profile::parse_kernel_version(*kernel);
      if (!version) return cli::usage_error(version.error().message);
      sopts.kernel = *version;
    }
    title = path;
  } else {
    compiler::CompileOptions copts;
    if (auto s = parsed->get("strategy"); s && !compiler::parse_strategy(*s, &copts.strategy)) {
      return cli::usage_error(fmt::format("invalid --strategy \"{}\": expected optimal, balanced or linear", *s));
    }
    copts.weights = sopts.weights;
    auto request = cli::pipeline_request(*parsed, parsed->positionals[0], cli::ArchList{.native = &native, .keep = {}});
    if (!request) return cli::usage_error(request.error().message);
    sopts.kernel = request->resolve.kernel;
    request->compile = copts;
    // --compare compiles with every strategy itself; stats measures, the
    // proof is compile's and verify's business.
    request->last = parsed->has("compare") ? pipeline::Stage::kResolve : pipeline::Stage::kCompile;
    auto built = cli::run_pipeline(*request);
    if (!built) return cli::usage_error(built.error().message);
    if (parsed->has("compare")) {
      return run_compare(built->resolution.policy, copts, sopts, parsed->positionals[0], parsed->get("svg"));
    }
    const compiler::Compiled& compiled = *built->compiled;
    program = compiled.program;
    for (const policy::ArchPolicy& ap : built->resolution.policy.arches) abis.push_back(ap.arch);
    title = parsed->positionals[0];
    model = compiler_model(compiled, copts);
  }

  auto stats = measure::measure(program, abis, sopts);
  if (!stats) return cli::usage_error(fmt::format("{}: {}", title, stats.error().message));
  fmt::print("{}", measure::format_stats(*stats, sopts.weights));
  if (!model.empty()) fmt::print("\n{}", model);
  if (auto svg = parsed->get("svg")) {
    if (auto ok = cli::write_output(*svg, measure::stats_svg(*stats, title)); !ok) {
      return cli::usage_error(ok.error().message);
    }
  }
  return cli::kExitOk;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--bpf FILE", cli::help::kBpf},
    {"--arch A", cli::help::kArch},
    {"--weights uniform|hot|FILE", cli::help::kWeights},
    {"--range LO-HI", "the syscall numbers measured, without the ABI's bias (default: the ABI's table)"},
    {"--svg FILE", "also draw the executed instructions per syscall number"},
    {"--caps LIST", cli::help::kCaps},
    {"--kernel X.Y", cli::help::kKernel},
    {"--downgrade-actions FROM=TO,..", cli::help::kDowngradeActions},
    {"--unknown-syscalls enosys|default", cli::help::kUnknownSyscalls},
    {"--strategy optimal|balanced|linear", cli::help::kStrategy},
    {"--arg-width abi|64", cli::help::kArgWidth},
    {"--bad-arch ACTION", cli::help::kBadArch},
    {"--semantics runc|libseccomp", cli::help::kSemantics},
    {"--strict", cli::help::kStrict},
    {"--compare", "compile the PROFILE with every strategy and compare them side by side"},
};

const cli::Registration kRegistration{
    {"stats", "measure a filter: executed instructions per syscall, cache, bound", &run_stats, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
