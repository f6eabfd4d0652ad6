"""The lab cluster's PKI, as kind's: a cluster CA, the API server's serving certificate, and the client certificate
of the lab user (`CN=kubernetes-admin, O=system:masters`), generated once per lab folder (ECDSA P-256: a few
milliseconds) and reused on every start. Also signs approved CertificateSigningRequests with the cluster CA.
"""

from __future__ import annotations

import base64
import datetime
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CA_NAME = "kubernetes"
SERVER_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
                "localhost", "lab-control-plane")
SERVER_IPS = ("127.0.0.1", "10.96.0.1")
ADMIN_USER = "kubernetes-admin"
ADMIN_GROUP = "system:masters"
VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class LabPKI:
    """Paths of the PEM files of one lab cluster's PKI."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "apiserver.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.directory / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.directory / "admin.key"

    @property
    def service_account_key(self) -> Path:
        return self.directory / "sa.key"

    def files(self) -> tuple[Path, ...]:
        return (self.ca_cert, self.ca_key, self.server_cert, self.server_key, self.admin_cert, self.admin_key,
                self.service_account_key)

    def ensure(self) -> LabPKI:
        """Generate the PKI unless all its files are there already."""
        if not all(p.is_file() for p in self.files()):
            generate(self.directory)
        return self

    def server_context(self) -> ssl.SSLContext:
        """TLS for the API server: its certificate, and client certificates checked against the CA (optional)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.server_cert, self.server_key)
        ctx.load_verify_locations(self.ca_cert)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    def client_context(self, certificate: bool = True) -> ssl.SSLContext:
        """TLS for a client of the API server: trusts the lab CA only; presents the admin certificate unless told
        not to (a request that authenticates otherwise, with a bearer token, or not at all)."""
        ctx = ssl.create_default_context(cafile=str(self.ca_cert))
        if certificate:
            ctx.load_cert_chain(self.admin_cert, self.admin_key)
        return ctx

    def kubeconfig_user(self) -> dict[str, str]:
        return {"client-certificate-data": _b64(self.admin_cert.read_bytes()),
                "client-key-data": _b64(self.admin_key.read_bytes())}

    def kubeconfig_cluster(self) -> dict[str, str]:
        return {"certificate-authority-data": _b64(self.ca_cert.read_bytes())}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _write(path: Path, data: bytes, private: bool = False) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    tmp.replace(path)


def generate(directory: Path) -> None:
    """Write a fresh CA, serving certificate, admin client certificate and ServiceAccount signing key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)

    def key_pem(key: Any) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore[no-any-return]
                                 serialization.NoEncryption())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + VALIDITY)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                                       crl_sign=False, content_commitment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))

    def leaf(subject: x509.Name, usage: Any, sans: list[Any] | None) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + VALIDITY)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=False,
                                                crl_sign=False, content_commitment=False, data_encipherment=False,
                                                key_agreement=False, encipher_only=False, decipher_only=False),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), key_pem(key)

    server_crt, server_key = leaf(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]), ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName(n) for n in SERVER_NAMES] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS])
    admin_crt, admin_key = leaf(
        x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ADMIN_GROUP),
                   x509.NameAttribute(NameOID.COMMON_NAME, ADMIN_USER)]), ExtendedKeyUsageOID.CLIENT_AUTH, None)
    pki = LabPKI(directory)
    _write(pki.ca_cert, ca.public_bytes(serialization.Encoding.PEM))
    _write(pki.ca_key, key_pem(ca_key), private=True)
    _write(pki.server_cert, server_crt)
    _write(pki.server_key, server_key, private=True)
    _write(pki.admin_cert, admin_crt)
    _write(pki.admin_key, admin_key, private=True)
    _write(pki.service_account_key, os.urandom(32), private=True)


def peer_identity(cert: dict[str, Any] | None) -> tuple[str, tuple[str, ...]] | None:
    """(CN, O values) of a verified client certificate as ssl.getpeercert() gives it; None without one."""
    if not cert:
        return None
    name, groups = "", []
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                name = value
            elif key == "organizationName":
                groups.append(value)
    return (name, tuple(groups)) if name else None


def client_user(cert: dict[str, Any] | None) -> Any:
    """The UserInfo of a verified client certificate (groups from O, plus system:authenticated); None without."""
    from .auth.users import AUTHENTICATED, UserInfo

    identity = peer_identity(cert)
    if identity is None:
        return None
    name, groups = identity
    return UserInfo(name, (*groups, AUTHENTICATED))


def sign_request(pki: LabPKI, request_pem: bytes, usages: list[str], expiration_seconds: int | None) -> bytes:
    """A certificate for a PEM certificate request, issued by the cluster CA (kube-controller-manager's signer)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    csr = x509.load_pem_x509_csr(request_pem)
    if not csr.is_signature_valid:
        raise ValueError("the certificate request's signature is invalid")
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), None)
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    lifetime = datetime.timedelta(seconds=expiration_seconds or 365 * 86400)
    ekus = {"client auth": ExtendedKeyUsageOID.CLIENT_AUTH, "server auth": ExtendedKeyUsageOID.SERVER_AUTH}
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.subject)
               .public_key(csr.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + lifetime)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    wanted = [ekus[u] for u in usages if u in ekus]
    if wanted:
        builder = builder.add_extension(x509.ExtendedKeyUsage(wanted), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    return cert.public_bytes(serialization.Encoding.PEM)
