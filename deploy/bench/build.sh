# Sourced by the benchmarks: the Release build they measure, built once (not measured) unless --no-build
# or ORCHESTRATOR_BIN names another. Needs ROOT, BUILD (1 or 0), BIN and DIR (for the build's log).
# The build lock keeps it from racing another build on a 2-core machine.
build_release() {
    if [[ $BUILD == 1 ]]; then
        echo "building Release (once; not measured)"
        (cd "$ROOT" && flock /tmp/orch-build.lock dotnet build -c Release -m:1 -v q -nologo src/Orchestrator >"$DIR/build.log" 2>&1) ||
            { tail -20 "$DIR/build.log" >&2; echo "build failed" >&2; exit 1; }
    fi
    [[ -f "$BIN" ]] || { echo "no build at $BIN (build it, or drop --no-build)" >&2; exit 1; }
}
