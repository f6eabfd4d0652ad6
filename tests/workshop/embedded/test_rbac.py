"""RBAC, ServiceAccount tokens and impersonation on the embedded API server, with kube-apiserver's messages."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

SA = "system:serviceaccount:team-a:deployer"


@pytest.fixture
def team(api):
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team-a")))
    core.create_namespaced_service_account("team-a", client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="deployer")))
    return core


def token_for(core, namespace: str = "team-a", name: str = "deployer") -> str:
    request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))
    return core.create_namespaced_service_account_token(name, namespace, request).status.token


def as_token(cluster, token: str) -> client.ApiClient:
    """An official-client ApiClient that authenticates with `token` only (no client certificate)."""
    cfg = client.Configuration(host=cluster.url)
    if cluster.pki is not None:
        cfg.ssl_ca_cert = str(cluster.pki.ca_cert)
    cfg.api_key = {"authorization": token}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    return client.ApiClient(cfg)


def rbac(api) -> client.RbacAuthorizationV1Api:
    return client.RbacAuthorizationV1Api(api)


def bind(api, namespace: str, name: str, role_kind: str, role: str, subject: dict) -> None:
    rbac(api).create_namespaced_role_binding(namespace, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [subject]})


SA_SUBJECT = {"kind": "ServiceAccount", "name": "deployer", "namespace": "team-a"}


def test_service_account_token_is_denied_until_bound(embedded_cluster, api, team):
    token = token_for(team)
    with as_token(embedded_cluster, token) as as_sa:
        sa_core = client.CoreV1Api(as_sa)
        cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x"), data={"a": "1"})
        with pytest.raises(ApiException) as denied:
            sa_core.create_namespaced_config_map("team-a", cm)
        status = json.loads(denied.value.body)
        assert denied.value.status == 403 and status["reason"] == "Forbidden"
        assert status["message"] == (f'configmaps is forbidden: User "{SA}" cannot create resource "configmaps" '
                                     'in API group "" in the namespace "team-a"')
        assert status["details"] == {"kind": "configmaps"}
        bind(api, "team-a", "deployer-edit", "ClusterRole", "edit", SA_SUBJECT)
        sa_core.create_namespaced_config_map("team-a", cm)  # the new binding counts at once
        with pytest.raises(ApiException) as other_ns:
            sa_core.read_namespaced_config_map("x", "default")
        assert json.loads(other_ns.value.body)["message"] == (
            f'configmaps "x" is forbidden: User "{SA}" cannot get resource "configmaps" in API group "" in the '
            'namespace "default"')
        with pytest.raises(ApiException) as cluster_scope:
            client.AppsV1Api(as_sa).list_deployment_for_all_namespaces()
        assert json.loads(cluster_scope.value.body)["message"] == (
            f'deployments.apps is forbidden: User "{SA}" cannot list resource "deployments" in API group "apps" '
            "at the cluster scope")


def test_resource_names_subresources_and_missing_roles(embedded_cluster, api, team):
    rbac(api).create_namespaced_role("team-a", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "one-config"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["allowed"],
                   "verbs": ["get", "update"]},
                  {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get"]}]})
    bind(api, "team-a", "one-config", "Role", "one-config", SA_SUBJECT)
    bind(api, "team-a", "ghost", "Role", "ghost", SA_SUBJECT)
    for name in ("allowed", "other"):
        team.create_namespaced_config_map("team-a", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name)))
    with as_token(embedded_cluster, token_for(team)) as as_sa:
        sa_core = client.CoreV1Api(as_sa)
        assert sa_core.read_namespaced_config_map("allowed", "team-a").metadata.name == "allowed"
        with pytest.raises(ApiException) as denied:
            sa_core.read_namespaced_config_map("other", "team-a")
        assert json.loads(denied.value.body)["message"] == (
            f'configmaps "other" is forbidden: User "{SA}" cannot get resource "configmaps" in API group "" in the '
            'namespace "team-a": RBAC: role.rbac.authorization.k8s.io "ghost" not found')
        with pytest.raises(ApiException) as listing:
            sa_core.list_namespaced_config_map("team-a")  # resourceNames never grant list
        assert listing.value.status == 403
        with pytest.raises(ApiException) as scale:
            client.AppsV1Api(as_sa).read_namespaced_deployment_scale("missing", "team-a")
        assert scale.value.status == 404  # */scale allowed the get: the deployment just does not exist


def test_non_resource_urls_and_bad_tokens(embedded_cluster, team):
    url = embedded_cluster.url
    with embedded_cluster.http_session(client_certificate=False) as http:  # the token is the only credential
        headers = {"Authorization": f"Bearer {token_for(team)}"}
        assert http.get(f"{url}/healthz", headers=headers, timeout=5).text == "ok"
        assert http.get(f"{url}/apis", headers=headers, timeout=5).status_code == 200  # system:discovery
        metrics = http.get(f"{url}/metrics", headers=headers, timeout=5)
        assert metrics.status_code == 403
        assert metrics.json()["message"] == f'forbidden: User "{SA}" cannot get path "/metrics"'
        bad = http.get(f"{url}/api/v1/namespaces", headers={"Authorization": "Bearer not-a-token"}, timeout=5)
        assert bad.status_code == 401
        assert bad.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        team.delete_namespaced_service_account("deployer", "team-a")
        gone = http.get(f"{url}/healthz", headers=headers, timeout=5)
        assert gone.status_code == 401  # a token outlives no ServiceAccount


def _raw(cluster, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None = None) -> tuple[
        int, dict]:
    """One request with repeatable headers (Impersonate-Group may appear several times); as the lab's admin
    unless a bearer token is given (then without the client certificate)."""
    token = any(k == "Authorization" for k, _ in headers)
    conn = cluster.http_connection(timeout=5, client_certificate=not token)
    try:
        conn.putrequest(method, path)
        for k, v in headers:
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_impersonation(embedded_cluster, api, team):
    # the lab's own user (system:masters) may impersonate anyone, with several groups
    body = b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
    status, review = _raw(embedded_cluster, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                          [("Impersonate-User", "alice"), ("Impersonate-Group", "devs"), ("Impersonate-Group", "ops"),
                           ("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body)
    assert status == 201
    assert review["status"]["userInfo"] == {"username": "alice",
                                            "groups": ["devs", "ops", "system:authenticated"]}
    # a ServiceAccount may not impersonate until a role grants `impersonate`
    token = token_for(team)
    status, denied = _raw(embedded_cluster, "GET", "/api/v1/namespaces/team-a/configmaps",
                          [("Authorization", f"Bearer {token}"), ("Impersonate-User", "bob")])
    assert status == 403
    assert denied["message"] == (f'users "bob" is forbidden: User "{SA}" cannot impersonate resource "users" in '
                                 'API group "" at the cluster scope')
    rbac(api).create_cluster_role({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                   "metadata": {"name": "impersonate-bob"},
                                   "rules": [{"apiGroups": [""], "resources": ["users"], "resourceNames": ["bob"],
                                              "verbs": ["impersonate"]}]})
    rbac(api).create_cluster_role_binding({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "deployer-impersonates-bob"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "impersonate-bob"},
        "subjects": [SA_SUBJECT]})
    status, as_bob = _raw(embedded_cluster, "GET", "/api/v1/namespaces/team-a/configmaps",
                          [("Authorization", f"Bearer {token}"), ("Impersonate-User", "bob")])
    assert status == 403 and as_bob["message"].startswith('configmaps is forbidden: User "bob" cannot list')
    # impersonating a ServiceAccount gives it its ServiceAccount groups
    status, sa_review = _raw(embedded_cluster, "GET", "/api/v1/namespaces/team-a/configmaps", [("Impersonate-User", SA)])
    assert status == 403 and f'User "{SA}"' in sa_review["message"]


def test_kubectl_auth_can_i_whoami_and_create_token(kubectl, embedded_cluster, http):
    kubectl("create", "namespace", "team-a")
    kubectl("create", "serviceaccount", "deployer", "-n", "team-a")
    whoami = kubectl("auth", "whoami").stdout.split()
    assert whoami[:6] == ["ATTRIBUTE", "VALUE", "Username", "kubernetes-admin", "Groups", "[system:masters"]
    no = kubectl("auth", "can-i", "create", "configmaps", "-n", "team-a", f"--as={SA}", check=False)
    assert (no.returncode, no.stdout.strip()) == (1, "no")
    denied = kubectl("create", "configmap", "x", "-n", "team-a", f"--as={SA}", check=False)
    assert denied.stderr.strip() == (f'error: failed to create configmap: configmaps is forbidden: User "{SA}" '
                                     'cannot create resource "configmaps" in API group "" in the namespace "team-a"')
    kubectl("create", "rolebinding", "deployer-edit", "--clusterrole=edit", "--serviceaccount=team-a:deployer",
            "-n", "team-a")
    assert kubectl("auth", "can-i", "create", "configmaps", "-n", "team-a", f"--as={SA}").stdout.strip() == "yes"
    assert kubectl("auth", "can-i", "create", "roles", "-n", "team-a", f"--as={SA}", check=False).returncode == 1
    listing = kubectl("auth", "can-i", "--list", "-n", "team-a", f"--as={SA}").stdout
    assert any(line.split()[0] == "serviceaccounts/token" for line in listing.splitlines()[1:])
    sa_whoami = kubectl("auth", "whoami", f"--as={SA}", "-o", "json").stdout
    assert json.loads(sa_whoami)["status"]["userInfo"]["groups"] == [
        "system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"]
    token = kubectl("create", "token", "deployer", "-n", "team-a", "--duration=20m").stdout.strip()
    review = http.post(f"{embedded_cluster.url}/apis/authentication.k8s.io/v1/tokenreviews",
                       json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                             "spec": {"token": token}}, timeout=5).json()
    assert review["status"]["authenticated"] is True and review["status"]["user"]["username"] == SA
    short = kubectl("create", "token", "deployer", "-n", "team-a", "--duration=1m", check=False)
    assert "may not specify a duration less than 10 minutes" in short.stderr


def test_aggregated_cluster_roles_follow_their_sources(embedded_cluster, api):
    view = rbac(api).read_cluster_role("view")
    assert view.aggregation_rule.cluster_role_selectors[0].match_labels == {
        "rbac.authorization.k8s.io/aggregate-to-view": "true"}
    assert any("pods" in (r.resources or []) for r in view.rules)
    rbac(api).create_cluster_role({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                   "metadata": {"name": "widgets-view",
                                                "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
                                   "rules": [{"apiGroups": ["example.com"], "resources": ["widgets"],
                                              "verbs": ["get", "list", "watch"]}]})
    embedded_cluster.wait_settled()
    for name in ("view", "edit", "admin"):  # view is aggregated into edit, edit into admin
        rules = rbac(api).read_cluster_role(name).rules
        assert any(r.resources == ["widgets"] for r in rules), name
    rbac(api).delete_cluster_role("widgets-view")
    embedded_cluster.wait_settled()
    assert not any(r.resources == ["widgets"] for r in rbac(api).read_cluster_role("admin").rules)


def test_subject_access_review_reasons(embedded_cluster, api, team):
    bind(api, "team-a", "deployer-view", "ClusterRole", "view", SA_SUBJECT)
    authz = client.AuthorizationV1Api(api)
    review = authz.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=SA, groups=["system:serviceaccounts"],
        resource_attributes=client.V1ResourceAttributes(namespace="team-a", verb="list", resource="pods"))))
    assert review.status.allowed is True
    assert review.status.reason == ('RBAC: allowed by RoleBinding "deployer-view/team-a" of ClusterRole "view" to '
                                    'ServiceAccount "deployer/team-a"')
    self_review = authz.create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(non_resource_attributes=client.V1NonResourceAttributes(
            path="/anything", verb="get"))))
    assert self_review.status.allowed is True  # the lab user is in system:masters
