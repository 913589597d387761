"""Theano's testing helpers for users' own ops, under Theano's paths (``theano.tests``).

``unittest_tools`` (seeding, ``verify_grad``, ``InferShapeTester``) and
``test_rop.RopLop_checker`` are what Theano's "Extending Theano" page tells an op's
author to test with. This project's own tests are in the repository's ``tests/``.
"""
