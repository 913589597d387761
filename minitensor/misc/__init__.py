"""Theano's ``theano.misc`` paths that users import: ``pkl_utils`` (``dump`` and ``load``)."""
