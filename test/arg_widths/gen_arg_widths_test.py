"""Unit tests of tools/gen_arg_widths.py: its preprocessor-condition
evaluator and C parsing helpers, and a whole run over the synthetic kernel
tree in testdata/minikernel with two made-up ABIs (a 64-bit one, and a
32-bit one served by a compat and a native kernel)."""

import os
import re
import tempfile
import unittest

from tools import gen_arg_widths as g

HERE = os.path.dirname(os.path.abspath(__file__))
MINI = os.path.join(HERE, "testdata", "minikernel")
TBL = "arch/toy/kernel/syscalls/syscall.tbl"

TOY64 = g.Abi("kX86_64", "toy64", 0, False, None, (
    g._lp64(TBL, ("common", "64"), ("toy",), g._LP + g._LE, g._posix("toy")),))
TOY32 = g.Abi("kI386", "toy32", 1000, False, "arm", (
    g._compat(TBL, ("common", "32"), ("toy",), g._LP + g._LE, g._posix("toy")),
    g._native32(TBL, ("common", "32"), ("toy",), g._IP + g._LE, g._posix("toy"))))
ABIS = (TOY64, TOY32)

_ENTRY = re.compile(r'^\{(\d+)u, "([^"]*)", "([^"]*)", "([^"]*)", (true|false), (true|false), '
                    r'(true|false), (\d), (.*)\},$')
_ARG = re.compile(r'\{"([^"]*)", "([^"]*)", (\d+)\}')


def parse_inc(text):
    """name -> dict of one generated entry."""
    out = {}
    for line in text.split("\n"):
        m = _ENTRY.match(line)
        if not m:
            continue
        args = [(a, t, int(b)) for a, t, b in _ARG.findall(m.group(9))]
        out[m.group(2)] = {
            "nr": int(m.group(1)), "entry": m.group(3), "source": m.group(4),
            "implemented": m.group(5) == "true", "known": m.group(6) == "true",
            "beyond_six": m.group(7) == "true", "count": int(m.group(8)),
            "names": [a[0] for a in args], "bits": [a[2] for a in args],
        }
        assert out[m.group(2)]["count"] == len(args), line
    return out


def run_mini(post_list=None):
    return g.generate(MINI, "test-version", post_list, abis=ABIS)


class ConditionTest(unittest.TestCase):
    def test_three_valued_logic(self):
        env = {"A": 1, "B": 0, "BITS": 32}
        self.assertIs(g.eval_cond("defined(A) && !defined(B)", env), True)
        self.assertIs(g.eval_cond("defined B", env), False)
        self.assertIsNone(g.eval_cond("defined(UNKNOWN)", env))
        # Unknown || true is true; unknown && false is false.
        self.assertIs(g.eval_cond("defined(UNKNOWN) || defined(A)", env), True)
        self.assertIs(g.eval_cond("defined(UNKNOWN) && defined(B)", env), False)
        self.assertIsNone(g.eval_cond("defined(UNKNOWN) && defined(A)", env))
        self.assertIs(g.eval_cond("BITS != 64", env), True)
        self.assertIs(g.eval_cond("IS_ENABLED(A)", env), True)
        # Arithmetic is not modelled: unknown, never a guess.
        self.assertIsNone(g.eval_cond("BITS + 1 > 2", env))

    def test_arch_want_macros_default_off_only_with_the_marker(self):
        self.assertIsNone(g.eval_cond("defined(__ARCH_WANT_X)", {}))
        self.assertIs(g.eval_cond("defined(__ARCH_WANT_X)", {"__ARCH_WANT_*": 0}), False)

    def test_condition_map_frames(self):
        text = "\n".join([
            "#ifndef GUARD_H",      # 1: include guard
            "#define GUARD_H",      # 2
            "#ifdef A",             # 3
            "int a;",               # 4
            "#elif defined(B)",     # 5
            "int b;",               # 6
            "#else",                # 7
            "int c;",               # 8
            "#endif",               # 9
            "#endif",               # 10
        ])
        conds = g.condition_map(text)
        self.assertIs(g.eval_frames(conds[4], {"A": 1}), True)
        self.assertIs(g.eval_frames(conds[6], {"A": 0, "B": 1}), True)
        self.assertIs(g.eval_frames(conds[6], {"A": 1, "B": 1}), False)
        self.assertIs(g.eval_frames(conds[8], {"A": 0, "B": 0}), True)
        self.assertIsNone(g.eval_frames(conds[8], {"A": 0}))
        # The guard frame is "1", not !defined(GUARD_H).
        self.assertIs(g.eval_frames(conds[2], {}), True)


class ParsingTest(unittest.TestCase):
    def test_split_top_keeps_nested_commas(self):
        self.assertEqual(g.split_top("a, f(b, c), d[1,2]"), ["a", "f(b, c)", "d[1,2]"])

    def test_c_parameters(self):
        ps = g.parse_c_params("unsigned int fd, const char __user *buf, size_t, long dummy")
        self.assertEqual([(p.type, p.name) for p in ps],
                         [("unsigned int", "fd"), ("const char __user *", "buf"),
                          ("size_t", ""), ("long", "dummy")])
        self.assertEqual(g.parse_c_params("void"), [])
        arr = g.parse_c_params("int fds[2]")[0]
        self.assertEqual(arr.name, "fds")
        self.assertIn("*", arr.type)

    def test_typedef_declarators(self):
        d = g.TypeResolver._declarator
        self.assertEqual(d("unsigned short umode_t"), ("umode_t", "unsigned short"))
        self.assertEqual(d("void (*handler_t)(int)"), ("handler_t", "*"))
        self.assertEqual(d("void sigfn_t(int)"), ("sigfn_t", "function"))
        self.assertEqual(d("struct {} __user *cap_t"), ("cap_t", "struct {} __user *"))

    def test_base_widths(self):
        self.assertEqual(g.base_width(["unsigned", "long"], 64), g.Width(64, "long"))
        self.assertEqual(g.base_width(["long"], 32), g.Width(32, "long"))
        self.assertEqual(g.base_width(["long", "long"], 32), g.Width(64, "int"))
        self.assertEqual(g.base_width(["unsigned", "short"], 64), g.Width(16, "int"))
        self.assertEqual(g.base_width(["unsigned"], 64), g.Width(32, "int"))
        self.assertIsNone(g.base_width(["pid_t"], 64))

    def test_types(self):
        self.assertEqual(g.clean_type("const char __user *"), "char *")
        self.assertEqual(g.display_type("const char __user * __user *"), "const char **")


class MiniKernelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        g.ARCH_KCONFIG_SYMBOL["toy"] = "TOY"
        cls.files = run_mini()
        cls.toy64 = parse_inc(cls.files["toy64.inc"])
        cls.toy32 = parse_inc(cls.files["toy32.inc"])
        cls.inputs = cls.files["inputs.txt"]

    def test_output_files(self):
        self.assertEqual(sorted(self.files), ["inputs.txt", "registry.inc", "toy32.inc",
                                              "toy64.inc"])
        self.assertIn("do not edit", self.files["toy64.inc"])
        self.assertIn("{ArchId::kX86_64, 64, abi_toy64::kInfos}", self.files["registry.inc"])
        self.assertIn("{ArchId::kI386, 32, abi_toy32::kInfos}", self.files["registry.inc"])

    def test_sixty_four_bit_widths_follow_declared_types(self):
        self.assertEqual(self.toy64["read"]["bits"], [32, 64, 64])
        self.assertEqual(self.toy64["read"]["names"], ["fd", "buf", "count"])
        self.assertEqual(self.toy64["open"]["bits"], [64, 32, 16])  # umode_t
        self.assertEqual(self.toy64["pread64"]["bits"], [32, 64, 64, 64])
        self.assertEqual(self.toy64["fanmark"]["bits"], [32, 64])

    def test_arch_alias(self):
        kill = self.toy64["kill"]
        self.assertEqual(kill["entry"], "sys_kill -> sys_toy_kill")
        self.assertEqual(kill["bits"], [32, 64])
        self.assertTrue(kill["source"].startswith("arch/toy/kernel/sys_toy.c:"))

    def test_kconfig_select_picks_the_definition(self):
        # arch/toy/Kconfig selects CLONE_BACKWARDS: flags first.
        self.assertEqual(self.toy64["clone"]["names"], ["clone_flags", "tls"])

    def test_arch_want_and_not_implemented(self):
        self.assertEqual(self.toy64["alarm"]["bits"], [32])
        for name in ("frobnicate", "gone", "ni"):
            self.assertFalse(self.toy64[name]["implemented"], name)
            self.assertEqual(self.toy64[name]["count"], 0, name)
        self.assertEqual(self.toy64["gone"]["entry"], "-")

    def test_abi_rows_and_bias(self):
        self.assertIn("personality", self.toy64)
        self.assertNotIn("personality", self.toy32)
        self.assertNotIn("only32", self.toy64)
        self.assertEqual(self.toy32["only32"]["nr"], 1009)
        self.assertEqual(self.toy32["read"]["nr"], 1000)

    def test_thirty_two_bit_abi(self):
        self.assertEqual(self.toy32["read"]["bits"], [32, 32, 32])
        self.assertEqual(self.toy32["open"]["bits"], [32, 32, 16])
        # The compat entry spells the pair out; the native one (loff_t) is
        # split by the arm ("aligned") rule and agrees.
        p = self.toy32["pread64"]
        self.assertEqual(p["names"], ["fd", "buf", "count", "pad", "pos_lo", "pos_hi"])
        self.assertEqual(p["bits"], [32] * 6)
        self.assertIn("pair rule `aligned` agrees with the compat entry for 1 syscalls: pread64",
                      self.inputs)

    def test_disagreement_keeps_the_wider_layout(self):
        # sys_fanmark(int, u64) reused by the compat table: one register for
        # the compat kernel, an aligned pair for the native one.
        f = self.toy32["fanmark"]
        self.assertEqual(f["names"], ["fd", "(pad)", "mask.lo", "mask.hi"])
        self.assertIn("toy32 fanmark: DISAGREE", self.inputs)

    def test_body_narrowing_is_detected_not_applied(self):
        self.assertEqual(self.toy64["personality"]["bits"], [64])
        self.assertRegex(self.inputs, r"narrowing\? sys_personality `unsigned long persona`"
                                      r".*passed to ksys_personality\(unsigned int\)")

    def test_inputs_record_versions_and_checksums(self):
        self.assertIn("package linux-source-6.12 test-version", self.inputs)
        self.assertIn("kernel 9.8.7", self.inputs)
        self.assertRegex(self.inputs, r"[0-9a-f]{64}  kernel/calls.c")
        self.assertRegex(self.inputs, r"[0-9a-f]{64}  " + re.escape(TBL))
        self.assertRegex(self.inputs, r"type umode_t: 16 \(toy/ilp32 toy/lp64\)")

    def test_kconfig_and_arch_want_facts(self):
        src = g.Sources(MINI)
        on64 = g.kconfig_facts(src, "toy", dict(g._LP))
        on32 = g.kconfig_facts(src, "toy", dict(g._IP))
        self.assertEqual(on64["CONFIG_CLONE_BACKWARDS"], 1)
        self.assertEqual(on64["CONFIG_CLONE_BACKWARDS2"], 0)
        self.assertEqual(on64["CONFIG_SOMETHING_ELSE"], 0)
        self.assertEqual(on32["CONFIG_SOMETHING_ELSE"], 1)
        # Selected from a block of unknown value: stays unknown (absent).
        self.assertNotIn("CONFIG_OLD_SIGSUSPEND", on64)
        want = g.arch_want_facts(src, "toy", dict(g._LP))
        self.assertEqual(want["__ARCH_WANT_SYS_ALARM"], 1)
        self.assertIsNone(want["__ARCH_WANT_SYS_UNKNOWN"])

    def test_reproducible(self):
        self.assertEqual(run_mini(), self.files)

    def test_check_mode(self):
        with tempfile.TemporaryDirectory() as out:
            self.assertEqual(g.out_of_date(self.files, out), sorted(self.files))
            g.write(self.files, out)
            self.assertEqual(g.out_of_date(self.files, out), [])
            with open(os.path.join(out, "toy64.inc"), "a", encoding="utf-8") as f:
                f.write("// hand edit\n")
            self.assertEqual(g.out_of_date(self.files, out), ["toy64.inc"])

    def test_expected_type_table_is_enforced(self):
        saved = g.EXPECTED_TYPE_BITS["umode_t"]
        g.EXPECTED_TYPE_BITS["umode_t"] = 32
        try:
            with self.assertRaises(SystemExit) as ctx:
                run_mini()
            self.assertIn("umode_t", str(ctx.exception))
        finally:
            g.EXPECTED_TYPE_BITS["umode_t"] = saved

    def test_post_source_syscalls_are_unknown(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# name number version abis\nnewcall 20 9.9 toy64\n")
            path = f.name
        try:
            files = run_mini(path)
            toy64 = parse_inc(files["toy64.inc"])
            self.assertFalse(toy64["newcall"]["known"])
            self.assertEqual(toy64["newcall"]["count"], 0)
            self.assertNotIn("newcall", parse_inc(files["toy32.inc"]))
            with open(path, "w", encoding="utf-8") as f:
                f.write("broken line\n")
            with self.assertRaises(SystemExit):
                run_mini(path)
        finally:
            os.unlink(path)


if __name__ == "__main__":
    unittest.main()
