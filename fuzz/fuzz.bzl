"""fuzz_target: one libFuzzer entry point, two builds.

Under the default (gcc) build a fuzz target is an ordinary cc_test that links
//fuzz:replay_main and replays its committed corpus (fuzz/corpus/<name>/), one
GoogleTest case per file, so `bazel test //...` re-checks every seed on every
run. Under `--config=fuzz` (clang, see .bazelrc and .ci/fuzz) the same source
links libFuzzer's main instead and becomes a fuzzer binary.
"""

def fuzz_target(name, srcs, deps = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        size = size,
        srcs = srcs,
        data = native.glob(["corpus/%s/**" % name]),
        args = ["fuzz/corpus/%s" % name],
        deps = deps + [":check"] + select({
            "//fuzz:libfuzzer": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        **kwargs
    )
