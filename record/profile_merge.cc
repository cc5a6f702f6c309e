// record --merge: the union of allowlist profiles (profile_set.h).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "base/json.h"
#include "profile/json_doc.h"
#include "profile/reader.h"
#include "record/profile_set.h"
#include "syscalls/arch.h"

namespace sysfence::record {

namespace {

using profile::ProfileAction;
using profile::ProfileFilter;
using profile::ProfileSyscall;
using profile::SourcePos;

std::string at(const NamedText& in, SourcePos pos) { return fmt::format("{}:{}:{}", in.name, pos.line, pos.col); }

// Where the document spells "defaultAction" (the reader keeps no position
// for top-level fields): the last such key, matched as the reader matches
// keys (ASCII case-insensitively); the seccomp object when there is none.
SourcePos default_action_pos(const NamedText& in, SourcePos fallback) {
  auto doc = profile::JsonDoc::parse(in.text, in.name);
  if (!doc) return fallback;
  const auto equal_ci = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
  };
  std::optional<uint32_t> offset;
  for (const auto& node : doc->nodes())
    if (node.key_len != 0 && equal_ci(doc->key_of(node), "defaultAction")) offset = node.key_offset;
  if (!offset) return fallback;
  const profile::TextPos p = doc->pos(*offset);
  return SourcePos{p.line, p.col};
}

// What decides the default action's meaning: the action, and for ERRNO and
// TRACE the errno (a containers-common name wins over the number; without
// either, EPERM).
struct DefaultAction {
  ProfileAction action = ProfileAction::kErrno;
  std::string errno_name;
  uint64_t errno_ret = 1;
  friend bool operator==(const DefaultAction&, const DefaultAction&) = default;
};
DefaultAction default_of(const profile::Profile& p) {
  DefaultAction d{*p.default_action, "", 1};
  if (d.action != ProfileAction::kErrno && d.action != ProfileAction::kTrace) return d;
  if (!p.default_errno.empty()) {
    d.errno_name = p.default_errno;
    d.errno_ret = 0;
  } else {
    d.errno_ret = p.default_errno_ret.value_or(1);
  }
  return d;
}
std::string describe(const DefaultAction& d) {
  std::string out(to_string(d.action));
  if (d.action != ProfileAction::kErrno && d.action != ProfileAction::kTrace) return out;
  return d.errno_name.empty() ? fmt::format("{} (errno {})", out, d.errno_ret)
                              : fmt::format("{} (errno {})", out, d.errno_name);
}

// An includes/excludes pair with its lists sorted, comparable and usable
// as a map key.
struct FilterKey {
  std::vector<std::string> in_caps, in_arches, ex_caps, ex_arches;
  std::optional<syscalls::KernelVersion> in_kernel, ex_kernel;
  bool empty() const {
    return in_caps.empty() && in_arches.empty() && ex_caps.empty() && ex_arches.empty() && !in_kernel && !ex_kernel;
  }
  auto tie() const { return std::tie(in_caps, in_arches, in_kernel, ex_caps, ex_arches, ex_kernel); }
  friend bool operator<(const FilterKey& a, const FilterKey& b) { return a.tie() < b.tie(); }
};
std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
FilterKey filter_key(const ProfileSyscall& s) {
  return FilterKey{sorted_unique(s.includes.caps), sorted_unique(s.includes.arches),
                   sorted_unique(s.excludes.caps), sorted_unique(s.excludes.arches),
                   s.includes.min_kernel,          s.excludes.min_kernel};
}

// An entry's argument rules exactly as written (order included).
using ArgsKey = std::vector<std::tuple<uint32_t, policy::CmpOp, uint64_t, uint64_t>>;
ArgsKey args_key(const ProfileSyscall& s) {
  ArgsKey key;
  for (const auto& a : s.args) key.emplace_back(a.index, a.op, a.value, a.value_two);
  return key;
}

struct RuleGroup {
  std::set<std::string> names;
  std::string comment;  // of the first entry (in input order) with this rule
};

// Everything the inputs allow, grouped.
struct Union {
  std::map<FilterKey, std::set<std::string>> unconditional;
  std::map<std::pair<FilterKey, ArgsKey>, RuleGroup> rules;
  std::set<std::string> architectures;
  std::map<std::string, std::set<std::string>> arch_map;
  std::set<std::string> flags;
  std::string listener_path, listener_metadata;
  const NamedText* listener_from = nullptr;
};

Expected<void> add_entries(const NamedText& in, const profile::Profile& p, Union& u) {
  for (size_t i = 0; i < p.syscalls.size(); ++i) {
    const ProfileSyscall& s = p.syscalls[i];
    if (s.action != ProfileAction::kAllow)
      return fail(fmt::format("{}: syscalls[{}]: only {} entries can be merged, not {} (merge unites allowlists)",
                              at(in, s.pos), i, to_string(ProfileAction::kAllow), to_string(s.action)));
    if (s.args.empty()) {
      u.unconditional[filter_key(s)].insert(s.names.begin(), s.names.end());
      continue;
    }
    auto [it, fresh] = u.rules.try_emplace({filter_key(s), args_key(s)});
    if (fresh) it->second.comment = s.comment;
    it->second.names.insert(s.names.begin(), s.names.end());
  }
  return {};
}

Expected<void> add_profile(const NamedText& in, const profile::Profile& p, Union& u) {
  u.architectures.insert(p.architectures.begin(), p.architectures.end());
  for (const auto& m : p.arch_map)
    u.arch_map[m.architecture].insert(m.sub_architectures.begin(), m.sub_architectures.end());
  u.flags.insert(p.flags.begin(), p.flags.end());
  if (!p.listener_path.empty()) {
    if (u.listener_from && (u.listener_path != p.listener_path || u.listener_metadata != p.listener_metadata))
      return fail(fmt::format("{}: listenerPath \"{}\" differs from {}'s \"{}\"", at(in, p.pos), p.listener_path,
                              u.listener_from->name, u.listener_path));
    u.listener_path = p.listener_path;
    u.listener_metadata = p.listener_metadata;
    u.listener_from = &in;
  }
  return add_entries(in, p, u);
}

// A name allowed without argument rules under no filter, or under the
// rule's own filter, allows every call the rule allows.
void drop_redundant(Union& u) {
  auto found = u.unconditional.find(FilterKey{});
  const std::set<std::string> everywhere = found != u.unconditional.end() ? found->second : std::set<std::string>{};
  const auto covered = [&](const FilterKey& f, const std::string& name) {
    if (everywhere.count(name)) return true;
    auto it = u.unconditional.find(f);
    return it != u.unconditional.end() && it->second.count(name);
  };
  for (auto it = u.rules.begin(); it != u.rules.end();) {
    std::erase_if(it->second.names, [&](const std::string& n) { return covered(it->first.first, n); });
    it = it->second.names.empty() ? u.rules.erase(it) : std::next(it);
  }
  for (auto it = u.unconditional.begin(); it != u.unconditional.end();) {
    if (!it->first.empty()) std::erase_if(it->second, [&](const std::string& n) { return everywhere.count(n) != 0; });
    it = it->second.empty() ? u.unconditional.erase(it) : std::next(it);
  }
}

boost::json::array strings(const auto& v) {
  boost::json::array a;
  for (const auto& s : v) a.emplace_back(boost::json::string_view(s));
  return a;
}

boost::json::object filter_json(const std::vector<std::string>& caps, const std::vector<std::string>& arches,
                                const std::optional<syscalls::KernelVersion>& kernel) {
  boost::json::object o;
  if (!caps.empty()) o["caps"] = strings(caps);
  if (!arches.empty()) o["arches"] = strings(arches);
  if (kernel) o["minKernel"] = fmt::format("{}.{}", kernel->major, kernel->minor);
  return o;
}

boost::json::object entry_json(const std::set<std::string>& names, const FilterKey& f, const ArgsKey& args,
                               const std::string& comment) {
  boost::json::object e;
  e["names"] = strings(names);
  e["action"] = to_string(ProfileAction::kAllow);
  if (!args.empty()) {
    boost::json::array a;
    for (const auto& [index, op, value, value_two] : args)
      a.push_back(boost::json::object{
          {"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", profile::to_string(op)}});
    e["args"] = std::move(a);
  }
  if (!comment.empty()) e["comment"] = comment;
  auto includes = filter_json(f.in_caps, f.in_arches, f.in_kernel);
  if (!includes.empty()) e["includes"] = std::move(includes);
  auto excludes = filter_json(f.ex_caps, f.ex_arches, f.ex_kernel);
  if (!excludes.empty()) e["excludes"] = std::move(excludes);
  return e;
}

// Entries without a comment of their own name the inputs: moby's profile
// has no top-level comment, and the reader reports unknown fields.
boost::json::array syscalls_json(const Union& u, const std::string& inputs) {
  boost::json::array out;
  for (const auto& [filter, names] : u.unconditional) out.push_back(entry_json(names, filter, {}, inputs));
  // Argument rules by their first name, then rule and filter: a syscall's
  // rules stay together.
  std::vector<const std::pair<const std::pair<FilterKey, ArgsKey>, RuleGroup>*> rules;
  for (const auto& r : u.rules) rules.push_back(&r);
  std::stable_sort(rules.begin(), rules.end(), [](const auto* a, const auto* b) {
    return std::tie(*a->second.names.begin(), a->first.second) < std::tie(*b->second.names.begin(), b->first.second);
  });
  for (const auto* r : rules) {
    const std::string& comment = r->second.comment.empty() ? inputs : r->second.comment;
    out.push_back(entry_json(r->second.names, r->first.first, r->first.second, comment));
  }
  return out;
}

// moby (and the reader) refuse "architectures" and "archMap" together, so
// when the inputs have both, the list becomes archMap entries. On a host H
// the list L means the ABIs {H} + L and the map M means {H} + M[H]; the
// union is {H} + L + M[H]. Written as a map that is an entry per host with
// L and M[H] as its sub-architectures: for the hosts M names, the ABIs L
// names, and the hosts where moby runs an ABI of L as a sub-architecture
// (x86_64 for SCMP_ARCH_X86). On any other host no ABI of L can make a call.
void fold_architectures_into_arch_map(Union& u) {
  if (u.architectures.empty() || u.arch_map.empty()) return;
  std::set<std::string> listed = std::move(u.architectures);
  u.architectures.clear();
  listed.erase("SCMP_ARCH_NATIVE");  // the host's own ABI, always filtered
  for (const syscalls::Arch& host : syscalls::all_arches()) {
    bool runs_listed = listed.contains(std::string(host.scmp_name));
    for (const syscalls::ArchId sub : syscalls::default_sub_arches(host.id))
      runs_listed = runs_listed || listed.contains(std::string(syscalls::arch(sub).scmp_name));
    if (runs_listed) u.arch_map.try_emplace(std::string(host.scmp_name));
  }
  for (auto& [host, subs] : u.arch_map) {
    for (const std::string& a : listed)
      if (a != host) subs.insert(a);
  }
}

std::string inputs_comment(std::span<const NamedText> inputs) {
  std::string names;
  for (const auto& in : inputs) names += fmt::format("{}{}", names.empty() ? "" : ", ", in.name);
  return fmt::format("merged by sysfence record --merge from {}", names);
}

boost::json::object document(std::span<const NamedText> inputs, const profile::Profile& first, const Union& u) {
  boost::json::object doc;
  doc["defaultAction"] = to_string(*first.default_action);
  if (!first.default_errno.empty()) doc["defaultErrno"] = first.default_errno;
  else if (first.default_errno_ret) doc["defaultErrnoRet"] = *first.default_errno_ret;
  if (!u.architectures.empty()) doc["architectures"] = strings(u.architectures);
  if (!u.arch_map.empty()) {
    boost::json::array m;
    for (const auto& [arch, subs] : u.arch_map)
      m.push_back(boost::json::object{{"architecture", arch}, {"subArchitectures", strings(subs)}});
    doc["archMap"] = std::move(m);
  }
  if (!u.flags.empty()) doc["flags"] = strings(u.flags);
  if (!u.listener_path.empty()) doc["listenerPath"] = u.listener_path;
  if (!u.listener_metadata.empty()) doc["listenerMetadata"] = u.listener_metadata;
  doc["syscalls"] = syscalls_json(u, inputs_comment(inputs));
  return doc;
}

}  // namespace

Expected<std::string> merge_profiles(std::span<const NamedText> inputs) {
  if (inputs.empty()) return fail("merge: no profiles to merge");
  std::vector<profile::Profile> read;
  for (const NamedText& in : inputs) {
    auto r = profile::read_profile(in.text, in.name);
    if (!r) return fail(r.error().message);
    if (!r->profile.default_action)
      return fail(fmt::format("{}: no \"defaultAction\": the profile disables seccomp, there is nothing to merge",
                              at(in, r->profile.pos)));
    read.push_back(std::move(r->profile));
  }
  const DefaultAction first = default_of(read.front());
  for (size_t i = 1; i < read.size(); ++i) {
    const DefaultAction d = default_of(read[i]);
    if (d == first) continue;
    return fail(fmt::format("{}: defaultAction {} differs from {} in {}: merged profiles must deny alike",
                            at(inputs[i], default_action_pos(inputs[i], read[i].pos)), describe(d), describe(first),
                            at(inputs[0], default_action_pos(inputs[0], read[0].pos))));
  }
  Union u;
  for (size_t i = 0; i < read.size(); ++i)
    if (auto added = add_profile(inputs[i], read[i], u); !added) return fail(added.error().message);
  drop_redundant(u);
  fold_architectures_into_arch_map(u);
  return pretty_json(document(inputs, read.front(), u));
}

}  // namespace sysfence::record
