#include "measure/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "compiler/tree.h"
#include "measure/cache.h"
#include "syscalls/table.h"

namespace sysfence::measure {

namespace {

// Default measured range: the ABI's regular numbers, from its bias to its
// largest table number within 64Ki of it (ARM's private 0x0f0000 calls would
// stretch the range to a million numbers; measure them with --range).
NumberRange table_range(syscalls::ArchId abi) {
  const uint32_t bias = syscalls::arch(abi).nr_bias;
  NumberRange r{bias, bias};
  for (const syscalls::Syscall& s : syscalls::table(abi).entries()) {
    if (s.nr >= bias && s.nr - bias < 0x10000) r.hi = std::max(r.hi, s.nr);
  }
  return r;
}

// Fewest comparisons on average for a search tree giving `actions` over the
// range (merged into maximal intervals), under `weight`.
double bound(const std::vector<Action>& actions, const std::vector<double>& weight, uint32_t lo) {
  std::vector<Action> kinds;
  std::vector<compiler::Interval> iv;
  std::vector<double> w;
  for (size_t i = 0; i < actions.size(); ++i) {
    uint32_t leaf = 0;
    while (leaf < kinds.size() && !(kinds[leaf] == actions[i])) ++leaf;
    if (leaf == kinds.size()) kinds.push_back(actions[i]);
    const uint32_t nr = lo + static_cast<uint32_t>(i);
    if (!iv.empty() && iv.back().leaf == leaf) {
      iv.back().hi = nr;
      w.back() += weight[i];
    } else {
      iv.push_back(compiler::Interval{nr, nr, leaf});
      w.push_back(weight[i]);
    }
  }
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  if (total <= 0) return 0;
  compiler::TreeOptions o;
  o.strategy = compiler::Strategy::kOptimal;
  const compiler::DecisionTree t = build_tree(iv, w, o);
  return t.weighted_tests / total;
}

// The call `nr` of `a` when the target kernel never filters it.
const syscalls::SeccompExemption* exemption(const syscalls::Arch& a, uint32_t nr, const StatsOptions& options) {
  return options.kernel ? syscalls::seccomp_exemption(a.audit_arch, nr, *options.kernel) : nullptr;
}

// The action cache for s.abi: the kernel serves a syscall from it only when
// every filter's emulation gives a constant ALLOW (it ANDs their bitmaps).
void count_cached(AbiStats& s, std::span<const bpf::Program> stack, const StatsOptions& options) {
  const syscalls::Arch& a = syscalls::arch(s.abi);
  s.has_cache = abi_has_action_cache(s.abi);
  if (s.has_cache && options.kernel && *options.kernel < kActionCacheSince) {
    s.has_cache = false;
    s.kernel_without_cache = *options.kernel;
  }
  for (const syscalls::Syscall& sc : syscalls::table(s.abi).entries()) {
    if (sc.nr >= kActionCacheLimit) continue;
    ++s.table_syscalls;
    if (!s.has_cache) continue;
    const bool cached =
        exemption(a, sc.nr, options) != nullptr ||
        std::ranges::all_of(stack, [&](const bpf::Program& p) { return kernel_caches_allow(p, a.audit_arch, sc.nr); });
    s.cached += cached;
    if (!cached && sc.nr >= s.range.lo && sc.nr <= s.range.hi &&
        s.actions[sc.nr - s.range.lo].kind == ActionKind::kAllow) {
      ++s.allowed_uncached;
    }
  }
}

}  // namespace

Expected<ProgramStats> measure(std::span<const bpf::Insn> prog, std::span<const syscalls::ArchId> abis,
                               const StatsOptions& options) {
  auto in = bpf::Interpreter::create(prog);
  if (!in) return fail(in.error().message);
  const std::vector<bpf::Program> stack{bpf::Program(prog.begin(), prog.end())};
  return measure_stack(stack, abis, options);
}

Expected<ProgramStats> measure_stack(std::span<const bpf::Program> stack, std::span<const syscalls::ArchId> abis,
                                     const StatsOptions& options) {
  auto in = bpf::StackInterpreter::create(stack);
  if (!in) return fail(in.error().message);
  ProgramStats out;
  for (const bpf::Program& p : stack) out.length += p.size();
  if (stack.size() > 1) {
    for (const bpf::Program& filter : stack) out.filter_lengths.push_back(filter.size());
  }
  for (syscalls::ArchId abi : abis) {
    const syscalls::Arch& a = syscalls::arch(abi);
    AbiStats s;
    s.abi = abi;
    if (options.range) {
      if (options.range->hi < options.range->lo) return fail("empty syscall-number range");
      if (uint64_t{options.range->hi} + a.nr_bias > 0xffffffffULL) {
        return fail(fmt::format("syscall-number range {}-{} past 2^32 for {} (bias {})", options.range->lo,
                                options.range->hi, a.name, a.nr_bias));
      }
      s.range = NumberRange{options.range->lo + a.nr_bias, options.range->hi + a.nr_bias};
    } else {
      s.range = table_range(abi);
    }
    if (s.range.hi - s.range.lo >= kMaxRangeNumbers) {
      return fail(fmt::format("syscall-number range too large (at most {} numbers)", kMaxRangeNumbers));
    }
    const size_t n = size_t{s.range.hi} - s.range.lo + 1;
    s.insns.resize(n);
    s.actions.resize(n);
    std::vector<double> weight(n, 1.0);
    double total = 0;
    double wsum = 0;
    double wtotal = 0;
    double allowed_sum = 0;
    for (size_t i = 0; i < n; ++i) {
      SeccompData d;
      d.nr = s.range.lo + static_cast<uint32_t>(i);
      d.arch = a.audit_arch;
      const bpf::StackRunResult r = in->run(d, a.endian);
      // One program: its own answer (ALLOW's data kept as returned).
      const uint32_t ret = stack.size() == 1 ? r.rets[0] : r.ret;
      uint32_t insns = r.total_insns;
      s.actions[i] = decode(ret);
      if (const syscalls::SeccompExemption* e = exemption(a, d.nr, options)) {
        s.exempt.push_back(ExemptCall{d.nr, e->name, e->since, s.actions[i], insns});
        s.actions[i] = Action::Allow();
        insns = 0;
      }
      s.insns[i] = insns;
      total += insns;
      s.max_insns = std::max(s.max_insns, insns);
      const double w = options.weights.measured(abi, d.nr);
      weight[i] = w;
      wsum += w * insns;
      wtotal += w;
      if (s.actions[i].kind == ActionKind::kAllow) {
        ++s.allowed;
        allowed_sum += insns;
        s.allowed_max_insns = std::max(s.allowed_max_insns, insns);
      }
    }
    s.mean_insns = total / static_cast<double>(n);
    s.weighted = !options.weights.is_uniform() && wtotal > 0;
    s.weighted_mean_insns = wtotal > 0 ? wsum / wtotal : 0;
    s.allowed_mean_insns = s.allowed > 0 ? allowed_sum / s.allowed : 0;

    count_cached(s, stack, options);
    if (!s.weighted) std::fill(weight.begin(), weight.end(), 1.0);
    s.bound_tests = bound(s.actions, weight, s.range.lo);
    out.abis.push_back(std::move(s));
  }
  return out;
}

std::string format_stats(const ProgramStats& st, const compiler::Weights& w) {
  std::string o;
  if (st.filter_lengths.empty()) {
    o = fmt::format("program: {} instructions\n", st.length);
  } else {
    o = fmt::format("stack: {} filters, {} instructions (", st.filter_lengths.size(), st.length);
    for (size_t k = 0; k < st.filter_lengths.size(); ++k) {
      o += fmt::format("{}filter {}: {}", k ? ", " : "", k, st.filter_lengths[k]);
    }
    o += "; filter 0 is the oldest; counts below are over every filter)\n";
  }
  for (const AbiStats& s : st.abis) {
    const syscalls::Arch& a = syscalls::arch(s.abi);
    const size_t n = s.insns.size();
    o += fmt::format("\n{} (arch 0x{:08x}), nr {}..{} ({} numbers, arguments 0):\n", a.name, a.audit_arch, s.range.lo,
                     s.range.hi, n);
    o += fmt::format("  executed instructions:  mean {:.2f}, max {} (uniform)\n", s.mean_insns, s.max_insns);
    if (s.weighted) {
      o += fmt::format("  weighted ({}):  mean {:.2f}\n", w.description(), s.weighted_mean_insns);
    }
    o += fmt::format("  allowed numbers:        {}, mean {:.2f}, max {}\n", s.allowed, s.allowed_mean_insns,
                     s.allowed_max_insns);
    if (s.has_cache) {
      o += fmt::format("  kernel action cache:    {} of {} syscalls answered without running the filter", s.cached,
                       s.table_syscalls);
      if (s.allowed_uncached > 0) {
        o += fmt::format("; {} allowed (arguments 0) still run it", s.allowed_uncached);
      }
      o += "\n";
    } else if (s.kernel_without_cache.known()) {
      o += fmt::format("  kernel action cache:    none before Linux {} (the target kernel is {})\n",
                       syscalls::to_string(kActionCacheSince), syscalls::to_string(s.kernel_without_cache));
    } else {
      o += "  kernel action cache:    none for this ABI\n";
    }
    for (const ExemptCall& e : s.exempt) {
      o += fmt::format(
          "  kernel-exempt:          {} (nr {}) from Linux {}: the kernel runs no filter (counted as ALLOW, 0 "
          "instructions, cached); the filter would answer {} in {} instructions\n",
          e.name, e.nr, syscalls::to_string(e.since), to_string(e.filters_action), e.filters_insns);
    }
    o += fmt::format(
        "  optimal-tree bound:     {:.2f} comparisons on nr ({:.2f} instructions with the arch "
        "test, the nr load and the return)\n",
        s.bound_tests, s.bound_tests + 4);
  }
  return o;
}

namespace {

std::string_view colour(const Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow: return "#43a047";
    case ActionKind::kErrno: return "#fb8c00";
    case ActionKind::kKillProcess:
    case ActionKind::kKillThread: return "#e53935";
    case ActionKind::kTrap: return "#8e24aa";
    default: return "#1e88e5";
  }
}

std::string xml_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

constexpr int kLeft = 60;
constexpr int kRight = 20;
constexpr int kPanelH = 240;
constexpr int kTop = 50;
constexpr int kGap = 70;
constexpr int kPlotH = 170;

// One ABI's panel: where it is, and its bars (`bar` wide, each the slowest
// of `per` numbers).
struct Panel {
  int top;
  int plot_w;
  size_t per;
  double bar;
  unsigned ymax;
  double y(double v) const { return top + kPlotH - v * kPlotH / ymax; }
};

// The panel's heading, grid, mean line and x labels.
std::string panel_axes(const AbiStats& s, const Panel& pn) {
  const syscalls::Arch& a = syscalls::arch(s.abi);
  const int top = pn.top;
  const int plot_w = pn.plot_w;
  std::string o = fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\">{}: mean {:.2f}, max {}{}</text>\n", kLeft,
                              top - 10, a.name, s.mean_insns, s.max_insns,
                              s.weighted ? fmt::format(", weighted mean {:.2f}", s.weighted_mean_insns) : "");
  // Axes and grid.
  for (unsigned v = 0; v <= pn.ymax; v += std::max(1u, pn.ymax / 5)) {
    o += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        kLeft, kLeft + plot_w, pn.y(v), pn.y(v), kLeft - 6, pn.y(v) + 4, v);
  }
  o += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", kLeft, kLeft + plot_w,
                   top + kPlotH, top + kPlotH);
  o += fmt::format(
      "<line x1=\"{0:.1f}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" "
      "stroke=\"black\" stroke-dasharray=\"4 3\"/>"
      "<text x=\"{1}\" y=\"{3:.1f}\" text-anchor=\"end\">mean</text>\n",
      static_cast<double>(kLeft), kLeft + plot_w, pn.y(s.mean_insns), pn.y(s.mean_insns) - 3);
  const size_t n = s.insns.size();
  const size_t step = std::max<size_t>(1, n / 10);
  for (size_t i = 0; i < n; i += step) {
    const size_t bucket = i / pn.per;  // whole buckets: integer division on purpose
    const double x = kLeft + pn.bar * static_cast<double>(bucket);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x, top + kPlotH + 16,
                     s.range.lo + i);
  }
  o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">syscall number</text>\n", kLeft + plot_w / 2,
                   top + kPlotH + 34);
  return o;
}

// One bar per bucket of `per` numbers: the bucket's slowest number.
std::string panel_bars(const AbiStats& s, const Panel& pn) {
  const syscalls::Table& t = syscalls::table(s.abi);
  const size_t n = s.insns.size();
  const size_t per = pn.per;
  std::string o;
  for (size_t first = 0; first < n; first += per) {
    const size_t last = std::min(n, first + per) - 1;
    size_t worst = first;
    for (size_t i = first; i <= last; ++i) {
      if (s.insns[i] > s.insns[worst]) worst = i;
    }
    const uint32_t nr = s.range.lo + static_cast<uint32_t>(worst);
    const size_t bucket = first / per;  // `first` is a multiple of `per`
    const double x = kLeft + pn.bar * static_cast<double>(bucket);
    auto name = t.name(nr);
    const std::string what = fmt::format("{} {}: {} instructions, {}", nr, name ? std::string(*name) : "(unassigned)",
                                         s.insns[worst], to_string(s.actions[worst]));
    const std::string title = per == 1 ? what
                                       : fmt::format("{}..{}: slowest {}", s.range.lo + first,
                                                     s.range.lo + static_cast<uint32_t>(last), what);
    o += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" fill=\"{}\">"
        "<title>{}</title></rect>\n",
        x, pn.y(s.insns[worst]), std::max(pn.bar - (pn.bar > 2 ? 0.5 : 0), 0.5),
        static_cast<double>(s.insns[worst]) * kPlotH / pn.ymax, colour(s.actions[worst]), xml_escape(title));
  }
  return o;
}

}  // namespace

std::string stats_svg(const ProgramStats& st, std::string_view title) {
  size_t widest = 1;
  for (const AbiStats& s : st.abis) widest = std::max(widest, s.insns.size());
  // At most kMaxBars bars per panel: wider ranges are drawn in buckets of
  // `per` numbers, each bar the bucket's slowest number.
  constexpr size_t kMaxBars = 2000;
  const size_t per = (widest + kMaxBars - 1) / kMaxBars;
  const size_t bars_widest = (widest + per - 1) / per;
  const double bar = std::clamp(1000.0 / static_cast<double>(bars_widest), 0.5, 6.0);
  const int plot_w = static_cast<int>(bar * static_cast<double>(bars_widest)) + 1;
  const int width = kLeft + plot_w + kRight;
  const int height = kTop + static_cast<int>(st.abis.size()) * (kPanelH + kGap);
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"24\" font-size=\"16\">{} — instructions executed per syscall "
      "(arguments 0), {} instructions</text>\n",
      width, height, kLeft, xml_escape(title), st.length);
  // Legend.
  const std::pair<std::string_view, Action> legend[] = {{"ALLOW", Action::Allow()},
                                                        {"ERRNO", Action::Errno(1)},
                                                        {"KILL", Action::KillProcess()},
                                                        {"TRAP", Action::Trap()},
                                                        {"other", Action::Log()}};
  int lx = kLeft;
  for (const auto& [name, act] : legend) {
    o += fmt::format(
        "<rect x=\"{}\" y=\"32\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"41\">{}</text>\n",
        lx, colour(act), lx + 14, name);
    lx += 70;
  }
  for (size_t p = 0; p < st.abis.size(); ++p) {
    const AbiStats& s = st.abis[p];
    const Panel pn{kTop + static_cast<int>(p) * (kPanelH + kGap) + 30, plot_w, per, bar, std::max(1u, s.max_insns)};
    o += panel_axes(s, pn);
    o += panel_bars(s, pn);
  }
  o += "</svg>\n";
  return o;
}

}  // namespace sysfence::measure
