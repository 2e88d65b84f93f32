"""lexicon layer of the risk engine."""

__all__: list[str] = []  # import from the modules; the package re-exports nothing
