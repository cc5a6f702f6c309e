// perf stat driver: N compiles of Docker default x86_64.
#include <cstdlib>
#include "bpf/compiler/compile.h"
#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"
using namespace sysfence;
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100;
  int what = argc > 2 ? atoi(argv[2]) : 0;
  auto read = profile::read_profile(profile::builtin_default_profile_json(), "default");
  profile::ResolveOptions o; o.native = syscalls::ArchId::kX86_64; o.caps = profile::docker_default_caps(); o.kernel = {6,1};
  auto res = profile::resolve(read->profile, o);
  bpf::compiler::CompileOptions co;
  if (what == 3) co.strategy = bpf::compiler::Strategy::kLinear;
  size_t s = 0;
  for (int i = 0; i < n; ++i) {
    if (what == 1) { auto r = profile::read_profile(profile::builtin_default_profile_json(), "default"); s += r->profile.syscalls.size(); }
    else if (what == 2) { auto r = profile::resolve(read->profile, o); s += r->policy.arches.size(); }
    else { auto c = bpf::compiler::compile(res->policy, co); s += c->program.size(); }
  }
  return s == 0;
}
