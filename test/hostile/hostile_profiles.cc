#include "test/hostile/hostile_profiles.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "syscalls/table.h"

namespace sysfence::hostile {
namespace {

// The sizes at the parser's limits (16 MiB, 2^20 values), worked out from
// each shape's bytes and values per unit (see profile() below).
constexpr std::array<ShapeInfo, 14> kShapes{{
    {Shape::kConditions, "conditions", 40000},
    {Shape::kEqConditions, "eq-conditions", 40000},
    {Shape::kOneName, "one-name", 250000},
    {Shape::kDuplicateNames, "duplicate-names", 1000000},
    {Shape::kManyNames, "many-names", 2000},
    {Shape::kSplit, "split", 200000},
    {Shape::kDeep, "deep", 20000},
    {Shape::kIncludes, "includes", 4000},
    {Shape::kArchMap, "archmap", 300000},
    {Shape::kLongStrings, "long-strings", 12000},
    {Shape::kWidth, "width", 110000},
    {Shape::kForeignNames, "foreign-names", 250000},
    {Shape::kSplitNames, "split-names", 200000},
    {Shape::kAllArches, "all-arches", 250000},
}};

// A fixed 64-bit generator (splitmix64): the same bytes on every machine.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

std::string arg(unsigned index, uint64_t value, std::string_view op) {
  return fmt::format(R"({{"index":{},"value":{},"op":"{}"}})", index, value, op);
}

std::string entry(std::string_view names_json, std::string_view extra) {
  return fmt::format(R"({{"names":[{}],"action":"SCMP_ACT_ALLOW"{}}})", names_json, extra);
}

// n rules on one syscall, `args` conditions each, range operators mixed so
// that every value splits the others' rules (the shape of a decision diagram
// that grows with the product of the rules).
std::string range_rules(size_t n, unsigned args) {
  static constexpr std::array<std::string_view, 4> kOps{"SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_NE", "SCMP_CMP_GE"};
  Random rnd{n * 31 + args};
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    std::string conds;
    for (unsigned a = 0; a < args; ++a)
      conds += (a ? "," : "") + arg(a, rnd.below(uint64_t{1} << 32), kOps[(i + a) % kOps.size()]);
    out += (i ? ",\n" : "") + entry(R"("ioctl")", fmt::format(R"(,"args":[{}])", conds));
  }
  return out;
}

std::string eq_rules(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const std::string conds =
        arg(0, i, "SCMP_CMP_EQ") + "," + arg(1, i * 7, "SCMP_CMP_EQ") + "," + arg(2, i * 13, "SCMP_CMP_EQ");
    out += (i ? ",\n" : "") + entry(R"("ioctl")", fmt::format(R"(,"args":[{}])", conds));
  }
  return out;
}

std::string repeated_entries(size_t n, std::string_view one) {
  std::string out;
  out.reserve(n * (one.size() + 2));
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ",\n";
    out += one;
  }
  return out;
}

std::string quoted_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto n : names) out += fmt::format(R"({}"{}")", out.empty() ? "" : ",", n);
  return out;
}

std::vector<std::string_view> x86_64_names() {
  std::vector<std::string_view> names;
  for (const auto& s : syscalls::table(syscalls::ArchId::kX86_64).entries()) names.push_back(s.name);
  return names;
}

// Names some ABI knows and x86_64 does not (skipped there with a note).
std::vector<std::string_view> foreign_names() {
  std::set<std::string_view> native;
  for (auto n : x86_64_names()) native.insert(n);
  std::set<std::string_view> foreign;
  for (const auto& a : syscalls::all_arches())
    for (const auto& s : syscalls::table(a.id).entries())
      if (!native.contains(s.name)) foreign.insert(s.name);
  return {foreign.begin(), foreign.end()};
}

std::string syscalls_of(Shape s, size_t n) {
  switch (s) {
    case Shape::kConditions: return range_rules(n, 3);
    case Shape::kDeep: return range_rules(n, 6);
    case Shape::kEqConditions: return eq_rules(n);
    case Shape::kOneName: return repeated_entries(n, entry(R"("read")", ""));
    case Shape::kDuplicateNames: {
      std::string names;
      for (size_t i = 0; i < n; ++i) names += i ? R"(,"read")" : R"("read")";
      return entry(names, "");
    }
    case Shape::kManyNames: return repeated_entries(n, entry(quoted_list(x86_64_names()), ""));
    case Shape::kSplit:
    case Shape::kSplitNames: {
      std::string conds;
      for (size_t i = 0; i < n; ++i) conds += (i ? "," : "") + arg(0, i, "SCMP_CMP_EQ");
      const std::string names = s == Shape::kSplit ? R"("ioctl")" : quoted_list(x86_64_names());
      return entry(names, fmt::format(R"(,"args":[{}])", conds));
    }
    case Shape::kAllArches: return repeated_entries(n, entry(R"("read")", ""));
    case Shape::kIncludes: {
      std::vector<std::string_view> caps{"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_CHOWN"};
      std::vector<std::string_view> arches{"s390", "s390x", "ppc64le", "arm64", "arm", "mips64", "riscv64"};
      std::string cap_list;
      std::string arch_list;
      for (size_t i = 0; i < 60; ++i) cap_list += fmt::format(R"({}"{}")", i ? "," : "", caps[i % caps.size()]);
      for (size_t i = 0; i < 60; ++i) arch_list += fmt::format(R"({}"{}")", i ? "," : "", arches[i % arches.size()]);
      const std::string filters =
          fmt::format(R"(,"includes":{{"arches":[{0},"amd64"],"caps":[]}},"excludes":{{"arches":[{0}],"caps":[{1}]}})",
                      arch_list, cap_list);
      return repeated_entries(n, entry(R"("read","write")", filters));
    }
    case Shape::kArchMap: return entry(R"("read")", "");
    case Shape::kLongStrings: {
      std::string out;
      for (size_t i = 0; i < n; ++i) {
        std::string name(1000, static_cast<char>('a' + i % 26));
        name += fmt::format("{}", i);
        out += (i ? ",\n" : "") + entry(fmt::format(R"("{}")", name), "");
      }
      return out;
    }
    case Shape::kWidth:
      // close(2)'s fd is an unsigned int: 2^40 does not fit.
      return repeated_entries(
          n, entry(R"("close")", "," + fmt::format(R"("args":[{}])", arg(0, uint64_t{1} << 40, "SCMP_CMP_EQ"))));
    case Shape::kForeignNames: {
      const auto names = foreign_names();
      std::string out;
      for (size_t i = 0; i < n; ++i)
        out +=
            fmt::format(R"({}{{"names":["{}"],"action":"SCMP_ACT_ALLOW"}})", i ? ",\n" : "", names[i % names.size()]);
      return out;
    }
  }
  return {};
}

std::string arch_map(Shape s, size_t n) {
  if (s == Shape::kAllArches) {
    std::string list;
    for (const auto& a : syscalls::all_arches()) list += fmt::format(R"({}"{}")", list.empty() ? "" : ",", a.scmp_name);
    return fmt::format(R"("architectures":[{}],)", list);
  }
  if (s != Shape::kArchMap)
    return R"("archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]}],)";
  std::string out = R"("archMap":[)";
  for (size_t i = 0; i < n / 2; ++i)
    out += R"({"architecture":"SCMP_ARCH_S390X","subArchitectures":["SCMP_ARCH_S390"]},)";
  out += R"({"architecture":"SCMP_ARCH_X86_64","subArchitectures":[)";
  for (size_t i = 0; i < n / 2; ++i) out += i ? R"(,"SCMP_ARCH_X86")" : R"("SCMP_ARCH_X86")";
  return out + "]}],";
}

}  // namespace

std::span<const ShapeInfo> shapes() { return kShapes; }

std::optional<Shape> parse_shape(std::string_view name) {
  for (const auto& s : kShapes)
    if (s.name == name) return s.shape;
  return std::nullopt;
}

const ShapeInfo& info(Shape s) {
  return *std::find_if(kShapes.begin(), kShapes.end(), [&](const ShapeInfo& i) { return i.shape == s; });
}

std::string profile(Shape s, size_t n) {
  std::string comment;
  if (s == Shape::kLongStrings) comment = fmt::format(R"("comment":"{}",)", std::string(size_t{2} << 20, 'c'));
  return fmt::format("{{\"defaultAction\":\"SCMP_ACT_ERRNO\",{}{}\"syscalls\":[\n{}\n]}}\n", comment, arch_map(s, n),
                     syscalls_of(s, n));
}

}  // namespace sysfence::hostile
