"""Repository rule: a Python toolchain that runs the project's virtualenv.

Bazel's autodetecting toolchain would run whatever `python3` is first on PATH
(without TensorFlow), so every py_binary/py_test here runs
`<workspace>/.venv/bin/python3` instead, as created by ./scripts/setup.sh.
Set TFP_FLOWS_PYTHON to use another interpreter (an absolute path, a path
relative to the workspace root, or a command name looked up on PATH).

Usage in WORKSPACE:
    load("//third_party/bazel/python:python_repo.bzl", "python_repo")
    python_repo(name = "tfp_flows_python")
    register_toolchains("@tfp_flows_python//:toolchain")
"""

_ENV_VAR = "TFP_FLOWS_PYTHON"
_DEFAULT = ".venv/bin/python3"

def _python_repo_impl(rctx):
    # <root>/third_party/bazel/python/BUILD.tpl -> <root> (the root package
    # need not have a BUILD file, so no label there is used).
    workspace_root = rctx.path(rctx.attr._build_tpl).dirname.dirname.dirname.dirname
    requested = rctx.os.environ.get(_ENV_VAR, "").strip()

    if not requested:
        interpreter = rctx.path("%s/%s" % (workspace_root, _DEFAULT))
        source = "the project's virtualenv"
    elif "/" not in requested:
        interpreter = rctx.which(requested)
        source = "%s=%s (looked up on PATH)" % (_ENV_VAR, requested)
    elif requested.startswith("/"):
        interpreter = rctx.path(requested)
        source = "%s=%s" % (_ENV_VAR, requested)
    else:
        interpreter = rctx.path("%s/%s" % (workspace_root, requested))
        source = "%s=%s (relative to the workspace)" % (_ENV_VAR, requested)

    if interpreter == None or not interpreter.exists:
        fail(("\n\nPython interpreter not found: %s\n(from %s).\n" +
              "Run ./scripts/setup.sh first: it creates .venv with the " +
              "project's requirements.\n") % (
            interpreter if interpreter != None else requested,
            source,
        ))

    # Keep the path as given (not symlinks resolved): a venv's python is a
    # symlink, and only running it through the venv path activates the venv.
    rctx.template(
        "BUILD.bazel",
        rctx.attr._build_tpl,
        substitutions = {"%{interpreter}": str(interpreter)},
        executable = False,
    )

python_repo = repository_rule(
    implementation = _python_repo_impl,
    attrs = {
        "_build_tpl": attr.label(
            default = Label("//third_party/bazel/python:BUILD.tpl"),
            allow_single_file = True,
        ),
    },
    environ = [_ENV_VAR],
    local = True,
    doc = "Defines a py_runtime/toolchain for the project's virtualenv python.",
)
