"""What a request handler may use of the gateway: a small frozen record instead of the app.

Handlers (:mod:`chat`, :mod:`relay`, :mod:`endpoints`, :mod:`incidents`) receive a
:class:`Services` built once by :class:`hegui.gateway.app.Gateway`, so they never import the app
(which imports them) and a test can see at a glance what a handler can reach: the checks, the
labels, the upstreams, the metrics, the record store and the settings read per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hegui.config import GatewaySettings, LabelingSettings
    from hegui.gateway.backend import GatewayBackend
    from hegui.gateway.image_fetch import ImageFetcher
    from hegui.gateway.labels import TextLabeler
    from hegui.gateway.metrics import GatewayMetrics
    from hegui.gateway.moderation import Moderation
    from hegui.gateway.upstream.pool import UpstreamPool
    from hegui.gateway.upstream.transport import Transport

__all__ = ["MAX_UPSTREAM_BYTES", "Services"]

MAX_UPSTREAM_BYTES = 64 * 1024 * 1024  # the largest upstream answer read whole


@dataclass(frozen=True, slots=True)
class Services:
    """Shared, safe-to-share parts of the gateway and the settings handlers read per request."""

    moderation: Moderation
    labeler: TextLabeler
    pool: UpstreamPool
    transport: Transport  # the upstreams' client
    images: ImageFetcher  # fetches generated images by URL, on a client of its own
    metrics: GatewayMetrics
    backend: GatewayBackend  # incidents and sanctions
    gateway: GatewaySettings  # limits, stream timings, upstream timeout
    labeling: LabelingSettings  # image labels
    store_content: str  # none | violations | all: which user content is kept (encrypted)
    count_output_violations: bool  # a refused *answer* counts on the user's sanction ladder
    stream_window: int
    stream_step: int
    stream_hold: str
    unchecked_fields: frozenset[str]
    max_upstream_bytes: int = MAX_UPSTREAM_BYTES
