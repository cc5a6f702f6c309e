// The public API over pipeline::run: translates its plain settings into a
// pipeline::Request and the internal Expected into api::Result, so that no
// internal type appears in sysfence/sysfence.h.
#include "sysfence/sysfence.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "bpf/disasm.h"
#include "bpf/install.h"
#include "bpf/raw.h"
#include "pipeline/formats.h"
#include "pipeline/pipeline.h"
#include "profile/caps.h"
#include "profile/load.h"
#include "profile/reader.h"
#include "syscalls/arch.h"
#include "verify/verify.h"

namespace sysfence::api {

struct Filter::State {
  std::string profile_name;
  const syscalls::Arch* native = nullptr;
  compiler::CompileOptions options;
  syscalls::KernelVersion kernel;
  pipeline::Result built;
};

namespace {

Error to_error(const sysfence::Error& e) { return Error{e.message}; }

// `spec` as `sysfence --arch` reads it: the first ABI is the native one; a
// list keeps only the listed ABIs.
Expected<pipeline::Request> make_request(const Target& target) {
  pipeline::Request request;
  std::vector<const syscalls::Arch*> listed;
  std::string_view spec = target.arch;
  while (true) {
    const size_t comma = spec.find(',');
    auto a = syscalls::parse_arch(spec.substr(0, comma));
    if (!a) return fail(a.error().message);
    listed.push_back(*a);
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  request.resolve.native = listed.front()->id;
  if (listed.size() > 1) {
    for (const syscalls::Arch* a : listed) request.keep_abis.push_back(a->id);
  }
  auto caps = profile::parse_caps(target.caps);
  if (!caps) return fail(caps.error().message);
  request.resolve.caps = std::move(*caps);
  auto kernel = target.kernel.empty() ? profile::host_kernel_version() : profile::parse_kernel_version(target.kernel);
  if (!kernel) return fail(kernel.error().message);
  request.resolve.kernel = *kernel;
  return request;
}

compiler::Strategy to_internal(Strategy s) {
  switch (s) {
    case Strategy::kBalanced: return compiler::Strategy::kBalanced;
    case Strategy::kLinear: return compiler::Strategy::kLinear;
    case Strategy::kOptimal: break;
  }
  return compiler::Strategy::kOptimal;
}

pipeline::OutputInfo output_info(const Filter::State& s) {
  pipeline::OutputInfo info;
  info.profile = s.profile_name;
  info.native = s.native;
  info.strategy = std::string(compiler::to_string(s.options.strategy));
  info.weights = std::string(s.options.weights.description());
  info.notes = s.built.resolution.notes;
  info.downgrades = s.built.downgrades;
  info.kernel = syscalls::to_string(s.kernel);
  if (s.built.proof) {
    info.proof = pipeline::OutputInfo::Proof{.paths = s.built.proof->equiv.paths,
                                             .word_constraints = s.built.proof->equiv.word_constraints,
                                             .sat_conflicts = s.built.proof->equiv.sat_conflicts};
  }
  return info;
}

}  // namespace

Profile Profile::builtin_default() { return Profile("default", "", true); }

Result<Profile> Profile::from_file(const std::string& path) {
  auto text = profile::read_text_file(path);
  if (!text) return to_error(text.error());
  auto read = profile::read_profile(*text, path);
  if (!read) return to_error(read.error());
  return Profile(path, std::move(*text), false);
}

Result<Profile> Profile::from_string(std::string json, std::string name) {
  auto read = profile::read_profile(json, name);
  if (!read) return to_error(read.error());
  return Profile(std::move(name), std::move(json), false);
}

Result<Filter> compile(const Profile& profile, const Target& target, const CompileOptions& options) {
  auto request = make_request(target);
  if (!request) return to_error(request.error());
  request->profile = profile.name();
  if (!profile.is_builtin_default()) request->text = profile.text();
  request->compile.strategy = to_internal(options.strategy);
  request->last = options.prove ? pipeline::Stage::kProve : pipeline::Stage::kCompile;
  auto built = pipeline::run(*request);
  if (!built) return Error{built.error().message};
  if (built->proof && !built->proof->equivalent()) {
    return Error{"sysfence bug: the compiled filter differs from the policy\n" +
                 verify::format_verification(*built->proof)};
  }
  auto state = std::make_shared<Filter::State>();
  state->profile_name = profile.name();
  state->native = &syscalls::arch(request->resolve.native);
  state->options = request->compile;
  state->kernel = request->resolve.kernel;
  state->built = std::move(*built);
  return Filter(std::move(state));
}

std::size_t Filter::size() const { return state_->built.compiled->program.size(); }

std::string Filter::native_arch() const { return std::string(state_->native->name); }

std::vector<std::string> Filter::arches() const {
  std::vector<std::string> out;
  for (const auto& a : state_->built.resolution.policy.arches) out.emplace_back(syscalls::arch(a.arch).name);
  return out;
}

bool Filter::proved() const { return state_->built.proof.has_value(); }

std::string Filter::proof_summary() const { return pipeline::describe_proof(output_info(*state_)); }

Result<void> Filter::prove() const {
  auto proof = pipeline::prove(state_->built.compiled->program, state_->built.resolution.policy, {});
  if (!proof) return to_error(proof.error());
  if (!proof->equivalent()) return Error{verify::format_verification(*proof)};
  return {};
}

std::vector<std::string> Filter::warnings() const { return pipeline::diagnostic_lines(state_->built.diagnostics); }

Result<std::string> Filter::write(Format format, const std::string& c_name) const {
  const compiler::Compiled& compiled = *state_->built.compiled;
  switch (format) {
    case Format::kRaw: {
      const std::vector<uint8_t> bytes = bpf::write_raw(compiled.program, state_->native->endian);
      return std::string(bytes.begin(), bytes.end());
    }
    case Format::kText: {
      bpf::DisasmOptions d;
      d.arch = state_->native;
      return bpf::disassemble(compiled.program, d);
    }
    case Format::kC: {
      const std::string name = c_name.empty() ? pipeline::default_c_name(state_->profile_name) : c_name;
      if (!pipeline::is_c_identifier(name)) return Error{fmt::format("invalid C name \"{}\": not a C identifier", name)};
      return pipeline::c_header(compiled, output_info(*state_), name);
    }
    case Format::kJson: return pipeline::json_output(compiled, state_->built.resolution.policy, output_info(*state_));
  }
  return Error{"unknown output format"};
}

Result<void> Filter::write_file(const std::string& path, Format format, const std::string& c_name) const {
  auto data = write(format, c_name);
  if (!data) return data.error();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Error{fmt::format("{}: cannot open for writing", path)};
  const bool written = std::fwrite(data->data(), 1, data->size(), f) == data->size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) return Error{fmt::format("{}: write failed", path)};
  return {};
}

Result<void> Filter::install(const InstallOptions& options) const {
  bpf::InstallOptions o;
  if (options.all_threads) o.flags |= bpf::kFlagTsync;
  if (options.log) o.flags |= bpf::kFlagLog;
  o.set_no_new_privs = options.set_no_new_privs;
  auto installed = bpf::install(state_->built.compiled->program, o);
  if (!installed) return to_error(installed.error());
  return {};
}

}  // namespace sysfence::api
