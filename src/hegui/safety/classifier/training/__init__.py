"""Training of the classifier (``hegui train``): data loaders, augmentation, decontamination, fit.

Nothing in the runtime classifier imports this package; it needs scikit-learn and scipy and reads
the public data sets and the seed lines in ``seeds/``.
"""

__all__: list[str] = []  # import from the modules; the package re-exports nothing
