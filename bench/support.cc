#include "bench/support.h"

#include <fmt/format.h>

#include <string>

#include "pipeline/pipeline.h"
#include "profile/builtin.h"
#include "profile/caps.h"

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

namespace {

// The benchmarks' request: the document in memory, resolved as
// resolve_options() says; the stages to run are the caller's.
pipeline::Request request_for(const RealProfile& p, syscalls::ArchId native) {
  pipeline::Request request;
  request.profile = std::string(p.name);
  request.text = p.json;
  request.resolve = resolve_options(native);
  return request;
}

std::string describe_failure(const RealProfile& p, syscalls::ArchId native, const pipeline::Failure& f) {
  if (f.stage == pipeline::Stage::kLoad) return fmt::format("{}: {}", p.name, f.message);
  return fmt::format("{} for {}: {}", p.name, syscalls::arch(native).name, f.message);
}

}  // namespace

Expected<policy::Policy> resolve_policy(const RealProfile& p, syscalls::ArchId native) {
  pipeline::Request request = request_for(p, native);
  request.last = pipeline::Stage::kResolve;
  auto built = pipeline::run(request);
  if (!built) return fail(describe_failure(p, native, built.error()));
  return std::move(built->resolution.policy);
}

Expected<compiler::Compiled> compile_docker_default(syscalls::ArchId native, const compiler::CompileOptions& options) {
  const RealProfile& docker = real_profiles().front();
  pipeline::Request request = request_for(docker, native);
  request.compile = options;
  request.last = pipeline::Stage::kCompile;
  auto built = pipeline::run(request);
  if (!built) return fail(describe_failure(docker, native, built.error()));
  return std::move(*built->compiled);
}

}  // namespace sysfence::bench
