"""lexicon layer of the risk engine."""
