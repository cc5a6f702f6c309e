#include "bench/support.h"

#include <fmt/format.h>

#include "profile/builtin.h"
#include "profile/caps.h"
#include "profile/reader.h"

// profile/data/containers-common.json, embedded by the genrule in
// bench/BUILD.bazel (//profile:embed_text).
namespace sysfence::profile::embedded {
extern const std::string_view containers_common_json;
}  // namespace sysfence::profile::embedded

namespace sysfence::bench {

std::span<const RealProfile> real_profiles() {
  static const RealProfile kProfiles[] = {
      {"docker-default", profile::builtin_default_profile_json()},
      {"containers-common", profile::embedded::containers_common_json},
  };
  return kProfiles;
}

std::span<const syscalls::ArchId> bench_arches() {
  static constexpr syscalls::ArchId kArches[] = {
      syscalls::ArchId::kX86_64,   syscalls::ArchId::kAarch64, syscalls::ArchId::kRiscv64,
      syscalls::ArchId::kMips64el, syscalls::ArchId::kPpc64le,
  };
  return kArches;
}

profile::ResolveOptions resolve_options(syscalls::ArchId native) {
  profile::ResolveOptions o;
  o.native = native;
  o.caps = profile::docker_default_caps();
  o.kernel = {6, 1};
  return o;
}

Expected<policy::Policy> resolve_policy(const RealProfile& p, syscalls::ArchId native) {
  auto read = profile::read_profile(p.json, p.name);
  if (!read) return fail(fmt::format("{}: {}", p.name, read.error().message));
  auto res = profile::resolve(read->profile, resolve_options(native));
  if (!res) return fail(fmt::format("{} for {}: {}", p.name, syscalls::arch(native).name, res.error().message));
  return std::move(res->policy);
}

Expected<compiler::Compiled> compile_docker_default(syscalls::ArchId native, const compiler::CompileOptions& options) {
  auto policy = resolve_policy(real_profiles().front(), native);
  if (!policy) return fail(policy.error().message);
  return compiler::compile(*policy, options);
}

}  // namespace sysfence::bench
