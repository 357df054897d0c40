"""Hypothesis strategies (``*_strategies.py``) and property tests (``test_*.py``)."""
