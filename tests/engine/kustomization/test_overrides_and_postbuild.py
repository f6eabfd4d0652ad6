"""spec overrides (targetNamespace, prefix/suffix, patches, images, components, commonMetadata) and postBuild."""

from __future__ import annotations

import base64

from kustomization.story import Story

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def test_overrides_are_merged_into_the_generated_kustomization(story: Story) -> None:
    team = story.namespace("team")
    story.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": team}})
    story.commit("Add", {"apps/web.yaml": story.deployment("web", image="nginx:1.27"), "apps/cm.yaml": story.configmap("cfg"),
                         "components/extra/kustomization.yaml":
                             "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                             "commonAnnotations:\n  team: blue\n"})
    story.git_repository()
    story.kustomization(
        "apps", "./apps", targetNamespace=team, namePrefix="dev-", nameSuffix="-v1",
        images=[{"name": "nginx", "newTag": "1.28"}],
        commonMetadata={"labels": {"env": "dev"}, "annotations": {"owner": "platform"}},
        patches=[{"patch": "- op: replace\n  path: /spec/replicas\n  value: 3\n",
                  "target": {"kind": "Deployment", "name": "web"}}],
        components=["../components/extra"],
    )
    report = story.sync()
    assert report.ok, str(report)
    web = story.get("Deployment", "dev-web-v1", team)
    assert web is not None
    assert web["spec"]["replicas"] == 3
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert web["metadata"]["labels"]["env"] == "dev" and web["metadata"]["annotations"]["owner"] == "platform"
    assert web["metadata"]["annotations"]["team"] == "blue"
    assert story.inventory("apps") == [f"ConfigMap/{team}/dev-cfg-v1", f"Deployment/{team}/dev-web-v1"]


def test_existing_kustomization_file_is_used_and_images_merge(story: Story) -> None:
    story.commit("Add", {"apps/kustomization.yaml": KUSTOMIZATION + "resources:\n- web.yaml\nimages:\n"
                                                   "- name: nginx\n  newName: registry.local/nginx\n",
                         "apps/web.yaml": story.deployment("web"), "apps/unused.yaml": story.configmap("unused")})
    story.git_repository()
    story.kustomization("apps", "./apps", images=[{"name": "nginx", "newTag": "1.29"}])
    story.sync()
    web = story.obj("Deployment", "web")
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.local/nginx:1.29"
    assert story.get("ConfigMap", "unused") is None


def test_post_build_substitution(story: Story) -> None:
    story.client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster-vars", "namespace": story.ns},
                         "data": {"env": "staging", "region": "eu-1"}})
    story.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cluster-secrets", "namespace": story.ns},
                         "data": {"token": base64.b64encode(b"t0ps3cret").decode()}})
    cm = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${{env}}\n  namespace: {story.apps}\ndata:\n"
          "  region: ${region}\n  replicas: \"${replicas:=2}\"\n  upper: ${env^^}\n  token: ${token}\n"
          "  literal: $${not_a_var}\n  plain: $HOME\n  inline: ${inline}\n")
    raw = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\n  namespace: {story.apps}\n  annotations:\n"
           "    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  v: ${env}\n")
    story.commit("Add", {"apps/cm.yaml": cm, "apps/raw.yaml": raw})
    story.git_repository()
    story.kustomization("apps", "./apps", postBuild={
        "substitute": {"inline": "from-spec", "region": "eu-2"},
        "substituteFrom": [{"kind": "ConfigMap", "name": "cluster-vars"}, {"kind": "Secret", "name": "cluster-secrets"},
                           {"kind": "ConfigMap", "name": "optional-vars", "optional": True}]})
    report = story.sync()
    assert report.ok, str(report)
    data = story.obj("ConfigMap", "app-staging")["data"]
    assert data == {"region": "eu-2", "replicas": "2", "upper": "STAGING", "token": "t0ps3cret",
                    "literal": "${not_a_var}", "plain": "$HOME", "inline": "from-spec"}
    assert story.obj("ConfigMap", "raw")["data"] == {"v": "${env}"}
    assert all("t0ps3cret" not in m for _, _, m in story.events())


def test_strict_substitution_and_missing_sources_fail_the_build(story: Story) -> None:
    story.commit("Add", {"apps/cm.yaml": story.configmap("ok"), "apps/x.yaml": story.configmap("x", {"v": "${undefined_var}"})})
    story.git_repository()
    story.kustomization("apps", "./apps", postBuild={"substitute": {"a": "b"}})
    story.kustomization("from-missing", "./apps", postBuild={"substituteFrom": [{"kind": "ConfigMap", "name": "nope"}]})
    story.sync()
    assert story.ready("Kustomization", "apps") == (
        "False", "BuildFailed",
        "post build failed for 'ConfigMap.v1.[noGrp]/x': envsubst error: variable substitution failed: "
        "variable not set (strict mode): \"undefined_var\"")
    assert story.ready("Kustomization", "from-missing") == (
        "False", "BuildFailed", "substitute from 'ConfigMap/nope' error: configmaps \"nope\" not found")
    assert story.get("ConfigMap", "ok") is None
