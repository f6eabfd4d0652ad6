"""Compare engine.kustomize with `kubectl kustomize` on the trees of kustomize's own api/krusty tests.

Usage: python krusty-compare.py KUSTOMIZE_GIT_DIR WORKDIR [TEST_FILE_SUBSTRING ...]
KUSTOMIZE_GIT_DIR is a clone (or bare mirror) of kubernetes-sigs/kustomize with the tag api/v0.18.0
(kustomize v5.5.0). Files a test writes with th.WriteK/WriteF/WriteC (backtick literals, same-file or
cross-file string constants, and harness helper functions) are written under WORKDIR/cases/<Test>; the
directory of the test's first th.Run is built by both tools. Prints every tree whose stdout or error
message differs and a summary; tests using exec/Go plugins or remote resources are skipped. A dev tool,
not a test (it needs kubectl and the kustomize sources).
"""

import os, re, subprocess, sys, shutil, json

REPO = sys.argv[1]
WORKDIR = os.path.abspath(sys.argv[2])
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
TAG = "api/v0.18.0"
files = subprocess.run(
    ["git", "-C", REPO, "ls-tree", "--name-only", TAG, "api/krusty/"], capture_output=True, text=True
).stdout.split()
files = [f for f in files if f.endswith("_test.go")]
only = sys.argv[3:]
call = re.compile(r'th\.(WriteK|WriteF|WriteC)\(\s*(?:filepath\.Join\()?"([^"]*)"\s*,\s*`(.*?)`\s*\)', re.S)
runre = re.compile(r'th\.Run(?:WithErr)?\(\s*"([^"]*)"')
results = {}
ALLCONSTS = {}
for f in files:
    src = subprocess.run(["git", "-C", REPO, "show", f"{TAG}:{f}"], capture_output=True, text=True).stdout
    ALLCONSTS.update(re.findall(r"(?m)^\s*(?:const\s+|var\s+)?(\w+)\s*=\s*`(.*?)`", src, re.S))
helpers = {}
HBODY = {}


def _td(name):
    return subprocess.run(
        ["git", "-C", REPO, "show", f"{TAG}:api/krusty/testdata/{name}"], capture_output=True, text=True
    ).stdout


SPECIAL = {
    "writeTestSchema": lambda prefix: [("WriteF", prefix + "mycrd_schema.json", _td("customschema.json"))],
    "writeTestSchemaYaml": lambda prefix: [
        ("WriteF", prefix + "mycrd_schema.yaml", _td("customschema.yaml"))
    ],
}
for f in files:
    src = subprocess.run(["git", "-C", REPO, "show", f"{TAG}:{f}"], capture_output=True, text=True).stdout
    for m in re.finditer(
        r"^func ([a-z]\w*)\(th \*?kusttest_test\.Harness[^)]*\)\s*\{\n(.*?)^\}", src, re.S | re.M
    ):
        HBODY[m.group(1)] = m.group(2)
        helpers[m.group(1)] = call.findall(m.group(2)) + [
            (k, "\0ARG", c)
            for k, c in re.findall(r"th\.(WriteK|WriteF|WriteC)\(\s*\w+\s*,\s*`(.*?)`\s*\)", m.group(2), re.S)
        ]
for f in files:
    if only and not any(o in f for o in only):
        continue
    src = subprocess.run(["git", "-C", REPO, "show", f"{TAG}:{f}"], capture_output=True, text=True).stdout
    consts = {**ALLCONSTS, **dict(re.findall(r"(?m)^\s*(?:const\s+|var\s+)?(\w+)\s*=\s*`(.*?)`", src, re.S))}

    def expand(body):
        # inline concatenations of backtick literals and same-file string constants
        for _ in range(3):
            body = re.sub(
                r"`\s*\+\s*(\w+)\s*\+\s*`",
                lambda m: consts.get(m.group(1), "\0") if m.group(1) in consts else m.group(0),
                body,
            )
            body = re.sub(
                r"`\s*\+\s*(\w+)\)",
                lambda m: consts[m.group(1)] + "`)" if m.group(1) in consts else m.group(0),
                body,
            )
            body = re.sub(
                r'\(\s*"([^"]*)"\s*,\s*(\w+)\s*\+\s*`',
                lambda m: (
                    '("' + m.group(1) + '", `' + consts[m.group(2)] if m.group(2) in consts else m.group(0)
                ),
                body,
            )
            body = re.sub(
                r'\(\s*"([^"]*)"\s*,\s*(\w+)\s*\)',
                lambda m: (
                    '("' + m.group(1) + '", `' + consts[m.group(2)] + "`)"
                    if m.group(2) in consts
                    else m.group(0)
                ),
                body,
            )
        return body

    for m in re.finditer(r"^func (Test\w+)\(t \*testing\.T\) \{\n(.*?)^\}", src, re.S | re.M):
        name, body = m.group(1), expand(m.group(2))
        if (
            any(
                x in body
                for x in (
                    "PrepExecPlugin",
                    "BuildGoPlugin",
                    "PrepBuiltin(",
                    "someteam.example.com",
                    "MakeOptionsPluginsEnabled",
                    "FnpLoadingOptions",
                    "http",
                )
            )
            or "Remote" in name
        ):
            continue
        writes = []

        def nested(b, depth=0):
            out = []
            for hm2 in re.finditer(r"\b([a-z]\w*)\(th\)", b):
                if depth < 4 and hm2.group(1) in HBODY:
                    out += nested(HBODY[hm2.group(1)], depth + 1)
                    out += [w for w in helpers.get(hm2.group(1), []) if w[1] != "\0ARG"]
            return out

        body_helpers = nested(body)
        writes += body_helpers
        for hm in re.finditer(r'\b([a-z]\w*)\(th\b(?:,\s*"([^"]*)")?', body):
            if hm.group(1) in SPECIAL:
                writes += SPECIAL[hm.group(1)](hm.group(2) or "")
            elif hm.group(2) is not None:
                writes += [
                    (k, hm.group(2) if p == "\0ARG" else p, c) for k, p, c in helpers.get(hm.group(1), [])
                ]
        writes += call.findall(body)
        writes += [
            (k, path, content.encode().decode("unicode_escape"))
            for k, path, content in re.findall(r'th\.(WriteF)\(\s*"([^"]*)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)', body)
        ]
        runs = runre.findall(body)
        if not writes or not runs:
            continue
        d = os.path.join(WORKDIR, "cases", name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        ok = True
        for kind, path, content in writes:
            if kind in ("WriteK", "WriteC"):
                p = os.path.join(d, path.lstrip("/"), "kustomization.yaml")
                if kind == "WriteC" and "kind: Component" not in content:
                    content = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" + content
            else:
                p = os.path.join(d, path.lstrip("/"))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").write(content)
        target = os.path.join(d, runs[0].lstrip("/"))
        k = subprocess.run(["kubectl", "kustomize", target], capture_output=True, text=True, timeout=60)
        o = subprocess.run(
            [sys.executable, "-m", "engine.kustomize", "build", target],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        if k.returncode == 0 and o.returncode == 0:
            status = "same" if k.stdout == o.stdout else "DIFF-OUT"
        elif k.returncode != 0 and o.returncode != 0:
            import ast

            mm = re.search(r'err="((?:[^"\\]|\\.)*)"', k.stderr)
            if mm:
                kerr = ast.literal_eval('"' + mm.group(1) + '"')
            else:
                mm = re.search(r"err=<\n(.*)\n >", k.stderr, re.S)
                kerr = (
                    "\n".join(l[1:] if l.startswith("\t") else l for l in mm.group(1).split("\n"))
                    if mm
                    else k.stderr
                )
            oerr = "\n".join(l for l in o.stderr.strip().splitlines() if not l.startswith("# Warning:"))
            oerr = oerr[len("Error: ") :] if oerr.startswith("Error: ") else oerr
            norm = lambda x: re.sub(r"0xc[0-9a-f]+", "0xc0", x.strip())
            status = "both-err" if norm(kerr) == norm(oerr) else "ERRDIFF"
            if status == "ERRDIFF":
                print("   K:", kerr.strip()[:400].replace(chr(10), " | "))
                print("   O:", oerr.strip()[:400].replace(chr(10), " | "))
        elif k.returncode == 0:
            status = "OURS-ERR"
        else:
            status = "KUBECTL-ERR"
        results[name] = status
        if status not in ("same", "both-err"):
            print(f"{status:12} {f.split('/')[-1]}:{name}")
            if "-v" in os.environ.get("V", ""):
                print(o.stderr[:500])
                print(k.stderr[:500])
print({s: list(results.values()).count(s) for s in set(results.values())})
json.dump(results, open(os.path.join(WORKDIR, "results.json"), "w"), indent=1)
