// disassemble -> assemble is byte-identical: for thousands of random
// programs, in both formats, with no arch and with each arch.
//
// Program sources:
//   seccomp_shaped  arch dispatch on real AUDIT_ARCH values, syscall numbers
//                   from the real tables (so names, qualified names and
//                   per-path arch facts are exercised), argument and ip
//                   words, every opcode, joins;
//   any_bytes       random 8-byte instructions (any code, any unused
//                   fields), jumps kept inside the program: the round trip
//                   holds for every program whose jumps stay inside it,
//                   valid or not;
//   valid           bpfcore's kernel-valid generator (test/bpf:random_program).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "base/seccomp.h"
#include "bpf/asm.h"
#include "bpf/disasm.h"
#include "bpf/insn.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "test/bpf/random_program.h"

namespace sysfence::bpf {
namespace {

using syscalls::Arch;
using testing::RandomProgramGenerator;
using testing::RandomProgramOptions;
using testing::Rng;

// Every opcode with a statement (the seccomp whitelist plus MOD).
const std::vector<uint16_t>& statement_opcodes() {
  static const std::vector<uint16_t> codes = [] {
    std::vector<uint16_t> v;
    for (uint32_t c = 0; c <= 0xffff; ++c)
      if (has_statement(static_cast<uint16_t>(c))) v.push_back(static_cast<uint16_t>(c));
    return v;
  }();
  return codes;
}

// Arches to disassemble with: none, then each ABI.
std::vector<const Arch*> arch_choices() {
  std::vector<const Arch*> v = {nullptr};
  for (const Arch& a : syscalls::all_arches()) v.push_back(&a);
  return v;
}

// Keeps jump targets inside the program (the round trip's precondition):
// offsets that leave it are reduced modulo the room left. Ends the program
// with a `ret`.
void keep_jumps_inside(Program& p, Rng& rng) {
  const size_t n = p.size();
  for (size_t i = 0; i < n; ++i) {
    Insn& in = p[i];
    const auto room = static_cast<uint32_t>(n - i - 1);  // instructions after i
    if (i + 1 == n) {
      if (insn_class(in.code) != kRet) in.code = rng.chance(50) ? (kRet | kRetK) : (kRet | kRetA);
      continue;
    }
    if (in.code == (kJmp | kJa) && in.k >= room) in.k %= room;
    if (insn_class(in.code) == kJmp && in.code != (kJmp | kJa) && has_statement(in.code)) {
      if (in.jt >= room) in.jt = static_cast<uint8_t>(in.jt % room);
      if (in.jf >= room) in.jf = static_cast<uint8_t>(in.jf % room);
    }
  }
}

// A small forward offset, mostly short (real filters jump nearby), now and
// then as far as a conditional can.
uint8_t offset(Rng& rng) { return static_cast<uint8_t>(rng.chance(90) ? rng.below(12) : rng.below(256)); }

uint32_t some_syscall_number(Rng& rng, const Arch& a) {
  const auto entries = syscalls::table(a).entries();
  if (entries.empty() || rng.chance(10)) return rng.below(600) + a.nr_bias;
  return entries[rng.below(static_cast<uint32_t>(entries.size()))].nr;
}

// Seccomp-shaped, in blocks as compilers emit them: arch dispatch
// (`A = arch; if (A != ARCH_...)`), syscall-number tests against the
// section's table (and x32's, for qualified names), argument and ip words
// with masks, and now and then any opcode, returns, `goto`, garbage in
// ignored fields. Jumps go to random places, so joins drop facts too.
Program seccomp_shaped(Rng& rng) {
  const auto arches = syscalls::all_arches();
  auto any_arch = [&]() -> const Arch& { return arches[rng.below(static_cast<uint32_t>(arches.size()))]; };
  const size_t n = 2 + rng.below(rng.chance(10) ? 300 : 40);
  const Arch* section = &any_arch();
  Program p;
  p.reserve(n + 8);
  while (p.size() < n) {
    switch (rng.below(8)) {
      case 0:
      case 1: {  // arch dispatch
        p.push_back(stmt(kLd | kW | kAbs, kOffsetArch));
        for (uint32_t j = 0, m = 1 + rng.below(3); j < m; ++j) {
          section = &any_arch();
          const bool fall_into = rng.chance(70);  // `if (A != ARCH) goto elsewhere`
          p.push_back(
              jump(kJmp | kJeq | kK, section->audit_arch, fall_into ? 0 : offset(rng), fall_into ? offset(rng) : 0));
        }
        break;
      }
      case 2:
      case 3:
      case 4: {  // syscall-number tests
        p.push_back(stmt(kLd | kW | kAbs, kOffsetNr));
        static constexpr uint16_t kOps[] = {kJeq, kJeq, kJeq, kJgt, kJge, kJset};
        for (uint32_t j = 0, m = 1 + rng.below(4); j < m; ++j) {
          const Arch& from = rng.chance(15)   ? syscalls::arch(syscalls::ArchId::kX32)
                             : rng.chance(90) ? *section
                                              : any_arch();
          p.push_back(jump(kJmp | kOps[rng.below(6)] | kK, some_syscall_number(rng, from), offset(rng), offset(rng)));
        }
        break;
      }
      case 5: {  // argument / ip word, masked, compared
        p.push_back(stmt(kLd | kW | kAbs, 8 + 4 * rng.below(14)));
        if (rng.chance(50)) p.push_back(stmt(kAlu | kAnd | kK, rng.next32()));
        p.push_back(jump(kJmp | (rng.chance(50) ? kJeq : kJset) | kK, rng.next32(), offset(rng), offset(rng)));
        break;
      }
      default: {  // anything else
        const auto& codes = statement_opcodes();
        Insn in{codes[rng.below(static_cast<uint32_t>(codes.size()))], offset(rng), offset(rng),
                rng.chance(50) ? rng.below(64) : rng.next32()};
        if (rng.chance(30)) in = stmt(kRet | kRetK, rng.chance(50) ? kRetAllow : (kRetErrno | rng.below(4096)));
        if (in.code == (kJmp | kJa)) in.k = offset(rng);
        if (rng.chance(20)) {  // garbage in fields the opcode ignores
          const FieldUse use = field_use(in.code);
          if (!use.jt) in.jt = static_cast<uint8_t>(rng.next32());
          if (!use.jf) in.jf = static_cast<uint8_t>(rng.next32());
          if (!use.k) in.k = rng.next32();
        }
        p.push_back(in);
        break;
      }
    }
  }
  keep_jumps_inside(p, rng);
  return p;
}

// Random bytes, codes biased towards real opcodes.
Program any_bytes(Rng& rng) {
  const size_t n = 1 + rng.below(24);
  Program p;
  for (size_t i = 0; i < n; ++i) {
    Insn in{static_cast<uint16_t>(rng.next32()), static_cast<uint8_t>(rng.next32()), static_cast<uint8_t>(rng.next32()),
            rng.next32()};
    if (rng.chance(60)) {
      const auto& codes = statement_opcodes();
      in.code = codes[rng.below(static_cast<uint32_t>(codes.size()))];
    } else if (rng.chance(50)) {
      in.code &= 0xff;
    }
    p.push_back(in);
  }
  keep_jumps_inside(p, rng);
  return p;
}

// Spellings whose round trip matters most; each generator must produce the
// ones it is meant to (proves the naming code is reached, not just numbers).
// "== a" stands for an equality test against a syscall name.
constexpr std::string_view kFeatures[] = {
    "ARCH_", "x32:",      "== a",  ">> 32",    "args[", "instruction_pointer", "data[", "{jt=", "{k=",
    ".insn", "else goto", "!(A &", "return A", "mem[",
};
constexpr size_t kFeatureCount = std::size(kFeatures);

bool has_feature(const std::string& text, std::string_view feature) {
  if (feature != "== a") return text.find(feature) != std::string::npos;
  for (size_t at = text.find("== "); at != std::string::npos; at = text.find("== ", at + 1)) {
    const char c = at + 3 < text.size() ? text[at + 3] : ' ';
    if (c >= 'a' && c <= 'z') return true;
  }
  return false;
}

struct Counts {
  size_t programs = 0;
  size_t round_trips = 0;
  size_t feature_hits[kFeatureCount] = {};

  void note(const std::string& text) {
    for (size_t i = 0; i < kFeatureCount; ++i)
      if (has_feature(text, kFeatures[i])) ++feature_hits[i];
  }
  // Each listed feature in at least `min` texts.
  void expect_coverage(std::initializer_list<std::string_view> features, size_t min) const {
    for (std::string_view f : features) {
      const auto i =
          static_cast<size_t>(std::find(std::begin(kFeatures), std::end(kFeatures), f) - std::begin(kFeatures));
      ASSERT_LT(i, kFeatureCount) << f;
      EXPECT_GE(feature_hits[i], min) << "too few texts contain \"" << f << "\"";
    }
  }
};

// Disassembles `p` in both formats and assembles each back; the asm format
// also without any arch option (its `.arch` line must suffice).
void expect_round_trip(const Program& p, const Arch* a, Counts& counts, const std::string& what) {
  ++counts.programs;
  for (TextFormat f : {TextFormat::kListing, TextFormat::kAsm}) {
    const std::string text = disassemble(p, {.arch = a, .format = f});
    counts.note(text);
    auto back = assemble(text, {.file_name = "rt.s", .arch = a, .arch_explicit = true});
    ASSERT_TRUE(back.has_value()) << what << " arch " << (a ? a->name : "none") << ": " << back.error().message << "\n"
                                  << text;
    ASSERT_EQ(back->program, p) << what << " arch " << (a ? a->name : "none") << "\n" << text;
    ++counts.round_trips;
    if (f == TextFormat::kAsm) {
      auto self_contained = assemble(text, {.file_name = "rt.s"});
      ASSERT_TRUE(self_contained.has_value()) << self_contained.error().message << "\n" << text;
      ASSERT_EQ(self_contained->program, p) << what << "\n" << text;
      ++counts.round_trips;
    }
  }
}

TEST(RoundTrip, SeccompShapedPrograms) {
  Rng rng(0x5eed0001);
  const auto arches = arch_choices();
  Counts counts;
  for (int i = 0; i < 10000; ++i) {
    const Program p = seccomp_shaped(rng);
    expect_round_trip(p, arches[i % arches.size()], counts, "seccomp_shaped #" + std::to_string(i));
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(counts.programs, 10000U);
  counts.expect_coverage({"ARCH_", "x32:", "== a", ">> 32", "args[", "instruction_pointer", "data[",
                          "{jt=", "{k=", "else goto", "!(A &", "return A", "mem["},
                         50);
  RecordProperty("round_trips", static_cast<int>(counts.round_trips));
}

TEST(RoundTrip, AnyBytesWithJumpsInside) {
  Rng rng(0x5eed0002);
  const auto arches = arch_choices();
  Counts counts;
  for (int i = 0; i < 3000; ++i) {
    const Program p = any_bytes(rng);
    expect_round_trip(p, arches[i % arches.size()], counts, "any_bytes #" + std::to_string(i));
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(counts.programs, 3000U);
  counts.expect_coverage({".insn", "{jt=", "{k=", "data["}, 50);
}

TEST(RoundTrip, KernelValidPrograms) {
  RandomProgramGenerator gen(0x5eed0003);
  const auto arches = arch_choices();
  RandomProgramOptions options;
  // Compare against numbers that mean something, so names get printed.
  for (const Arch& a : syscalls::all_arches()) {
    options.constants.push_back(a.audit_arch);
    options.constants.push_back(a.nr_bias + 1);
  }
  for (uint32_t nr = 0; nr < 16; ++nr) options.constants.push_back(nr);  // x86_64, i386, ...
  Counts counts;
  for (int i = 0; i < 10000; ++i) {
    const Program p = gen.valid(options);
    expect_round_trip(p, arches[i % arches.size()], counts, "valid #" + std::to_string(i));
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(counts.programs, 10000U);
  counts.expect_coverage({"ARCH_", "args[", ">> 32", "{jt=", "return A", "mem["}, 50);
}

TEST(RoundTrip, MutatedAndSoupProgramsWhoseJumpsStayInside) {
  RandomProgramGenerator gen(0x5eed0004);
  const auto arches = arch_choices();
  Counts counts;
  size_t skipped = 0;
  for (int i = 0; i < 3000; ++i) {
    Program p = (i % 2 == 0) ? gen.mutate(gen.valid({})) : gen.soup(24);
    bool inside = !p.empty();
    for (size_t j = 0; j < p.size() && inside; ++j) {
      const uint64_t next = j + 1;
      if (p[j].code == (kJmp | kJa)) inside = next + p[j].k < p.size();
      if (insn_class(p[j].code) == kJmp && p[j].code != (kJmp | kJa) && has_statement(p[j].code))
        inside = next + p[j].jt < p.size() && next + p[j].jf < p.size();
    }
    if (!inside) {
      ++skipped;
      continue;
    }
    expect_round_trip(p, arches[i % arches.size()], counts, "mutated/soup #" + std::to_string(i));
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Most mutations keep the jumps inside.
  EXPECT_GT(counts.programs, 1500U) << skipped << " skipped";
}

// Every opcode the kernel's seccomp accepts, alone before a ret, with
// extreme fields, for every arch.
TEST(RoundTrip, EveryOpcodeWithExtremeFields) {
  Counts counts;
  for (const Arch* a : arch_choices()) {
    for (uint16_t code : statement_opcodes()) {
      for (uint32_t k : {0U, 1U, 4U, 16U, 20U, 63U, 64U, 0x7fffffffU, 0xffffffffU}) {
        for (uint8_t j : {uint8_t{0}, uint8_t{1}}) {
          Program p = {Insn{code, j, j, k}, stmt(kRet | kRetK, 0), stmt(kRet | kRetA, 0)};
          if (code == (kJmp | kJa)) p[0].k = k % 2;
          expect_round_trip(p, a, counts, "opcode");
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  }
  EXPECT_GT(counts.programs, 10000U);
}

// Every syscall of every ABI prints by name in an equality test after the
// arch check, and assembles back to its number; every AUDIT_ARCH prints as
// its ARCH_* constant.
TEST(RoundTrip, EverySyscallOfEveryAbiByName) {
  size_t named = 0;
  for (const Arch& a : syscalls::all_arches()) {
    for (const syscalls::Syscall& sc : syscalls::table(a).entries()) {
      const Program p = {
          stmt(kLd | kW | kAbs, kOffsetArch), jump(kJmp | kJeq | kK, a.audit_arch, 0, 2),
          stmt(kLd | kW | kAbs, kOffsetNr),   jump(kJmp | kJeq | kK, sc.nr, 0, 0),
          stmt(kRet | kRetK, kRetAllow),
      };
      // Default arch: the ABI itself, and none (the arch check names it).
      for (const Arch* fallback : {&a, static_cast<const Arch*>(nullptr)}) {
        const std::vector<std::string> s = statements(p, fallback);
        // ABIs sharing an AUDIT_ARCH (x32 under x86_64) may print qualified.
        const std::string plain = fmt::format("if (A == {}) goto 0004", sc.name);
        const std::string qualified = fmt::format("if (A == {}:{}) goto 0004", a.name, sc.name);
        EXPECT_TRUE(s[3] == plain || (fallback == nullptr && s[3] == qualified))
            << a.name << " " << sc.name << ": " << s[3];
        Counts counts;
        expect_round_trip(p, fallback, counts, fmt::format("{} {}", a.name, sc.name));
        if (::testing::Test::HasFatalFailure()) return;
        ++named;
      }
    }
    const Program arch_check = {stmt(kLd | kW | kAbs, kOffsetArch), jump(kJmp | kJeq | kK, a.audit_arch, 0, 0),
                                stmt(kRet | kRetA, 0)};
    EXPECT_EQ(statements(arch_check, nullptr)[1].substr(0, 14), "if (A == ARCH_") << a.name;
  }
  EXPECT_GT(named, 10000U);
}

// Edited text (bytes deleted, inserted, lines duplicated or swapped) never
// crashes the assembler; every error names the file and a line:column, or
// says there are no instructions. (Run under --config=asan too.)
TEST(AssemblerRobustness, MutatedTextGivesLocatedErrorsOrPrograms) {
  Rng rng(0x5eed0005);
  const auto arches = arch_choices();
  static constexpr std::string_view kAlphabet = "AX=<>!&|^+-*/%()[]{}:#,. \t\n0x19afgjkmL_rdew";
  size_t errors = 0;
  size_t programs = 0;
  for (int i = 0; i < 5000; ++i) {
    const Arch* a = arches[i % arches.size()];
    std::string text =
        disassemble(seccomp_shaped(rng), {.arch = a, .format = i % 2 ? TextFormat::kAsm : TextFormat::kListing});
    for (uint32_t e = 0, edits = 1 + rng.below(4); e < edits && !text.empty(); ++e) {
      const size_t at = rng.below(static_cast<uint32_t>(text.size()));
      switch (rng.below(4)) {
        case 0: text.erase(at, 1 + rng.below(8)); break;
        case 1: text.insert(at, 1, kAlphabet[rng.below(static_cast<uint32_t>(kAlphabet.size()))]); break;
        case 2: {  // duplicate the line containing `at`
          const size_t begin = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
          const size_t end = text.find('\n', at);
          text.insert(begin, text.substr(begin, end == std::string::npos ? std::string::npos : end - begin + 1));
          break;
        }
        default: text[at] = static_cast<char>(rng.next32()); break;  // any byte
      }
    }
    auto r = assemble(text, {.file_name = "m.s", .arch = a});
    if (r) {
      ++programs;
      EXPECT_EQ(r->positions.size(), r->program.size());
      continue;
    }
    ++errors;
    const std::string& m = r.error().message;
    const bool located = m.starts_with("m.s:") && m.size() > 4 && m[4] >= '1' && m[4] <= '9';
    EXPECT_TRUE(located || m == "m.s: no instructions") << m;
  }
  EXPECT_GT(errors, 1000U);
  EXPECT_GT(programs, 100U);
}

}  // namespace
}  // namespace sysfence::bpf
