// The shared resolution flags (tools/cli/resolve_flags.h): flag strings ->
// typed options, the presets of --semantics, --arch lists, and the shared
// flag list every resolving command appends.
#include "tools/cli/resolve_flags.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "profile/caps.h"
#include "profile/load.h"

namespace sysfence::cli {
namespace {

using profile::ArgWidthMode;
using profile::UnknownSyscalls;
using syscalls::ArchId;

ParsedArgs parse(std::initializer_list<std::string> args) {
  const std::vector<std::string> v(args);
  auto parsed = parse_args(v, kResolveFlagSpecs);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : ParsedArgs{};
}

TEST(ResolveFlags, TypedOptionsFromFlags) {
  auto o =
      resolve_options(parse({"--caps", "all", "--kernel", "5.4", "--unknown-syscalls", "default"}), ArchId::kAarch64);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->native, ArchId::kAarch64);
  EXPECT_EQ(o->caps, profile::all_caps());
  EXPECT_EQ(o->kernel, (syscalls::KernelVersion{5, 4}));
  EXPECT_EQ(o->unknown_syscalls, UnknownSyscalls::kDefault);
}

TEST(ResolveFlags, DefaultsAreDockersCapsAndTheRunningKernel) {
  auto d = resolve_options(parse({}), ArchId::kX86_64);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->caps, profile::docker_default_caps());
  EXPECT_EQ(d->kernel, *profile::host_kernel_version());
  EXPECT_FALSE(d->unknown_syscalls);
  EXPECT_EQ(d->arg_width, ArgWidthMode::kAbi);
  EXPECT_EQ(d->bad_arch_action, Action::KillProcess());
  EXPECT_FALSE(read_options(parse({})).strict);
  EXPECT_TRUE(read_options(parse({"--strict"})).strict);
}

TEST(ResolveFlags, BadValuesNameTheFlag) {
  EXPECT_EQ(resolve_options(parse({"--unknown-syscalls", "kill"}), ArchId::kX86_64).error().message,
            "invalid --unknown-syscalls \"kill\": expected enosys or default");
  EXPECT_EQ(resolve_options(parse({"--kernel", "5"}), ArchId::kX86_64).error().message,
            "invalid kernel version \"5\": expected X.Y such as 5.8");
  auto caps = resolve_options(parse({"--caps", "CAP_NOPE"}), ArchId::kX86_64);
  ASSERT_FALSE(caps);
  EXPECT_NE(caps.error().message.find("CAP_NOPE"), std::string::npos) << caps.error().message;
  auto width = resolve_options(parse({"--kernel", "6.1", "--arg-width", "wide"}), ArchId::kX86_64);
  ASSERT_FALSE(width);
  EXPECT_NE(width.error().message.find("--arg-width"), std::string::npos);
}

TEST(ResolveFlags, ArgWidth) {
  EXPECT_EQ(parse_arg_width_mode("abi").value(), ArgWidthMode::kAbi);
  EXPECT_EQ(parse_arg_width_mode("64").value(), ArgWidthMode::k64);
  auto bad = parse_arg_width_mode("32");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid --arg-width \"32\": expected abi or 64");
  EXPECT_EQ(resolve_options(parse({"--kernel", "6.1", "--arg-width", "64"}), ArchId::kX86_64)->arg_width,
            ArgWidthMode::k64);
}

TEST(ResolveFlags, BadArchEverySpellingAndTheErrors) {
  EXPECT_EQ(parse_bad_arch_action("kill-process").value(), Action::KillProcess());
  EXPECT_EQ(parse_bad_arch_action("SCMP_ACT_KILL_PROCESS").value(), Action::KillProcess());
  EXPECT_EQ(parse_bad_arch_action("kill-thread").value(), Action::KillThread());
  EXPECT_EQ(parse_bad_arch_action("SCMP_ACT_KILL").value(), Action::KillThread());  // libseccomp's default
  EXPECT_EQ(parse_bad_arch_action("trap").value(), Action::Trap());
  EXPECT_EQ(parse_bad_arch_action("errno").value(), Action::Errno(1));
  EXPECT_EQ(parse_bad_arch_action("errno:38").value(), Action::Errno(38));
  EXPECT_EQ(parse_bad_arch_action("log").value(), Action::Log());
  EXPECT_EQ(parse_bad_arch_action("allow").value(), Action::Allow());
  for (const char* bad : {"", "errno:", "errno:65536", "errno:-1", "errno:1x", "kill_me", "notify"}) {
    auto e = parse_bad_arch_action(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_TRUE(e.error().message.starts_with("invalid --bad-arch \"")) << e.error().message;
  }
  EXPECT_EQ(resolve_options(parse({"--kernel", "6.1", "--bad-arch", "kill-thread"}), ArchId::kX86_64)->bad_arch_action,
            Action::KillThread());
}

TEST(ResolveFlags, SemanticsPresetsAndExplicitFlagsWin) {
  auto o = resolve_options(parse({"--kernel", "6.1", "--semantics", "runc"}), ArchId::kX86_64).value();
  EXPECT_EQ(o.arg_width, ArgWidthMode::k64);
  EXPECT_EQ(o.bad_arch_action, Action::KillThread());
  EXPECT_FALSE(o.unknown_syscalls.has_value());  // runc's own rule
  EXPECT_EQ(o.multiplex, profile::MultiplexRewrite::kLibseccomp);
  o = resolve_options(parse({"--kernel", "6.1", "--semantics", "libseccomp"}), ArchId::kX86_64).value();
  EXPECT_EQ(o.arg_width, ArgWidthMode::k64);
  EXPECT_EQ(o.multiplex, profile::MultiplexRewrite::kLibseccomp);
  EXPECT_EQ(o.unknown_syscalls, UnknownSyscalls::kDefault);
  // Explicit flags win, whatever their order on the command line.
  o = resolve_options(parse({"--arg-width", "abi", "--bad-arch", "trap", "--unknown-syscalls", "enosys", "--kernel",
                             "6.1", "--semantics", "libseccomp"}),
                      ArchId::kX86_64)
          .value();
  EXPECT_EQ(o.arg_width, ArgWidthMode::kAbi);
  EXPECT_EQ(o.bad_arch_action, Action::Trap());
  EXPECT_EQ(o.unknown_syscalls, UnknownSyscalls::kEnosys);
  o = resolve_options(parse({"--kernel", "6.1", "--semantics", "sysfence"}), ArchId::kX86_64).value();
  EXPECT_EQ(o.arg_width, ArgWidthMode::kAbi);
  EXPECT_EQ(o.multiplex, profile::MultiplexRewrite::kExact);
  o = resolve_options(parse({"--multiplex", "exact", "--kernel", "6.1", "--semantics", "runc"}), ArchId::kX86_64)
          .value();
  EXPECT_EQ(o.multiplex, profile::MultiplexRewrite::kExact);
  o = resolve_options(parse({"--kernel", "6.1", "--multiplex", "libseccomp"}), ArchId::kX86_64).value();
  EXPECT_EQ(o.multiplex, profile::MultiplexRewrite::kLibseccomp);
  EXPECT_EQ(resolve_options(parse({"--multiplex", "all"}), ArchId::kX86_64).error().message,
            "invalid --multiplex \"all\": expected exact or libseccomp");
  EXPECT_EQ(o.bad_arch_action, Action::KillProcess());
  EXPECT_EQ(resolve_options(parse({"--semantics", "docker"}), ArchId::kX86_64).error().message,
            "invalid --semantics \"docker\": expected sysfence, runc or libseccomp");
  // libseccomp's optimize level: the semantics' own unless given.
  EXPECT_EQ(resolve_options(parse({"--kernel", "6.1", "--semantics", "runc"}), ArchId::kX86_64)->libseccomp_optimize,
            0u);
  EXPECT_EQ(resolve_options(parse({"--kernel", "6.1", "--libseccomp-optimize", "2", "--semantics", "libseccomp"}),
                            ArchId::kX86_64)
                ->libseccomp_optimize,
            2u);
  EXPECT_EQ(resolve_options(parse({"--kernel", "6.1", "--libseccomp-optimize", "1"}), ArchId::kX86_64)
                ->libseccomp_optimize,
            1u);
  EXPECT_EQ(resolve_options(parse({"--libseccomp-optimize", "0"}), ArchId::kX86_64).error().message,
            "invalid --libseccomp-optimize \"0\": expected 1 or 2");
}

TEST(ArchList, OneArchKeepsItsSubArchesAListKeepsOnlyItself) {
  auto one = parse_arch_list("SCMP_ARCH_AARCH64");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->native->id, ArchId::kAarch64);
  EXPECT_TRUE(one->keep.empty());
  auto two = parse_arch_list("x86_64,i386");
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(two->native->id, ArchId::kX86_64);
  EXPECT_EQ(two->keep, (std::vector<ArchId>{ArchId::kX86_64, ArchId::kI386}));
  EXPECT_FALSE(parse_arch_list("aarch46"));
  EXPECT_FALSE(parse_arch_list("x86_64,"));
}

TEST(SharedFlags, EveryCommandListAppendsAllOfThem) {
  constexpr FlagSpec kOwn[] = {{.name = "arch"}, {.name = "bpf"}};
  constexpr auto all = with_resolve_flags(kOwn);
  ASSERT_EQ(all.size(), 2 + kResolveFlagCount);
  EXPECT_EQ(all[0].name, "arch");
  EXPECT_EQ(all[1].name, "bpf");
  std::vector<std::string> names;
  for (size_t i = 2; i < all.size(); ++i) names.emplace_back(all[i].name);
  EXPECT_EQ(names, (std::vector<std::string>{"caps", "kernel", "downgrade-actions", "unknown-syscalls", "arg-width",
                                             "bad-arch", "rule-combination", "semantics", "multiplex", "libseccomp-optimize",
                                             "strict"}));
  EXPECT_FALSE(all.back().takes_value);  // --strict is a switch
  EXPECT_EQ(first_resolve_flag(parse({})), std::nullopt);
  EXPECT_EQ(first_resolve_flag(parse({"--strict"})), "strict");
  EXPECT_EQ(first_resolve_flag(parse({"--semantics", "runc", "--caps", "all"})), "caps");
}

TEST(Downgrades, ParsedAsFromKindToAction) {
  auto d = parse_downgrades("log=allow,SCMP_ACT_KILL_PROCESS=kill,user-notif=errno:38");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 3U);
  EXPECT_EQ((*d)[0], (pipeline::Downgrade{ActionKind::kLog, Action::Allow()}));
  EXPECT_EQ((*d)[1], (pipeline::Downgrade{ActionKind::kKillProcess, Action::KillThread()}));
  EXPECT_EQ((*d)[2], (pipeline::Downgrade{ActionKind::kUserNotif, Action::Errno(38)}));
  for (const char* bad : {"", "log", "log=", "=allow", "loud=allow", "log=loud", "log=allow,log=trap"}) {
    EXPECT_FALSE(parse_downgrades(bad)) << bad;
  }
  auto r = pipeline_request(parse({"--downgrade-actions", "log=allow", "--bad-arch", "kill"}), "p.json",
                            ArchList{.native = &syscalls::arch(ArchId::kArm), .keep = {}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->target.downgrades, (std::vector<pipeline::Downgrade>{{ActionKind::kLog, Action::Allow()}}));
  EXPECT_TRUE(r->target.bad_arch_chosen);
}

TEST(PipelineRequest, CarriesTheTypedFlagsAndTheArchList) {
  auto arches = parse_arch_list("x86_64,x32");
  ASSERT_TRUE(arches);
  auto r = pipeline_request(parse({"--kernel", "5.8", "--strict", "--caps", "none"}), "p.json", *arches);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->profile, "p.json");
  EXPECT_TRUE(r->read.strict);
  EXPECT_EQ(r->resolve.native, ArchId::kX86_64);
  EXPECT_EQ(r->resolve.kernel, (syscalls::KernelVersion{5, 8}));
  EXPECT_TRUE(r->resolve.caps.empty());
  EXPECT_EQ(r->keep_abis, (std::vector<ArchId>{ArchId::kX86_64, ArchId::kX32}));
  EXPECT_FALSE(pipeline_request(parse({"--kernel", "x"}), "p.json", *arches));
}

}  // namespace
}  // namespace sysfence::cli
