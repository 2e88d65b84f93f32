"""Optional C2PA manifest (``pip install hegui[c2pa]``) declaring the content AI-generated.

C2PA is not what GB 45438 asks for (that is the TC260 metadata label), but operators who also
publish to platforms reading Content Credentials can add a signed manifest with a
``c2pa.created`` action whose ``digitalSourceType`` is *trainedAlgorithmicMedia*. Signing runs
offline (no timestamp authority) with the operator's X.509 chain; the leaf needs an EKU that
c2pa accepts (e.g. emailProtection or documentSigning) and must not be self-signed.
"""

from __future__ import annotations

import io
import json
from typing import Any

from hegui.errors import LabelError

__all__ = ["TRAINED_ALGORITHMIC_MEDIA", "read_c2pa", "sign_c2pa"]

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
AIGC_ASSERTION = "cn.tc260.aigc"


def sign_c2pa(
    data: bytes,
    mime: str,
    *,
    cert_chain_pem: bytes | str,
    private_key_pem: bytes | str,
    claim_generator: str = "hegui",
    alg: str = "es256",
    aigc_label: dict[str, str] | None = None,
) -> bytes:
    """Return ``data`` with an embedded, signed manifest saying it was AI-generated.

    ``cert_chain_pem`` lists the leaf first and stops before the root. ``aigc_label`` (the seven
    TC260 fields) is copied into a ``cn.tc260.aigc`` assertion when given.
    """
    c2pa = _library()
    assertions: list[dict[str, Any]] = [
        {
            "label": "c2pa.actions",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                        "softwareAgent": {"name": claim_generator},
                    }
                ]
            },
        }
    ]
    if aigc_label is not None:
        assertions.append({"label": AIGC_ASSERTION, "data": {"AIGC": aigc_label}})
    manifest = {
        "claim_generator_info": [{"name": claim_generator}],
        "format": mime,
        "assertions": assertions,
    }
    try:
        info = c2pa.C2paSignerInfo(
            alg=alg.encode(),
            sign_cert=_pem(cert_chain_pem),
            private_key=_pem(private_key_pem),
            ta_url=None,
        )
        signer = c2pa.Signer.from_info(info)
        context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        builder = c2pa.Builder(manifest, context)
        target = io.BytesIO()
        builder.sign(signer, mime, io.BytesIO(data), target)
    except c2pa.C2paError as exc:
        raise LabelError(f"C2PA signing failed: {exc}") from exc
    return target.getvalue()


def read_c2pa(
    data: bytes, mime: str, *, trust_anchors_pem: bytes | str | None = None
) -> dict[str, Any] | None:
    """The manifest store as a dict (with ``validation_state``), or None when there is none.

    Without ``trust_anchors_pem`` a good signature reads as ``Valid``; with the issuing CA as
    anchor it reads as ``Trusted``. A tampered file reads as ``Invalid``.
    """
    c2pa = _library()
    settings: dict[str, Any] = {}
    if trust_anchors_pem is not None:
        settings = {
            "trust": {"trust_anchors": _pem(trust_anchors_pem).decode()},
            "verify": {"verify_trust": True},
        }
    try:
        context = c2pa.Context.from_dict(settings)
        with c2pa.Reader(mime, io.BytesIO(data), None, context) as reader:
            store: dict[str, Any] = json.loads(reader.json())
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "ManifestNotFound" in str(exc):
            return None
        raise LabelError(f"C2PA manifest unreadable: {exc}") from exc
    return store


def _library() -> Any:
    try:
        import c2pa
    except ImportError as exc:
        raise LabelError("C2PA support needs the extra: pip install 'hegui[c2pa]'") from exc
    return c2pa


def _pem(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
