"""C2PA sign / read / tamper with a throwaway ES256 CA made at test time (skipped without c2pa)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

pytest.importorskip("c2pa", reason="c2pa-python is not installed (pip install 'hegui[c2pa]')")

from hegui.errors import LabelError
from hegui.labeling.c2pa import TRAINED_ALGORITHMIC_MEDIA, read_c2pa, sign_c2pa


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hegui tests"),
        ]
    )


def _cert(subject, issuer, public_key, signing_key, *, ca: bool) -> x509.Certificate:
    """An X.509 v3 certificate of the shape c2pa-rs checks (AKI/SKI, key usage, EKU on leaves)."""
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki() -> dict[str, bytes]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(_name("hegui test CA"), _name("hegui test CA"), ca_key.public_key(), ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert(_name("hegui test signer"), ca.subject, leaf_key.public_key(), ca_key, ca=False)
    pem = serialization.Encoding.PEM
    return {
        "chain": leaf.public_bytes(pem),
        "key": leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "ca": ca.public_bytes(pem),
    }


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _signed(jpeg: bytes, pki: dict[str, bytes], **extra: object) -> bytes:
    return sign_c2pa(
        jpeg, "image/jpeg", cert_chain_pem=pki["chain"], private_key_pem=pki["key"], **extra
    )


def test_signed_jpeg_reads_back_trusted_with_the_ai_source_type(jpeg, pki) -> None:
    store = read_c2pa(_signed(jpeg, pki), "image/jpeg", trust_anchors_pem=pki["ca"])
    assert store is not None
    assert store["validation_state"] == "Trusted"
    manifest = store["manifests"][store["active_manifest"]]
    actions = [
        a
        for assertion in manifest["assertions"]
        if assertion["label"].startswith("c2pa.actions")
        for a in assertion["data"]["actions"]
    ]
    assert actions[0]["action"] == "c2pa.created"
    assert actions[0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA


def test_without_anchor_the_signature_is_valid_but_not_trusted(jpeg, pki) -> None:
    store = read_c2pa(_signed(jpeg, pki), "image/jpeg")
    assert store is not None and store["validation_state"] == "Valid"


def test_aigc_label_is_carried_as_a_custom_assertion(jpeg, pki) -> None:
    label = {"Label": "1", "ContentProducer": "001191440300708461136T1XGW3", "ProduceID": "x1"}
    store = read_c2pa(_signed(jpeg, pki, aigc_label=label), "image/jpeg")
    assert store is not None
    manifest = store["manifests"][store["active_manifest"]]
    found = [a["data"] for a in manifest["assertions"] if a["label"] == "cn.tc260.aigc"]
    assert found == [{"AIGC": label}]


def test_one_changed_pixel_byte_makes_the_manifest_invalid(jpeg, pki) -> None:
    signed = bytearray(_signed(jpeg, pki))
    signed[-20] ^= 0xFF  # inside the entropy-coded scan, covered by the hard binding
    store = read_c2pa(bytes(signed), "image/jpeg", trust_anchors_pem=pki["ca"])
    assert store is not None and store["validation_state"] == "Invalid"


def test_unsigned_file_has_no_manifest(jpeg) -> None:
    assert read_c2pa(jpeg, "image/jpeg") is None


def test_self_signed_leaf_is_refused_with_a_label_error(jpeg, pki) -> None:
    with pytest.raises(LabelError, match="C2PA signing failed"):
        sign_c2pa(jpeg, "image/jpeg", cert_chain_pem=pki["ca"], private_key_pem=pki["key"])
