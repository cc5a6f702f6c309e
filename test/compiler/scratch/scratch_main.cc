#include <chrono>
// Development probe (not a test): compile Docker's default and print numbers.
#include <fmt/format.h>

#include "bpf/compiler/compile.h"
#include "bpf/interp.h"
#include "profile/load.h"
#include "syscalls/table.h"

using namespace sysfence;

int main(int argc, char** argv) {
  std::string archname = argc > 1 ? argv[1] : "x86_64";
  std::string weights = argc > 2 ? argv[2] : "uniform";
  double sw = argc > 3 ? std::stod(argv[3]) : 1e-3;
  auto rr = profile::load_profile("default");
  if (!rr) { fmt::print("{}\n", rr.error().message); return 1; }
  profile::ResolveOptions ro;
  ro.native = (*syscalls::parse_arch(archname))->id;
  ro.caps = profile::docker_default_caps();
  ro.kernel = {6, 1};
  auto res = profile::resolve(rr->profile, ro);
  if (!res) { fmt::print("{}\n", res.error().message); return 1; }
  bpf::compiler::CompileOptions co;
  co.size_weight = sw;
  if (weights == "hot") co.weights = bpf::compiler::Weights::Hot();
  if (argc > 4) bpf::compiler::parse_strategy(argv[4], &co.strategy);
  if (argc > 5) co.depth_slack = std::stoi(argv[5]);
  {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 2; ++i) { auto c2 = bpf::compiler::compile(res->policy, co); }
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < 2; ++i) { auto r2 = profile::resolve(rr->profile, ro); }
    auto t2 = std::chrono::steady_clock::now();
    for (int i = 0; i < 2; ++i) { auto r3 = profile::load_profile("default"); }
    auto t3 = std::chrono::steady_clock::now();
    fmt::print("compile {} us resolve {} us load {} us\n", std::chrono::duration<double, std::micro>(t1 - t0).count() / 200, std::chrono::duration<double, std::micro>(t2 - t1).count() / 200, std::chrono::duration<double, std::micro>(t3 - t2).count() / 200);
  }
  auto c = bpf::compiler::compile(res->policy, co);
  if (!c) { fmt::print("{}\n", c.error().message); return 1; }
  fmt::print("insns {} tramps {} retcopies {}\n", c->program.size(), c->layout.trampolines, c->layout.return_copies);
  for (auto& r : c->arches) fmt::print("  {} intervals {} tests {} bound {:.3f}\n", bpf::compiler::abi_names(r.abis), r.intervals, r.tree_tests, r.bound());
  auto in = bpf::Interpreter::create(c->program);
  if (!in) { fmt::print("{}\n", in.error().message); return 1; }
  const auto& a = syscalls::arch(ro.native);
  double sum = 0; unsigned mx = 0; double wsum = 0, wtot = 0;
  for (uint32_t nr = a.nr_bias; nr <= a.nr_bias + 450; ++nr) {
    SeccompData d; d.nr = nr; d.arch = a.audit_arch;
    auto r = in->run(d, a.endian);
    sum += r.insns; mx = std::max(mx, r.insns);
    double w = co.weights.measured(a.id, nr);
    wsum += w * r.insns; wtot += w;
    if (w > 0 && weights == "hot") fmt::print("  hot {} {} w {} insns {}\n", nr, syscalls::table(a).name(nr).value_or("?"), w, r.insns);
    if (r.insns > 11 && weights != "hot") fmt::print("  nr {} {} insns {} -> {}\n", nr, syscalls::table(a).name(nr).value_or("?"), r.insns, to_string(r.action()));
    auto dec = profile::evaluate(res->policy, d);
    if (!(dec.action == r.action())) fmt::print("MISMATCH nr {}\n", nr);
  }
  fmt::print("mean {:.3f} max {} weighted {:.3f}\n", sum / 451, mx, wtot > 0 ? wsum / wtot : 0);
  return 0;
}
