// sysfence diff A.bpf B.bpf [--arch A] [--raw-endian little|big] [--max-regions N]
//
// Proves two raw filters equal (exit 0, "equivalent (proved: ...)"), or
// prints every region of inputs where they differ, grouped by architecture
// and syscall, with the argument conditions, both actions and a confirmed
// example input (exit 1). Exit 1 also when part of a filter is outside the
// symbolic fragment and testing found no difference (not a proof). The arch
// gives the raw files' byte order and the names in the report (default: the
// native arch); the filters may cover any number of architectures.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/live_input.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"
#include "verify/diff_report.h"
#include "verify/equiv.h"
#include "verify/json.h"
#include "verify/symbolic.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},   {.name = "raw-endian"}, {.name = "max-regions"}, {.name = "pid", .repeatable = true},
    {.name = "format"},
};

constexpr std::string_view kUsage =
    "usage: sysfence diff (A.bpf | --pid PID) (B.bpf | --pid PID) [--arch A] [--raw-endian little|big] [--max-regions "
    "N] [--format text|json]";

// Differing regions collected (the report prints --max-regions of them).
constexpr size_t kMaxCollected = 10000;

// `path` is "process N" for a --pid.
Expected<verify::BpfProcedure> load(const std::string& path, Endian e, const std::string* pid = nullptr) {
  const std::string shown = path == "-" ? "<stdin>" : path;
  auto prog = pid != nullptr ? cli::pid_filter(*pid) : cli::read_raw_filter(path, e);
  if (!prog) return Unexpected<Error>{prog.error()};
  auto proc = verify::BpfProcedure::create(std::move(*prog));
  if (!proc) return fail(fmt::format("{}: {}", shown, proc.error().message));
  return proc;
}

int run_diff(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const std::vector<std::string> pids = parsed->all("pid");
  if (parsed->positionals.size() + pids.size() != 2) return cli::usage_error(kUsage);
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);
  auto byte_order = cli::raw_endian(*parsed, (*arch)->endian);
  if (!byte_order) return cli::usage_error(byte_order.error().message);
  verify::DiffReportOptions ropts;
  if (auto n = parsed->get("max-regions")) {
    auto v = cli::parse_u64(*n);
    if (!v || *v == 0 || *v > kMaxCollected) {
      return cli::usage_error(fmt::format("invalid --max-regions \"{}\": expected 1..{}", *n, kMaxCollected));
    }
    ropts.max_regions = *v;
  }
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  const bool json = *format == cli::OutputFormat::kJson;
  // The --pid filters come first, as A (and B).
  const std::string path_a = pids.empty() ? parsed->positionals[0] : cli::pid_source(pids[0]);
  const std::string path_b = pids.size() == 2 ? cli::pid_source(pids[1]) : parsed->positionals.back();
  if (path_a == "-" && path_b == "-") return cli::usage_error("only one of the filters can be read from stdin");
  auto a = load(path_a, *byte_order, pids.empty() ? nullptr : &pids.front());
  if (!a) return cli::usage_error(a.error().message);
  auto b = load(path_b, *byte_order, pids.size() == 2 ? &pids[1] : nullptr);
  if (!b) return cli::usage_error(b.error().message);

  if (a->program() == b->program()) {
    if (json) {
      verify::EquivResult same;
      same.verdict = verify::EquivResult::Verdict::kEquivalent;
      same.proved = true;
      cli::print_json("diff", verify::diff_to_json(same, path_a, path_b, ropts.max_regions, true));
      return cli::kExitOk;
    }
    fmt::print("equivalent (identical programs, {} instructions)\n", a->program().size());
    return cli::kExitOk;
  }
  verify::EquivOptions eopts;
  eopts.max_mismatches = kMaxCollected;
  const verify::EquivResult r = verify::check_equivalent(*a, *b, eopts);
  ropts.name_a = path_a;
  ropts.name_b = path_b;
  if (json) cli::print_json("diff", verify::diff_to_json(r, path_a, path_b, ropts.max_regions, false));
  else fmt::print("{}", verify::format_diff(r, ropts));
  return r.verdict == verify::EquivResult::Verdict::kEquivalent ? cli::kExitOk : cli::kExitMismatch;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", cli::help::kArch},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--pid PID", "the filter the running process PID enforces in place of A.bpf (twice: of B.bpf too)"},
    {"--max-regions N", "differing regions printed (default 200; the count is always exact)"},
    {"--format text|json", cli::help::kFormat},
};

const cli::Registration kRegistration{
    {"diff", "prove two raw filters equal, or show where they differ", &run_diff, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
