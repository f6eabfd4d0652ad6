"""Authentication, impersonation and RBAC authorization for the embedded API server (like kube-apiserver's
`--authorization-mode=RBAC`): who a request comes from, whether it may act as someone else, and whether that user
may do what it asks."""

from .gate import AuthGate
from .users import LAB_ADMIN, UserInfo

__all__ = ["LAB_ADMIN", "AuthGate", "UserInfo"]
