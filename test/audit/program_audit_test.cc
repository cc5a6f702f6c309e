// audit_program on hand-written filters: every check has a program that
// triggers it and one that does not, and the example inputs a finding
// carries are answered by the interpreter as the finding says.
#include "audit/program_audit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "bpf/asm.h"
#include "bpf/interp.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::audit {
namespace {

using syscalls::ArchId;

const syscalls::Arch& x86_64() { return syscalls::arch(ArchId::kX86_64); }

bpf::Program assemble(const std::string& text, const syscalls::Arch& arch = x86_64()) {
  bpf::AsmOptions o;
  o.arch = &arch;
  auto a = bpf::assemble(text, o);
  EXPECT_TRUE(a) << a.error().message << "\n" << text;
  return a ? a->program : bpf::Program{};
}

Report audit_text(const std::string& text, const syscalls::Arch* arch = nullptr) {
  ProgramAuditOptions o;
  o.arch = arch;
  const bpf::Program prog = assemble(text, arch != nullptr ? *arch : x86_64());
  auto r = audit_program(prog, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(*r) : Report{};
}

std::vector<const Finding*> findings(const Report& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings)
    if (f.check == check) out.push_back(&f);
  return out;
}

const Finding* one(const Report& r, std::string_view check) {
  const auto all = findings(r, check);
  EXPECT_EQ(all.size(), 1u) << check << "\n" << format_report(r);
  return all.empty() ? nullptr : all.front();
}

void expect_none(const Report& r, std::string_view check) {
  EXPECT_TRUE(findings(r, check).empty()) << check << "\n" << format_report(r);
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

Action answer(const std::string& text, const SeccompData& d, Endian e = Endian::kLittle) {
  auto r = bpf::run(assemble(text), d, e);
  EXPECT_TRUE(r);
  return r ? r->action() : Action::KillProcess();
}

// The numbers above the newest x86_64 syscall answer ENOSYS.
std::string enosys_guard() {
  return fmt::format("  if (A > {}) goto enosys\n", syscalls::table(ArchId::kX86_64).max_nr());
}

// A well-made x86_64 allowlist: arch first, x32 numbers killed, ENOSYS for
// newer syscalls, EPERM by default. `extra` goes between the nr load and the
// default; the labels allow, deny, enosys and kill exist.
std::string allowlist(const std::string& extra = "", bool enosys = true) {
  return "  A = arch\n"
         "  if (A != ARCH_X86_64) goto kill\n"
         "  A = sys_number\n"
         "  if (A >= 0x40000000) goto kill\n" +
         (enosys ? enosys_guard() : std::string()) +
         "  if (A == read) goto allow\n"
         "  if (A == write) goto allow\n"
         "  if (A == exit_group) goto allow\n" +
         extra +
         "deny:\n"
         "  return ERRNO(1)\n"
         "enosys:\n"
         "  return ERRNO(38)\n"
         "allow:\n"
         "  return ALLOW\n"
         "kill:\n"
         "  return KILL_PROCESS\n";
}

TEST(ProgramAudit, AWellMadeAllowlistHasNoFindings) {
  const Report r = audit_text(allowlist());
  EXPECT_TRUE(r.findings.empty()) << format_report(r);
  EXPECT_FALSE(has_finding_at_or_above(r, Severity::kInfo));
  EXPECT_TRUE(contains(format_report(r), "no findings"));
}

TEST(ProgramAudit, RejectsProgramsTheKernelRejects) {
  const bpf::Program bad = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 64)};  // no ret, load past the end
  auto r = audit_program(bad, {});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "instruction 0")) << r.error().message;
}

// --- arch-unchecked ---------------------------------------------------------

TEST(ArchUnchecked, NumbersWithoutAnArchCheck) {
  const std::string text =
      "  A = sys_number\n"
      "  if (A == 101) goto deny\n"  // x86_64 ptrace; i386 ioperm
      "  return ALLOW\n"
      "deny:\n"
      "  return ERRNO(1)\n";
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kArchUnchecked);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(f->where, "instruction 1");
  ASSERT_EQ(f->inputs.size(), 1u);
  // The example runs the number under another ABI, where it is another syscall.
  EXPECT_NE(f->inputs[0].arch, x86_64().audit_arch);
  EXPECT_EQ(f->inputs[0].nr, 101u);
  EXPECT_TRUE(contains(f->message, "as if it were x86_64 ptrace")) << f->message;
  EXPECT_EQ(answer(text, f->inputs[0]), Action::Errno(1));
}

TEST(ArchUnchecked, NumberTestedBeforeTheArch) {
  // read is allowed before the arch is looked at: nr 0 is allowed on every ABI.
  const std::string text =
      "  A = sys_number\n"
      "  if (A == read) goto allow\n"
      "  A = arch\n"
      "  if (A != ARCH_X86_64) goto kill\n"
      "  return ERRNO(1)\n"
      "allow:\n"
      "  return ALLOW\n"
      "kill:\n"
      "  return KILL_PROCESS\n";
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kArchUnchecked);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->where, "instruction 1");
  EXPECT_EQ(answer(text, f->inputs.at(0)), Action::Allow());
}

// The number tested first, the arch only on its branch: on every other
// arch the filter still decides by the number, which means what it means to
// the ABI the filter was written for (x86_64's getpid), not to whichever
// ABI the path first admits.
TEST(ArchUnchecked, TheNumberMeansWhatItMeansToTheMeantAbi) {
  const std::string text =
      "  A = sys_number\n"
      "  if (A != getpid) goto allow\n"
      "  A = arch\n"
      "  if (A != ARCH_X86_64) goto kill\n"
      "  return ERRNO(1)\n"
      "kill:\n"
      "  return KILL_PROCESS\n"
      "allow:\n"
      "  return ALLOW\n";
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kArchUnchecked);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("as if it were x86_64 getpid"), std::string::npos) << f->message;
  EXPECT_EQ(f->message.find("i386"), std::string::npos) << f->message;
}

TEST(ArchUnchecked, NotWhenEveryNumberTestFollowsAPinnedArch) {
  expect_none(audit_text(allowlist()), check::kArchUnchecked);
  // Two ABIs, each with its own number tests.
  expect_none(audit_text("  A = arch\n"
                         "  if (A == ARCH_I386) goto i386\n"
                         "  if (A != ARCH_X86_64) goto kill\n"
                         "  A = sys_number\n"
                         "  if (A == read) goto allow else goto deny\n"
                         "i386:\n"
                         "  A = sys_number\n"
                         "  if (A == i386:read) goto allow\n"
                         "deny:\n"
                         "  return ERRNO(1)\n"
                         "allow:\n"
                         "  return ALLOW\n"
                         "kill:\n"
                         "  return KILL_PROCESS\n"),
              check::kArchUnchecked);
}

// The shape of firejail's protocol filter: x86_64 handled, every other arch
// read in i386 numbers (359 is i386 socket, syscall_32.tbl), the answer
// depending on the family.
constexpr std::string_view kI386Branch =
    "  A = arch\n"
    "  if (A == ARCH_X86_64) goto x86_64\n"
    "  A = sys_number\n"
    "  if (A == 359) goto socket\n"
    "  return ALLOW\n"
    "x86_64:\n"
    "  A = sys_number\n"
    "  if (A >= 0x40000000) goto deny\n"
    "  if (A == socket) goto socket\n"
    "  return ALLOW\n"
    "socket:\n"
    "  A = args[0]\n"
    "  if (A == 1) goto allow\n"
    "  return ERRNO(95)\n"
    "allow:\n"
    "  return ALLOW\n"
    "deny:\n"
    "  return ERRNO(1)\n";

TEST(ArchUnchecked, OnlyTheAbiTheNumbersBelongToReachesTheBranch) {
  // On an x86_64 kernel only i386 (int 0x80) reaches the unchecked branch,
  // and 359 is its socket: low, with the argument the answer depends on.
  const std::string text(kI386Branch);
  const Report r = audit_text(text, &x86_64());
  const Finding* f = one(r, check::kArchUnchecked);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kLow) << f->message;
  EXPECT_TRUE(contains(f->message,
                       "nr 359 under AUDIT_ARCH 0x40000003 (i386: socket) is answered ALLOW for "
                       "socket(1, 0, 0): the answer depends on args[0]"))
      << f->message;
  EXPECT_TRUE(contains(f->message, "on a kernel for x86_64 only i386 reaches these paths")) << f->message;
  ASSERT_EQ(f->inputs.size(), 1U);
  EXPECT_EQ(f->inputs[0].arch, syscalls::arch(ArchId::kI386).audit_arch);
  EXPECT_EQ(answer(text, f->inputs[0]), Action::Allow());
  EXPECT_EQ(f->inputs[0].args[0], 1U);  // the family the filter allows
}

TEST(ArchUnchecked, CriticalWhereAnotherTableReachesTheBranch) {
  // Written for i386's kernel (--arch i386), the filter handles no i386
  // path: the example is an ABI whose table disagrees with i386's.
  const std::string text(kI386Branch);
  const Report r = audit_text(text, &syscalls::arch(ArchId::kI386));
  const Finding* f = one(r, check::kArchUnchecked);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical) << f->message;
  EXPECT_TRUE(contains(f->message, "as if it were i386 socket")) << f->message;
  ASSERT_EQ(f->inputs.size(), 1U);
  // No ABI the example may read the number in calls it socket.
  for (const auto& a : syscalls::all_arches())
    if (a.audit_arch == f->inputs[0].arch) {
      const auto name = syscalls::table(a.id).name(359);
      EXPECT_TRUE(!name || *name != "socket") << a.name << ": " << f->message;
    }
}

// --- x32 ----------------------------------------------------------------------

std::string denylist(bool x32_guard) {
  return std::string(
             "  A = arch\n"
             "  if (A != ARCH_X86_64) goto kill\n"
             "  A = sys_number\n") +
         (x32_guard ? "  if (A >= 0x40000000) goto kill\n" : "") +
         "  if (A == ptrace) goto deny\n"
         "  if (A == mount) goto deny\n"
         "  return ALLOW\n"
         "deny:\n"
         "  return ERRNO(1)\n"
         "kill:\n"
         "  return KILL_PROCESS\n";
}

TEST(X32, DeniedAsX86_64ButAllowedAsX32) {
  const std::string text = denylist(false);
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kX32);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_TRUE(contains(f->message, "ptrace (0x40000209)")) << f->message;
  EXPECT_TRUE(contains(f->message, "mount (0x400000a5)")) << f->message;
  ASSERT_EQ(f->inputs.size(), 1u);
  EXPECT_EQ(f->inputs[0].nr & 0x40000000u, 0x40000000u);
  EXPECT_EQ(answer(text, f->inputs[0]), Action::Allow());
}

TEST(X32, NotWhenX32NumbersAreKilled) {
  expect_none(audit_text(denylist(true)), check::kX32);
  expect_none(audit_text(allowlist()), check::kX32);
}

TEST(X32, NotWhenX32IsFilteredLikeX86_64) {
  // x32 numbers get the same treatment as their x86_64 twins.
  expect_none(audit_text("  A = arch\n"
                         "  if (A != ARCH_X86_64) goto kill\n"
                         "  A = sys_number\n"
                         "  if (A == ptrace) goto deny\n"
                         "  if (A == x32:ptrace) goto deny\n"
                         "  if (A == mount) goto deny\n"
                         "  if (A == x32:mount) goto deny\n"
                         "  return ALLOW\n"
                         "deny:\n"
                         "  return ERRNO(1)\n"
                         "kill:\n"
                         "  return KILL_PROCESS\n"),
              check::kX32);
}

// --- arg-width ------------------------------------------------------------------

// socket's family (an int) tested libseccomp-style on all 64 bits: a high
// word above 0 means "family > 40" and is allowed.
std::string socket_filter(bool sixty_four) {
  return allowlist(std::string("  if (A == socket) goto socket\n"
                               "  goto deny\n"
                               "socket:\n") +
                   (sixty_four ? "  A = args[0] >> 32\n"
                                 "  if (A != 0) goto allow\n"
                               : "") +
                   "  A = args[0]\n"
                   "  if (A == 38) goto deny\n"
                   "  goto allow\n");
}

TEST(ArgWidth, SixtyFourBitComparisonOfAnIntIsABypass) {
  const std::string text = socket_filter(true);
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kArgWidth);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_TRUE(contains(f->message, "socket on x86_64: argument 0 (int family) is 32-bit")) << f->message;
  EXPECT_TRUE(contains(f->message, "socket(0x100000026, 0, 0) is answered ALLOW")) << f->message;
  EXPECT_TRUE(contains(f->message, "socket(0x26, 0, 0)")) << f->message;
  ASSERT_EQ(f->inputs.size(), 2u);
  EXPECT_EQ(f->inputs[0].args[0], 0x100000026ULL);
  EXPECT_EQ(f->inputs[1].args[0], 0x26ULL);
  EXPECT_EQ(answer(text, f->inputs[0]), Action::Allow());
  EXPECT_EQ(answer(text, f->inputs[1]), Action::Errno(1));
  EXPECT_TRUE(has_finding_at_or_above(r, Severity::kHigh));
}

TEST(ArgWidth, LowWordOnlyIsNoFinding) { expect_none(audit_text(socket_filter(false)), check::kArgWidth); }

TEST(ArgWidth, AStricterHighWordTestIsOnlyNoted) {
  // A dirty high word is denied: nothing gets through, but the test is useless.
  const Report r =
      audit_text(allowlist("  if (A == socket) goto socket\n"
                           "  goto deny\n"
                           "socket:\n"
                           "  A = args[0] >> 32\n"
                           "  if (A != 0) goto deny\n"
                           "  A = args[0]\n"
                           "  if (A == 2) goto allow\n"
                           "  goto deny\n"));
  const Finding* f = one(r, check::kArgWidth);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kLow);
  EXPECT_TRUE(contains(f->message, "socket int family")) << f->message;
}

TEST(ArgWidth, SixtyFourBitArgumentsAreCompared64Bit) {
  // mmap's addr is an unsigned long: its high word is the kernel's too.
  expect_none(audit_text(allowlist("  if (A == mmap) goto mmap\n"
                                   "  goto deny\n"
                                   "mmap:\n"
                                   "  A = args[0] >> 32\n"
                                   "  if (A != 0) goto allow\n"
                                   "  goto deny\n")),
              check::kArgWidth);
}

TEST(ArgWidth, BigEndianWordLayout) {
  // s390x keeps the high word first: args[0] >> 32 is offset 16.
  const syscalls::Arch& s390x = syscalls::arch(ArchId::kS390x);
  const std::string text =
      "  A = arch\n"
      "  if (A != ARCH_S390X) goto kill\n"
      "  A = sys_number\n"
      "  if (A == socket) goto socket\n"
      "  return ERRNO(1)\n"
      "socket:\n"
      "  A = args[0] >> 32\n"
      "  if (A != 0) goto allow\n"
      "  A = args[0]\n"
      "  if (A == 38) goto deny\n"
      "allow:\n"
      "  return ALLOW\n"
      "deny:\n"
      "  return ERRNO(1)\n"
      "kill:\n"
      "  return KILL_PROCESS\n";
  const Report r = audit_text(text, &s390x);
  const Finding* f = one(r, check::kArgWidth);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "socket on s390x")) << f->message;
  ASSERT_EQ(f->inputs.size(), 2u);
  EXPECT_EQ(f->inputs[0].args[0], 0x100000026ULL);
  auto run = [&](const SeccompData& d) { return bpf::run(assemble(text, s390x), d, Endian::kBig)->action(); };
  EXPECT_EQ(run(f->inputs[0]), Action::Allow());
  EXPECT_EQ(run(f->inputs[1]), Action::Errno(1));
}

// --- default-allow -------------------------------------------------------------

TEST(DefaultAllow, DenylistAllowsWhatItDoesNotName) {
  const Report r = audit_text(denylist(true));
  const Finding* f = one(r, check::kDefaultAllow);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_TRUE(contains(f->message, "x86_64 (ALLOW)")) << f->message;
}

TEST(DefaultAllow, NotForAnAllowlist) { expect_none(audit_text(allowlist()), check::kDefaultAllow); }

// --- seed-blocked -----------------------------------------------------------------

TEST(SeedBlocked, AllowedSyscallWithTheSeedsReason) {
  const std::string text = allowlist("  if (A == mount) goto allow\n");
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kSeedBlocked);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kMedium);
  EXPECT_TRUE(contains(f->message, "mount is allowed on x86_64")) << f->message;
  EXPECT_TRUE(contains(f->message,
                       "Docker's default profile blocks it (Docker's documentation: \"Deny mounting, "
                       "already gated by CAP_SYS_ADMIN.\")"))
      << f->message;
  ASSERT_EQ(f->inputs.size(), 1u);
  EXPECT_EQ(answer(text, f->inputs[0]), Action::Allow());
}

// Docker's documentation lists adjtimex as blocked, but moby's current
// default profile allows it: the finding says both, never "blocks it".
TEST(SeedBlocked, DocumentedButNowAllowedByDockerSaysSo) {
  const Report r = audit_text(allowlist("  if (A == adjtimex) goto allow\n"));
  const Finding* f = one(r, check::kSeedBlocked);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "Docker's documentation lists it as blocked by the default profile")) << f->message;
  EXPECT_TRUE(contains(f->message, "but the current default profile allows it")) << f->message;
  EXPECT_FALSE(contains(f->message, "Docker's default profile blocks it")) << f->message;
  // The documentation's history, not a gap: low (medium only where Docker's
  // current profile still blocks the call).
  EXPECT_EQ(f->severity, Severity::kLow);
}

TEST(SeedBlocked, AllowedForSomeArgumentsIsLow) {
  const Report r =
      audit_text(allowlist("  if (A == umount2) goto umount\n"
                           "  goto deny\n"
                           "umount:\n"
                           "  A = args[1]\n"
                           "  if (A == 2) goto allow\n"
                           "  goto deny\n"));
  const Finding* f = one(r, check::kSeedBlocked);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kLow);
  EXPECT_TRUE(contains(f->message, "umount2 is allowed for some inputs")) << f->message;
}

TEST(SeedBlocked, OneFindingForEverythingADefaultAllowLetsThrough) {
  const Report r = audit_text(denylist(true));
  const Finding* f = one(r, check::kSeedBlocked);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "with the default action allowing on x86_64")) << f->message;
  EXPECT_TRUE(contains(f->message, "kexec_load")) << f->message;
  EXPECT_FALSE(contains(f->message, " mount,")) << f->message;  // the denylist denies mount
}

TEST(SeedBlocked, NotWhenDenied) { expect_none(audit_text(allowlist()), check::kSeedBlocked); }

// --- ptrace, personality --------------------------------------------------------------

TEST(Ptrace, Allowed) {
  const Report r = audit_text(allowlist("  if (A == ptrace) goto allow\n"));
  const Finding* f = one(r, check::kPtrace);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kMedium);
  EXPECT_TRUE(contains(f->message, "ptrace is allowed on x86_64")) << f->message;
  expect_none(r, check::kSeedBlocked);  // its own check, not a second finding
  expect_none(audit_text(allowlist()), check::kPtrace);
}

TEST(Personality, AnyPersona) {
  const std::string text = allowlist("  if (A == personality) goto allow\n");
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kPersonality);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "personality(0x400000)")) << f->message;  // READ_IMPLIES_EXEC
  EXPECT_EQ(answer(text, f->inputs.at(0)), Action::Allow());
}

TEST(Personality, OnlyDockersPersonas) {
  expect_none(audit_text(allowlist("  if (A == personality) goto persona\n"
                                   "  goto deny\n"
                                   "persona:\n"
                                   "  A = args[0]\n"
                                   "  if (A == 0) goto allow\n"
                                   "  if (A == 8) goto allow\n"
                                   "  if (A == 0xffffffff) goto allow\n"
                                   "  goto deny\n")),
              check::kPersonality);
}

// --- namespaces ------------------------------------------------------------------------

TEST(Namespaces, CloneWithNamespaceFlags) {
  const std::string text = allowlist("  if (A == clone) goto allow\n");
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kCloneNamespaces);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_TRUE(contains(f->message, "CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWNET")) << f->message;
  EXPECT_FALSE(contains(f->message, "CLONE_NEWTIME")) << f->message;  // not a clone(2) flag
  EXPECT_EQ(f->inputs.at(0).args[0], 0x10000000ULL);
  EXPECT_EQ(answer(text, f->inputs[0]), Action::Allow());
}

TEST(Namespaces, CloneWithoutNamespaceFlagsIsFine) {
  expect_none(audit_text(allowlist("  if (A == clone) goto clone\n"
                                   "  goto deny\n"
                                   "clone:\n"
                                   "  A = args[0]\n"
                                   "  if (A & 0x7e020000) goto deny\n"
                                   "  goto allow\n")),
              check::kCloneNamespaces);
}

TEST(Namespaces, OneMissingFlagIsNamed) {
  // CLONE_NEWUSER forgotten in the mask.
  const Report r =
      audit_text(allowlist("  if (A == clone) goto clone\n"
                           "  goto deny\n"
                           "clone:\n"
                           "  A = args[0]\n"
                           "  if (A & 0x6e020000) goto deny\n"
                           "  goto allow\n"));
  const Finding* f = one(r, check::kCloneNamespaces);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, ": CLONE_NEWUSER reachable")) << f->message;
}

TEST(Namespaces, Clone3CannotBeFiltered) {
  const Report r = audit_text(allowlist("  if (A == clone3) goto allow\n"));
  const Finding* f = one(r, check::kCloneNamespaces);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "clone3 is allowed")) << f->message;
  expect_none(audit_text(allowlist("  if (A == clone3) goto enosys\n")), check::kCloneNamespaces);
}

TEST(Namespaces, Unshare) {
  const Report r = audit_text(allowlist("  if (A == unshare) goto allow\n"));
  const Finding* f = one(r, check::kUnshare);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "CLONE_NEWTIME")) << f->message;
  expect_none(audit_text(allowlist("  if (A == unshare) goto unshare\n"
                                   "  goto deny\n"
                                   "unshare:\n"
                                   "  A = args[0]\n"
                                   "  if (A & 0x7e020080) goto deny\n"
                                   "  goto allow\n")),
              check::kUnshare);
}

// --- no-enosys -----------------------------------------------------------------------------

TEST(NoEnosys, NewerSyscallsGetThePlainDefault) {
  const Report r = audit_text(allowlist("", /*enosys=*/false));
  const Finding* f = one(r, check::kNoEnosys);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kLow);
  EXPECT_EQ(f->inputs.at(0).nr, syscalls::table(ArchId::kX86_64).max_nr() + 1);
  EXPECT_TRUE(contains(f->message, "is answered ERRNO(1)")) << f->message;
  expect_none(audit_text(allowlist()), check::kNoEnosys);
}

// --- kernel-exempt ---------------------------------------------------------------------------

// x86_64's uretprobe (335) and uprobe (336) reach no filter from Linux 6.12
// and 6.18: an allowlist that leaves them to ERRNO(1) says one thing and the
// kernel does another.
TEST(KernelExempt, ADeniedCallTheKernelNeverFilters) {
  const bpf::Program prog = assemble(allowlist());
  ProgramAuditOptions o;
  o.kernel = syscalls::KernelVersion{6, 11, 0};
  auto before = audit_program(prog, o);
  ASSERT_TRUE(before);
  expect_none(*before, check::kKernelExempt);

  o.kernel = syscalls::KernelVersion{6, 12, 0};
  auto r = audit_program(prog, o);
  ASSERT_TRUE(r);
  const Finding* f = one(*r, check::kKernelExempt);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kLow);
  EXPECT_TRUE(contains(f->message,
                       "uretprobe on x86_64 is answered ERRNO(1) (e.g. uretprobe()), but Linux 6.12 and later run no "
                       "seccomp filter for uretprobe (the target kernel is 6.12): the filter's answer is never "
                       "applied"))
      << f->message;
  ASSERT_EQ(f->inputs.size(), 1u);
  EXPECT_EQ(f->inputs[0].nr, 335u);
  EXPECT_EQ(f->inputs[0].arch, x86_64().audit_arch);

  o.kernel = syscalls::KernelVersion{6, 18, 0};
  auto both = audit_program(prog, o);
  ASSERT_TRUE(both);
  const auto exempt = findings(*both, check::kKernelExempt);
  ASSERT_EQ(exempt.size(), 2u) << format_report(*both);
  EXPECT_TRUE(contains(format_report(*both), "uprobe on x86_64 is answered ERRNO(1)")) << format_report(*both);

  // Allowed, they are no finding; nor without a target kernel.
  const std::string allows_both = allowlist(
      "  if (A == uretprobe) goto allow\n"
      "  if (A == uprobe) goto allow\n");
  auto allowed = audit_program(assemble(allows_both), o);
  ASSERT_TRUE(allowed);
  expect_none(*allowed, check::kKernelExempt);
  expect_none(audit_text(allowlist()), check::kKernelExempt);
}

// --- instruction-pointer ----------------------------------------------------------------------

TEST(InstructionPointer, DecisionOnTheCallSite) {
  const std::string text = allowlist(
      "  A = instruction_pointer\n"
      "  if (A == 0x401000) goto allow\n");
  const Report r = audit_text(text);
  const Finding* f = one(r, check::kInstructionPointer);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kMedium);
  EXPECT_TRUE(contains(f->where, "instruction 9")) << f->where;
  expect_none(audit_text(allowlist()), check::kInstructionPointer);
}

// --- unreachable -------------------------------------------------------------------------------

TEST(Unreachable, NoJumpReachesIt) {
  const Report r = audit_text(allowlist("  goto deny\n  return ALLOW\n"));
  const Finding* f = one(r, check::kUnreachable);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "instruction 9 no jump reaches")) << f->message;
}

TEST(Unreachable, NoInputReachesIt) {
  // After `arch == x86_64`, `arch == i386` can never hold.
  const Report r =
      audit_text(allowlist("  A = arch\n"
                           "  if (A != ARCH_I386) goto deny\n"
                           "  return TRAP\n"));
  const Finding* f = one(r, check::kUnreachable);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "never executed for any seccomp_data")) << f->message;
  expect_none(audit_text(allowlist()), check::kUnreachable);
}

TEST(UndefinedAction, ARetOfNoActionIsNamed) {
  const Report r = audit_text(allowlist("  if (A == getpid) goto odd\n", true) + "odd:\n  return 0x40005\n");
  const Finding* f = one(r, check::kUndefinedAction);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kLow);
  EXPECT_TRUE(contains(f->message, "returns 0x00040005, which selects no seccomp action")) << f->message;
  // Known actions with any data are not undefined.
  expect_none(audit_text(allowlist("  if (A == getpid) goto odd\n", true) + "odd:\n  return 0x30005\n"),
              check::kUndefinedAction);
  expect_none(audit_text(allowlist()), check::kUndefinedAction);
}

// --- incomplete, abi-not-handled ----------------------------------------------------------------

TEST(Incomplete, ArithmeticOnTheInputLeavesTheFragment) {
  const Report r =
      audit_text(allowlist("  A += 1\n"
                           "  if (A == 2) goto allow\n"));
  const Finding* f = one(r, check::kIncomplete);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kInfo);
  EXPECT_TRUE(contains(f->message, "input-dependent arithmetic")) << f->message;
  expect_none(audit_text(allowlist()), check::kIncomplete);
}

TEST(AbiNotHandled, ArchTheFilterDoesNotKnow) {
  const Report r = audit_text(allowlist(), &syscalls::arch(ArchId::kAarch64));
  const Finding* f = one(r, check::kAbiNotHandled);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "aarch64")) << f->message;
  EXPECT_TRUE(contains(f->message, "KILL_PROCESS")) << f->message;
  expect_none(audit_text(allowlist(), &x86_64()), check::kAbiNotHandled);
}

// The walk stops at `A += 1` on the number, before the filter tells read
// (nr + 1 == 1) from the rest: x86_64 is handled, just not symbolically, so
// abi-not-handled must not claim "every call there is answered ERRNO(1)"
// while write is allowed; `incomplete` says what was not followed.
TEST(AbiNotHandled, NotClaimedWhereAPathLeavesTheFragment) {
  const std::string text =
      "  A = arch\n"
      "  if (A != ARCH_X86_64) goto kill\n"
      "  A = sys_number\n"
      "  A += 1\n"
      "  if (A == 1) goto deny\n"
      "  return ALLOW\n"
      "deny:\n"
      "  return ERRNO(1)\n"
      "kill:\n"
      "  return KILL_PROCESS\n";
  SeccompData d;
  d.arch = x86_64().audit_arch;
  d.nr = *syscalls::table(ArchId::kX86_64).number("write");
  ASSERT_EQ(answer(text, d), Action::Allow());
  d.nr = *syscalls::table(ArchId::kX86_64).number("read");
  ASSERT_EQ(answer(text, d), Action::Errno(1));
  const Report r = audit_text(text, &x86_64());
  expect_none(r, check::kAbiNotHandled);
  const Finding* f = one(r, check::kIncomplete);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "1 path leaves the symbolic fragment (instruction 3: add 0x1")) << f->message;
  // An ABI no path of the filter reaches is still reported.
  EXPECT_NE(one(audit_text(text, &syscalls::arch(ArchId::kAarch64)), check::kAbiNotHandled), nullptr);
}

// A filter that never reads the number but answers from an argument tells
// no syscalls apart, yet gives no one answer for every call: the finding
// does not name one (ret A of an argument, and a test of one).
TEST(AbiNotHandled, AnAnswerFromTheArgumentsIsNotCalledOneAction) {
  const std::string returns_argument = "  A = args[0]\n  return A\n";
  const Report r = audit_text(returns_argument, &x86_64());
  const Finding* f = one(r, check::kAbiNotHandled);
  ASSERT_NE(f, nullptr) << format_report(r);
  EXPECT_TRUE(contains(f->message, "its answer there depends on the arguments")) << f->message;
  EXPECT_FALSE(contains(f->message, "every call there is answered")) << f->message;
  const std::string tests_argument =
      "  A = args[1]\n"
      "  if (A == 7) goto allow\n"
      "  return ERRNO(1)\n"
      "allow:\n"
      "  return ALLOW\n";
  const Report tested = audit_text(tests_argument, &x86_64());
  const Finding* g = one(tested, check::kAbiNotHandled);
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(contains(g->message, "its answer there depends on the arguments (e.g. ")) << g->message;
  EXPECT_TRUE(contains(g->message, "ALLOW for ")) << g->message;
  EXPECT_TRUE(contains(g->message, "ERRNO(1) for ")) << g->message;
  // One answer whatever the input: said so.
  const Report constant = audit_text("  return ERRNO(3)\n", &x86_64());
  const Finding* h = one(constant, check::kAbiNotHandled);
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(contains(h->message, "every call there is answered ERRNO(3)")) << h->message;
}

// An answer computed from the input (ret A) is named by the value it takes
// on the example input, not by the path's placeholder.
TEST(KernelExempt, AComputedAnswerIsNamedForTheExampleInput) {
  const std::string text = allowlist("  if (A == uprobe) goto computed\n", true) +
                           "computed:\n"
                           "  A = args[1]\n"
                           "  if (A & 0x7fff0000) goto permitted\n"
                           "  return A\n"
                           "permitted:\n"
                           "  return ALLOW\n";
  ProgramAuditOptions o;
  o.kernel = syscalls::KernelVersion{6, 18, 0};
  auto r = audit_program(assemble(text), o);
  ASSERT_TRUE(r);
  const Finding* f = nullptr;
  for (const Finding* x : findings(*r, check::kKernelExempt))
    if (contains(x->message, "uprobe on")) f = x;
  ASSERT_NE(f, nullptr) << format_report(*r);
  ASSERT_EQ(f->inputs.size(), 1u);
  const Action actual = decode(bpf::run(assemble(text), f->inputs[0], Endian::kLittle)->ret);
  EXPECT_TRUE(contains(f->message, "is answered " + to_string(actual) + " (e.g.")) << f->message;
}

// --- bounds ---------------------------------------------------------------------------------------

TEST(Bounds, ExponentiallyManyPathsStayWithinTheBudget) {
  // 22 independent bit tests after the number: 2^22 paths for every syscall.
  std::string tests;
  for (int i = 0; i < 22; ++i)
    tests += fmt::format("  A = args[{}]\n  if (A & {:#x}) goto b{}\nb{}:\n", i % 6, 1u << (i % 31), i, i);
  const std::string text =
      "  A = arch\n"
      "  if (A != ARCH_X86_64) goto kill\n"
      "  A = sys_number\n" +
      tests +
      "  return ALLOW\n"
      "kill:\n"
      "  return KILL_PROCESS\n";
  ProgramAuditOptions o;
  o.max_paths = 3000;
  auto r = audit_program(assemble(text), o);
  ASSERT_TRUE(r) << r.error().message;
  const Finding* f = one(*r, check::kIncomplete);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "budget (3000 paths")) << f->message;
  // What it did see still counts.
  EXPECT_NE(one(*r, check::kDefaultAllow), nullptr);
}

// --- the report ------------------------------------------------------------------------------------

TEST(Report, MostSevereFirstAndASummary) {
  const Report r = audit_text(denylist(false));
  ASSERT_GE(r.findings.size(), 2u);
  for (size_t i = 1; i < r.findings.size(); ++i) EXPECT_GE(r.findings[i - 1].severity, r.findings[i].severity);
  const std::string text = format_report(r);
  EXPECT_TRUE(contains(text, "CRITICAL  x32")) << text;
  EXPECT_TRUE(contains(text, "fix: ")) << text;
  EXPECT_TRUE(contains(text, " critical, ")) << text;
  EXPECT_TRUE(has_finding_at_or_above(r, Severity::kCritical));
}

TEST(Severity, Spellings) {
  for (Severity s : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical})
    EXPECT_EQ(parse_severity(to_string(s)), s);
  EXPECT_FALSE(parse_severity("HIGH"));
  EXPECT_FALSE(parse_severity("severe"));
}

// SARIF's rules[] and the README's table come from all_checks(): every id
// once, each with a description.
TEST(Checks, EveryIdOnceWithADescription) {
  std::vector<std::string_view> ids;
  for (const CheckInfo& c : all_checks()) {
    EXPECT_FALSE(c.description.empty()) << c.id;
    ids.push_back(c.id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "a check id is listed twice";
  EXPECT_NE(std::find(ids.begin(), ids.end(), check::kSiblingRoute), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), check::kCompatRoute), ids.end());
}

}  // namespace
}  // namespace sysfence::audit
