"""GB 45438 §5 explicit labels: the notices a person sees or hears (text, image, audio, video).

One module per modality; each takes bytes and returns new bytes, never touching the input.
"""

__all__: list[str] = []  # import from the modules; the package re-exports nothing
