// sysfence sim (PROFILE | --bpf FILE) --arch A --syscall NAME|NR [--args a0,..,a5] [--ip X] [--trace]
// sysfence sim (PROFILE | --bpf FILE) --arch A --inputs FILE|-
//
// A PROFILE (a path, "default" or "-") is resolved for --arch as its native
// arch (with --caps/--kernel/--unknown-syscalls/--arg-width as in compile),
// compiled, and the compiled program is what runs, so the instruction counts
// are those of the filter `compile` would write. Each answer is also checked
// against policy::evaluate; a disagreement is reported as an internal error
// (the compiler proves its output, so it would be a bug).
//
// Runs a raw filter in the kernel-exact interpreter. Single mode prints one
// line `ACTION<TAB>insns` (with --trace, every executed instruction first);
// batch mode reads one input per line, `nr a0 a1 a2 a3 a4 a5 [ip]` (decimal or
// 0x-hex, a syscall name for nr, missing values 0, blank lines and `#`
// comments skipped) and prints one `ACTION<TAB>insns` line per input.
//
// The arch decides seccomp_data.arch (its AUDIT_ARCH value), the word layout
// of the 64-bit fields, and by default the byte order of the raw file
// (--raw-endian little|big overrides it). A numeric syscall is used as
// seccomp_data.nr exactly as given; a name is looked up in the arch's table
// (bias included, e.g. MIPS o32 `read` is 4003).
//
// A filter stack (--bpf repeated, the first the oldest, or --bpf DIR, a dump
// directory) runs as the kernel runs it (bpf/stack.h): every filter, the
// lowest action wins, the newest on a tie. Each answer line gains a third
// column naming the deciding filter by its kernel index ("filter 1 (b.bpf)",
// 0 = the oldest, the first --bpf), or
// "every filter allows"; insns counts every filter's instructions.
//
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/seccomp.h"
#include "base/text.h"
#include "bpf/disasm.h"
#include "bpf/interp.h"
#include "bpf/stack.h"
#include "bpf/validate.h"
#include "pipeline/pipeline.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "syscalls/filter_support.h"
#include "syscalls/table.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/filter_stack.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "bpf", .repeatable = true},
    {.name = "arch"},
    {.name = "syscall"},
    {.name = "args"},
    {.name = "ip"},
    {.name = "trace", .takes_value = false},
    {.name = "inputs"},
    {.name = "raw-endian"},
    {.name = "format"},
};
// Profile simulation takes the same resolution flags as compile.
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence sim (PROFILE [--caps LIST] [--kernel X.Y] [--unknown-syscalls enosys|default] "
    "[--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--strict] | --bpf FILE [--bpf FILE..] | --bpf DIR "
    "[--raw-endian little|big]) "
    "--arch A (--syscall NAME|NR "
    "[--args a0,..,a5] [--ip X] [--trace] | --inputs FILE|-) [--format text|json]";

// Longest accepted input line: 8 fields of at most 20 digits plus spacing
// leaves plenty of room; longer lines are an error, not a memory sink.
constexpr size_t kMaxLineBytes = 4096;
// All of --inputs, as a profile's limit: the answers wait for the last line.
constexpr size_t kMaxInputsBytes = size_t{16} << 20;

// One filter's answer inside a stack.
struct FilterAnswer {
  size_t index;  // the kernel's: the installation position
  Action action;
  uint32_t insns;
};

// One simulated decision.
struct Outcome {
  Action action;
  uint32_t insns = 0;
  // A stack of several filters only: the deciding filter (the kernel's
  // index; none when every filter allows) and each filter's answer, newest
  // first as the kernel runs them.
  bool stacked = false;
  std::optional<size_t> decider;
  std::vector<FilterAnswer> per_filter;
  // The kernel runs no filter for this call (syscalls/filter_support.h):
  // `action` is then ALLOW and `filters_say` what the filters would answer.
  const syscalls::SeccompExemption* exempt = nullptr;
  Action filters_say;
};

using Evaluator = std::function<Outcome(const SeccompData&)>;

// The filters' names by kernel index (installation order, 0 = the oldest).
using FilterNames = std::vector<std::string>;

std::string exemption_text(const Outcome& o) {
  return fmt::format("the kernel runs no seccomp filter for {} on x86_64 since Linux {} (the filters answer {})",
                     o.exempt->name, syscalls::to_string(o.exempt->since), to_string(o.filters_say));
}

std::string line_of(const Outcome& o, const FilterNames& names) {
  if (o.exempt != nullptr) return fmt::format("{}\t{}\t{}\n", to_string(o.action), o.insns, exemption_text(o));
  if (!o.stacked) return fmt::format("{}\t{}\n", to_string(o.action), o.insns);
  const std::string decider =
      o.decider ? fmt::format("filter {} ({})", *o.decider, names[*o.decider]) : std::string("every filter allows");
  return fmt::format("{}\t{}\t{}\n", to_string(o.action), o.insns, decider);
}

// One element of the JSON document's "results".
boost::json::object result_json(const SeccompData& d, const Outcome& o, const syscalls::Arch& arch,
                                const FilterNames& names) {
  boost::json::object input;
  const auto name = syscalls::table(arch).name(d.nr);
  input["syscall"] = name ? boost::json::value(*name) : boost::json::value(nullptr);
  input["data"] = seccomp_data_json(d);
  boost::json::object r;
  r["input"] = std::move(input);
  r["action"] = action_json(o.action);
  r["insns"] = o.insns;
  if (o.exempt != nullptr) {
    boost::json::object e;
    e["call"] = o.exempt->name;
    e["since"] = syscalls::to_string(o.exempt->since);
    e["filters_action"] = action_json(o.filters_say);
    e["text"] = exemption_text(o);
    r["kernel_exempt"] = std::move(e);
  }
  if (o.stacked) {
    r["decided_by"] = o.decider ? boost::json::value(*o.decider) : boost::json::value(nullptr);
    boost::json::array filters;
    for (const FilterAnswer& answer : o.per_filter) {
      boost::json::object f;
      f["filter"] = answer.index;
      f["name"] = names[answer.index];
      f["action"] = action_json(answer.action);
      f["insns"] = answer.insns;
      filters.push_back(std::move(f));
    }
    r["filters"] = std::move(filters);
  }
  return r;
}

// nr: a number (used as seccomp_data.nr as is), a negative one (the kernel's
// `int nr` as the filter reads it: -1, what a tracer sets to skip a call, is
// 0xffffffff) or a syscall name of the arch.
Expected<uint32_t> parse_nr(std::string_view text, const syscalls::Arch& arch) {
  if (auto n = cli::parse_u64(text)) {
    if (*n > 0xffffffffULL) return fail(fmt::format("syscall number {} does not fit 32 bits", text));
    return static_cast<uint32_t>(*n);
  }
  if (text.size() > 1 && text[0] == '-') {
    auto n = cli::parse_u64(text.substr(1));
    if (!n) return fail(fmt::format("invalid syscall number {}", quote(text)));
    if (*n > 0x80000000ULL) return fail(fmt::format("syscall number {} does not fit the kernel's int", text));
    return static_cast<uint32_t>(0x100000000ULL - *n);
  }
  if (auto n = syscalls::table(arch).number(text)) return *n;
  if (!text.empty() && (text[0] >= '0' && text[0] <= '9')) {
    return fail(fmt::format("invalid syscall number {}", quote(text)));
  }
  const auto near = syscalls::table(arch).nearest_name(text);
  return fail(fmt::format("unknown syscall {} for {}{}", quote(text), arch.name,
                          near ? fmt::format(" (did you mean \"{}\"?)", *near) : std::string()));
}

Expected<uint64_t> parse_value(std::string_view text, std::string_view what) {
  if (auto n = cli::parse_u64(text)) return *n;
  return fail(fmt::format("invalid {} {} (expected a decimal or 0x-hex number up to 64 bits)", what, quote(text)));
}

// --args a0,..,a5: one to six values, the missing ones 0. An empty list or
// item (an unset variable, a stray comma) is refused as --arch's are, not
// taken as 0.
Expected<std::array<uint64_t, 6>> parse_arg_list(std::string_view list) {
  if (list.empty()) return fail("invalid --args \"\": empty list (leave --args out for all zeros)");
  std::array<uint64_t, 6> out{};
  std::string_view rest = list;
  for (unsigned i = 0;; ++i) {
    if (i == 6) return fail(fmt::format("--args takes at most 6 values, got {}", quote(list)));
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (item.empty()) return fail(fmt::format("invalid --args {}: item {} of the list is empty", quote(list), i + 1));
    auto v = parse_value(item, fmt::format("args[{}]", i));
    if (!v) return Unexpected<Error>{v.error()};
    out[i] = *v;
    if (comma == std::string_view::npos) return out;
    rest = rest.substr(comma + 1);
  }
}

// Reads and validates the raw filters (error: "FILE: instruction 3: ...").
Expected<cli::FilterStack> load_filters(const cli::ParsedArgs& args, Endian byte_order) {
  auto stack = cli::read_filter_stack(args, byte_order);
  if (!stack) return Unexpected<Error>{stack.error()};
  for (size_t k = 0; k < stack->size(); ++k) {
    if (auto valid = bpf::validate(stack->programs[k]); !valid) {
      return fail(fmt::format("{}: {}", stack->names[k], valid.error().message));
    }
  }
  return std::move(*stack);
}

// Single mode: --syscall, --args, --ip.
Expected<SeccompData> single_input(const cli::ParsedArgs& args, const syscalls::Arch& arch) {
  SeccompData d;
  d.arch = arch.audit_arch;
  auto nr = parse_nr(*args.get("syscall"), arch);
  if (!nr) return Unexpected<Error>{nr.error()};
  d.nr = *nr;
  if (auto list = args.get("args")) {
    auto values = parse_arg_list(*list);
    if (!values) return Unexpected<Error>{values.error()};
    d.args = *values;
  }
  if (auto ip = args.get("ip")) {
    auto v = parse_value(*ip, "instruction pointer");
    if (!v) return Unexpected<Error>{v.error()};
    d.instruction_pointer = *v;
  }
  return d;
}

// Batch mode: one line -> one input. Errors name file:line:column.
Expected<std::optional<SeccompData>> parse_input_line(std::string_view line, const syscalls::Arch& arch,
                                                      std::string_view where, size_t line_no) {
  SeccompData d;
  d.arch = arch.audit_arch;
  unsigned field = 0;
  size_t pos = 0;
  while (true) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r')) ++pos;
    if (pos == line.size() || line[pos] == '#') break;
    size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    const std::string_view token = line.substr(pos, end - pos);
    const auto here = [&](const std::string& msg) {
      return fail(fmt::format("{}:{}:{}: {}", where, line_no, pos + 1, msg));
    };
    if (field == 0) {
      auto nr = parse_nr(token, arch);
      if (!nr) return here(nr.error().message);
      d.nr = *nr;
    } else if (field <= 6) {
      auto v = parse_value(token, fmt::format("args[{}]", field - 1));
      if (!v) return here(v.error().message);
      d.args[field - 1] = *v;
    } else if (field == 7) {
      auto v = parse_value(token, "instruction pointer");
      if (!v) return here(v.error().message);
      d.instruction_pointer = *v;
    } else {
      return here("too many fields (expected: nr a0 a1 a2 a3 a4 a5 [ip])");
    }
    ++field;
    pos = end;
  }
  if (field == 0) return std::optional<SeccompData>{};
  return std::optional<SeccompData>{d};
}

// Text: one answer line per input; JSON (`results` set): the answers
// collected there. Either is printed only when every line was read well (no
// partial output on a bad line), so the inputs are bounded like a profile.
int run_batch(const std::string& path, const syscalls::Arch& arch, const Evaluator& evaluate, const FilterNames& names,
              boost::json::array* results) {
  if (path.empty()) return cli::usage_error("--inputs: empty file name");
  const std::string where = path == "-" ? "<stdin>" : path;
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    return cli::usage_error(fmt::format("{}: cannot open: {}", where, std::strerror(errno)));
  }
  fmt::memory_buffer out;
  size_t total = 0;
  std::string line;
  size_t line_no = 0;
  char buf[1 << 16];
  int status = cli::kExitOk;
  bool done = false;
  std::string pending;
  while (!done) {
    const size_t n = std::fread(buf, 1, sizeof(buf), in);
    if (n == 0) {
      if (std::ferror(in)) {
        status = cli::usage_error(fmt::format("{}: read error: {}", where, std::strerror(errno)));
        break;
      }
      done = true;
    }
    total += n;
    if (total > kMaxInputsBytes) {
      status = cli::usage_error(fmt::format("{}: more than {} MiB of inputs", where, kMaxInputsBytes >> 20));
      break;
    }
    pending.append(buf, n);
    size_t start = 0;
    while (true) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) {
        if (!done) break;
        if (start == pending.size()) break;
        nl = pending.size();  // last line without a newline
      }
      ++line_no;
      if (nl - start > kMaxLineBytes) {
        status = cli::usage_error(fmt::format("{}:{}:1: line longer than {} bytes", where, line_no, kMaxLineBytes));
        done = true;
        break;
      }
      auto input = parse_input_line(std::string_view{pending}.substr(start, nl - start), arch, where, line_no);
      if (!input) {
        status = cli::usage_error(input.error().message);
        done = true;
        break;
      }
      if (input->has_value() && results != nullptr) {
        results->push_back(result_json(**input, evaluate(**input), arch, names));
      } else if (input->has_value()) {
        const std::string text = line_of(evaluate(**input), names);
        out.append(text.data(), text.data() + text.size());
      }
      start = nl + 1;
      if (start > pending.size()) break;
    }
    if (status != cli::kExitOk) break;
    pending.erase(0, std::min(start, pending.size()));
    if (pending.size() > kMaxLineBytes) {
      status = cli::usage_error(fmt::format("{}:{}:1: line longer than {} bytes", where, line_no + 1, kMaxLineBytes));
      break;
    }
  }
  if (status == cli::kExitOk) std::fwrite(out.data(), 1, out.size(), stdout);
  if (in != stdin) std::fclose(in);
  return status;
}

void print_trace(const bpf::Interpreter& interp, std::span<const bpf::Insn> prog, const syscalls::Arch& arch,
                 const SeccompData& d) {
  std::vector<bpf::TraceStep> trace;
  interp.run_traced(to_words(d, arch.endian), trace);
  const std::vector<std::string> text = bpf::statements(prog, &arch);
  for (const bpf::TraceStep& step : trace) {
    fmt::print("{:04}: {:<44} A=0x{:08x} X=0x{:08x}\n", step.pc, text[step.pc], step.a, step.x);
  }
}

// The filters under simulation (installation order; one for a profile) and,
// for a profile, the policy it implements.
struct Subject {
  std::vector<bpf::Program> stack;
  FilterNames names;  // installation order = kernel index (0 = the oldest)
  std::optional<policy::Policy> policy;
};

// PROFILE -> resolve for `arch` as the native arch -> compile.
Expected<Subject> compile_profile(const std::string& profile_arg, const cli::ParsedArgs& args,
                                  const syscalls::Arch& arch) {
  auto request = cli::pipeline_request(args, profile_arg, cli::ArchList{.native = &arch, .keep = {}});
  if (!request) return Unexpected<Error>{request.error()};
  // No proof here: each answer is checked against the policy instead.
  request->last = pipeline::Stage::kCompile;
  auto built = cli::run_pipeline(*request);
  if (!built) return fail(built.error().message);
  Subject out;
  out.stack.push_back(std::move(built->compiled->program));
  out.names.push_back(profile_arg);
  out.policy = std::move(built->resolution.policy);
  return out;
}

// --trace: every executed instruction; for a stack, filter by filter in the
// order the kernel runs them (newest first), each under a heading naming its
// kernel index.
void print_traces(const bpf::StackInterpreter& stack, const Subject& subject, const syscalls::Arch& arch,
                  const SeccompData& d) {
  const size_t n = stack.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t position = n - 1 - k;
    if (n > 1) fmt::print("filter {} ({}):\n", position, subject.names[position]);
    print_trace(stack.filter(position), subject.stack[position], arch, d);
  }
}

// The checks on the flags that need no input file.
int check_usage(const cli::ParsedArgs& parsed, bool from_profile) {
  if (parsed.positionals.size() > 1) {
    return cli::usage_error(fmt::format("give one PROFILE, not {}\n{}", parsed.positionals.size(), kUsage));
  }
  if (from_profile == parsed.has("bpf")) {
    return cli::usage_error(fmt::format("give exactly one of PROFILE and --bpf FILE\n{}", kUsage));
  }
  if (!from_profile && cli::first_resolve_flag(parsed)) {
    return cli::usage_error(
        "--caps, --kernel, --unknown-syscalls, --arg-width, --bad-arch, --semantics and --strict go with a PROFILE, "
        "not --bpf");
  }
  if (from_profile && parsed.has("raw-endian")) {
    return cli::usage_error("--raw-endian goes with --bpf, not a PROFILE");
  }
  const bool single = parsed.has("syscall");
  const bool batch = parsed.has("inputs");
  if (single == batch) {
    return cli::usage_error(fmt::format("give exactly one of --syscall and --inputs\n{}", kUsage));
  }
  if (batch && (parsed.has("args") || parsed.has("ip") || parsed.has("trace"))) {
    return cli::usage_error("--args, --ip and --trace go with --syscall, not --inputs");
  }
  return cli::kExitOk;
}

// One decision: a single filter's own answer, or the stack's per the kernel.
Outcome decide(const bpf::StackInterpreter& stack, const SeccompWords& words) {
  if (stack.size() == 1) {
    const bpf::RunResult r = stack.filter(0).run(words);
    Outcome o;
    o.action = r.action();
    o.insns = r.insns;
    return o;
  }
  const bpf::StackRunResult r = stack.run(words);
  Outcome o;
  o.action = r.action();
  o.insns = r.total_insns;
  o.stacked = true;
  o.decider = r.decider;
  for (size_t position = stack.size(); position-- > 0;) {
    o.per_filter.push_back(FilterAnswer{position, decode(r.rets[position]), r.insns[position]});
  }
  return o;
}

int run_sim(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  const bool from_profile = !parsed->positionals.empty();
  if (int status = check_usage(*parsed, from_profile); status != cli::kExitOk) return status;
  const bool batch = parsed->has("inputs");
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  const bool json = *format == cli::OutputFormat::kJson;
  if (json && parsed->has("trace")) return cli::usage_error("--trace prints text: it does not go with --format json");
  auto arch = syscalls::parse_arch(parsed->get_or("arch", "native"));
  if (!arch) return cli::usage_error(arch.error().message);

  Subject subject;
  if (from_profile) {
    auto s = compile_profile(parsed->positionals[0], *parsed, **arch);
    if (!s) return cli::usage_error(s.error().message);
    subject = std::move(*s);
  } else {
    auto byte_order = cli::raw_endian(*parsed, (*arch)->endian);
    if (!byte_order) return cli::usage_error(byte_order.error().message);
    auto stack = load_filters(*parsed, *byte_order);
    if (!stack) return cli::usage_error(stack.error().message);
    subject.stack = std::move(stack->programs);
    subject.names = stack->names;
  }

  auto interp = bpf::StackInterpreter::create(subject.stack);  // validated above / by the compiler
  if (!interp) return cli::usage_error(interp.error().message);
  const Endian layout = (*arch)->endian;
  const bpf::StackInterpreter& filters = *interp;
  const policy::Policy* policy = subject.policy ? &*subject.policy : nullptr;
  // The kernel the call runs on, for the calls it never filters: --kernel
  // (with a profile), else the running one.
  auto kernel = cli::target_kernel(*parsed);
  if (!kernel) return cli::usage_error(kernel.error().message);
  bool disagreed = false;
  const Evaluator evaluate = [&filters, layout, policy, &disagreed, kernel = *kernel](const SeccompData& d) {
    Outcome outcome = decide(filters, to_words(d, layout));
    if (policy != nullptr) {
      const Action expected = policy::evaluate(*policy, d).action;
      if (expected != outcome.action && !disagreed) {
        disagreed = true;
        fmt::print(stderr,
                   "sysfence: internal error: the compiled filter answers {} but the profile says {} "
                   "(nr {}, arch 0x{:08x})\n",
                   to_string(outcome.action), to_string(expected), d.nr, d.arch);
      }
    }
    if ((outcome.exempt = syscalls::seccomp_exemption(d.arch, d.nr, kernel)) != nullptr) {
      outcome.filters_say = outcome.action;
      outcome.action = Action::Allow();
      outcome.insns = 0;
    }
    return outcome;
  };

  int status = cli::kExitOk;
  boost::json::array results;
  if (batch) {
    status = run_batch(*parsed->get("inputs"), **arch, evaluate, subject.names, json ? &results : nullptr);
  } else {
    auto input = single_input(*parsed, **arch);
    if (!input) return cli::usage_error(input.error().message);
    if (parsed->has("trace")) print_traces(filters, subject, **arch, *input);
    if (json) results.push_back(result_json(*input, evaluate(*input), **arch, subject.names));
    else fmt::print("{}", line_of(evaluate(*input), subject.names));
  }
  if (json && status == cli::kExitOk && !disagreed) {
    boost::json::object body;
    body["arch"] = (*arch)->name;
    body["results"] = std::move(results);
    cli::print_json("sim", body);
  }
  if (disagreed && status == cli::kExitOk) status = cli::kExitUsage;
  return status;
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--bpf FILE|DIR", cli::help::kBpf},
    {"--arch A", "the ABI of the simulated call (seccomp_data.arch)"},
    {"--syscall NR|NAME", "the call's number (as seccomp_data.nr; -1 is 0xffffffff) or its name on the arch"},
    {"--args a0,..,a5", "its arguments, decimal or 0x hex (missing ones 0)"},
    {"--ip X", "its instruction pointer"},
    {"--trace", "print every executed instruction first"},
    {"--inputs FILE|-",
     "one call per line: nr a0 .. a5 [ip], # comments (16 MiB at most); one answer line each, printed once every line "
     "is read"},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--format text|json", cli::help::kFormat},
    {"--caps LIST", cli::help::kCaps},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{
    {"sim",
     "run a filter or a filter stack in the kernel-exact interpreter: (PROFILE | --bpf FILE..) --arch A "
     "--syscall NR|NAME [--args ..] | --inputs FILE|-",
     &run_sim, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
