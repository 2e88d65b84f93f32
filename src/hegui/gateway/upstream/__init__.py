"""Talking to the upstream model servers: everything between the gateway and the network.

``spec`` (what a configured upstream is: base URL, key, headers, model names), ``pool``
(choice, failover, circuit breakers, health), ``transport`` (the one-method seam), ``connect``
(which proxy, which TLS context), ``lean`` + ``http1`` + ``tunnel`` (the default HTTP/1.1
client), ``aiohttp_client`` (the alternative) and ``sse`` (parsing the upstream's event stream).
Import from the modules; nothing is re-exported.
"""

__all__: list[str] = []  # import from the modules; the package re-exports nothing
