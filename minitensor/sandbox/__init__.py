"""Theano's ``theano.sandbox`` paths that users import: ``rng_mrg`` (``MRG_RandomStreams``)."""
