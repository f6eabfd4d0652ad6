"""The update automation's git mechanics against a local bare remote (no cluster)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import git
import pytest
import yaml

from engine.image.automation import (
    DEFAULT_MESSAGE,
    AutomationError,
    NamespacedName,
    UpdateRequest,
    commit_message,
    run_update,
)
from tests.corpus import IMAGE_AUTOMATION_CORPUS
from workshop.repo import LabRepo

CONFORMANCE = IMAGE_AUTOMATION_CORPUS
EXAMPLE = yaml.safe_load((CONFORMANCE / "_fixtures" / "policy-applier-cases.yaml").read_text())["commitMessageExample"]
DEPLOY = (CONFORMANCE / "image-automation-controller/internal/source/testdata/appconfig/deploy.yaml").read_text()
MARKED = DEPLOY.replace("SETTER_SITE", '{"$imagepolicy": "test-ns:policy1"}')
WHEN = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def remote(tmp_path: Path) -> LabRepo:
    repo = LabRepo.create(tmp_path / "lab", "app")
    repo.write("deploy.yaml", MARKED)
    repo.commit("add deploy")
    return repo


def request(remote: LabRepo, **overrides: object) -> UpdateRequest:
    base = dict(url=remote.url, checkout_branch="main", automation=NamespacedName("test-ns", "test-update"),
                policies={"test-ns:policy1": {"name": "helloworld", "tag": "1.0.1"}},
                author_name="fluxbot", author_email="fluxbot@example.com", message_template=EXAMPLE["template"],
                commit_date=WHEN)
    base.update(overrides)
    return UpdateRequest(**base)  # type: ignore[arg-type]


def remote_file(remote: LabRepo, branch: str = "main") -> str:
    return git.Repo(remote.remote_path).git.show(f"{branch}:deploy.yaml", strip_newline_in_stdout=False)


def test_commit_and_push_with_rendered_message(remote: LabRepo, tmp_path: Path) -> None:
    before = remote.head()
    outcome = run_update(request(remote), tmp_path)
    bare = git.Repo(remote.remote_path)
    commit = bare.commit("main")
    assert outcome.commit == commit.hexsha and commit.parents[0].hexsha == before
    assert commit.message == EXAMPLE["rendered"]
    assert (commit.author.name, commit.author.email, commit.committer.name) == ("fluxbot", "fluxbot@example.com",
                                                                              "fluxbot")
    assert commit.authored_datetime == WHEN and commit.committed_datetime == WHEN
    assert remote_file(remote) == MARKED.replace("helloworld:1.0.0", "helloworld:1.0.1")
    assert list(commit.stats.files) == ["deploy.yaml"]
    assert outcome.observed_revision == f"main@sha1:{commit.hexsha}"
    assert outcome.event_message.startswith(f"pushed commit '{commit.hexsha[:7]}' to branch 'main'\n")


def test_fixed_dates_give_stable_shas(tmp_path: Path) -> None:
    shas = []
    for i in range(2):
        lab = LabRepo.create(tmp_path / f"lab{i}", "app")
        lab.write("deploy.yaml", MARKED)
        lab.commit("add deploy")
        shas.append(run_update(request(lab), tmp_path).commit)
    assert shas[0] == shas[1]


def test_no_change_no_commit(remote: LabRepo, tmp_path: Path) -> None:
    before = remote.head()
    outcome = run_update(request(remote, policies={"test-ns:policy1": "helloworld:1.0.0"}), tmp_path)
    assert outcome.commit is None and outcome.result.file_changes == {}
    assert git.Repo(remote.remote_path).commit("main").hexsha == before
    assert outcome.observed_revision == f"main@sha1:{before}"


def test_default_message_and_push_branch(remote: LabRepo, tmp_path: Path) -> None:
    outcome = run_update(request(remote, message_template=None, push_branch="auto"), tmp_path)
    bare = git.Repo(remote.remote_path)
    assert bare.commit("auto").message == DEFAULT_MESSAGE
    assert bare.commit("auto").parents[0] == bare.commit("main")
    assert "1.0.0" in remote_file(remote, "main") and "1.0.1" in remote_file(remote, "auto")
    assert outcome.observed_revision == f"main@sha1:{bare.commit('main').hexsha}"
    second = run_update(request(remote, message_template=None, push_branch="auto",
                                policies={"test-ns:policy1": "helloworld:1.0.2"}), tmp_path)
    assert bare.commit("auto").hexsha == second.commit
    assert bare.commit("auto").parents[0].hexsha == outcome.commit


def test_concurrent_push_is_rebased_and_retried(remote: LabRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    import engine.image.automation as automation

    original = automation._commit
    raced = []

    def commit_then_race(repo: git.Repo, req: UpdateRequest, files: list[Path], message: str) -> str:
        if not raced:
            remote.write("README.md", "someone else pushed first\n")
            raced.append(remote.commit("concurrent change"))
        return original(repo, req, files, message)

    monkeypatch.setattr(automation, "_commit", commit_then_race)
    outcome = run_update(request(remote), tmp_path)
    bare = git.Repo(remote.remote_path)
    assert bare.commit("main").hexsha == outcome.commit
    assert bare.commit("main").parents[0].hexsha == raced[0]
    assert "1.0.1" in remote_file(remote)


@pytest.mark.parametrize(("overrides", "reason", "message"), [
    ({"url": "file:///nonexistent/repo.git"}, "GitOperationFailed", "failed to checkout source: unable to clone"),
    ({"checkout_branch": "nope"}, "GitOperationFailed", "failed to checkout source"),
    ({"update_path": "./missing"}, "UpdateFailed", "failed to apply policies: update.path './missing' does not exist"),
    ({"message_template": "{{ .Updated }}"}, "RemovedTemplateField", "template uses removed '.Updated' field"),
    ({"message_template": "{{ range .Changed.Changes }}"}, "GitOperationFailed",
     "failed to update source: unable to create commit message template from spec: template: commit message:1:"),
    ({"message_template": "{{ .Nope }}"}, "GitOperationFailed",
     "failed to update source: failed to run template from spec: template: commit message:1: executing"),
    ({"message_template": "{{ sha256sum .Values }}"}, "GitOperationFailed", 'function "sha256sum" not defined'),
    ({"checkout_branch": "", "push_branch": None}, "SourceManagerFailed", "push spec not provided"),
])
def test_failures_change_nothing(remote: LabRepo, tmp_path: Path, overrides: dict, reason: str, message: str) -> None:
    before = {ref.name: ref.commit.hexsha for ref in git.Repo(remote.remote_path).branches}
    with pytest.raises(AutomationError) as err:
        run_update(request(remote, **overrides), tmp_path)
    assert err.value.reason == reason
    assert message in err.value.message
    assert {ref.name: ref.commit.hexsha for ref in git.Repo(remote.remote_path).branches} == before


def test_template_forms() -> None:
    from engine.image.setters import Change, ObjectIdentifier, UpdateResult

    obj = ObjectIdentifier("apps/v1", "Deployment", "shop", "web")
    result = UpdateResult({"a.yaml": {obj: [Change("x:1", "x:2", "ns:p")]},
                           "b.yaml": {obj: [Change("x:1", "x:2", "ns:p"), Change("y:1", "y:2", "ns:q")]}})
    from engine.image.automation import TemplateData

    data = TemplateData(NamespacedName("flux-system", "auto"), result, {"env": "prod"})
    template = (
        "[{{ .Values.env }}] {{ .AutomationObject }}{{ if .Values.missing }}!{{ else }}.{{ end }}\n"
        "{{ range $f, $_ := .Changed.FileChanges -}}\n- {{ $f }}\n{{ end -}}\n"
        "{{ range $o, $c := .Changed.Objects }}{{ $o.Kind }}/{{ $o.Name }}={{ len $c }}{{ end }}\n"
        "{{ range .Changed.Changes }}{{ .OldValue }}->{{ .NewValue }};{{ else }}none{{ end }}\n"
        "{{ with .Values.env }}{{ . | upper }}{{ end }} {{ printf \"%s-%d\" \"n\" 3 }} {{ index .Values \"env\" }}"
    )
    assert commit_message(template, data) == (
        "[prod] flux-system/auto.\n- a.yaml\n- b.yaml\nDeployment/web=3\nx:1->x:2;y:1->y:2;\nPROD n-3 prod")
