// libseccomp's own regression suite (its `tests/NN-sim-*` filters and
// bpf_sim rows, libseccomp 2.5.4) as a conformance test of
// `--semantics libseccomp`: each table here (README.md) holds a test's filter
// as Docker profiles and its rows; every profile is compiled through the
// public pipeline exactly as `sysfence compile --semantics libseccomp` would
// (the CLI's own flag parsing), proved equal to its policy, and every row is
// run in the kernel-exact interpreter and compared, full 32-bit return value,
// with libseccomp's expected answer. A few rows also go through `sysfence
// sim` as a binary.
#include <fmt/format.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/interp.h"
#include "pipeline/pipeline.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "test/cli_runner.h"
#include "test/conformance/libseccomp/table.h"
#include "tools/cli/args.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence::conformance {
namespace {

constexpr std::string_view kDir = "test/conformance/libseccomp";

// SYSFENCE_CONFORMANCE_EVERY_VALUE=1: every value of every range, as
// libseccomp's runner takes them, instead of the edge samples.
bool every_value() {
  const char* v = std::getenv("SYSFENCE_CONFORMANCE_EVERY_VALUE");
  return v != nullptr && std::string_view(v) == "1";
}
// Whose semantics a run has: libseccomp's (`--semantics libseccomp`, every
// table) or sysfence's own (the default, for the tables with `[sysfence]`).
enum class Semantics { kLibseccomp, kSysfence };

std::vector<std::string> table_names() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kDir)) {
    if (e.path().extension() == ".table") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Table load(const std::string& name) {
  ParseOutcome p = parse_table(name, read_text(fmt::format("{}/{}.table", kDir, name)));
  if (!p.table) ADD_FAILURE() << p.error;
  return p.table ? std::move(*p.table) : Table{};
}

// A build compiled: its program and the ABIs (AUDIT_ARCH sections) it has.
struct Built {
  const Build* build = nullptr;
  std::optional<bpf::Interpreter> interp;
  std::vector<syscalls::ArchId> abis;
};

// The build's flags after the fixed ones: a fixed kernel (includes/excludes
// and actions do not depend on the machine) and the semantics.
std::vector<std::string> build_args(const Table& t, const Build& b, Semantics semantics) {
  std::vector<std::string> args = {"--kernel", "6.1"};
  if (semantics == Semantics::kLibseccomp) {
    args.insert(args.end(), {"--semantics", "libseccomp"});
  } else if (t.sysfence_flags) {
    args.insert(args.end(), t.sysfence_flags->begin(), t.sysfence_flags->end());
  }
  args.insert(args.end(), b.flags.begin(), b.flags.end());
  return args;
}

// Through the CLI's flag parsing into the public pipeline, up to the proof.
Expected<pipeline::Result> compile_build(const Table& t, const Build& b, Semantics semantics) {
  static constexpr cli::FlagSpec kArch[] = {{.name = "arch"}};
  static constexpr auto kSpecs = cli::with_resolve_flags(kArch);
  const std::vector<std::string> args = build_args(t, b, semantics);
  auto parsed = cli::parse_args(args, kSpecs);
  if (!parsed) return fail(parsed.error().message);
  auto arches = cli::parse_arch_list(parsed->get_or("arch", "x86_64"));
  if (!arches) return fail(arches.error().message);
  auto request = cli::pipeline_request(*parsed, t.name + ".table", *arches);
  if (!request) return fail(request.error().message);
  const std::string& json = t.profiles.find(b.profile)->second;
  request->text = json;
  auto result = pipeline::run(*request);
  if (!result) return fail(result.error().message);
  return std::move(*result);
}

// The ABIs a row's arch cell selects among those the builds have; an ABI
// named but in no build selects itself too (its rows meet the bad-arch
// action).
std::vector<syscalls::ArchId> selected_abis(const std::string& cell, const std::vector<Built>& builds,
                                            std::string* error) {
  std::vector<syscalls::ArchId> all;
  for (const Built& b : builds) {
    for (syscalls::ArchId id : b.abis) {
      if (std::find(all.begin(), all.end(), id) == all.end()) all.push_back(id);
    }
  }
  std::vector<syscalls::ArchId> out;
  std::set<syscalls::ArchId> excluded;
  std::istringstream in(cell);
  std::string token;
  while (std::getline(in, token, ',')) {
    if (token == "all") {
      out.insert(out.end(), all.begin(), all.end());
    } else if (token == "all_64") {
      for (syscalls::ArchId id : all) {
        if (syscalls::arch(id).word_bits == 64) out.push_back(id);
      }
    } else if (token.starts_with("-")) {
      const syscalls::Arch* a = syscalls::find_arch(token.substr(1));
      if (!a) *error = "unknown arch " + token;
      if (a) excluded.insert(a->id);
    } else {
      const syscalls::Arch* a = syscalls::find_arch(token);
      if (!a) *error = "unknown arch " + token;
      if (a) out.push_back(a->id);
    }
  }
  std::erase_if(out, [&](syscalls::ArchId id) { return excluded.contains(id); });
  return out;
}

struct Counts {
  int rows = 0;    // rows of the table
  int inputs = 0;  // inputs run (ranges sampled, over ABIs and builds)
  int passed = 0;
  int not_applicable = 0;  // (row, ABI) pairs whose syscall name the ABI lacks
};

// seccomp_data.nr for the syscall cell on `abi`: a name from the ABI's table,
// a number as given. Empty: the ABI has no such name.
std::optional<std::vector<uint64_t>> syscall_numbers(const std::string& cell, syscalls::ArchId abi) {
  if (auto v = cell_values(cell, every_value())) return v;
  auto nr = syscalls::table(abi).number(cell);
  if (!nr) return std::vector<uint64_t>{};
  return std::vector<uint64_t>{*nr};
}

std::string ret_text(uint32_t ret) { return fmt::format("{:#010x} {}", ret, to_string(decode(ret))); }

void run_row(const Table& t, const Row& row, const Built& b, syscalls::ArchId abi, Semantics semantics,
             Counts& counts) {
  auto nrs = syscall_numbers(row.syscall, abi);
  if (nrs->empty()) {
    ++counts.not_applicable;
    return;
  }
  std::array<std::vector<uint64_t>, 6> args;
  for (size_t i = 0; i < 6; ++i) {
    auto v = cell_values(row.args[i], every_value());
    ASSERT_TRUE(v) << t.name << ".table:" << row.line << ": bad argument " << row.args[i];
    args[i] = *v;
  }
  const std::string expected = semantics == Semantics::kLibseccomp ? row.libseccomp_result() : row.sysfence_result();
  const uint32_t want = *expected_ret(expected);
  const syscalls::Arch& a = syscalls::arch(abi);
  // Every combination of the sampled cells.
  std::array<size_t, 6> at{};
  for (uint64_t nr : *nrs) {
    at.fill(0);
    while (true) {
      SeccompData d;
      d.nr = static_cast<uint32_t>(nr);
      d.arch = a.audit_arch;
      for (size_t i = 0; i < 6; ++i) d.args[i] = args[i][at[i]];
      const uint32_t got = b.interp->run(d, a.endian).ret;
      ++counts.inputs;
      if (got == want) {
        ++counts.passed;
      } else {
        ADD_FAILURE() << fmt::format(
            "{}.table:{}: build `{}`, {} nr {:#x} args ({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}): got {}, "
            "the table expects {}",
            t.name, row.line, fmt::join(b.build->flags, " "), a.name, d.nr, d.args[0], d.args[1], d.args[2], d.args[3],
            d.args[4], d.args[5], ret_text(got), row.result);
      }
      size_t i = 0;
      while (i < 6 && ++at[i] == args[i].size()) at[i++] = 0;
      if (i == 6) break;
    }
  }
}

void run_table(const Table& t, Semantics semantics) {
  ASSERT_FALSE(t.rows.empty());
  const std::string mode = semantics == Semantics::kLibseccomp ? "libseccomp" : "sysfence";
  std::vector<Built> builds;
  for (const Build& b : t.builds) {
    auto r = compile_build(t, b, semantics);
    ASSERT_TRUE(r) << t.name << ".table:" << b.line << ": " << r.error().message;
    ASSERT_TRUE(r->proof && r->proof->equivalent()) << t.name << ".table:" << b.line << ": not proved";
    Built built;
    built.build = &b;
    auto interp = bpf::Interpreter::create(r->compiled->program);
    ASSERT_TRUE(interp) << interp.error().message;
    built.interp.emplace(std::move(*interp));
    for (const policy::ArchPolicy& ap : r->resolution.policy.arches) built.abis.push_back(ap.arch);
    builds.push_back(std::move(built));
  }
  Counts counts;
  for (const Row& row : t.rows) {
    ++counts.rows;
    std::string error;
    const std::vector<syscalls::ArchId> abis = selected_abis(row.arches, builds, &error);
    ASSERT_TRUE(error.empty()) << t.name << ".table:" << row.line << ": " << error;
    ASSERT_FALSE(abis.empty()) << t.name << ".table:" << row.line << ": selects no ABI";
    for (syscalls::ArchId abi : abis) {
      bool in_some = false;
      for (const Built& b : builds) in_some |= std::find(b.abis.begin(), b.abis.end(), abi) != b.abis.end();
      for (const Built& b : builds) {
        const bool has = std::find(b.abis.begin(), b.abis.end(), abi) != b.abis.end();
        if (has || !in_some) run_row(t, row, b, abi, semantics, counts);
      }
    }
  }
  EXPECT_GT(counts.inputs, 0);
  fmt::print("{} ({}): {} rows, {} inputs, {} passed, {} (row, ABI) pairs not applicable\n", t.name, mode, counts.rows,
             counts.inputs, counts.passed, counts.not_applicable);
}

class LibseccompSuite : public testing::TestWithParam<std::string> {};

TEST_P(LibseccompSuite, EveryRowAnswersAsLibseccomp) { run_table(load(GetParam()), Semantics::kLibseccomp); }

// Where sysfence's own semantics should agree (the table says how it differs
// by design, per row).
TEST_P(LibseccompSuite, EveryRowAnswersAsSysfenceSemanticsSay) {
  const Table t = load(GetParam());
  if (!t.sysfence_flags) GTEST_SKIP() << t.name << " depends on libseccomp's choices (README.md)";
  run_table(t, Semantics::kSysfence);
}

INSTANTIATE_TEST_SUITE_P(Tables, LibseccompSuite, testing::ValuesIn(table_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string n = "t" + info.param;
                           std::replace_if(
                               n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
                               '_');
                           return n;
                         });

// A few tables through `sysfence sim PROFILE --inputs FILE` as a user runs
// it: every row on the first build's native ABI (the first value of each
// range), the binary's answer compared with the table's.
TEST(SimCli, AnswersAsTheTables) {
  int compared = 0;
  for (const std::string name : {"06-sim-actions", "12-sim-basic_masked_ops", "43-sim-a2_order", "46-sim-kill_process",
                                 "50-sim-hash_collision"}) {
    const Table t = load(name);
    ASSERT_FALSE(t.builds.empty()) << name;
    const Build& b = t.builds[0];
    const std::vector<std::string> args = build_args(t, b, Semantics::kLibseccomp);
    const auto arch_flag = std::find(args.begin(), args.end(), "--arch");
    ASSERT_NE(arch_flag, args.end()) << name;
    auto arches = cli::parse_arch_list(*(arch_flag + 1));
    ASSERT_TRUE(arches) << name;
    const syscalls::ArchId native = arches->native->id;
    std::string inputs;
    std::vector<const Row*> used;
    for (const Row& row : t.rows) {
      std::string error;
      Built only;
      only.abis = {native};
      const auto abis = selected_abis(row.arches, {only}, &error);
      if (std::find(abis.begin(), abis.end(), native) == abis.end()) continue;
      auto nrs = syscall_numbers(row.syscall, native);
      if (nrs->empty()) continue;
      // The cell as written (a name, a number, -1) where it is one value.
      const bool range = row.syscall.find('-', 1) != std::string::npos;
      inputs += range ? fmt::format("{}", nrs->front()) : row.syscall;
      for (const std::string& a : row.args) inputs += fmt::format(" {:#x}", cell_values(a)->front());
      inputs += "\n";
      used.push_back(&row);
    }
    const std::string profile_path = cli_runner::tmp_path(name + ".json");
    const std::string inputs_path = cli_runner::tmp_path(name + ".inputs");
    cli_runner::write_file(profile_path, t.profiles.find(b.profile)->second);
    cli_runner::write_file(inputs_path, inputs);
    std::vector<std::string> argv = {"sim", profile_path};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--inputs", inputs_path});
    const cli_runner::Result r = cli_runner::run_sysfence(argv);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    std::istringstream out(r.out);
    std::string line;
    for (const Row* row : used) {
      ASSERT_TRUE(std::getline(out, line)) << name << ": fewer answers than inputs";
      const std::string want = to_string(decode(*expected_ret(row->libseccomp_result())));
      EXPECT_EQ(line.substr(0, line.find('\t')), want) << name << ".table:" << row->line;
      ++compared;
    }
  }
  EXPECT_GT(compared, 60);
}

// The format's own rules, so that a typo in a table cannot pass silently.
TEST(TableFormat, CellsAndResults) {
  EXPECT_EQ(cell_values("N"), (std::vector<uint64_t>{0}));
  EXPECT_EQ(cell_values("-1"), (std::vector<uint64_t>{~uint64_t{0}}));
  EXPECT_EQ(cell_values("0x10"), (std::vector<uint64_t>{16}));
  EXPECT_EQ(cell_values("1-2"), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(cell_values("0-10"), (std::vector<uint64_t>{0, 1, 5, 9, 10}));
  EXPECT_EQ(cell_values("read"), std::nullopt);
  EXPECT_EQ(cell_values("5-1"), std::nullopt);
  EXPECT_EQ(expected_ret("ERRNO(5)"), 0x00050005U);
  EXPECT_EQ(expected_ret("TRACE(1234)"), 0x7ff004d2U);
  EXPECT_EQ(expected_ret("KILL"), 0U);
  EXPECT_EQ(expected_ret("ERRNO(x)"), std::nullopt);
  ParseOutcome two =
      parse_table("t", "[profile]\n{}\n[builds]\n--arch x86\n[rows]\nall 9 N N N N N N KILL|ERRNO(38)\n");
  ASSERT_TRUE(two.table) << two.error;
  EXPECT_EQ(two.table->rows[0].libseccomp_result(), "KILL");
  EXPECT_EQ(two.table->rows[0].sysfence_result(), "ERRNO(38)");
  EXPECT_FALSE(two.table->sysfence_flags);
  EXPECT_FALSE(parse_table("t", "[rows]\nall read N N N N N N ALLOW\n").table);  // no builds
  EXPECT_FALSE(parse_table("t", "[profile]\n{}\n[builds]\n--arch x86_64\n[rows]\nall read N ALLOW\n").table);
  EXPECT_FALSE(parse_table("t", "[builds]\nx: --arch x86_64\n[rows]\nall read N N N N N N ALLOW\n").table);
}

// A wrong expectation must fail: the runner is not allowed to pass anything.
TEST(TableFormat, AWrongExpectationFails) {
  ParseOutcome p = parse_table("wrong", R"([profile]
{"defaultAction": "SCMP_ACT_KILL", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
[builds]
--arch x86_64
[rows]
all read N N N N N N KILL
)");
  ASSERT_TRUE(p.table) << p.error;
  auto r = compile_build(*p.table, p.table->builds[0], Semantics::kLibseccomp);
  ASSERT_TRUE(r) << r.error().message;
  auto interp = bpf::Interpreter::create(r->compiled->program);
  ASSERT_TRUE(interp);
  Built b{.build = p.table->builds.data(), .interp = std::move(*interp), .abis = {syscalls::ArchId::kX86_64}};
  Counts counts;
  testing::TestPartResultArray failures;
  {
    testing::ScopedFakeTestPartResultReporter reporter(testing::ScopedFakeTestPartResultReporter::INTERCEPT_ALL_THREADS,
                                                       &failures);
    run_row(*p.table, p.table->rows[0], b, syscalls::ArchId::kX86_64, Semantics::kLibseccomp, counts);
  }
  EXPECT_EQ(failures.size(), 1);
  EXPECT_EQ(counts.passed, 0);
}

}  // namespace
}  // namespace sysfence::conformance
