// sysfence stats (PROFILE | --bpf FILE) [--arch A] [--weights uniform|hot|FILE]
//                [--range LO-HI] [--svg FILE]
//                [--caps ...] [--kernel X.Y] [--unknown-syscalls ...] [--strategy ...]
//                [--arg-width abi|64] [--bad-arch ACTION] [--semantics S]
//                [--compare [--bpf NAME=FILE]...]
//
// Measures a filter: its length; per ABI, the instructions the kernel
// executes per syscall number (arguments 0) — max and mean over the number
// range, weighted, and over the allowed numbers; how many syscalls the
// kernel's action cache answers without running the filter; the optimal-tree
// bound. Works on any BPF program (--bpf, raw in the arch's byte order); a
// PROFILE is compiled first (same flags as `compile`) and the compiler's own
// cost model is printed too. --svg draws instructions executed per number.
// --compare compiles the PROFILE with every strategy and prints (and with
// --svg draws) them side by side (measure/compare.h); `--bpf NAME=FILE`
// (repeatable) adds filters built elsewhere (libseccomp's, runc's) as columns.
// Without --compare, --bpf repeated (the first the oldest) or --bpf DIR (a
// dump directory) measures a filter stack as the kernel runs it: every
// filter's instructions counted, the action cache per the kernel's rule.
#include <fmt/format.h>

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "bpf/interp.h"
#include "bpf/stack.h"
#include "bpf/validate.h"
#include "compiler/compile.h"
#include "measure/compare.h"
#include "measure/json.h"
#include "measure/stats.h"
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

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "bpf", .repeatable = true},  // a stack, or with --compare NAME=FILE as often as wanted
    {.name = "pid"},
    {.name = "arch"},
    {.name = "weights"},
    {.name = "strategy"},
    {.name = "svg", .names_output = true},
    {.name = "range"},
    {.name = "compare", .takes_value = false},
    {.name = "format"},
};
// A PROFILE is resolved with the same flags as compile.
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence stats (PROFILE | --bpf FILE [--bpf FILE..] | --bpf DIR | --pid PID) [--arch A] "
    "[--weights uniform|hot|FILE] "
    "[--range LO-HI] [--svg FILE] [--caps LIST] [--kernel X.Y] "
    "[--unknown-syscalls enosys|default] [--strategy optimal|balanced|linear] [--arg-width abi|64] [--bad-arch ACTION] "
    "[--semantics S] [--strict] [--compare [--bpf NAME=FILE]...] [--format text|json]";

Expected<measure::NumberRange> parse_range(std::string_view s) {
  const size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    auto lo = cli::parse_u64(s.substr(0, dash));
    auto hi = cli::parse_u64(s.substr(dash + 1));
    if (lo && hi && *lo <= *hi && *hi <= 0xffffffffULL) {
      // Each number is run through the filter and kept: a bound on the work.
      if (*hi - *lo >= measure::kMaxRangeNumbers)
        return fail(fmt::format("--range {}: {} numbers, more than the {} measured at most", s, *hi - *lo + 1,
                                measure::kMaxRangeNumbers));
      return measure::NumberRange{static_cast<uint32_t>(*lo), static_cast<uint32_t>(*hi)};
    }
  }
  return fail(fmt::format("invalid --range \"{}\": expected LO-HI such as 0-450", s));
}

// ABIs a foreign filter handles: `native` and its sub-arches whose answers
// differ somewhere in their range from the answers to an arch value no ABI
// uses (what the filter does with an unknown arch).
std::vector<syscalls::ArchId> abis_in_filter(std::span<const bpf::Program> stack, const syscalls::Arch& native) {
  std::vector<syscalls::ArchId> out{native.id};
  auto in = bpf::StackInterpreter::create(stack);
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

// A filter built elsewhere, for --compare: `--bpf NAME=FILE`.
struct ExternalFilter {
  std::string name;
  bpf::Program program;
};

// `spec` as --compare's NAME=FILE; nullopt when it is not one.
std::optional<std::pair<std::string, std::string>> named_file(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) return std::nullopt;
  return std::pair{spec.substr(0, eq), spec.substr(eq + 1)};
}

// The FILE of each --compare --bpf NAME=FILE, noted as an input of the
// command (no output may replace it), before anything is read or written;
// an error where standard input is read twice.
Expected<void> note_external_files(const cli::ParsedArgs& parsed) {
  std::string reader = !parsed.positionals.empty() && parsed.positionals[0] == "-" ? "the PROFILE" : "";
  for (const std::string& spec : parsed.all("bpf")) {
    const auto named = named_file(spec);
    if (!named) continue;  // external_filters says what is wrong
    const std::string& file = named->second;
    cli::note_argument_path(file);
    if (file != "-") continue;
    const std::string who = fmt::format("--bpf {}", spec);
    if (!reader.empty())
      return fail(fmt::format("standard input (-) can be read only once, but {} and {} both name it", reader, who));
    reader = who;
  }
  return {};
}

// Every --bpf NAME=FILE, read in the arch's byte order.
Expected<std::vector<ExternalFilter>> external_filters(const cli::ParsedArgs& parsed, const syscalls::Arch& native) {
  std::vector<ExternalFilter> out;
  for (const std::string& spec : parsed.all("bpf")) {
    auto named = named_file(spec);
    if (!named) {
      return fail(
          fmt::format("--bpf \"{}\": with --compare, name each filter: --bpf NAME=FILE (e.g. runc=runc.bpf)", spec));
    }
    std::string name = std::move(named->first);
    for (const ExternalFilter& f : out) {
      if (f.name == name) return fail(fmt::format("--bpf: the name \"{}\" is given twice", name));
    }
    auto prog = cli::read_raw_filter(named->second, native.endian);
    if (!prog) return fail(prog.error().message);
    out.push_back({std::move(name), std::move(*prog)});
  }
  return out;
}

// --bpf FILE.., DIR or --pid: the filters, each of a stack validated (a message
// naming the file; one program keeps measure's own message), and the
// kernel they are measured for (--kernel, else the running one: its action
// cache and the calls it never filters) into `sopts`.
Expected<cli::FilterStack> read_stack(const cli::ParsedArgs& parsed, const syscalls::Arch& native,
                                      measure::StatsOptions& sopts) {
  auto kernel = cli::target_kernel(parsed);
  if (!kernel) return fail(kernel.error().message);
  sopts.kernel = *kernel;
  auto filters = cli::read_filter_stack(parsed, native.endian);
  if (!filters || filters->size() == 1) return filters;
  for (size_t k = 0; k < filters->size(); ++k) {
    if (auto valid = bpf::validate(filters->programs[k]); !valid) {
      return fail(fmt::format("{}: {}", filters->names[k], valid.error().message));
    }
  }
  return filters;
}

// --weights and --range.
Expected<measure::StatsOptions> measure_options(const cli::ParsedArgs& parsed) {
  measure::StatsOptions sopts;
  auto weights = compiler::Weights::FromFlag(parsed.get_or("weights", "uniform"));
  if (!weights) return fail(weights.error().message);
  sopts.weights = *weights;
  if (auto r = parsed.get("range")) {
    auto range = parse_range(*r);
    if (!range) return fail(range.error().message);
    sopts.range = *range;
  }
  return sopts;
}

// What is wrong with the combination of the flags, if anything.
std::optional<std::string> usage_problem(const cli::ParsedArgs& parsed) {
  const bool compare = parsed.has("compare");
  const bool from_bpf = (parsed.has("bpf") || parsed.has("pid")) && !compare;
  if (parsed.has("pid") && (compare || parsed.has("bpf"))) return "--pid PID takes the place of --bpf FILE";
  if (compare && (parsed.positionals.size() != 1 || parsed.has("strategy"))) {
    return "--compare compiles a PROFILE with every strategy: it needs the PROFILE, takes no --strategy, and takes "
           "other filters as --bpf NAME=FILE";
  }
  if (from_bpf && !parsed.positionals.empty())
    return fmt::format("--bpf FILE and --pid PID take the place of PROFILE: give one of them\n{}", kUsage);
  if (!from_bpf && parsed.positionals.size() != 1)
    return fmt::format("{}\n{}",
                       parsed.positionals.empty() ? std::string("no PROFILE given (or --bpf FILE, --pid PID)")
                                                  : cli::positional_count_problem(parsed.positionals.size(), "PROFILE"),
                       kUsage);
  // A filter built elsewhere is measured as it is: the flags that resolve or
  // compile a profile would change nothing, and are refused rather than
  // ignored (--kernel still says which calls the kernel never filters).
  if (from_bpf) {
    if (const auto flag = cli::first_resolve_flag(parsed, "kernel"))
      return fmt::format("--{} applies to a PROFILE, not to --bpf or --pid", *flag);
    if (parsed.has("strategy")) return std::string("--strategy applies to a PROFILE, not to --bpf or --pid");
  }
  return std::nullopt;
}

// The filters as given: one file keeps its old title, files are joined with
// " + ", a process is "process N".
std::string stack_title(const cli::ParsedArgs& parsed) {
  if (auto pid = parsed.get("pid")) return cli::pid_source(*pid);
  const std::vector<std::string> sources = parsed.all("bpf");
  std::string title = sources[0];
  for (size_t k = 1; k < sources.size(); ++k) title += " + " + sources[k];
  return title;
}

// --compare: every strategy side by side, and the external filters.
int run_compare(const policy::Policy& policy, const compiler::CompileOptions& copts, const measure::StatsOptions& sopts,
                const std::string& title, const std::optional<std::string>& svg,
                const std::vector<ExternalFilter>& externals, bool json) {
  std::vector<syscalls::ArchId> abis;
  for (const policy::ArchPolicy& ap : policy.arches) abis.push_back(ap.arch);
  auto c = measure::compare_strategies(policy, copts, abis, sopts);
  if (!c) return cli::usage_error(fmt::format("{}: {}", title, c.error().message));
  for (const ExternalFilter& f : externals) {
    if (auto ok = measure::add_external(*c, f.name, f.program, abis, sopts); !ok) {
      return cli::usage_error(ok.error().message);
    }
  }
  // The drawing first: where it cannot be written, nothing is printed.
  if (svg) {
    if (auto ok = cli::write_output(*svg, measure::comparison_svg(*c, title)); !ok) {
      return cli::usage_error(ok.error().message);
    }
  }
  if (json) cli::print_json("stats", measure::to_json(*c));
  else fmt::print("{}", measure::format_comparison(*c));
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
  if (parsed->has("compare"))
    if (auto noted = note_external_files(*parsed); !noted) return cli::usage_error(noted.error().message);
  // Before the report is printed: an --svg that cannot be written fails first.
  if (auto svg = parsed->get("svg"))
    if (auto ok = cli::check_output_file(*svg); !ok) return cli::usage_error(ok.error().message);
  const bool compare = parsed->has("compare");
  const bool from_bpf = (parsed->has("bpf") || parsed->has("pid")) && !compare;
  if (auto bad = usage_problem(*parsed)) return cli::usage_error(*bad);
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);
  const syscalls::Arch& native = **arch;
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  const bool json = *format == cli::OutputFormat::kJson;
  boost::json::object model_json;

  auto measured = measure_options(*parsed);
  if (!measured) return cli::usage_error(measured.error().message);
  measure::StatsOptions sopts = std::move(*measured);
  cli::print_warnings(sopts.weights.warnings());

  std::vector<bpf::Program> stack;  // installation order; one program unless --bpf gives a stack
  std::vector<syscalls::ArchId> abis;
  std::string title;
  std::string model;
  if (from_bpf) {
    auto filters = read_stack(*parsed, native, sopts);
    if (!filters) return cli::usage_error(filters.error().message);
    stack = std::move(filters->programs);
    abis = abis_in_filter(stack, native);
    title = stack_title(*parsed);
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
    request->last = compare ? pipeline::Stage::kResolve : pipeline::Stage::kCompile;
    auto built = cli::run_pipeline(*request);
    if (!built) return cli::usage_error(built.error().message);
    if (compare) {
      auto externals = external_filters(*parsed, native);
      if (!externals) return cli::usage_error(externals.error().message);
      return run_compare(built->resolution.policy, copts, sopts, parsed->positionals[0], parsed->get("svg"), *externals,
                         json);
    }
    const compiler::Compiled& compiled = *built->compiled;
    stack.push_back(compiled.program);
    for (const policy::ArchPolicy& ap : built->resolution.policy.arches) abis.push_back(ap.arch);
    title = parsed->positionals[0];
    model = compiler_model(compiled, copts);
    model_json = measure::compiler_model_json(compiled, copts);
  }

  auto stats = measure::measure_stack(stack, abis, sopts);
  if (!stats) return cli::usage_error(fmt::format("{}: {}", title, stats.error().message));
  // The drawing first: where it cannot be written, nothing is printed.
  if (auto svg = parsed->get("svg")) {
    if (auto ok = cli::write_output(*svg, measure::stats_svg(*stats, title)); !ok) {
      return cli::usage_error(ok.error().message);
    }
  }
  if (json) {
    boost::json::object body = measure::to_json(*stats, sopts.weights);
    body["compiler"] = model_json.empty() ? boost::json::value(nullptr) : boost::json::value(model_json);
    cli::print_json("stats", body);
  } else {
    fmt::print("{}", measure::format_stats(*stats, sopts.weights));
    if (!model.empty()) fmt::print("\n{}", model);
  }
  return cli::kExitOk;
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--bpf FILE|DIR",
     "a raw filter (struct sock_filter[]) instead of a profile; - for stdin; repeat for a filter stack (the first is "
     "the oldest), or a dump directory (filter-0.bpf = the oldest); with --compare, NAME=FILE (repeatable) adds a "
     "filter built elsewhere as a column"},
    {"--pid PID", cli::help::kPid},
    {"--arch A", cli::help::kArch},
    {"--weights uniform|hot|FILE", cli::help::kWeights},
    {"--range LO-HI", "the syscall numbers measured, without the ABI's bias, at most 1,048,576 of them (default: the "
                      "ABI's table)"},
    {"--svg FILE", "also draw the executed instructions per syscall number"},
    {"--caps LIST", cli::help::kCaps},
    {"--strategy optimal|balanced|linear", cli::help::kStrategy},
    {"--compare", "compile the PROFILE with every strategy and compare them side by side (and with --bpf NAME=FILE)"},
    {"--format text|json", cli::help::kFormat},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{
    {"stats", "measure a filter: executed instructions per syscall, cache, bound", &run_stats, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
