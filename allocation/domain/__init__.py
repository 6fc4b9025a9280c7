"""The domain: plain value objects, the rules as data and the entitlement engine.

Imports no solver, web or database library.
"""
