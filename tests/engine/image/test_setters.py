"""Marker rules and formatting of the setters (image-automation-controller's `# {"$imagepolicy": …}` markers), each on a small file."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.image.setters import ObjectIdentifier, apply_setters_to_text, setter_values, update_with_setters

DIGEST = "sha256:" + "ab" * 32
POLICIES = {
    "flux-system:app": {"name": "ghcr.io/org/app", "tag": "20240102", "digest": DIGEST},
    "flux-system:plain": {"name": "nginx", "tag": "1.27.1"},
}
VALUES = setter_values(POLICIES)


def run(text: str) -> str:
    return apply_setters_to_text(text, VALUES)[0]


@pytest.mark.parametrize(("before", "after"), [
    ('image: ghcr.io/org/app:20240101 # {"$imagepolicy": "flux-system:app"}\n',
     f'image: ghcr.io/org/app:20240102@{DIGEST} # {{"$imagepolicy": "flux-system:app"}}\n'),
    ('tag: 20240101 # {"$imagepolicy": "flux-system:app:tag"}\n',
     'tag: "20240102" # {"$imagepolicy": "flux-system:app:tag"}\n'),
    ('repository: old/app # {"$imagepolicy": "flux-system:app:name"}\n',
     'repository: ghcr.io/org/app # {"$imagepolicy": "flux-system:app:name"}\n'),
    ('- nginx:1.25 # {"$imagepolicy": "flux-system:plain"}\n',
     '- nginx:1.27.1 # {"$imagepolicy": "flux-system:plain"}\n'),
    ('digest: sha256:00 # {"$imagepolicy": "flux-system:plain:digest"}\n',
     'digest: "" # {"$imagepolicy": "flux-system:plain:digest"}\n'),
    ('image: nginx:1.25 # {"$imagepolicy": "other-ns:plain"}\n', None),
    ('image: nginx:1.25 # bump me {"$imagepolicy": "flux-system:plain"}\n', None),
    ('image: nginx:1.25 # {"$imagepolicy": "flux-system:plain"} keep me\n', None),
    ('image: nginx:1.25 # {"$imagepolicy": "flux-system:plain", "n": 1}\n', None),
    ('image: nginx:1.25 #{"$imagepolicy":"flux-system:plain"}\n', 'image: nginx:1.27.1 #{"$imagepolicy":"flux-system:plain"}\n'),
    ('image: nginx:1.25 ### {"$imagepolicy": "flux-system:plain", "x": "y"}\n',
     'image: nginx:1.27.1 ### {"$imagepolicy": "flux-system:plain", "x": "y"}\n'),
    ("image: 'nginx:1.25' # {\"$imagepolicy\": \"flux-system:plain\"}\n",
     "image: 'nginx:1.27.1' # {\"$imagepolicy\": \"flux-system:plain\"}\n"),
    ('image: "nginx:1.25"   # {"$imagepolicy": "flux-system:plain"}\r\nnext: 1\r\n',
     'image: "nginx:1.27.1"   # {"$imagepolicy": "flux-system:plain"}\r\nnext: 1\r\n'),
    ('image: &img nginx:1.25 # {"$imagepolicy": "flux-system:plain"}\nother: *img\n',
     'image: &img nginx:1.27.1 # {"$imagepolicy": "flux-system:plain"}\nother: *img\n'),
    ('image: nginx:1.25 # {"$ref": "#/definitions/io.k8s.cli.setters.flux-system:plain:tag"} "$imagepolicy"\n', None),
    ('image: nginx:1.25 # {"$ref": "#/definitions/io.k8s.cli.setters.flux-system:plain:tag"}\n# "$imagepolicy"\n',
     'image: 1.27.1 # {"$ref": "#/definitions/io.k8s.cli.setters.flux-system:plain:tag"}\n# "$imagepolicy"\n'),
])
def test_marker_forms(before: str, after: str | None) -> None:
    assert run(before) == (before if after is None else after)


def test_head_comment_on_sequence_item() -> None:
    before = 'images:\n  # {"$imagepolicy": "flux-system:plain"}\n  - nginx:1.25\n  - other:1\n'
    assert run(before) == before.replace("nginx:1.25", "nginx:1.27.1")


def test_line_comment_that_is_not_a_marker_hides_the_head_comment() -> None:
    before = 'images:\n  # {"$imagepolicy": "flux-system:plain"}\n  - nginx:1.25 # pinned\n'
    assert run(before) == before


def test_keys_and_block_strings_are_never_set() -> None:
    before = (
        'containers: # {"$imagepolicy": "flux-system:plain"}\n'
        "- name: a\n"
        "patch: |\n"
        '  image: nginx:1.25 # {"$imagepolicy": "flux-system:plain"}\n'
    )
    assert run(before) == before


def test_multi_document_ids_and_order() -> None:
    text = (
        "# leading comment\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
        "spec:\n\n  image: nginx:1.25 # {\"$imagepolicy\": \"flux-system:plain\"}\n"
        "---\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n"
        "- name: app\n  newTag: '1' # {\"$imagepolicy\": \"flux-system:app:tag\"}\n"
        "---\nplain: nginx:1.0 # {\"$imagepolicy\": \"flux-system:plain\"}\n"
    )
    new, changes = apply_setters_to_text(text, VALUES)
    assert new == text.replace("nginx:1.25", "nginx:1.27.1").replace("'1'", "'20240102'").replace(
        "plain: nginx:1.0", "plain: nginx:1.27.1")
    assert [c[0] for c in changes] == [
        ObjectIdentifier("apps/v1", "Deployment", "shop", "web"),
        ObjectIdentifier("kustomize.config.k8s.io/v1beta1", "Kustomization", "", ""),
        ObjectIdentifier(),
    ]
    assert [c[1].setter for c in changes] == ["flux-system:plain", "flux-system:app:tag", "flux-system:plain"]


def test_tree_walk_rules(tmp_path: Path) -> None:
    marker = '# {"$imagepolicy": "flux-system:plain"}'
    files = {
        "a.yaml": f"image: nginx:1.0 {marker}\n",
        "b.yml": f"image: nginx:1.0 {marker}\n",
        "Kustomization": f"image: nginx:1.0 {marker}\n",
        "c.json": f"image: nginx:1.0 {marker}\n",
        "unmarked.yaml": "image: nginx:1.0 # {'$imagepolicy': 'flux-system:plain'}\n",
        "broken.yaml": f"image: [nginx:1.0 {marker}\n",
        ".hidden/d.yaml": f"image: nginx:1.0 {marker}\n",
        "sub/e.yaml": f"image: nginx:1.27.1 {marker}\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "dangling.yaml").symlink_to("nowhere.yaml")
    result = update_with_setters(tmp_path, POLICIES)
    assert result.files_changed == ["Kustomization", "a.yaml", "b.yml"]
    assert result.problem_files == ["broken.yaml"]
    for name, text in files.items():
        changed = name in result.files_changed
        assert (tmp_path / name).read_text() == (text.replace("nginx:1.0", "nginx:1.27.1") if changed else text)
    assert [c.new_value for c in result.changes()] == ["nginx:1.27.1"]
    assert list(result.objects()) == [ObjectIdentifier()]


def test_update_path_limits_the_walk_and_names_files_relative_to_it(tmp_path: Path) -> None:
    for sub in ("yes", "no"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "d.yaml").write_text('image: nginx:1.0 # {"$imagepolicy": "flux-system:plain"}\n')
    result = update_with_setters(tmp_path, POLICIES, path="./yes")
    assert result.files_changed == ["d.yaml"]
    assert "1.0" in (tmp_path / "no" / "d.yaml").read_text()
