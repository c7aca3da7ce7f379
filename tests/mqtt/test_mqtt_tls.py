"""mqtts:// with a CA file, against a real Mosquitto TLS listener with a throwaway CA."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mqttkit import append_notes, make_hub, running, service
from support import BrokerFactory, WaitFor, free_port


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca_and_server(d: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("canopy test CA"))
        .issuer_name(_name("canopy test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = d / "ca.pem", d / "server.pem", d / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


# paho-mqtt leaves the socket of a failed TLS handshake to the garbage collector
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_mqtts_with_a_ca_file_publishes_and_a_wrong_ca_is_refused(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    ca, cert, key = make_ca_and_server(tmp_path)
    tls_port = free_port()
    extra = (
        f"\nlistener {tls_port} 127.0.0.1\nallow_anonymous true\n"
        f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
    )
    broker(extra=extra)
    dd = make_hub(tmp_path)
    svc = service(f"mqtts://localhost:{tls_port}", tls_ca=str(ca))
    with running(dd, svc) as d:
        append_notes(d, 3)
        wait_for(lambda: svc.status()["connected"], what="TLS connection")
        wait_for(lambda: svc.status()["published"].get(d.core.log.feed_hex[:16]) == 3,
                 what="3 entries over TLS")  # fmt: skip
    (tmp_path / "other").mkdir()
    other, _, _ = make_ca_and_server(tmp_path / "other")
    bad = service(f"mqtts://localhost:{tls_port}", tls_ca=str(other))
    with running(dd, bad):
        wait_for(lambda: bad.status()["counts"], what="TLS failure counted")
        assert bad.status()["connected"] is False
