"""Generate workshop/cluster/embedded/k8s_protobuf.json: the Kubernetes protobuf schema of the served kinds.

Kubernetes' protobuf messages are generated from the Go API types (go-to-protobuf): each struct field's
`protobuf:"<wire>,<number>,..."` tag gives the field number, its Go type gives the value type, and its `json` tag the
JSON name and `omitempty`. This script reads those Go sources from checkouts of kubernetes/api,
kubernetes/apimachinery, kubernetes/apiextensions-apiserver and kubernetes/kube-aggregator (git directories are
fine: files are read at HEAD with `git show`) and writes a compact table the embedded server decodes and encodes
protobuf bodies with (workshop/cluster/embedded/protobuf.py). The `kubernetes` Python package ships no .proto files.

    python tools/gen_k8s_protobuf.py API APIMACHINERY APIEXTENSIONS AGGREGATOR > workshop/cluster/embedded/k8s_protobuf.json

Table format: {"sources": {...}, "kinds": {"<apiVersion>": {"<Kind>": "<message>"}}, "messages": {"<message>":
{"<field number>": [json name, type, flags]}}}. A type is a scalar code (s string, b bool, i signed integer,
d double, f float, y bytes), a message name, a special (@time, @microtime, @duration, @quantity, @intorstr, @raw,
@schemaorarray, @schemaorbool, @schemaorstrings), ["map", value type] or ["wrap", element type] (a named slice
type, which protobuf wraps in a message with `items = 1`). Flags: r repeated, p pointer, o omitempty, n inlined
into the parent's JSON.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

# (repository argument index, directory in the repository, short package name, Go import path)
PACKAGES: list[tuple[int, str, str, str]] = [
    (1, "pkg/apis/meta/v1", "meta/v1", "k8s.io/apimachinery/pkg/apis/meta/v1"),
    (1, "pkg/runtime", "runtime", "k8s.io/apimachinery/pkg/runtime"),
    (2, "pkg/apis/apiextensions/v1", "apiextensions/v1", "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"),
    (3, "pkg/apis/apiregistration/v1", "apiregistration/v1", "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"),
] + [(0, p, p, f"k8s.io/api/{p}") for p in (
    "core/v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2", "coordination/v1", "discovery/v1",
    "events/v1", "networking/v1", "policy/v1", "rbac/v1", "storage/v1", "authentication/v1", "authorization/v1",
    "certificates/v1", "scheduling/v1", "node/v1", "admissionregistration/v1", "flowcontrol/v1")]

SPECIAL = {
    "k8s.io/apimachinery/pkg/apis/meta/v1.Time": "@time",
    "k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime": "@microtime",
    "k8s.io/apimachinery/pkg/apis/meta/v1.Duration": "@duration",
    "k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1": "@raw",
    "k8s.io/apimachinery/pkg/runtime.RawExtension": "@raw",
    "k8s.io/apimachinery/pkg/api/resource.Quantity": "@quantity",
    "k8s.io/apimachinery/pkg/util/intstr.IntOrString": "@intorstr",
    "k8s.io/apimachinery/pkg/types.UID": "s",
    "k8s.io/apimachinery/pkg/types.NodeName": "s",
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSON": "@raw",
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSONSchemaPropsOrArray": "@schemaorarray",
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSONSchemaPropsOrBool": "@schemaorbool",
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSONSchemaPropsOrStringArray": "@schemaorstrings",
}
SCALARS = {"string": "s", "bool": "b", "int": "i", "int8": "i", "int16": "i", "int32": "i", "int64": "i",
           "uint16": "i", "uint32": "i", "uint64": "i", "float64": "d", "float32": "f", "byte": "i"}

FIELD = re.compile(r"^\s*(?:(\w+)\s+)?([\w.*\[\]]+)\s+`([^`]*)`")
TAG = re.compile(r'(\w+):"([^"]*)"')


class UnknownPackage(ValueError):
    """A field's type lives in a package this table does not cover."""


def read_package(repo: Path, directory: str) -> list[str]:
    """The Go sources of one package directory (non-test, non-generated) at the checkout's HEAD."""
    git = _git(repo)
    names = subprocess.run([*git, "ls-tree", "--name-only", "HEAD", directory + "/"], check=True,
                           capture_output=True, text=True).stdout.split()
    sources = []
    for name in names:
        base = name.rsplit("/", 1)[-1]
        if not base.endswith(".go") or base.endswith("_test.go") or base.startswith("zz_generated") \
                or base == "generated.pb.go":
            continue
        sources.append(subprocess.run([*git, "show", f"HEAD:{name}"], check=True, capture_output=True,
                                      text=True).stdout)
    return sources


def _git(repo: Path) -> list[str]:
    if (repo / "HEAD").exists() and not (repo / ".git").exists():
        return ["git", f"--git-dir={repo}"]
    return ["git", "-C", str(repo)]


def head(repo: Path) -> str:
    return subprocess.run([*_git(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def repo_name(repo: Path) -> str:
    """kubernetes/api for /work/.mirror/kubernetes+api/repo or a checkout named api."""
    for part in reversed(repo.parts):
        if "+" in part:
            return part.replace("+", "/")
    return repo.name


def imports(src: str) -> dict[str, str]:
    out: dict[str, str] = {}
    block = re.search(r"^import \((.*?)^\)", src, re.M | re.S)
    lines = block.group(1).splitlines() if block else re.findall(r"^import (.*)$", src, re.M)
    for line in lines:
        m = re.match(r'\s*(\w+)?\s*"([^"]+)"', line)
        if m:
            path = m.group(2)
            out[m.group(1) or path.rsplit("/", 1)[-1]] = path
    return out


class Package:
    def __init__(self, short: str, path: str, sources: list[str]) -> None:
        self.short, self.path = short, path
        self.structs: dict[str, list[tuple[str | None, str, dict[str, str], dict[str, str]]]] = {}
        self.named: dict[str, tuple[str, dict[str, str]]] = {}
        self.kinds: list[str] = []
        self.wrapped: set[str] = set()
        self.group: str | None = None
        for src in sources:
            imp = imports(src)
            g = re.search(r'^const GroupName = "([^"]*)"', src, re.M)
            if g:
                self.group = g.group(1)
            for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", src, re.M | re.S):
                fields = []
                typemeta = untagged = False
                for line in m.group(2).splitlines():
                    line = line.split("//")[0] if not line.strip().startswith("//") else ""
                    fm = FIELD.match(line)
                    if not fm:
                        if re.match(r"^\s*(metav1\.|v1\.)?TypeMeta\b", line):
                            typemeta = True
                        continue
                    tags = dict(TAG.findall(fm.group(3)))
                    if fm.group(2).endswith("TypeMeta") and fm.group(1) is None:
                        typemeta = True
                    if "protobuf" not in tags or tags["protobuf"] == "-":
                        untagged = untagged or "protobuf" not in tags and not fm.group(2).endswith("TypeMeta")
                        continue
                    fields.append((fm.group(1), fm.group(2), tags, imp))
                if untagged and not fields:  # a JSON-only type (meta/v1 Table): no protobuf message
                    continue
                self.structs[m.group(1)] = fields
                if typemeta:
                    self.kinds.append(m.group(1))
            for m in re.finditer(r"^type (\w+) struct ?\{\}", src, re.M):
                self.structs[m.group(1)] = []
            for m in re.finditer(r"((?:^//.*\n)*)^type (\w+) ([\w.\[\]*]+)\s*$", src, re.M):
                self.named[m.group(2)] = (m.group(3), imp)
                if "+protobuf.nullable=true" in m.group(1):  # a named slice protobuf wraps as {items = 1}
                    self.wrapped.add(m.group(2))


def main(argv: list[str]) -> None:
    repos = [Path(a) for a in argv[1:5]]
    pkgs: dict[str, Package] = {}
    sources = {}
    for idx, directory, short, path in PACKAGES:
        pkgs[path] = Package(short, path, read_package(repos[idx], directory))
        sources[short] = f"{repo_name(repos[idx])}@{head(repos[idx])}:{directory}"
    messages: dict[str, dict[str, list]] = {}

    def resolve(expr: str, pkg: Package, imp: dict[str, str]) -> object:
        if expr == "[]byte":
            return "y"
        if expr in SCALARS:
            return SCALARS[expr]
        if expr.startswith("map["):
            val = expr[expr.index("]") + 1:]
            return ["map", resolve(val, pkg, imp)]
        if expr.startswith("[]"):
            raise ValueError(f"nested slice {expr}")
        qual, _, name = expr.rpartition(".")
        path = imp.get(qual, qual) if qual else pkg.path
        full = f"{path}.{name}"
        if full in SPECIAL:
            return SPECIAL[full]
        target = pkgs.get(path)
        if target is None:
            raise UnknownPackage(f"type {expr} from unknown package {path}")
        if name in target.structs:
            msg = f"{target.short}.{name}"
            if msg not in messages:
                messages[msg] = {}
                messages[msg] = struct_fields(target, name)
            return msg
        if name in target.named:
            under, nimp = target.named[name]
            if under.startswith("[]") and under != "[]byte":
                elem = resolve(under[2:], target, nimp)
                return ["wrap", elem] if name in target.wrapped else ["slice", elem]
            return resolve(under, target, nimp)
        raise ValueError(f"cannot resolve {expr} in {pkg.path}")

    def struct_fields(pkg: Package, name: str) -> dict[str, list]:
        out: dict[str, list] = {}
        for fname, texpr, tags, imp in pkg.structs[name]:
            proto = tags["protobuf"].split(",")
            number = proto[1]
            json_tag = tags.get("json", "")
            jname, *opts = json_tag.split(",") if json_tag else [""]
            flags = ""
            expr = texpr
            if expr.startswith("*"):
                flags += "p"
                expr = expr[1:]
            if expr.startswith("[]") and expr != "[]byte":
                flags += "r"
                expr = expr[2:]
                if expr.startswith("*"):
                    expr = expr[1:]
            if "omitempty" in opts:
                flags += "o"
            if fname is None and not jname:
                flags += "n"
            if not jname and "n" not in flags:
                jname = fname or ""
            try:
                type_ = resolve(expr, pkg, imp)
                if isinstance(type_, list) and type_[0] == "slice":  # an unwrapped named slice is just repeated
                    type_, flags = type_[1], flags + "r"
                out[number] = [jname, type_, flags]
            except UnknownPackage as e:  # alpha types of groups not served: decoded as unknown fields (skipped)
                print(f"skipping {pkg.short}.{name}.{jname}: {e}", file=sys.stderr)
        return out

    kinds: dict[str, dict[str, str]] = {}
    for _idx, _d, short, path in PACKAGES:
        pkg = pkgs[path]
        if pkg.group is None or short == "runtime":
            continue
        api_version = f"{pkg.group}/{short.rsplit('/', 1)[1]}" if pkg.group else short.rsplit("/", 1)[1]
        if short == "meta/v1":
            api_version = "meta.k8s.io/v1"
        for kind in sorted(pkg.kinds):
            kinds.setdefault(api_version, {})[kind] = str(resolve(kind, pkg, {}))
    resolve("Unknown", pkgs["k8s.io/apimachinery/pkg/runtime"], {})
    table = {"sources": sources, "kinds": kinds, "messages": dict(sorted(messages.items()))}
    sys.stdout.write(json.dumps(table, separators=(",", ":"), sort_keys=False) + "\n")


if __name__ == "__main__":
    main(sys.argv)
