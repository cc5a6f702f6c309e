#include "test/profile/libseccomp_semantics.h"

#include <gtest/gtest.h>

#include <utility>

#include "policy/policy.h"
#include "profile/reader.h"
#include "syscalls/table.h"

namespace sysfence::profile::testing {

ResolveOptions options_under(syscalls::ArchId native, SemanticsChoice choice) {
  ResolveOptions o;
  o.native = native;
  o.caps = docker_default_caps();
  o.kernel = {6, 1};
  if (choice.libseccomp) {
    o.arg_width = ArgWidthMode::k64;
    o.multiplex = MultiplexRewrite::kLibseccomp;
    o.combination = RuleCombination::kLibseccompDatabase;
    o.bad_arch_action = Action::KillThread();
    o.for_runc = choice.runc;
  }
  return o;
}

Resolution resolve_under(std::string_view text, syscalls::ArchId native, SemanticsChoice choice) {
  auto read = read_profile(text, "s.json");
  EXPECT_TRUE(read) << read.error().message;
  if (!read) return {};
  auto r = resolve(read->profile, options_under(native, choice));
  EXPECT_TRUE(r) << r.error().message;
  if (!r) return {};
  return std::move(*r);
}

Action answer(const Resolution& r, syscalls::ArchId abi, std::string_view name, std::array<uint64_t, 6> args) {
  SeccompData d;
  d.arch = syscalls::arch(abi).audit_arch;
  d.nr = syscalls::table(abi).number(name).value();
  d.args = args;
  return policy::evaluate(r.policy, d).action;
}

}  // namespace sysfence::profile::testing
