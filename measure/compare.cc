#include "measure/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "syscalls/table.h"

namespace sysfence::measure {

namespace {

constexpr compiler::Strategy kStrategies[] = {compiler::Strategy::kOptimal, compiler::Strategy::kBalanced,
                                              compiler::Strategy::kLinear};

// Line colours per strategy, in kStrategies order: the optimal tree in a
// strong blue drawn last (on top), the libseccomp-like shapes behind it.
// External filters follow in their own colours (cycled when there are many).
constexpr std::string_view kColour[] = {"#1f5fbf", "#e07b00", "#8c8c8c", "#2e7d32", "#ad1457", "#6a1b9a", "#00838f"};
constexpr double kStroke[] = {2.0, 1.4, 1.4};
constexpr size_t kStrategyCount = std::size(kStroke);

std::string_view colour(size_t k) {
  return k < kStrategyCount ? kColour[k]
                            : kColour[kStrategyCount + (k - kStrategyCount) % (std::size(kColour) - kStrategyCount)];
}
double stroke(size_t k) { return k < kStrategyCount ? kStroke[k] : 1.4; }

std::string xml_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string ratio(double x, double base) { return base > 0 ? fmt::format("{:.2f}x", x / base) : "-"; }

// One table row: a label and one cell per strategy.
std::string row(std::string_view label, const std::vector<std::string>& cells) {
  std::string o = fmt::format("{:<36}", label);
  // At least one space between columns, also for a long external name.
  for (const std::string& c : cells) o += fmt::format(" {:>11}", c);
  return o + "\n";
}

template <typename F>
std::vector<std::string> cells(const Comparison& c, F cell) {
  std::vector<std::string> out;
  for (const StrategyRun& r : c.runs) out.push_back(cell(r));
  return out;
}

std::string_view answer_colour(const Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow: return "#4caf50";
    case ActionKind::kErrno: return "#f2b134";
    case ActionKind::kKillProcess:
    case ActionKind::kKillThread: return "#c62828";
    default: return "#7e57c2";
  }
}

}  // namespace

Expected<Comparison> compare_strategies(const policy::Policy& policy, const compiler::CompileOptions& base,
                                        std::span<const syscalls::ArchId> abis, const StatsOptions& options) {
  Comparison c;
  c.compiled_weights = std::string(base.weights.description());
  StatsOptions measured = options;
  if (measured.weights.is_uniform()) measured.weights = compiler::Weights::Hot();
  c.weights = measured.weights;
  for (compiler::Strategy s : kStrategies) {
    compiler::CompileOptions o = base;
    o.strategy = s;
    auto compiled = compile(policy, o);
    if (!compiled) return fail(fmt::format("{} strategy: {}", to_string(s), compiled.error().message));
    auto stats = measure(compiled->program, abis, measured);
    if (!stats) return fail(fmt::format("{} strategy: {}", to_string(s), stats.error().message));
    c.runs.push_back(StrategyRun{s, std::move(*stats), std::string(to_string(s)), false});
  }
  return c;
}

Expected<void> add_external(Comparison& c, std::string name, const bpf::Program& program,
                            std::span<const syscalls::ArchId> abis, const StatsOptions& options) {
  StatsOptions measured = options;
  measured.weights = c.weights;
  auto stats = measure(program, abis, measured);
  if (!stats) return fail(fmt::format("{}: {}", name, stats.error().message));
  c.runs.push_back(StrategyRun{compiler::Strategy::kOptimal, std::move(*stats), std::move(name), true});
  return {};
}

size_t answers_unlike_optimal(const Comparison& c, const StrategyRun& run, size_t abi_index) {
  const std::vector<Action>& optimal = c.runs.front().stats.abis[abi_index].actions;
  const std::vector<Action>& answers = run.stats.abis[abi_index].actions;
  size_t differ = 0;
  for (size_t n = 0; n < answers.size() && n < optimal.size(); ++n) differ += answers[n] != optimal[n] ? 1 : 0;
  return differ;
}

std::string format_comparison(const Comparison& c) {
  if (c.runs.empty()) return "";
  const ProgramStats& opt = c.runs.front().stats;
  std::string o =
      fmt::format("strategies compared (optimal tree built for {} weights; weighted means under {} weights)\n\n",
                  c.compiled_weights, c.weights.description());
  o += row("", cells(c, [](const StrategyRun& r) { return r.label; }));
  o += row("program length (instructions)",
           cells(c, [](const StrategyRun& r) { return fmt::format("{}", r.stats.length); }));
  o += row("  vs optimal", cells(c, [&](const StrategyRun& r) {
             return ratio(static_cast<double>(r.stats.length), static_cast<double>(opt.length));
           }));
  for (size_t i = 0; i < opt.abis.size(); ++i) {
    const AbiStats& first = opt.abis[i];
    const syscalls::Arch& a = syscalls::arch(first.abi);
    const uint32_t bias = a.nr_bias;
    // The numbers as --range gives them, the bias said (stats without
    // --compare prints seccomp_data.nr, bias included).
    o += fmt::format("\n{} (arch {:#x}), nr {}..{}{} ({} numbers, arguments 0)\n", a.name, a.audit_arch,
                     first.range.lo - bias, first.range.hi - bias,
                     bias != 0 ? fmt::format(" + bias {:#x}", bias) : std::string(), first.insns.size());
    auto abi = [i](const StrategyRun& r) -> const AbiStats& { return r.stats.abis[i]; };
    o += row("  mean executed",
             cells(c, [&](const StrategyRun& r) { return fmt::format("{:.2f}", abi(r).mean_insns); }));
    o += row("    vs optimal",
             cells(c, [&](const StrategyRun& r) { return ratio(abi(r).mean_insns, first.mean_insns); }));
    o += row("  max executed", cells(c, [&](const StrategyRun& r) { return fmt::format("{}", abi(r).max_insns); }));
    if (c.runs.back().external) {
      // A foreign filter need not answer as the policy does (runc's ENOSYS
      // stub, another kernel's syscall list): how many numbers differ.
      o += row("  answers unlike optimal's",
               cells(c, [&](const StrategyRun& r) { return fmt::format("{}", answers_unlike_optimal(c, r, i)); }));
    }
    if (first.weighted) {
      o += row(fmt::format("  weighted mean ({})", c.weights.description()),
               cells(c, [&](const StrategyRun& r) { return fmt::format("{:.2f}", abi(r).weighted_mean_insns); }));
      o += row("    vs optimal", cells(c, [&](const StrategyRun& r) {
                 return ratio(abi(r).weighted_mean_insns, first.weighted_mean_insns);
               }));
    }
    o += row(fmt::format("  mean over allowed numbers ({})", first.allowed),
             cells(c, [&](const StrategyRun& r) { return fmt::format("{:.2f}", abi(r).allowed_mean_insns); }));
    if (first.has_cache) {
      o += row(fmt::format("  action cache (of {} syscalls)", first.table_syscalls),
               cells(c, [&](const StrategyRun& r) { return fmt::format("{}", abi(r).cached); }));
    } else {
      o += "  action cache                      none for this ABI\n";
    }
    o += fmt::format("  optimal-tree bound: {:.2f} comparisons on nr on average ({} weights) for these answers\n",
                     first.bound_tests, first.weighted ? c.weights.description() : "uniform");
  }
  return o;
}

namespace {

constexpr int kLeft = 64;
constexpr int kRight = 170;  // room for the mean labels and the answer legend
constexpr int kTitleH = 84;  // title + legend
constexpr int kPlotH = 300;
constexpr int kStripH = 10;
constexpr int kPanelH = 30 + kPlotH + 8 + kStripH + 40;  // heading, plot, strip, axis labels

// One ABI's panel of the comparison chart: its place, its x step per number
// and its log2 y scale between the powers of two around every series' values.
struct Panel {
  size_t p;  // index of the ABI in every run's stats
  int top;
  double step;
  int plot_w;
  int bottom_exp;
  int top_exp;
  double x(size_t i) const { return kLeft + step * static_cast<double>(i); }
  double y(double v) const {
    const double bottom_pow = std::ldexp(1.0, bottom_exp);
    return top + kPlotH - (std::log2(std::max(v, bottom_pow)) - bottom_exp) / (top_exp - bottom_exp) * kPlotH;
  }
};

Panel make_panel(const Comparison& c, size_t p, double step, int plot_w) {
  unsigned ymax = 1;
  unsigned ymin = ~0u;
  for (const StrategyRun& r : c.runs) {
    const AbiStats& s = r.stats.abis[p];
    ymax = std::max(ymax, s.max_insns);
    if (!s.insns.empty()) ymin = std::min(ymin, *std::min_element(s.insns.begin(), s.insns.end()));
  }
  // Exponents of the powers of two at the bottom and top of the axis.
  int top_exp = 1;
  int bottom_exp = 0;
  while ((1u << top_exp) < ymax && top_exp < 31) ++top_exp;
  while ((2u << bottom_exp) <= ymin && bottom_exp + 1 < top_exp) ++bottom_exp;
  return Panel{p, kTitleH + static_cast<int>(p) * kPanelH + 30, step, plot_w, bottom_exp, top_exp};
}

// Legend: one entry per strategy with its headline numbers (native ABI).
std::string strategy_legend(const Comparison& c) {
  std::string o;
  int lx = kLeft;
  for (size_t k = 0; k < c.runs.size(); ++k) {
    const StrategyRun& r = c.runs[k];
    const AbiStats& s = r.stats.abis.front();
    const std::string label =
        fmt::format("{}: {} insns, mean {:.1f}, max {}", r.label, r.stats.length, s.mean_insns, s.max_insns);
    o += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"62\" y2=\"62\" stroke=\"{}\" stroke-width=\"3\"/>"
        "<text x=\"{}\" y=\"66\">{}</text>\n",
        lx, lx + 22, colour(k), lx + 28, xml_escape(label));
    lx += 28 + static_cast<int>(label.size()) * 7 + 24;
  }
  return o;
}

// The panel's heading, y grid (powers of two), y label and x ticks.
std::string panel_axes(const AbiStats& first, const Panel& pn) {
  const syscalls::Arch& a = syscalls::arch(first.abi);
  const int top = pn.top;
  const size_t n = first.insns.size();
  std::string o =
      fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">{} (arch {:#x}), nr {}..{}{}</text>\n",
                  kLeft, top - 12, a.name, a.audit_arch, first.range.lo - a.nr_bias, first.range.hi - a.nr_bias,
                  a.nr_bias != 0 ? fmt::format(" (+ bias {:#x})", a.nr_bias) : "");
  for (int e = pn.bottom_exp; e <= pn.top_exp; ++e) {
    const double v = std::ldexp(1.0, e);
    o += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e4e4e4\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" fill=\"#444\">{}</text>\n",
        kLeft, kLeft + pn.plot_w, pn.y(v), pn.y(v), kLeft - 6, pn.y(v) + 4, v);
  }
  o += fmt::format(
      "<text transform=\"translate({},{}) rotate(-90)\" text-anchor=\"middle\" fill=\"#444\">instructions "
      "executed</text>\n",
      16, top + kPlotH / 2);
  // X ticks: about ten, at round numbers.
  const size_t raw_tick = std::max<size_t>(1, n / 10);
  size_t tick = 1;
  while (tick * 10 <= raw_tick) tick *= 10;
  if (tick * 5 <= raw_tick) tick *= 5;
  else if (tick * 2 <= raw_tick) tick *= 2;
  const uint32_t lo = first.range.lo - a.nr_bias;
  for (size_t i = (tick - lo % tick) % tick; i < n; i += tick) {
    o += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#f0f0f0\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\" fill=\"#444\">{4}</text>\n",
        pn.x(i) + pn.step / 2, top, top + kPlotH, top + kPlotH + 8 + kStripH + 16, lo + i);
  }
  o += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#444\"/>\n", kLeft, kLeft + pn.plot_w,
                   top + kPlotH, top + kPlotH);
  return o;
}

// Series as steps (a point only where the count changes), the optimal one
// last (on top); each strategy's mean dashed, and labelled at the right edge
// in the order of their lines, at least a line of text apart.
std::string panel_series(const Comparison& c, const Panel& pn, size_t n) {
  std::string o;
  const size_t p = pn.p;
  for (size_t k = c.runs.size(); k-- > 0;) {
    const AbiStats& s = c.runs[k].stats.abis[p];
    std::string pts;
    for (size_t i = 0; i < n; ++i) {
      if (i > 0 && s.insns[i] == s.insns[i - 1]) continue;
      if (i > 0) pts += fmt::format("{:.1f},{:.1f} ", pn.x(i), pn.y(s.insns[i - 1]));
      pts += fmt::format("{:.1f},{:.1f} ", pn.x(i), pn.y(s.insns[i]));
    }
    if (n > 0) pts += fmt::format("{:.1f},{:.1f}", pn.x(n), pn.y(s.insns[n - 1]));
    o += fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\" points=\"{}\"/>\n",
        colour(k), stroke(k), pts);
    o += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"1.2\" "
        "stroke-dasharray=\"6 4\"/>\n",
        kLeft, kLeft + pn.plot_w, pn.y(s.mean_insns), pn.y(s.mean_insns), colour(k));
  }
  std::vector<std::pair<double, size_t>> labels;
  for (size_t k = 0; k < c.runs.size(); ++k) labels.emplace_back(pn.y(c.runs[k].stats.abis[p].mean_insns) + 4, k);
  std::sort(labels.begin(), labels.end());
  for (size_t j = 1; j < labels.size(); ++j) labels[j].first = std::max(labels[j].first, labels[j - 1].first + 13);
  for (const auto& [ly, k] : labels) {
    o += fmt::format("<text x=\"{}\" y=\"{:.1f}\" fill=\"{}\">mean {:.1f} ({})</text>\n", kLeft + pn.plot_w + 6, ly,
                     colour(k), c.runs[k].stats.abis[p].mean_insns, c.runs[k].label);
  }
  return o;
}

// The answer per number (the same for every strategy: one policy), with its
// legend.
std::string panel_answers(const AbiStats& first, const Panel& pn) {
  std::string o;
  const size_t n = first.insns.size();
  const int strip = pn.top + kPlotH + 8;
  for (size_t i = 0; i < n;) {
    const std::string_view colour = answer_colour(first.actions[i]);
    size_t j = i + 1;
    while (j < n && answer_colour(first.actions[j]) == colour) ++j;
    o += fmt::format(R"(<rect x="{:.1f}" y="{}" width="{:.2f}" height="{}" fill="{}"/>)", pn.x(i), strip,
                     pn.step * static_cast<double>(j - i) + 0.05, kStripH, colour);
    i = j;
  }
  o += fmt::format("\n<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#444\">answer</text>\n", kLeft - 6,
                   strip + kStripH);
  int ax = kLeft + pn.plot_w + 6;
  const std::pair<std::string_view, Action> legend[] = {
      {"allow", Action::Allow()}, {"errno", Action::Errno(1)}, {"kill", Action::KillProcess()}};
  for (const auto& [name, act] : legend) {
    o += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"9\" height=\"9\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
        "font-size=\"10\">{}</text>",
        ax, strip, answer_colour(act), ax + 11, strip + 9, name);
    ax += 40;
  }
  o += "\n";
  return o;
}

// Tooltips: one invisible column per number.
std::string panel_tooltips(const Comparison& c, const AbiStats& first, const Panel& pn) {
  std::string o;
  const syscalls::Arch& a = syscalls::arch(first.abi);
  const syscalls::Table& table = syscalls::table(first.abi);
  for (size_t i = 0; i < first.insns.size(); ++i) {
    const uint32_t nr = first.range.lo + static_cast<uint32_t>(i);
    std::string tip = fmt::format("{} {}", nr - a.nr_bias, table.name(nr).value_or("(no syscall)"));
    tip += fmt::format(" — {}", sysfence::to_string(first.actions[i]));  // with its data
    for (const StrategyRun& r : c.runs) {
      tip += fmt::format("; {} {}", r.label, r.stats.abis[pn.p].insns[i]);
    }
    o += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"transparent\"><title>{}</title></rect>\n",
        pn.x(i), pn.top, pn.step, kPlotH + 8 + kStripH, xml_escape(tip));
  }
  return o;
}

}  // namespace

std::string comparison_svg(const Comparison& c, std::string_view title) {
  if (c.runs.empty()) return "";
  const ProgramStats& opt = c.runs.front().stats;
  size_t widest = 1;
  for (const AbiStats& s : opt.abis) widest = std::max(widest, s.insns.size());
  const double step = std::clamp(900.0 / static_cast<double>(widest), 0.5, 8.0);
  const int plot_w = static_cast<int>(std::ceil(step * static_cast<double>(widest)));
  const int width = kLeft + plot_w + kRight;
  const int height = kTitleH + static_cast<int>(opt.abis.size()) * kPanelH + 10;

  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}: instructions executed per syscall, by "
      "strategy</text>\n"
      "<text x=\"{}\" y=\"42\" fill=\"#555\">same policy, compiled by sysfence three ways{}; arguments 0; log "
      "scale; dashed: mean</text>\n",
      width, height, width, height, kLeft, xml_escape(title), kLeft,
      c.runs.size() > kStrategyCount ? fmt::format(", and {} filter{} built elsewhere", c.runs.size() - kStrategyCount,
                                                   c.runs.size() - kStrategyCount == 1 ? "" : "s")
                                     : "");
  o += strategy_legend(c);
  for (size_t p = 0; p < opt.abis.size(); ++p) {
    const AbiStats& first = opt.abis[p];
    const Panel pn = make_panel(c, p, step, plot_w);
    o += panel_axes(first, pn);
    o += panel_series(c, pn, first.insns.size());
    o += panel_answers(first, pn);
    o += panel_tooltips(c, first, pn);
  }
  o += "</svg>\n";
  return o;
}

}  // namespace sysfence::measure
