"""static_archive: one .a holding the objects of a cc_library and of every
cc_library it depends on, for users who link without Bazel (tools/install).

Bazel builds one archive per cc_library; a Make or CMake user wants one. The
rule merges the per-library archives with ar's MRI script mode, which keeps
members of the same name from different packages (compiler/compile.o and
pipeline's) apart, where extracting them into one directory would not.
System libraries (linkopts only, like -lboost_json) have no archive and are left to
the consumer's link line (sysfence.pc, sysfenceConfig.cmake).
"""

def _static_archive_impl(ctx):
    archives = []
    for dep in ctx.attr.deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            for library in linker_input.libraries:
                # PIC objects: a consumer's default link is a PIE.
                archive = library.pic_static_library or library.static_library
                if archive and archive not in archives:
                    archives.append(archive)
    if not archives:
        fail("static_archive: no static libraries in deps")
    out = ctx.outputs.out
    script = ctx.actions.declare_file(ctx.label.name + ".mri")
    lines = ["create " + out.path] + ["addlib " + a.path for a in archives] + ["save", "end"]
    ctx.actions.write(script, "\n".join(lines) + "\n")
    ctx.actions.run_shell(
        inputs = archives + [script],
        outputs = [out],
        command = "ar -M <{script} && ranlib {out}".format(script = script.path, out = out.path),
        mnemonic = "StaticArchive",
        progress_message = "Merging %d archives into %s" % (len(archives), out.short_path),
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

static_archive = rule(
    implementation = _static_archive_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "out": attr.output(mandatory = True),
    },
)
