"""`kubectl rollout undo` goes back to the previous ReplicaSet (its template arrives with `creationTimestamp:
null`, which is no change), so the history reads 2 3 and no third ReplicaSet appears."""

from __future__ import annotations


def test_rollout_undo_reuses_the_old_replicaset(kubectl, embedded_cluster):
    kubectl("create", "deployment", "web", "--image=nginx:1.26")
    embedded_cluster.wait_settled()
    kubectl("set", "image", "deploy/web", "nginx=nginx:1.27")
    embedded_cluster.wait_settled()
    assert kubectl("rollout", "undo", "deploy/web").stdout.strip() == "deployment.apps/web rolled back"
    embedded_cluster.wait_settled()
    history = kubectl("rollout", "history", "deploy/web").stdout.splitlines()
    assert [line.split()[0] for line in history[2:] if line.strip()] == ["2", "3"]
    rows = [line.split() for line in kubectl("get", "rs", "-o", "wide").stdout.splitlines()[1:]]
    assert len(rows) == 2
    images = {row[-2]: row[1] for row in rows}  # image -> desired replicas
    assert images == {"nginx:1.26": "1", "nginx:1.27": "0"}
