// Architecture descriptors: every value below is written from the kernel's
// UAPI facts (audit.h, elf-em.h) and libseccomp/Docker/Go spellings, not read
// back from syscalls/arch.cc.
#include "syscalls/arch.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

struct Expect {
  ArchId id;
  const char* name;
  const char* scmp;
  const char* go;
  uint32_t audit;
  unsigned bits;
  Endian endian;
  uint32_t bias;
};

const Expect kExpected[] = {
    {ArchId::kX86_64, "x86_64", "SCMP_ARCH_X86_64", "amd64", 0xC000003E, 64, Endian::kLittle, 0},
    {ArchId::kX32, "x32", "SCMP_ARCH_X32", "x32", 0xC000003E, 32, Endian::kLittle, 0x40000000},
    {ArchId::kI386, "i386", "SCMP_ARCH_X86", "386", 0x40000003, 32, Endian::kLittle, 0},
    {ArchId::kAarch64, "aarch64", "SCMP_ARCH_AARCH64", "arm64", 0xC00000B7, 64, Endian::kLittle, 0},
    {ArchId::kArm, "arm", "SCMP_ARCH_ARM", "arm", 0x40000028, 32, Endian::kLittle, 0},
    {ArchId::kRiscv64, "riscv64", "SCMP_ARCH_RISCV64", "riscv64", 0xC00000F3, 64, Endian::kLittle, 0},
    {ArchId::kRiscv32, "riscv32", "SCMP_ARCH_RISCV32", "riscv32", 0x400000F3, 32, Endian::kLittle, 0},
    {ArchId::kPpc64le, "ppc64le", "SCMP_ARCH_PPC64LE", "ppc64le", 0xC0000015, 64, Endian::kLittle, 0},
    {ArchId::kPpc64, "ppc64", "SCMP_ARCH_PPC64", "ppc64", 0x80000015, 64, Endian::kBig, 0},
    {ArchId::kPpc, "ppc", "SCMP_ARCH_PPC", "ppc", 0x00000014, 32, Endian::kBig, 0},
    {ArchId::kS390x, "s390x", "SCMP_ARCH_S390X", "s390x", 0x80000016, 64, Endian::kBig, 0},
    {ArchId::kS390, "s390", "SCMP_ARCH_S390", "s390", 0x00000016, 32, Endian::kBig, 0},
    {ArchId::kMips, "mips", "SCMP_ARCH_MIPS", "mips", 0x00000008, 32, Endian::kBig, 4000},
    {ArchId::kMipsel, "mipsel", "SCMP_ARCH_MIPSEL", "mipsle", 0x40000008, 32, Endian::kLittle, 4000},
    {ArchId::kMips64, "mips64", "SCMP_ARCH_MIPS64", "mips64", 0x80000008, 64, Endian::kBig, 5000},
    {ArchId::kMips64el, "mips64el", "SCMP_ARCH_MIPSEL64", "mips64le", 0xC0000008, 64, Endian::kLittle, 5000},
    {ArchId::kMips64n32, "mips64n32", "SCMP_ARCH_MIPS64N32", "mips64p32", 0xA0000008, 32, Endian::kBig, 6000},
    {ArchId::kMipsel64n32, "mipsel64n32", "SCMP_ARCH_MIPSEL64N32", "mips64p32le", 0xE0000008, 32, Endian::kLittle,
     6000},
    {ArchId::kLoongarch64, "loongarch64", "SCMP_ARCH_LOONGARCH64", "loong64", 0xC0000102, 64, Endian::kLittle, 0},
    {ArchId::kParisc, "parisc", "SCMP_ARCH_PARISC", "parisc", 0x0000000F, 32, Endian::kBig, 0},
    {ArchId::kParisc64, "parisc64", "SCMP_ARCH_PARISC64", "parisc64", 0x8000000F, 64, Endian::kBig, 0},
    {ArchId::kM68k, "m68k", "SCMP_ARCH_M68K", "m68k", 0x00000004, 32, Endian::kBig, 0},
    {ArchId::kSh, "sh", "SCMP_ARCH_SH", "sh", 0x4000002A, 32, Endian::kLittle, 0},
    {ArchId::kSheb, "sheb", "SCMP_ARCH_SHEB", "sheb", 0x0000002A, 32, Endian::kBig, 0},
    {ArchId::kCsky, "csky", "SCMP_ARCH_CSKY", "csky", 0x400000FC, 32, Endian::kLittle, 0},
    {ArchId::kXtensa, "xtensa", "SCMP_ARCH_XTENSA", "xtensa", 0x0000005E, 32, Endian::kLittle, 0},
};

TEST(Arch, TwentySixAbisInIdOrder) {
  ASSERT_EQ(all_arches().size(), 26u);
  ASSERT_EQ(kArchCount, 26);
  for (size_t i = 0; i < all_arches().size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(all_arches()[i].id), i);
    EXPECT_EQ(&arch(all_arches()[i].id), &all_arches()[i]);
  }
}

TEST(Arch, DescriptorsMatchKernelFacts) {
  ASSERT_EQ(std::size(kExpected), all_arches().size());
  for (const auto& e : kExpected) {
    SCOPED_TRACE(e.name);
    const Arch& a = arch(e.id);
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.scmp_name, e.scmp);
    EXPECT_EQ(a.go_name, e.go);
    EXPECT_EQ(a.audit_arch, e.audit);
    EXPECT_EQ(a.word_bits, e.bits);
    EXPECT_EQ(a.endian, e.endian);
    EXPECT_EQ(a.nr_bias, e.bias);
  }
}

TEST(Arch, AuditArchTraps) {
  // x32 is not distinguishable by arch: only the nr bit is.
  EXPECT_EQ(arch(ArchId::kX32).audit_arch, arch(ArchId::kX86_64).audit_arch);
  // sh little-endian carries the LE bit, sheb does not.
  EXPECT_EQ(arch(ArchId::kSh).audit_arch & 0x40000000u, 0x40000000u);
  EXPECT_EQ(arch(ArchId::kSheb).audit_arch & 0x40000000u, 0u);
  // Every other pair of ABIs reports distinct values.
  std::map<uint32_t, int> seen;
  for (const auto& a : all_arches()) seen[a.audit_arch]++;
  for (const auto& [value, count] : seen) EXPECT_EQ(count, value == 0xC000003E ? 2 : 1) << std::hex << value;
}

TEST(Arch, MultiplexersFollowTheTables) {
  for (const auto& a : all_arches()) {
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.has_socketcall, table(a).find("socketcall") != nullptr);
    EXPECT_EQ(a.has_ipc, table(a).find("ipc") != nullptr);
  }
  // Known from the ABIs themselves.
  for (ArchId id : {ArchId::kI386, ArchId::kPpc, ArchId::kPpc64, ArchId::kPpc64le, ArchId::kS390, ArchId::kS390x,
                    ArchId::kMips, ArchId::kMipsel, ArchId::kM68k, ArchId::kSh, ArchId::kSheb}) {
    EXPECT_TRUE(arch(id).has_socketcall) << arch(id).name;
    EXPECT_TRUE(arch(id).has_ipc) << arch(id).name;
  }
  for (ArchId id :
       {ArchId::kX86_64, ArchId::kX32, ArchId::kAarch64, ArchId::kArm, ArchId::kRiscv64, ArchId::kRiscv32,
        ArchId::kLoongarch64, ArchId::kMips64, ArchId::kMips64n32, ArchId::kCsky, ArchId::kParisc, ArchId::kParisc64}) {
    EXPECT_FALSE(arch(id).has_socketcall) << arch(id).name;
    EXPECT_FALSE(arch(id).has_ipc) << arch(id).name;
  }
}

TEST(Arch, EverySpellingResolvesToItsAbiOnly) {
  std::map<std::string, ArchId> owner;
  for (const auto& a : all_arches()) {
    auto sp = arch_spellings(a.id);
    ASSERT_GE(sp.size(), 2u) << a.name;
    EXPECT_EQ(sp[0], a.name);
    EXPECT_EQ(sp[1], a.scmp_name);
    for (auto s : sp) {
      auto [it, inserted] = owner.emplace(std::string(s), a.id);
      EXPECT_TRUE(inserted) << s << " belongs to two ABIs";
      EXPECT_EQ(find_arch(s), &a) << s;
      auto parsed = parse_arch(s);
      ASSERT_TRUE(parsed) << s;
      EXPECT_EQ(*parsed, &a) << s;
    }
    EXPECT_EQ(find_arch(a.go_name), &a);
  }
}

TEST(Arch, DockerAndGoSpellings) {
  const std::pair<const char*, ArchId> cases[] = {
      {"amd64", ArchId::kX86_64},
      {"x86", ArchId::kI386},
      {"386", ArchId::kI386},
      {"x32", ArchId::kX32},
      {"arm", ArchId::kArm},
      {"arm64", ArchId::kAarch64},
      {"ppc64le", ArchId::kPpc64le},
      {"riscv64", ArchId::kRiscv64},
      {"s390", ArchId::kS390},
      {"s390x", ArchId::kS390x},
      {"mipsel64", ArchId::kMips64el},
      {"mips64le", ArchId::kMips64el},
      {"mipsle", ArchId::kMipsel},
      {"mips64p32", ArchId::kMips64n32},
      {"mips64p32le", ArchId::kMipsel64n32},
      {"loongarch64", ArchId::kLoongarch64},
      {"loong64", ArchId::kLoongarch64},
      {"SCMP_ARCH_X86", ArchId::kI386},
      {"i686", ArchId::kI386},
      {"SCMP_ARCH_MIPSEL64N32", ArchId::kMipsel64n32},
  };
  for (const auto& [spelling, id] : cases) {
    const Arch* a = find_arch(spelling);
    ASSERT_NE(a, nullptr) << spelling;
    EXPECT_EQ(a->id, id) << spelling;
  }
}

TEST(Arch, UnknownSpellingsAreRejectedCaseSensitively) {
  EXPECT_EQ(find_arch("X86_64"), nullptr);
  EXPECT_EQ(find_arch("scmp_arch_x86_64"), nullptr);
  EXPECT_EQ(find_arch(""), nullptr);
  EXPECT_EQ(find_arch("native"), nullptr);  // only parse_arch knows "native"
  EXPECT_EQ(find_arch("sparc64"), nullptr);
}

TEST(Arch, ParseArchSuggestsNearestSpelling) {
  auto r = parse_arch("aarch46");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unknown architecture \"aarch46\" (did you mean \"aarch64\"?)");
  auto r2 = parse_arch("SCMP_ARCH_X86_46");
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("\"SCMP_ARCH_X86_64\""), std::string::npos) << r2.error().message;
  // An empty name gets no suggestion (the nearest would be the shortest, "sh").
  auto empty = parse_arch("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "empty architecture name (expected one such as x86_64, or native)");
  EXPECT_EQ(nearest_arch_spelling("X86_64"), "x86_64");  // case is ignored for suggestions
  EXPECT_EQ(nearest_arch_spelling("mips64el32"), "mips64eln32");
  EXPECT_EQ(nearest_arch_spelling("natve"), "native");
  EXPECT_EQ(nearest_arch_spelling("riscv"), "riscv64");  // tie with riscv32: the earlier ABI
  // A spelling of a known ABI beats a nearer string of letters.
  EXPECT_EQ(nearest_arch_spelling("SCMP_ARCH_AMD64"), "x86_64");
  EXPECT_EQ(nearest_arch_spelling("ARM64"), "aarch64");
  EXPECT_EQ(find_arch_by_alias("SCMP_ARCH_I386"), &arch(ArchId::kI386));
  EXPECT_EQ(find_arch_by_alias("SCMP_ARCH_AMD46"), nullptr);
  // Long garbage stays bounded and still yields a suggestion.
  EXPECT_FALSE(nearest_arch_spelling(std::string(100000, 'q')).empty());
  // parse_arch suggests only what reads as a typo: "foo" is no misspelt x32.
  auto foo = parse_arch("foo");
  ASSERT_FALSE(foo);
  EXPECT_EQ(foo.error().message.find("did you mean"), std::string::npos) << foo.error().message;
  EXPECT_NE(foo.error().message.find("--list-arches"), std::string::npos) << foo.error().message;
  auto typo = parse_arch("aarch46");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find(R"(did you mean "aarch64"?)"), std::string::npos) << typo.error().message;
}

TEST(Arch, NativeIsTheHostAbi) {
  auto n = parse_arch("native");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, &native_arch());
#if defined(__x86_64__) && !defined(__ILP32__)
  EXPECT_EQ(native_arch().id, ArchId::kX86_64);
#endif
}

TEST(Arch, DefaultSubArchesFollowMoby) {
  auto ids = [](ArchId a) {
    std::set<ArchId> s;
    for (ArchId x : default_sub_arches(a)) s.insert(x);
    EXPECT_EQ(s.size(), default_sub_arches(a).size());
    EXPECT_EQ(s.count(a), 0u);
    return s;
  };
  EXPECT_EQ(ids(ArchId::kX86_64), (std::set<ArchId>{ArchId::kI386, ArchId::kX32}));
  EXPECT_EQ(ids(ArchId::kAarch64), (std::set<ArchId>{ArchId::kArm}));
  EXPECT_EQ(ids(ArchId::kMips64), (std::set<ArchId>{ArchId::kMips, ArchId::kMips64n32}));
  EXPECT_EQ(ids(ArchId::kMips64n32), (std::set<ArchId>{ArchId::kMips, ArchId::kMips64}));
  EXPECT_EQ(ids(ArchId::kMips64el), (std::set<ArchId>{ArchId::kMipsel, ArchId::kMipsel64n32}));
  EXPECT_EQ(ids(ArchId::kMipsel64n32), (std::set<ArchId>{ArchId::kMipsel, ArchId::kMips64el}));
  EXPECT_EQ(ids(ArchId::kS390x), (std::set<ArchId>{ArchId::kS390}));
  for (ArchId none : {ArchId::kRiscv64, ArchId::kLoongarch64, ArchId::kPpc64le, ArchId::kPpc64, ArchId::kI386,
                      ArchId::kArm, ArchId::kX32, ArchId::kXtensa})
    EXPECT_TRUE(ids(none).empty()) << arch(none).name;
}

}  // namespace
}  // namespace sysfence::syscalls
