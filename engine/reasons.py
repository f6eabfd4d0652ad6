"""Every condition/event reason string the engine's reconcilers write, in one place.

The names and values are Flux's (fluxcd/pkg/apis/meta, kustomize-controller, source-controller,
helm-controller, image-reflector/automation-controller, notification-controller), so a learner can look each one up in Flux's docs.
"""

from __future__ import annotations

# -- shared by every toolkit controller (fluxcd/pkg/apis/meta) ------------------------------------
SUCCEEDED = "Succeeded"
FAILED = "Failed"
PROGRESSING = "Progressing"
PROGRESSING_WITH_RETRY = "ProgressingWithRetry"
DEPENDENCY_NOT_READY = "DependencyNotReady"
RECONCILIATION_FAILED = "ReconciliationFailed"
INVALID_CEL_EXPRESSION = "InvalidCELExpression"
FEATURE_GATE_DISABLED = "FeatureGateDisabled"
ACCESS_DENIED = "AccessDenied"

# -- kustomize-controller (Kustomization Ready reasons) -------------------------------------------
RECONCILIATION_SUCCEEDED = "ReconciliationSucceeded"
ARTIFACT_FAILED = "ArtifactFailed"
BUILD_FAILED = "BuildFailed"
PRUNE_FAILED = "PruneFailed"
HEALTH_CHECK_FAILED = "HealthCheckFailed"
HEALTH_CHECK_CANCELED = "HealthCheckCanceled"

# -- source-controller (GitRepository) -------------------------------------------------------------
URL_INVALID = "URLInvalid"
NEW_REVISION = "NewRevision"
NEW_ARTIFACT = "NewArtifact"
GIT_OPERATION_SUCCEEDED = "GitOperationSucceeded"
GIT_OPERATION_FAILED = "GitOperationFailed"
AUTHENTICATION_FAILED = "AuthenticationFailed"
INVALID_PROVIDER_CONFIGURATION = "InvalidProviderConfiguration"
ARTIFACT_UP_TO_DATE = "ArtifactUpToDate"
ARTIFACT_VERIFICATION_FAILED = "ArtifactVerificationFailed"
VERIFICATION_ERROR = "VerificationError"
INVALID_VERIFICATION_MODE = "InvalidVerificationMode"

# -- source-controller (HelmRepository, HelmChart; chart build reasons are in engine.source.helm_chart) ----
INDEXATION_FAILED = "IndexationFailed"
NEW_CHART = "NewChart"
CHART_PULL_SUCCEEDED = "ChartPullSucceeded"
CHART_PACKAGE_SUCCEEDED = "ChartPackageSucceeded"
NO_SOURCE_ARTIFACT = "NoSourceArtifact"
SOURCE_UNAVAILABLE = "SourceUnavailable"
UNSUPPORTED_SOURCE_KIND = "UnsupportedSourceKind"

# -- helm-controller (HelmRelease) --------------------------------------------------------------
INSTALL_SUCCEEDED = "InstallSucceeded"
INSTALL_FAILED = "InstallFailed"
UPGRADE_SUCCEEDED = "UpgradeSucceeded"
UPGRADE_FAILED = "UpgradeFailed"
TEST_SUCCEEDED = "TestSucceeded"
TEST_FAILED = "TestFailed"
AWAITING_TESTS = "AwaitingTests"
ROLLBACK_SUCCEEDED = "RollbackSucceeded"
ROLLBACK_FAILED = "RollbackFailed"
UNINSTALL_SUCCEEDED = "UninstallSucceeded"
UNINSTALL_FAILED = "UninstallFailed"
PENDING_RELEASE = "PendingRelease"
DRIFT_DETECTED = "DriftDetected"
NO_DRIFT_DETECTED = "NoDriftDetected"
DRIFT_CORRECTED = "DriftCorrected"
DRIFT_CORRECTION_FAILED = "DriftCorrectionFailed"
SOURCE_NOT_READY = "SourceNotReady"
VALUES_ERROR = "ValuesError"
INIT_FAILED = "InitFailed"
STATE_ERROR = "StateError"
RECONCILE_ERROR = "ReconcileError"
RETRIES_EXCEEDED = "RetriesExceeded"
MISSING_ROLLBACK_TARGET = "MissingRollbackTarget"
HELM_CHART_CREATED = "HelmChartCreated"
HELM_CHART_CONFIGURED = "HelmChartConfigured"
HELM_CHART_DELETED = "HelmChartDeleted"
INVALID_CHART_REFERENCE = "InvalidChartReference"
POST_RENDERER_FAILED = "PostRendererError"

# -- image-reflector / image-automation-controller -------------------------------------------------
IMAGE_URL_INVALID = "ImageURLInvalid"
READ_OPERATION_FAILED = "ReadOperationFailed"
INVALID_SOURCE_CONFIGURATION = "InvalidSourceConfiguration"
INVALID_UPDATE_STRATEGY = "InvalidUpdateStrategy"
SOURCE_MANAGER_FAILED = "SourceManagerFailed"

# -- notification-controller -----------------------------------------------------------------------
INITIALIZED = "Initialized"
TOKEN_NOT_FOUND = "TokenNotFound"
VALIDATION_FAILED = "ValidationFailed"
PROVIDER_NOT_SUPPORTED = "ProviderNotSupported"
PROVIDER_NOT_FOUND = "ProviderNotFound"
