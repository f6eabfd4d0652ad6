"""Ignore rules and the reproducible artifact tarball, without a cluster."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

from engine.source.artifact import Storage, archive_tree, digest_of
from engine.source.ignore import matcher_for


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.getnames()


def test_default_exclusions_apply_only_without_user_patterns(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", {"deploy/app.yaml": "a", "logo.png": "x", ".github/workflows/ci.yaml": "y",
                                    ".gitignore": "z", "cloudbuild.yaml": "c"})
    assert names(archive_tree(root, matcher_for(root, None))) == [".", "deploy", "deploy/app.yaml"]
    # any user pattern turns the extension/CI defaults off; VCS files stay excluded
    got = names(archive_tree(root, matcher_for(root, "# just a comment\n*.md\n")))
    assert got == [".", ".github", ".github/workflows", ".github/workflows/ci.yaml", "cloudbuild.yaml",
                   "deploy", "deploy/app.yaml", "logo.png"]


def test_spec_ignore_only_deploy_directory(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", {"deploy/app.yaml": "a", "deploy/sub/b.yaml": "b", "src/main.go": "m",
                                    "README.md": "r"})
    got = names(archive_tree(root, matcher_for(root, "/*\n!/deploy\n")))
    assert got == [".", "deploy", "deploy/app.yaml", "deploy/sub", "deploy/sub/b.yaml"]


def test_sourceignore_files_are_scoped_to_their_directory(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", {"apps/.sourceignore": "*.txt\nlocal/\n", "apps/notes.txt": "n",
                                    "apps/local/x.yaml": "x", "apps/app.yaml": "a", "notes.txt": "top",
                                    "local/keep.yaml": "k"})
    got = names(archive_tree(root, matcher_for(root, None)))
    assert "apps/notes.txt" not in got and "apps/local/x.yaml" not in got
    assert {"notes.txt", "local/keep.yaml", "apps/app.yaml", "apps/.sourceignore"} <= set(got)


def test_spec_ignore_wins_over_sourceignore(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", {".sourceignore": "*.yaml\n", "a.yaml": "a", "b.yaml": "b"})
    assert "a.yaml" in names(archive_tree(root, matcher_for(root, "!a.yaml\n")))
    assert "a.yaml" not in names(archive_tree(root, matcher_for(root, None)))


def test_archive_is_reproducible_and_normalised(tmp_path: Path) -> None:
    files = {"b.yaml": "b", "a/x.yaml": "x", "run.sh": "#!/bin/sh\n"}
    one = tree(tmp_path / "one", files)
    two = tree(tmp_path / "two", dict(reversed(list(files.items()))))
    os.chmod(one / "run.sh", 0o755)
    os.chmod(two / "run.sh", 0o755)
    os.utime(two / "b.yaml", (1, 1))
    (one / "link.yaml").symlink_to("/etc/passwd")
    first, second = archive_tree(one), archive_tree(two)
    assert digest_of(first) == digest_of(second)
    assert gzip.decompress(first)  # a valid gzip stream
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert "link.yaml" not in members
    assert list(members) == [".", "a", "a/x.yaml", "b.yaml", "run.sh"]
    assert members["a"].mode == 0o750 and members["b.yaml"].mode == 0o600 and members["run.sh"].mode == 0o700
    assert {(m.uid, m.gid, m.mtime, m.uname) for m in members.values()} == {(0, 0, 0, "")}


def test_storage_keeps_the_newest_records_and_never_leaves_root(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "store")
    paths = []
    for i in range(4):
        rel = storage.artifact_path("GitRepository", "default", "fleet", f"{i}.tar.gz")
        record = storage.store(rel, f"data{i}".encode(), f"main@sha1:{i}")
        os.utime(storage.local_path(rel), (i, i))
        paths.append(rel)
        assert record["url"].startswith("file://") and record["digest"].startswith("sha256:")
    removed = storage.garbage_collect("GitRepository", "default", "fleet", keep=paths[0])
    assert sorted(removed) == [paths[1]]
    assert storage.verify({"path": paths[3], "digest": digest_of(b"data3")}) is None
    assert storage.verify({"path": paths[3], "digest": digest_of(b"other")}) == "digest mismatch"
    assert storage.verify({"path": "../../etc/passwd"}) == "missing"
