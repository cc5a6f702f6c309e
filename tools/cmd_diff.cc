// sysfence diff (A.bpf|DIR | --pid PID) (B.bpf|DIR | --pid PID) [--arch A] [--raw-endian little|big] [--max-regions N]
//
// Proves two raw filters equal (exit 0, "equivalent (proved: ...)"), or
// prints every region of inputs where they differ, grouped by architecture
// and syscall, with the argument conditions, both actions and a confirmed
// example input (exit 1). Exit 1 also when part of a filter is outside the
// symbolic fragment and testing found no difference (not a proof). The arch
// gives the raw files' byte order and the names in the report (default: the
// native arch); the filters may cover any number of architectures.
// Either side may be a dump directory (`sysfence dump -o DIR`: filter-0.bpf
// the oldest, ...) or a --pid: a filter stack, compared as the kernel
// combines it (verify/stack.h); each region then names the deciding filter of
// that side by its kernel index (0 = the oldest).
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/filter_stack.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/live_input.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"
#include "verify/diff_report.h"
#include "verify/equiv.h"
#include "verify/json.h"
#include "verify/stack.h"
#include "verify/symbolic.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},   {.name = "raw-endian"}, {.name = "max-regions"}, {.name = "pid", .repeatable = true},
    {.name = "format"},
};

constexpr std::string_view kUsage =
    "usage: sysfence diff (A.bpf|DIR | --pid PID) (B.bpf|DIR | --pid PID) [--arch A] [--raw-endian little|big] "
    "[--max-regions N] [--format text|json]";

// Differing regions collected (the report prints --max-regions of them).
constexpr size_t kMaxCollected = 10000;

// One side: a raw filter, or a dump directory's stack (one filter in a
// directory is compared as that filter).
struct Side {
  std::vector<bpf::Program> programs;  // installation order
  std::unique_ptr<verify::Procedure> procedure;
  const verify::StackProcedure* stack = nullptr;  // set for stacks of several filters
};

// `pid` set: the stack of that process (`path` is then "process N").
Expected<Side> load(const std::string& path, Endian e, const std::string* pid = nullptr) {
  auto filters = pid != nullptr ? cli::read_pid_stack(*pid) : cli::read_filter_stack(std::vector<std::string>{path}, e);
  if (!filters) return Unexpected<Error>{filters.error()};
  Side side;
  side.programs = filters->programs;
  if (filters->size() == 1) {
    auto proc = verify::BpfProcedure::create(std::move(filters->programs[0]));
    if (!proc) return fail(fmt::format("{}: {}", filters->names[0], proc.error().message));
    side.procedure = std::make_unique<verify::BpfProcedure>(std::move(*proc));
    return side;
  }
  auto proc = verify::StackProcedure::create(std::move(filters->programs), std::move(filters->names));
  if (!proc) return fail(proc.error().message);
  auto stack = std::make_unique<verify::StackProcedure>(std::move(*proc));
  side.stack = stack.get();
  side.procedure = std::move(stack);
  return side;
}

// {"index": 1, "name": "DIR/filter-1.bpf"} or null (every filter allows).
boost::json::value deciding_filter_json(const verify::StackProcedure& stack, const SeccompWords& input) {
  const auto k = stack.deciding_filter(input);
  if (!k) return nullptr;
  boost::json::object f;
  f["index"] = *k;
  f["name"] = stack.name(*k);
  return f;
}

// For stack sides, each region names the deciding filter of its example.
void add_deciding_filters(boost::json::object& doc, const verify::EquivResult& r, const Side& a, const Side& b) {
  if (a.stack == nullptr && b.stack == nullptr) return;
  boost::json::array& regions = doc["regions"].as_array();
  for (size_t i = 0; i < regions.size() && i < r.mismatches.size(); ++i) {
    boost::json::object& g = regions[i].as_object();
    if (a.stack) g["a_filter"] = deciding_filter_json(*a.stack, r.mismatches[i].input);
    if (b.stack) g["b_filter"] = deciding_filter_json(*b.stack, r.mismatches[i].input);
  }
}

int run_diff(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const std::vector<std::string> pids = parsed->all("pid");
  if (parsed->positionals.size() + pids.size() != 2)
    return cli::usage_error(fmt::format("diff compares two filters (files, dump directories or --pid PID): {} given",
                                        parsed->positionals.size() + pids.size()),
                            kUsage);
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

  if (a->programs == b->programs) {
    if (json) {
      verify::EquivResult same;
      same.verdict = verify::EquivResult::Verdict::kEquivalent;
      same.proved = true;
      cli::print_json("diff", verify::diff_to_json(same, path_a, path_b, ropts.max_regions, true));
      return cli::kExitOk;
    }
    if (a->programs.size() == 1) {
      fmt::print("equivalent (identical programs, {} instructions)\n", a->programs[0].size());
    } else {
      fmt::print("equivalent (identical stacks of {} filters)\n", a->programs.size());
    }
    return cli::kExitOk;
  }
  verify::EquivOptions eopts;
  eopts.max_mismatches = kMaxCollected;
  const verify::EquivResult r = verify::check_equivalent(*a->procedure, *b->procedure, eopts);
  ropts.name_a = path_a;
  ropts.name_b = path_b;
  ropts.where_a = a->stack != nullptr;
  ropts.where_b = b->stack != nullptr;
  if (json) {
    boost::json::object doc = verify::diff_to_json(r, path_a, path_b, ropts.max_regions, false);
    add_deciding_filters(doc, r, *a, *b);
    cli::print_json("diff", doc);
  } else fmt::print("{}", verify::format_diff(r, ropts));
  return r.verdict == verify::EquivResult::Verdict::kEquivalent ? cli::kExitOk : cli::kExitMismatch;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--arch A", cli::help::kArch},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--pid PID",
     "the filters the running process PID enforces (a stack when several) in place of A.bpf (twice: of B.bpf too)"},
    {"--max-regions N", "differing regions printed (default 200; the count is always exact)"},
    {"--format text|json", cli::help::kFormat},
};

const cli::Registration kRegistration{{"diff",
                                       "prove two raw filters (or filter stacks) equal, or show where they differ",
                                       &run_diff, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
