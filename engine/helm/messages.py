"""The helm-controller's condition types, event annotations and message formats (helm-controller api/v2).

Its reason strings are in `engine.reasons` with every other controller's."""

from __future__ import annotations

CONTROLLER = "helm-controller"
GROUP = "helm.toolkit.fluxcd.io"

# Condition types besides Ready/Reconciling/Stalled.
RELEASED = "Released"
TEST_SUCCESS = "TestSuccess"
REMEDIATED = "Remediated"
DRIFTED = "Drifted"

# Event annotations.
REVISION_KEY = f"{GROUP}/revision"
TOKEN_KEY = f"{GROUP}/token"
APP_VERSION_KEY = f"{GROUP}/app-version"

# Messages (`{release}` = `<ns>/<name>.v<N>`, `{chart}` = `<name>@<version>`).
INSTALL_SUCCESS = "Helm install succeeded for release {release} with chart {chart}"
INSTALL_FAILURE = "Helm install failed for release {release} with chart {chart}: {error}"
UPGRADE_SUCCESS = "Helm upgrade succeeded for release {release} with chart {chart}"
UPGRADE_FAILURE = "Helm upgrade failed for release {release} with chart {chart}: {error}"
TEST_SUCCESS_MSG = "Helm test succeeded for release {release} with chart {chart}: {detail}"
TEST_FAILURE = "Helm test failed for release {release} with chart {chart}: {error}"
TEST_PENDING = "Helm release {release} with chart {chart} is awaiting tests"
ROLLBACK_SUCCESS = "Helm rollback to previous release {release} with chart {chart} succeeded"
ROLLBACK_FAILURE = "Helm rollback to previous release {release} with chart {chart} failed: {error}"
UNINSTALL_REMEDIATION_SUCCESS = "Helm uninstall remediation for release {release} with chart {chart} succeeded"
UNINSTALL_REMEDIATION_FAILURE = "Helm uninstall remediation for release {release} with chart {chart} failed: {error}"
UNINSTALL_SUCCESS = "Helm uninstall succeeded for release {release} with chart {chart}"
UNINSTALL_FAILURE = "Helm uninstall failed for release {release} with chart {chart}: {error}"
UNINSTALL_MISSING = "Release {release} was not found, assuming it is uninstalled"
UNLOCK_SUCCESS = "Unlocked Helm release {release} with chart {chart} in {status} state"
UNLOCK_FAILURE = "Unlock of Helm release {release} with chart {chart} in {status} state failed: {error}"
RUNNING_ACTION = "Running '{action}' action with timeout of {timeout}"
DRIFT_DETECTED_MSG = "Cluster state of release {release} has drifted from the desired state:\n{report}"
DRIFT_CORRECTED_MSG = "Cluster state of release {release} has been corrected:\n{report}"
NO_DRIFT_MSG = "No drift detected against the cluster state"
